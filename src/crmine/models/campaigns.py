"""Campaign response: P(respond | contacted), chosen by cross-validation and calibrated.

The training rows are the customers a campaign contacted whose outcome is known; the model
scores the customers it has not contacted yet ("we ran a pilot on a sample: whom next?").

* Candidates: logistic regression, LightGBM (:mod:`crmine.models._candidates`) and their
  blend (the mean of the two probabilities), and a
  **baseline**: the single most telling column (chosen inside each training fold by its AUC,
  e.g. earlier acceptances or recency), as a one-feature logistic regression. Stratified k-fold
  cross-validation gives every labelled row an out-of-fold score; the best out-of-fold AUC
  wins. A model that does not beat the baseline on validation is not published: the baseline
  is, and the record says so.
* Calibration: Platt's sigmoid or isotonic regression, fitted on the out-of-fold scores (which
  no model saw the label of) and chosen by their Brier score under 2-fold cross-fitting of the
  calibrator itself. The final model is refit on every labelled row.

Like every crmine model it takes frames and arrays only; which columns are outcomes recorded
after the send (never features) is the caller's to decide.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.models import _candidates
from crmine.models._tabular import TabularEncoder, canonical_order
from crmine.models.base import Estimator, ModelRecord

if TYPE_CHECKING:
    from datetime import datetime

    import pandas as pd

__all__ = ["RESPONSE_CANDIDATES", "Calibrator", "ResponseModel", "make_candidate"]

RESPONSE_CANDIDATES: tuple[str, ...] = ("logistic", "lightgbm", "blend")
BASELINE = "best_single_column"
ISOTONIC_MIN = 200
ISOTONIC_BLOCK = 50


class _SingleColumn(_candidates.Candidate):
    """The baseline: a logistic regression on the one column that ranks best in training."""

    name = BASELINE

    def fit(self, X, y, X_val=None, y_val=None) -> _SingleColumn:
        from sklearn.linear_model import LogisticRegression

        from crmine.evaluation import metrics

        A, y = np.asarray(X, float), np.asarray(y, bool)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-empty column: median NaN
            medians = np.nan_to_num(np.nanmedian(A, axis=0), nan=0.0)
        filled = np.where(np.isfinite(A), A, medians)
        strength = [abs(np.nan_to_num(metrics.auc(y, filled[:, j]), nan=0.5) - 0.5)
                    for j in range(A.shape[1])]  # fmt: skip
        self.column_ = int(np.argmax(strength))
        self.fill_ = float(medians[self.column_])
        self.model_ = LogisticRegression(C=1e4, max_iter=500).fit(self._x(A), y)
        self.params = {**self.params, "column": self.column_}
        return self

    def _x(self, A: np.ndarray) -> np.ndarray:
        x = A[:, self.column_]
        x = np.where(np.isfinite(x), x, self.fill_)
        return (np.sign(x) * np.log1p(np.abs(x))).reshape(-1, 1)

    def score(self, X) -> np.ndarray:
        return self.model_.predict_proba(self._x(np.asarray(X, float)))[:, 1]


def _parts(name: str) -> tuple[str, ...]:
    """The fitted candidates behind a name: the blend is the mean of logistic and LightGBM."""
    return ("logistic", "lightgbm") if name == "blend" else (name,)


def make_candidate(name: str, random_state: int) -> _candidates.Candidate:
    """A fresh response candidate; LightGBM sized for a few thousand rows without early
    stopping (cross-validation folds hold no separate validation set)."""
    if name == BASELINE:
        return _SingleColumn(random_state)
    if name == "lightgbm":
        return _candidates.make(name, random_state, n_estimators=200, learning_rate=0.03,
                                num_leaves=8)  # fmt: skip
    return _candidates.make(name, random_state)


class Calibrator:
    """Platt or isotonic, whichever has the lower Brier score when cross-fitted (2 folds).

    Isotonic is a step function that says 0 or 1 at the ends of the scores it saw; with
    fewer than :data:`ISOTONIC_MIN` responders or non-responders it is not tried.
    """

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def fit(self, score: np.ndarray, y: np.ndarray) -> Calibrator:
        score, y = np.asarray(score, float), np.asarray(y, bool)
        kinds = ["platt"] + (["isotonic"] if min(y.sum(), (~y).sum()) >= ISOTONIC_MIN else [])
        fold = np.random.default_rng(self.random_state).random(len(y)) < 0.5
        self.brier_ = {}
        for kind in kinds:
            out = np.empty(len(y))
            for part in (fold, ~fold):
                out[~part] = self._make(kind, score[part], y[part])(score[~part])
            self.brier_[kind] = float(np.mean((out - y) ** 2))
        self.kind_ = min(self.brier_, key=self.brier_.__getitem__)
        self.map_ = self._make(self.kind_, score, y)
        return self

    @staticmethod
    def _make(kind: str, score: np.ndarray, y: np.ndarray):
        from crmine.models._calibration import Platt

        if kind == "platt":
            return Platt().fit(score, y)
        from sklearn.isotonic import IsotonicRegression

        # on blocks of at least ISOTONIC_BLOCK customers of neighbouring scores: a step fitted
        # to a handful of rows at either end would say 0 or 1
        order = np.argsort(score, kind="stable")
        blocks = np.arange(len(score)) // max(ISOTONIC_BLOCK, len(score) // 100)
        size = np.bincount(blocks)
        x = np.bincount(blocks, score[order]) / size
        rate = np.bincount(blocks, y[order].astype(float)) / size
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        return iso.fit(x, rate, sample_weight=size).predict

    def __call__(self, score: np.ndarray) -> np.ndarray:
        return np.asarray(self.map_(np.asarray(score, float)), float)


class ResponseModel(Estimator):
    """P(respond | contacted): logistic or LightGBM by cross-validated AUC, never below the
    single-column baseline, calibrated on out-of-fold scores."""

    record_name = "campaign_response"

    def __init__(
        self,
        candidates: tuple[str, ...] = RESPONSE_CANDIDATES,
        *,
        folds: int = 5,
        random_state: int = 0,
    ) -> None:
        self.candidates = candidates
        self.folds = folds
        self.random_state = random_state

    def fit(self, frame: pd.DataFrame, responded: Any, *, as_of: datetime | None = None
            ) -> ResponseModel:
        """``frame``: feature columns of the contacted customers with a known outcome."""
        with _candidates.single_thread():
            return self._fit(frame, responded, as_of)

    def _fit(self, frame: pd.DataFrame, responded: Any, as_of: datetime | None
             ) -> ResponseModel:
        from sklearn.model_selection import StratifiedKFold

        from crmine.evaluation import metrics

        y = np.asarray(responded, bool)
        if min(y.sum(), (~y).sum()) < self.folds:
            raise ValueError(f"need at least {self.folds} responders and {self.folds} "
                             "non-responders to learn a response model")  # fmt: skip
        if not self.candidates or set(self.candidates) - set(RESPONSE_CANDIDATES):
            raise ValueError(f"response candidates must be among {RESPONSE_CANDIDATES}")
        self.as_of_ = as_of
        self.encoder_ = TabularEncoder().fit(frame)
        X = self.encoder_.transform(frame, as_of)
        if X.shape[1] == 0:
            raise ValueError("no usable feature columns")
        self.features_ = list(X.columns)
        order = canonical_order(X, y)  # same rows in any order → same folds, same model
        X, y = X.iloc[order], y[order]
        names = (*self.candidates, BASELINE)
        fitted = sorted({part for name in names for part in _parts(name)})
        oof = {name: np.zeros(len(y)) for name in fitted}
        splitter = StratifiedKFold(self.folds, shuffle=True, random_state=self.random_state)
        for train, test in splitter.split(X, y):
            for name in fitted:
                model = make_candidate(name, self.random_state).fit(X.iloc[train], y[train])
                oof[name][test] = model.score(X.iloc[test])
        if "blend" in names:
            oof["blend"] = (oof["logistic"] + oof["lightgbm"]) / 2
        self.comparison_ = [{"candidate": n, "cv_auc": metrics.auc(y, oof[n]),
                             "cv_brier": metrics.brier(y, oof[n])} for n in names]  # fmt: skip
        auc = {r["candidate"]: np.nan_to_num(r["cv_auc"], nan=0.0) for r in self.comparison_}
        best = max(self.candidates, key=auc.__getitem__)
        self.beats_baseline_ = bool(auc[best] > auc[BASELINE])
        self.chosen_ = best if self.beats_baseline_ else BASELINE
        self.cv_auc_ = float(auc[self.chosen_])
        self.baseline_auc_ = float(auc[BASELINE])
        self.calibrator_ = Calibrator(self.random_state).fit(oof[self.chosen_], y)
        self.oof_proba_ = np.empty(len(y))
        self.oof_proba_[order] = self.calibrator_(oof[self.chosen_])
        self.cv_brier_ = float(np.mean((self.oof_proba_[order] - y) ** 2))
        self.models_ = [make_candidate(p, self.random_state).fit(X, y)
                        for p in _parts(self.chosen_)]  # fmt: skip
        self.baseline_column_ = self.features_[
            make_candidate(BASELINE, self.random_state).fit(X, y).column_
        ]
        self.n_labelled_, self.response_rate_ = len(y), float(y.mean())
        return self

    def encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        self._check_fitted()
        return self.encoder_.transform(frame, self.as_of_)[self.features_]

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability that each row responds if contacted."""
        X = self.encode(frame)
        with _candidates.single_thread():
            return self.calibrator_(np.mean([m.score(X) for m in self.models_], axis=0))

    def describe(self) -> ModelRecord:
        self._check_fitted()
        return ModelRecord(
            self.record_name,
            {"chosen": self.chosen_, "calibration": self.calibrator_.kind_, "folds": self.folds,
             "models": [m.describe() for m in self.models_], "features": len(self.features_),
             "baseline_column": self.baseline_column_},
            f"{self.n_labelled_:,} contacted customers with a known outcome", self.n_labelled_,
            {"cv_auc": self.cv_auc_, "baseline_cv_auc": self.baseline_auc_,
             "beats_baseline": self.beats_baseline_, "cv_brier_calibrated": self.cv_brier_,
             "calibration_brier": self.calibrator_.brier_, "response_rate": self.response_rate_,
             "candidates": self.comparison_},
        )  # fmt: skip

"""Uplift: who responds *because* of the contact, from a campaign with a randomised control group.

``uplift = P(respond | contacted) − P(respond | held out)``. A response model ranks customers
who would buy anyway at the top; on a campaign that held a random control group out, the
difference can be learned. Meta-learners (Künzel et al. 2019), each with logistic regression
and with LightGBM as the base classifier:

* **T-learner** — one model on the contacted, one on the held-out; uplift is the difference.
* **S-learner** — one model with "contacted" as a feature (for the logistic one, also its
  interaction with every feature, else the effect would be the same for everyone on the
  log-odds scale); uplift is its prediction contacted minus held out.
* **X-learner** — the T-learner's two response models impute each customer's own effect
  (a contacted customer's outcome minus what the held-out model expected of them, and the
  other way round); a regressor per arm learns those effects from the features, and the
  two are weighted by the other arm's share (``τ = e·τ₀ + (1 − e)·τ₁``, ``e`` the share
  contacted). It helps where one arm is much smaller than the other, as control groups are.
  Its arms are ``(μ₀ + τ, μ₀)``: the held-out response and that plus the effect.

They are compared by the **Qini coefficient** of out-of-fold uplift (stratified k-fold over
outcome × arm), against two rules that need no uplift model: random targeting (Qini 0) and the
**response model as a targeting rule** (the contacted-arm model of the T-learner, the better of
its two bases by AUC). An uplift model is only *claimed* when it beats both on validation:
a higher Qini than the response model's, and a bootstrap 90 % interval of its Qini above 0
(random targeting). The paired interval of its gain over the response model is recorded
beside them; otherwise :meth:`UpliftModel.predict` gives no uplift and the record says so. Each arm's
probability is calibrated (:class:`~crmine.models.campaigns.Calibrator`) on out-of-fold scores
of that arm's customers; the published uplift is the difference of the calibrated arms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.models import _candidates
from crmine.models._tabular import TabularEncoder, canonical_order
from crmine.models.base import Estimator, ModelRecord
from crmine.models.campaigns import Calibrator, make_candidate

if TYPE_CHECKING:
    from datetime import datetime

    import pandas as pd

__all__ = ["RESPONSE_RULE", "UPLIFT_CANDIDATES", "UpliftModel"]

UPLIFT_CANDIDATES: tuple[str, ...] = (
    "t_logistic", "t_lightgbm", "s_logistic", "s_lightgbm", "x_logistic", "x_lightgbm"
)
RESPONSE_RULE = "response_model"
_Arms = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def _fit_learner(kind: str, X: np.ndarray, y: np.ndarray, t: np.ndarray, seed: int) -> _Arms:
    """Fit one meta-learner; returns ``X → (score if contacted, score if held out)``."""
    learner, base = kind.split("_", 1)
    if learner == "t":
        treated = make_candidate(base, seed).fit(X[t], y[t])
        control = make_candidate(base, seed).fit(X[~t], y[~t])
        return lambda A: (treated.score(A), control.score(A))
    if learner == "x":
        return _fit_x_learner(base, X, y, t, seed)
    model = make_candidate(base, seed).fit(_with_arm(X, t, base), y)

    def arms(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        on, off = np.ones(len(A), bool), np.zeros(len(A), bool)
        return model.score(_with_arm(A, on, base)), model.score(_with_arm(A, off, base))

    return arms


def _fit_x_learner(base: str, X: np.ndarray, y: np.ndarray, t: np.ndarray, seed: int) -> _Arms:
    """Künzel et al.'s X-learner (see the module docstring)."""
    treated = make_candidate(base, seed).fit(X[t], y[t])
    control = make_candidate(base, seed).fit(X[~t], y[~t])
    effect_treated = _regressor(base, seed).fit(X[t], y[t] - control.score(X[t]))
    effect_control = _regressor(base, seed).fit(X[~t], treated.score(X[~t]) - y[~t])
    share = float(t.mean())

    def arms(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        held_out = control.score(A)
        tau = share * effect_control.predict(A) + (1 - share) * effect_treated.predict(A)
        return np.clip(held_out + tau, 0.0, 1.0), held_out

    return arms


def _regressor(base: str, seed: int) -> Any:
    """The X-learner's effect regressor for a base: ridge on the logistic candidate's scaled
    features, or a LightGBM regressor sized like the LightGBM response candidate."""
    if base == "lightgbm":
        from lightgbm import LGBMRegressor

        return LGBMRegressor(n_estimators=200, learning_rate=0.03, num_leaves=8,
                             random_state=seed, n_jobs=1, verbose=-1)  # fmt: skip
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    return make_pipeline(_candidates.linear_prep(), Ridge(alpha=10.0))


def _with_arm(X: np.ndarray, t: np.ndarray, base: str) -> np.ndarray:
    """The S-learner's design: the features, the arm, and for a linear base arm × feature."""
    arm = t.astype(float)[:, None]
    if base == "logistic":
        filled = np.nan_to_num(X, nan=0.0)
        return np.hstack([X, arm, filled * arm])
    return np.hstack([X, arm])


class UpliftModel(Estimator):
    """Meta-learners chosen by out-of-fold Qini; uplift claimed only when it beats response
    targeting and random targeting on validation."""

    record_name = "campaign_uplift"

    def __init__(
        self,
        candidates: tuple[str, ...] = UPLIFT_CANDIDATES,
        *,
        folds: int = 5,
        k: float = 0.3,
        n_boot: int = 200,
        random_state: int = 0,
    ) -> None:
        self.candidates = candidates
        self.folds = folds
        self.k = k
        self.n_boot = n_boot
        self.random_state = random_state

    def fit(self, frame: pd.DataFrame, responded: Any, treated: Any, *,
            as_of: datetime | None = None) -> UpliftModel:  # fmt: skip
        """``frame``: features of the campaign's customers with a known outcome, contacted
        (``treated`` true) or randomly held out (false)."""
        with _candidates.single_thread():
            return self._fit(frame, np.asarray(responded, bool), np.asarray(treated, bool), as_of)

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, t: np.ndarray,
             as_of: datetime | None) -> UpliftModel:  # fmt: skip
        from sklearn.model_selection import StratifiedKFold

        strata = 2 * y.astype(int) + t.astype(int)
        if len(np.unique(strata)) < 4 or np.bincount(strata, minlength=4).min() < self.folds:
            raise ValueError(f"need at least {self.folds} responders and non-responders in "
                             "both the contacted and the held-out group")  # fmt: skip
        if not self.candidates or set(self.candidates) - set(UPLIFT_CANDIDATES):
            raise ValueError(f"uplift candidates must be among {UPLIFT_CANDIDATES}")
        self.as_of_ = as_of
        self.encoder_ = TabularEncoder().fit(frame)
        frame_X = self.encoder_.transform(frame, as_of)
        if frame_X.shape[1] == 0:
            raise ValueError("no usable feature columns")
        self.features_ = list(frame_X.columns)
        order = canonical_order(frame_X, y, t)
        X, y, t = frame_X.to_numpy(float)[order], y[order], t[order]
        kinds = sorted({*self.candidates, "t_logistic", "t_lightgbm"})  # T arms: response rule
        oof = {k: (np.zeros(len(y)), np.zeros(len(y))) for k in kinds}
        splitter = StratifiedKFold(self.folds, shuffle=True, random_state=self.random_state)
        for train, test in splitter.split(X, strata[order]):
            for kind in kinds:
                arms = _fit_learner(kind, X[train], y[train], t[train], self.random_state)
                oof[kind][0][test], oof[kind][1][test] = arms(X[test])
        self._choose(oof, y, t)
        self.arm_calibrators_ = (
            Calibrator(self.random_state).fit(oof[self.chosen_][0][t], y[t]),
            Calibrator(self.random_state).fit(oof[self.chosen_][1][~t], y[~t]),
        )
        self.rule_calibrator_ = Calibrator(self.random_state).fit(oof[self.rule_kind_][0][t], y[t])
        self.arms_ = _fit_learner(self.chosen_, X, y, t, self.random_state)
        self.rule_ = make_candidate(self.rule_kind_.split("_", 1)[1],
                                    self.random_state).fit(X[t], y[t])  # fmt: skip
        self.n_treated_, self.n_control_ = int(t.sum()), int((~t).sum())
        self.oof_uplift_ = np.empty(len(y))
        self.oof_uplift_[order] = oof[self.chosen_][0] - oof[self.chosen_][1]
        return self

    def _choose(self, oof: dict[str, tuple[np.ndarray, np.ndarray]], y: np.ndarray,
                t: np.ndarray) -> None:  # fmt: skip
        """Qini, AUUC and uplift@k of every candidate and of the two rules; pick the best."""
        from crmine.evaluation import metrics
        from crmine.evaluation import uplift as U

        def scores(score: np.ndarray) -> dict[str, float]:
            return {"qini": U.qini_coefficient(y, t, score), "auuc": U.auuc(y, t, score),
                    f"uplift_at_{round(self.k * 100)}": U.uplift_at_k(y, t, score, self.k)}

        rule_auc = {k: metrics.auc(y[t], oof[k][0][t]) for k in ("t_logistic", "t_lightgbm")}
        self.rule_kind_ = max(rule_auc, key=lambda k: np.nan_to_num(rule_auc[k], nan=0.0))
        self.comparison_ = [
            {"candidate": k, **scores(oof[k][0] - oof[k][1])} for k in self.candidates
        ]
        rule_score = oof[self.rule_kind_][0]
        self.response_rule_ = {"candidate": RESPONSE_RULE, "base": self.rule_kind_,
                               "cv_auc": rule_auc[self.rule_kind_], **scores(rule_score)}
        self.random_ = {"candidate": "random", "qini": 0.0, "auuc": 0.0,
                        f"uplift_at_{round(self.k * 100)}": U.uplift_at_k(y, t, np.zeros(len(y)),
                                                                          1.0)}  # fmt: skip
        best = max(self.comparison_, key=lambda r: np.nan_to_num(r["qini"], nan=-np.inf))
        self.chosen_, self.cv_qini_ = best["candidate"], float(best["qini"])
        chosen_score = oof[self.chosen_][0] - oof[self.chosen_][1]
        seed = self.random_state
        self.qini_gain_interval_ = U.bootstrap_difference(
            U.qini_coefficient, y, t, chosen_score, rule_score, n_boot=self.n_boot, seed=seed)
        self.intervals_ = {
            name: {
                "qini": U.bootstrap_interval(U.qini_coefficient, y, t, s, n_boot=self.n_boot,
                                             seed=seed),
                f"uplift_at_{round(self.k * 100)}": U.bootstrap_interval(
                    lambda a, b, c: U.uplift_at_k(a, b, c, self.k), y, t, s,
                    n_boot=self.n_boot, seed=seed),
            }
            for name, s in (("chosen", chosen_score), (RESPONSE_RULE, rule_score))
        }  # fmt: skip
        self.qini_curves_ = {
            name: U.curve_points(*U.qini_curve(y, t, s))
            for name, s in (("chosen", chosen_score), (RESPONSE_RULE, rule_score))
        }
        self.ate_ = float(y[t].mean() - y[~t].mean())
        # claimed when it ranks better than the response model and better than random beyond
        # the noise (the 90 % interval of its Qini lies above 0)
        self.claimed_ = bool(self.cv_qini_ > self.response_rule_["qini"]
                             and self.intervals_["chosen"]["qini"][0] > 0)  # fmt: skip

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        return self.encoder_.transform(frame, self.as_of_)[self.features_].to_numpy(float)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per row: ``p_response`` (if contacted), ``p_response_control`` (if not) and
        ``uplift``, all calibrated. Without a claimed uplift model, uplift is empty and
        p_response comes from the response model (the targeting rule that won)."""
        import pandas as pd

        X = self.encode(frame)
        with _candidates.single_thread():
            treated, control = self.arms_(X)
            p_t, p_c = self.arm_calibrators_[0](treated), self.arm_calibrators_[1](control)
            if not self.claimed_:
                p_t = self.rule_calibrator_(self.rule_.score(X))
        uplift = p_t - p_c if self.claimed_ else np.full(len(X), np.nan)
        return pd.DataFrame({"p_response": p_t, "p_response_control": p_c, "uplift": uplift},
                            index=frame.index)  # fmt: skip

    def describe(self) -> ModelRecord:
        self._check_fitted()
        n = self.n_treated_ + self.n_control_
        return ModelRecord(
            self.record_name,
            {"chosen": self.chosen_, "folds": self.folds, "k": self.k,
             "features": len(self.features_), "response_rule_base": self.rule_kind_,
             "calibration": [c.kind_ for c in self.arm_calibrators_]},
            f"{self.n_treated_:,} contacted and {self.n_control_:,} held-out customers with a "
            "known outcome", n,
            {"cv_qini": self.cv_qini_, "uplift_claimed": self.claimed_,
             "qini_gain_over_response_90": self.qini_gain_interval_,
             "average_effect": self.ate_, "candidates": self.comparison_,
             "response_rule": self.response_rule_, "random": self.random_,
             "intervals_90": self.intervals_, "qini_curves": self.qini_curves_},
        )  # fmt: skip

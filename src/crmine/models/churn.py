"""Churn risk: contractual (a churned label on customers) and non-contractual.

Non-contractual (shops, no cancellation to observe): churn risk is the probability of
*no purchase within the horizon* for a customer who has bought, ``1 − p_purchase`` from
:class:`crmine.models.propensity.PurchasePropensity` (:func:`noncontractual_risk`).

Contractual (:class:`ContractualChurnModel`): customers carry a label, churned yes/no;
a null label means "unknown — predict me". The label is a snapshot, not behaviour over
time, so the candidates (logistic regression, LightGBM, and their blend = mean of the two
probabilities) are compared by **stratified k-fold cross-validation within the labelled
customers**; the best mean AUC wins, and is refit on all labelled customers to score the
unlabelled ones. Labelled customers keep their out-of-fold score (:meth:`ContractualChurnModel.
risk`), so no published score comes from a model that saw that customer's label. Every attribute column is used generically (:class:`~crmine.models._tabular.
TabularEncoder`: numbers as they are, low-cardinality text one-hot, ratios of the
continuous columns, counts of values shared by several columns); no column is named here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.models import _candidates
from crmine.models._tabular import TabularEncoder, canonical_order
from crmine.models.base import Estimator, ModelRecord

if TYPE_CHECKING:
    from datetime import datetime

    import pandas as pd

__all__ = ["ContractualChurnModel", "noncontractual_risk"]

CHURN_CANDIDATES: tuple[str, ...] = ("logistic", "lightgbm", "blend")


def noncontractual_risk(p_purchase: Any) -> np.ndarray:
    """Probability of no purchase within the horizon."""
    return 1.0 - np.asarray(p_purchase, float)


class ContractualChurnModel(Estimator):
    """Chooses by stratified k-fold CV among logistic, LightGBM and their blend."""

    record_name = "contractual_churn"

    def __init__(
        self,
        candidates: tuple[str, ...] = CHURN_CANDIDATES,
        *,
        folds: int = 5,
        random_state: int = 0,
    ) -> None:
        self.candidates = candidates
        self.folds = folds
        self.random_state = random_state

    def fit(self, frame: pd.DataFrame, churned: Any, *, as_of: datetime | None = None
            ) -> ContractualChurnModel:
        """``frame``: attribute columns (no id, no label) of the labelled customers."""
        with _candidates.single_thread():
            return self._fit(frame, churned, as_of)

    def _fit(self, frame: pd.DataFrame, churned: Any, as_of: datetime | None
             ) -> ContractualChurnModel:
        from sklearn.model_selection import StratifiedKFold

        from crmine.evaluation import metrics

        y = np.asarray(churned, bool)
        if len(np.unique(y)) < 2 or min(y.sum(), (~y).sum()) < self.folds:
            raise ValueError(f"need at least {self.folds} churned and {self.folds} retained "
                             "customers to learn churn")
        unknown = set(self.candidates) - {*CHURN_CANDIDATES}
        if unknown or not self.candidates:
            raise ValueError(f"churn candidates must be among {CHURN_CANDIDATES}")
        self.as_of_ = as_of
        self.encoder_ = TabularEncoder().fit(frame)
        X = self.encoder_.transform(frame, as_of)
        if X.shape[1] == 0:
            raise ValueError("the customers table has no usable attribute columns")
        self.features_ = list(X.columns)
        # Folds and fits read the rows in an order fixed by their values, so the same
        # customers in any order give the same model; out-of-fold scores go back in the
        # caller's order (see ``risk``).
        order = canonical_order(X, y)
        X, y = X.iloc[order], y[order]
        bases = [c for c in ("logistic", "lightgbm") if c in self.candidates or
                 "blend" in self.candidates]
        oof = {name: np.zeros(len(y)) for name in bases}
        splitter = StratifiedKFold(self.folds, shuffle=True, random_state=self.random_state)
        for train, test in splitter.split(X, y):
            for name in bases:
                model = self._make(name).fit(X.iloc[train], y[train])
                oof[name][test] = model.score(X.iloc[test])
        if "blend" in self.candidates:
            oof["blend"] = (oof["logistic"] + oof["lightgbm"]) / 2
        self.comparison_ = [
            {"candidate": name, "cv_auc": metrics.auc(y, oof[name]),
             "cv_brier": metrics.brier(y, oof[name])}
            for name in self.candidates
        ]
        best = max(self.comparison_, key=lambda r: np.nan_to_num(r["cv_auc"], nan=-1))
        self.chosen_, self.cv_auc_ = best["candidate"], best["cv_auc"]
        self.oof_proba_ = np.empty(len(y))
        self.oof_proba_[order] = oof[self.chosen_]
        parts = ("logistic", "lightgbm") if self.chosen_ == "blend" else (self.chosen_,)
        self.models_ = [self._make(name).fit(X, y) for name in parts]
        self.n_labelled_ = len(y)
        return self

    def _make(self, name: str) -> _candidates.Candidate:
        if name == "lightgbm":
            return _candidates.make(name, self.random_state, n_estimators=300,
                                    learning_rate=0.03, num_leaves=8)
        return _candidates.make(name, self.random_state)

    def encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model's design matrix for ``frame`` (the values its reasons quote)."""
        self._check_fitted()
        return self.encoder_.transform(frame, self.as_of_)[self.features_]

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of churn for each row of ``frame`` (same columns as in fit)."""
        X = self.encode(frame)
        with _candidates.single_thread():
            return np.mean([m.score(X) for m in self.models_], axis=0)

    def risk(self, frame: pd.DataFrame, labelled: Any) -> np.ndarray:
        """Churn probability of every row; ``labelled`` marks, in order, the rows fit saw.

        A labelled customer gets the out-of-fold probability of the model chosen, i.e. from a
        model that never saw their label: an in-sample score would just repeat the label.
        """
        labelled = np.asarray(labelled, bool)
        if labelled.sum() != len(self.oof_proba_):
            raise ValueError(f"{int(labelled.sum())} rows marked labelled but the model was "
                             f"fitted on {len(self.oof_proba_)}")
        out = self.predict_proba(frame)
        out[labelled] = self.oof_proba_
        return out

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-feature pushes toward churn risk (log-odds, averaged over a blend)."""
        import pandas as pd

        X = self.encode(frame)
        push = np.mean([m.contributions(X) for m in self.models_], axis=0)
        return pd.DataFrame(push, index=X.index, columns=self.features_)

    def describe(self) -> ModelRecord:
        self._check_fitted()
        snapshot = f" (snapshot at {self.as_of_:%Y-%m-%d})" if self.as_of_ else ""
        return ModelRecord(
            self.record_name, self.parameters(),
            f"{self.n_labelled_:,} customers with a churned label{snapshot}", self.n_labelled_,
            {"cv_auc": self.cv_auc_, "candidates": self.comparison_},
        )  # fmt: skip

    def parameters(self) -> dict[str, Any]:
        self._check_fitted()
        return {"chosen": self.chosen_, "folds": self.folds,
                "models": [m.describe() for m in self.models_],
                "features": len(self.features_), "labelled": self.n_labelled_}

"""Fitting the purchase and value model on a frame of (cutoff, customer) rows, as tests do."""

from __future__ import annotations

import pandas as pd

from crmine.models.purchase import PurchaseValueModel

NOT_FEATURES = ("customer_id", "cutoff", "purchased", "revenue_in_horizon")


def purchase_value_model(seed: int = 0) -> PurchaseValueModel:
    return PurchaseValueModel(("logistic", "lightgbm"), random_state=seed,
                              not_features=NOT_FEATURES)  # fmt: skip


def fit_on_cutoffs(model: PurchaseValueModel, frame: pd.DataFrame, horizon_days: int = 90):
    """Every cutoff of ``frame`` but the newest (as_of) trains; the newest of them validates."""
    cuts = sorted(frame["cutoff"].unique(), reverse=True)[1:]  # without as_of
    cuts = [pd.Timestamp(c).to_pydatetime() for c in cuts]
    train = [c for c in cuts if c <= cuts[0] - pd.Timedelta(days=horizon_days)]
    return model.fit(frame, train_cutoffs=train, validation_cutoff=cuts[0], refit_cutoffs=cuts,
                     horizon_days=horizon_days)  # fmt: skip

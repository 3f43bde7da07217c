"""Contractual churn: generic attributes, CV choice within the labelled; non-contractual risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine.evaluation.metrics import auc
from crmine.models.base import NotFittedError
from crmine.models.churn import ContractualChurnModel, noncontractual_risk


def _customers(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Column names unlike any real file: churn comes from a plan, a fee and the age."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["flex", "annual", "biennial"], n)
    age_months = rng.integers(0, 60, n).astype(float)
    fee = rng.uniform(10, 100, n)
    logit = -1.0 + 1.8 * (plan == "flex") - 0.04 * age_months + 0.02 * fee
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame({"abonnement": plan, "monate": age_months, "gebuehr": fee,
                          "vip": rng.random(n) < 0.1, "kundennummer": np.arange(n).astype(str)})
    return frame, y


def test_learns_from_any_attribute_names():
    X, y = _customers(2000, 0)
    model = ContractualChurnModel(folds=3).fit(X, y)
    assert {r["candidate"] for r in model.comparison_} == {"logistic", "lightgbm", "blend"}
    assert model.cv_auc_ > 0.7
    X_new, y_new = _customers(1000, 1)
    p = model.predict_proba(X_new)
    assert ((p >= 0) & (p <= 1)).all() and auc(y_new, p) > 0.7
    contrib = model.contributions(X_new.head(5))
    assert contrib.shape == (5, len(model.features_)) and list(contrib.columns) == model.features_
    assert list(model.encode(X_new.head(5)).columns) == model.features_


def test_labelled_customers_get_out_of_fold_scores():
    """Scored in-sample, pure noise labels look learnable; out of fold they do not."""
    X, _ = _customers(1500, 2)
    noise = np.random.default_rng(3).random(1500) < 0.3
    labelled = np.arange(1500) < 1000
    model = ContractualChurnModel(("lightgbm",), folds=3).fit(X[labelled], noise[labelled])
    in_sample = model.predict_proba(X)[labelled]
    risk = model.risk(X, labelled)
    assert auc(noise[labelled], in_sample) > 0.6  # memorised
    assert abs(auc(noise[labelled], risk[labelled]) - 0.5) < 0.06
    np.testing.assert_allclose(risk[~labelled], model.predict_proba(X)[~labelled])
    with pytest.raises(ValueError, match="labelled"):
        model.risk(X, np.ones(1500, bool))


def test_refuses_labels_it_cannot_learn_from():
    X, _ = _customers(100, 0)
    with pytest.raises(ValueError):
        ContractualChurnModel().fit(X, np.zeros(100, bool))
    with pytest.raises(NotFittedError, match="not fitted yet"):
        ContractualChurnModel().predict_proba(X)


def test_noncontractual_risk_is_no_purchase():
    assert noncontractual_risk([0.0, 0.25, 1.0]).tolist() == [1.0, 0.75, 0.0]


@pytest.mark.realdata
def test_telco_hidden_labels_auc(datasets_dir):
    from sklearn.model_selection import train_test_split

    raw = pd.read_parquet(datasets_dir / "telco_customer_churn" / "telco_customer_churn.parquet")
    y = (raw.pop("Churn") == "Yes").to_numpy()
    raw["TotalCharges"] = pd.to_numeric(raw["TotalCharges"], errors="coerce")
    raw = raw.drop(columns=["customerID"])
    train, hidden = train_test_split(np.arange(len(raw)), test_size=0.3, random_state=0,
                                     stratify=y)
    model = ContractualChurnModel().fit(raw.iloc[train], y[train])
    assert auc(y[hidden], model.predict_proba(raw.iloc[hidden])) >= 0.85

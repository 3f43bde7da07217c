"""Purchase propensity: time-split choice, calibration, attributions; encoder; reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine.evaluation.metrics import auc
from crmine.models._tabular import TabularEncoder
from crmine.models.base import NotFittedError
from crmine.models.explain import top_reasons
from crmine.models.propensity import PurchasePropensity


def _window(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Buying depends on recency (strongly) and frequency; one column is pure noise."""
    rng = np.random.default_rng(seed)
    recency = rng.exponential(60, n)
    freq = rng.poisson(3, n).astype(float)
    noise = rng.normal(size=n)
    logit = 1.5 - recency / 30 + 0.3 * freq
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame({"recency_days": recency, "orders_count": freq, "noise": noise}), y


@pytest.fixture(scope="module")
def fitted():
    X_tr, y_tr = _window(1500, 0)
    X_va, y_va = _window(1200, 1)
    model = PurchasePropensity(("logistic", "tree", "lightgbm")).fit(X_tr, y_tr, X_va, y_va)
    return model, X_va, y_va


def test_choice_is_recorded_and_ranks_well(fitted):
    model, _, _ = fitted
    assert {r["candidate"] for r in model.comparison_} == {"logistic", "tree", "lightgbm"}
    best = max(r["validation_auc"] for r in model.comparison_)
    assert model.validation_auc_ == best
    X_te, y_te = _window(2000, 2)
    p = model.predict_proba(X_te)
    assert ((p >= 0) & (p <= 1)).all()
    assert auc(y_te, p) > 0.8


def test_calibration_keeps_the_ranking_and_the_rate(fitted):
    model, _, _ = fitted
    X_te, y_te = _window(4000, 3)
    raw, p = model.raw_score(X_te), model.predict_proba(X_te)
    assert auc(y_te, p) == pytest.approx(auc(y_te, raw), abs=1e-9)  # Platt is monotone
    assert abs(p.mean() - y_te.mean()) < 0.03


def test_contributions_point_at_the_signal(fitted):
    model, X_va, _ = fitted
    contrib = model.contributions(X_va)
    assert contrib.shape == (len(X_va), 3)
    strength = np.abs(contrib).mean(axis=0)
    assert strength[0] > strength[2]  # recency matters more than noise


def test_needs_both_classes_and_a_fit():
    X, y = _window(100, 0)
    with pytest.raises(ValueError):
        PurchasePropensity(("logistic",)).fit(X, np.ones(100, bool), X, y)
    with pytest.raises(NotFittedError):
        PurchasePropensity().predict_proba(X)


def test_unknown_candidate_is_an_error():
    X, y = _window(200, 0)
    with pytest.raises(ValueError, match="unknown model candidate"):
        PurchasePropensity(("nope",)).fit(X, y, X, y)


def test_encoder_one_hot_ratios_and_counts():
    frame = pd.DataFrame({
        "plan": ["a", "b", "a", "c"] * 10,
        "x_flag": ["Yes", "No", "Yes", "No"] * 10,
        "y_flag": ["Yes", "Yes", "No", "No"] * 10,
        "z_flag": ["No", "Yes", "Yes", "No"] * 10,
        "ident": [f"id{i}" for i in range(40)],  # too many levels: dropped
        "spend": np.arange(40.0) * 3 + 1,
        "months": np.arange(40.0) + 1,
        "active": [True, False] * 20,
    })
    enc = TabularEncoder().fit(frame)
    X = enc.transform(frame)
    assert "ident=id1" not in X and "plan=a" in X and "active" in X
    assert X["count:Yes"].tolist()[:4] == [2, 2, 2, 0]
    assert X["spend_per_months"].iloc[1] == pytest.approx(4 / 2)
    unseen = enc.transform(frame.assign(plan="zzz"))
    assert unseen[["plan=a", "plan=b", "plan=c"]].to_numpy().sum() == 0


def test_reasons_take_the_strongest_attributions_with_values():
    names = ["recency_days", "gap_mean_days", "contract=Monthly", "contract=Yearly",
             "spend_change_ratio"]
    values = pd.DataFrame({
        "recency_days": [120.0, 5.0], "gap_mean_days": [30.0, 10.0],
        "contract=Monthly": [1.0, 0.0], "contract=Yearly": [0.0, 1.0],
        "spend_change_ratio": [-0.6, 0.2],
    })
    contrib = np.array([[2.0, 0.1, 0.5, 0.2, 1.0], [-0.1, 0.0, -0.2, -1.5, 0.05]])
    reasons = top_reasons(contrib, names, values, k=2)
    assert reasons[0] == ["no purchase for 120 days; usually buys every 30 (raises churn risk)",
                          "spend down 60% on the previous 90 days (raises churn risk)"]
    # the two contract columns are one attribute: −0.2 + −1.5
    assert reasons[1][0] == "contract: Yearly (lowers churn risk)"
    with pytest.raises(ValueError):
        top_reasons(contrib[:, :3], names, values)


def test_reasons_say_yes_or_no_for_flags():
    values = pd.DataFrame({"paperless_billing": [1.0, 0.0], "monthly_fee": [70.5, 20.0]})
    contrib = np.array([[1.0, 0.1], [-1.0, 0.0]])
    reasons = top_reasons(contrib, ["paperless_billing", "monthly_fee"], values, k=1)
    assert reasons == [["paperless billing: yes (raises churn risk)"],
                       ["paperless billing: no (lowers churn risk)"]]


def test_blend_weight_is_chosen_on_validation_and_used_when_scoring():
    # A prior that knows a signal the features lack: blending with it must win on validation.
    def window(n, seed):
        X, _ = _window(n, seed)
        rng = np.random.default_rng(seed + 100)
        hidden = rng.normal(size=n)
        logit = 1.5 - X["recency_days"] / 30 + 1.5 * hidden
        y = rng.random(n) < 1 / (1 + np.exp(-logit))
        X["prior"] = 1 / (1 + np.exp(-1.5 * hidden))
        return X, y.to_numpy()

    X_tr, y_tr = window(1500, 0)
    X_va, y_va = window(1200, 1)
    X_te, y_te = window(2000, 2)
    plain = PurchasePropensity(("logistic",)).fit(X_tr.drop(columns="prior"), y_tr,
                                                  X_va.drop(columns="prior"), y_va)
    blended = PurchasePropensity(("logistic",), blend_with="prior").fit(
        X_tr.drop(columns="prior"), y_tr, X_va.drop(columns="prior"), y_va)
    assert blended.blend_weight_ == 0.0  # the prior is not in the frame: nothing to blend
    blended = PurchasePropensity(("logistic",), blend_with="prior").fit(
        X_tr.assign(prior=0.5), y_tr, X_va, y_va)
    assert blended.blend_weight_ > 0
    assert blended.blended_validation_auc_ >= blended.validation_auc_
    assert auc(y_te, blended.predict_proba(X_te)) > auc(
        y_te, plain.predict_proba(X_te.drop(columns="prior")))
    assert blended.params_["blend_weight"] == blended.blend_weight_


def test_blend_never_loses_on_validation(fitted):
    _, X_va, y_va = fitted
    X_tr, y_tr = _window(1500, 0)
    # An uninformative column as the prior: w = 0 keeps the candidate's own AUC at worst.
    model = PurchasePropensity(("logistic",), blend_with="noise").fit(X_tr, y_tr, X_va, y_va)
    assert model.blended_validation_auc_ >= model.validation_auc_

"""A published purchase score never loses on validation to the BG/NBD score beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from crmine.evaluation import metrics
from crmine.models._calibration import reorder
from crmine.models.purchase import PurchaseValueModel
from tests.models._purchase import fit_on_cutoffs, purchase_value_model

AS_OF = pd.Timestamp("2024-12-01")


def _frame(seed: int, signal_in_features: float) -> pd.DataFrame:
    """Rows at four cutoffs and as_of; BG/NBD's score knows who buys, the features as much
    as ``signal_in_features`` says."""
    rng = np.random.default_rng(seed)
    cutoffs = [pd.Timestamp("2024-09-02") - pd.Timedelta(days=45 * k) for k in range(4)]
    parts = []
    for cut in [*cutoffs, AS_OF]:
        n = 400
        appetite = rng.normal(0, 1.5, n)
        p = 1 / (1 + np.exp(-appetite))
        bought = rng.random(n) < p
        parts.append(pd.DataFrame({
            "customer_id": [f"c{i:03d}" for i in range(n)], "cutoff": cut,
            "orders_count": signal_in_features * appetite + rng.normal(0, 1, n),
            "recency_days": rng.uniform(1, 300, n),
            "btyd_p_purchase": p,
            "purchased": bought if cut != AS_OF else False,
            "revenue_in_horizon": np.where(bought, rng.gamma(2, 50, n), 0.0) if cut != AS_OF else 0.0,
        }))  # fmt: skip
    frame = pd.concat(parts, ignore_index=True)
    frame["cutoff"] = frame["cutoff"].astype("datetime64[ns]")
    return frame


def _fit(frame: pd.DataFrame) -> PurchaseValueModel:
    return fit_on_cutoffs(purchase_value_model(), frame)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("signal", [0.0, 1.0])
def test_the_published_score_is_at_least_bgnbd_on_validation(seed: int, signal: float):
    frame = _frame(seed, signal)
    model = _fit(frame)
    m = model.validation_metrics_
    published = m["validation_auc_bgnbd"] if m["published"] == "bgnbd" else m["validation_auc_model"]
    assert published >= m["bgnbd_validation_auc"] - 1e-12
    now = frame[frame["cutoff"] == AS_OF]
    p = model.predict(now).scores["p_purchase"].to_numpy()
    assert np.all((p >= 0) & (p <= 1))
    if m["published"] == "bgnbd":  # BG/NBD's ranking, calibrated
        assert spearmanr(p, now["btyd_p_purchase"]).statistic > 0.999


def test_reorder_keeps_the_probabilities_and_takes_the_ranking():
    rng = np.random.default_rng(0)
    p, by = rng.random(200), rng.random(200)
    p[3] = np.nan
    by[10:20] = by[10]  # ties stay ties
    out = reorder(p, by)
    assert np.isnan(out[3])
    known = ~np.isnan(p)
    assert np.nanmean(out) == pytest.approx(np.nanmean(p))
    assert np.unique(out[10:20]).size == 1
    assert spearmanr(out[known], by[known]).statistic == pytest.approx(1.0)
    y = rng.random(200) < by
    assert metrics.auc(y[known], out[known]) == pytest.approx(metrics.auc(y[known], by[known]))


def test_without_signal_the_base_rate_is_published():
    frame = _frame(4, 0.0)
    rng = np.random.default_rng(9)
    frame["btyd_p_purchase"] = rng.random(len(frame))  # BG/NBD knows nothing either
    frame["purchased"] = np.where(frame["cutoff"] == AS_OF, False, rng.random(len(frame)) < 0.3)
    model = _fit(frame)
    m = model.validation_metrics_
    assert m["published"] == "base rate", m
    now = frame[frame["cutoff"] == AS_OF]
    p = model.predict(now).scores["p_purchase"].to_numpy()
    assert np.unique(p).size == 1
    assert p[0] == pytest.approx(frame.loc[frame["cutoff"] != AS_OF, "purchased"].mean(), abs=0.01)
    assert model.predict(now).reasons is None  # no reasons for a number no model made


def test_auc_standard_error_matches_hanley_mcneil():
    from crmine.evaluation.metrics import auc_standard_error

    # by hand: Q1 = 0.8/1.2, Q2 = 2·0.64/1.8, var = (0.16 + 49(Q1−0.64) + 49(Q2−0.64))/2500
    assert auc_standard_error(0.8, 50, 50) == pytest.approx(0.0445, abs=0.0002)
    assert auc_standard_error(0.5, 400, 400) < auc_standard_error(0.5, 40, 40)

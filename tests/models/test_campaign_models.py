"""Response and uplift models on a synthetic randomised campaign with known ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from crmine.evaluation import metrics
from crmine.evaluation import uplift as U
from crmine.models.campaigns import BASELINE, ResponseModel
from crmine.models.targeting import profit_curve, rank_and_target
from crmine.models.uplift import UpliftModel
from tests.models._campaign import MOVED, campaign

_FIT: dict[str, object] = {}


def _uplift() -> UpliftModel:
    if "uplift" not in _FIT:
        d = campaign(8000, seed=1)
        _FIT["uplift"] = UpliftModel(folds=3, n_boot=30).fit(d["X"], d["y"], d["t"])
    return _FIT["uplift"]  # type: ignore[return-value]


def test_the_uplift_model_ranks_the_one_moved_segment_first():
    model = _uplift()
    fresh = campaign(4000, seed=2)
    pred = model.predict(fresh["X"])
    top = pred["uplift"].rank(ascending=False) <= len(pred) * 0.2
    assert (fresh["X"]["region"][top] == MOVED).mean() > 0.9  # a quarter of customers overall
    assert model.claimed_ and model.cv_qini_ > model.response_rule_["qini"]
    truth = U.qini_coefficient(fresh["y"], fresh["t"], fresh["effect"])
    got = U.qini_coefficient(fresh["y"], fresh["t"], pred["uplift"])
    assert got > 0.8 * truth


def test_each_arm_is_calibrated_and_uplift_is_their_difference():
    pred = _uplift().predict((fresh := campaign(6000, seed=3))["X"])
    np.testing.assert_allclose(pred["uplift"], pred["p_response"] - pred["p_response_control"])
    moved = (fresh["X"]["region"] == MOVED).to_numpy()
    assert pred["uplift"][moved].mean() == pytest.approx(0.25, abs=0.06)
    assert pred["uplift"][~moved].mean() == pytest.approx(0.0, abs=0.04)
    for arm, col in ((fresh["t"], "p_response"), (~fresh["t"], "p_response_control")):
        assert pred[col][arm].mean() == pytest.approx(fresh["y"][arm].mean(), abs=0.02)


def test_the_record_compares_with_response_targeting_and_random():
    record = _uplift().describe()
    m = record.metrics
    assert {c["candidate"] for c in m["candidates"]} == {
        "t_logistic", "t_lightgbm", "s_logistic", "s_lightgbm", "x_logistic", "x_lightgbm"}
    assert m["random"]["qini"] == 0 and m["uplift_claimed"] is True
    lo, hi = m["intervals_90"]["chosen"]["qini"]
    assert lo <= m["cv_qini"] <= hi and lo > 0


@pytest.mark.parametrize("base", ["logistic", "lightgbm"])
def test_the_x_learner_finds_the_moved_segment_with_a_small_control_group(base):
    d = campaign(8000, seed=8)
    keep = d["t"] | (np.random.default_rng(9).random(8000) < 0.25)  # 1 held out in 5
    X, y, t = d["X"][keep], d["y"][keep], d["t"][keep]
    model = UpliftModel((f"x_{base}",), folds=3, n_boot=20).fit(X, y, t)
    fresh = campaign(4000, seed=10)
    pred = model.predict(fresh["X"])
    moved = (fresh["X"]["region"] == MOVED).to_numpy()
    assert model.claimed_ and model.chosen_ == f"x_{base}"
    assert pred["uplift"][moved].mean() == pytest.approx(0.25, abs=0.07)
    assert pred["uplift"][~moved].mean() == pytest.approx(0.0, abs=0.05)
    truth = U.qini_coefficient(fresh["y"], fresh["t"], fresh["effect"])
    assert U.qini_coefficient(fresh["y"], fresh["t"], pred["uplift"]) > 0.8 * truth


def test_without_an_effect_anywhere_no_segment_is_singled_out():
    d = campaign(6000, seed=4)
    no_effect = np.random.default_rng(5).random(6000) < d["base"]
    model = UpliftModel(folds=3, n_boot=20).fit(d["X"], no_effect, d["t"])
    assert abs(model.ate_) < 0.03
    assert model.cv_qini_ < 0.004  # the true-effect campaign scores above 0.02
    assert not model.claimed_ and model.predict(d["X"])["uplift"].isna().all()


def test_the_response_model_is_calibrated_and_beats_its_single_column_baseline():
    d = campaign(5000, seed=6, control=False)
    model = ResponseModel(folds=3).fit(d["X"], d["y"])
    fresh = campaign(5000, seed=7, control=False)
    p = model.predict_proba(fresh["X"])
    assert model.chosen_ in ("logistic", "lightgbm", "blend") and model.beats_baseline_
    assert metrics.auc(fresh["y"], p) > metrics.auc(fresh["y"], fresh["X"]["spend"])
    assert p.mean() == pytest.approx(fresh["y"].mean(), abs=0.02)
    curve = metrics.reliability_curve(fresh["y"], p, bins=5)
    for b in (b for b in curve if b["customers"] >= 100):  # within 3 standard errors
        se = np.sqrt(b["predicted"] * (1 - b["predicted"]) / b["customers"])
        assert abs(b["predicted"] - b["observed"]) < 3 * se + 0.01


def test_the_response_model_falls_back_to_the_baseline_it_cannot_beat():
    rng = np.random.default_rng(8)
    n = 300
    signal = rng.normal(size=n)
    X = {f"noise{i}": rng.normal(size=n) for i in range(60)}
    import pandas as pd

    frame = pd.DataFrame({"signal": signal, **X})
    y = rng.random(n) < 1 / (1 + np.exp(-2 * signal))
    model = ResponseModel(folds=3).fit(frame, y)  # 300 rows, 60 noise columns: both overfit
    record = model.describe()
    assert not model.beats_baseline_ and model.chosen_ == BASELINE
    assert record.parameters["chosen"] == BASELINE and not record.metrics["beats_baseline"]
    assert record.parameters["baseline_column"] == "signal"
    fresh = rng.normal(size=n)
    frame2 = pd.DataFrame({"signal": fresh, **{k: rng.normal(size=n) for k in X}})
    assert metrics.spearman(fresh, model.predict_proba(frame2)) == pytest.approx(1.0)


def test_targeting_honours_profit_and_budget():
    profit = np.array([3.0, -1.0, 5.0, 0.5, 5.0])
    tiebreak = np.array([0.1, 0.9, 0.2, 0.3, 0.4])
    rank, target = rank_and_target(profit, tiebreak)
    assert rank.tolist() == [3, 5, 2, 4, 1] and target.tolist() == [True, False, True, True, True]
    rank, target = rank_and_target(profit, tiebreak, budget=2)
    assert target.tolist() == [False, False, True, False, True]
    curve = profit_curve(profit)
    assert curve["best_contacts"] == 4 and curve["best_profit"] == pytest.approx(13.5)


def test_response_by_segment_finds_the_moved_region_and_says_why_for_its_customers():
    from crmine.models.campaign_segments import response_by_segment, segment_reasons

    d = campaign(8000, seed=12)
    rows = response_by_segment(d["X"], d["y"], d["t"])
    by_level = {r["level"]: r for r in rows if r["attribute"] == "region"}
    assert set(by_level) == {"north", "south", "east", "west"}  # spend is numeric: no segment
    assert rows[0]["level"] == MOVED  # ordered by uplift
    assert by_level[MOVED]["uplift"] == pytest.approx(0.25, abs=0.05)
    assert by_level[MOVED]["uplift_90"][0] > 0.15
    for name in ("north", "east", "west"):
        assert abs(by_level[name]["uplift"]) < 0.05 and by_level[name]["uplift_90"][0] < 0.05
    fresh = campaign(200, seed=13)["X"]
    reasons = segment_reasons(fresh, rows, float(d["y"][d["t"]].mean()))
    moved = (fresh["region"] == MOVED).to_numpy()
    assert all(r[0].startswith(f"region {MOVED}:") for r, m in zip(reasons, moved, strict=True)
               if m)
    assert not any(r for r, m in zip(reasons, moved, strict=True) if not m)


def test_without_a_control_group_reasons_name_the_levels_that_responded_best():
    from crmine.models.campaign_segments import response_by_segment, segment_reasons

    d = campaign(6000, seed=14, control=False)
    rows = response_by_segment(d["X"], d["y"], d["t"])
    assert all(r["uplift"] is None and r["held_out"] == 0 for r in rows)
    overall = float(d["y"].mean())
    best = max(rows, key=lambda r: r["response_contacted"])
    reasons = segment_reasons(d["X"].head(400), rows, overall)
    hit = (d["X"]["region"].head(400) == best["level"]).to_numpy()
    assert all(r and best["level"] in r[0] for r, h in zip(reasons, hit, strict=True) if h)

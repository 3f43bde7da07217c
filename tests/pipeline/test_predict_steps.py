"""The predictive run steps and the backtest on a small synthetic CRM with known truth."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import ibis
import numpy as np
import pandas as pd
import pytest

from crmine.cli.present import evaluation_table
from crmine.engine import Workspace
from crmine.features.purchase import plan_cutoffs, purchase_occasions
from crmine.features.service import SERVICE_FEATURES, service_frame
from crmine.pipeline.evaluate import evaluate_workspace
from crmine.pipeline.forecast import (
    PredictSettings,
    PurchaseInputs,
    forecast_churn,
    forecast_orders,
    purchase_training_frame,
)
from crmine.pipeline.run import run, steps_named

ORDER_COLUMNS = [
    "order_id",
    "customer_id",
    "order_ts",
    "product_id",
    "category",
    "quantity",
    "unit_price",
    "amount",
    "is_return",
]
FAST = PredictSettings(candidates=("logistic", "lightgbm"))
PLAN = {"step_days": 45, "max_cutoffs": 4, "min_history_days": 45}  # the defaults


def inputs_before(backend, as_of: datetime):
    table = backend.table("orders")
    return table.filter(table.order_ts < ibis.literal(as_of))


@pytest.fixture(scope="module")
def truth():
    from crmine.demo import generate

    return generate(500, seed=11).truth


def _workspace(
    root, orders: pd.DataFrame | None, customers: pd.DataFrame | None, **more: pd.DataFrame
) -> Workspace:
    ws = Workspace.init(root)
    with ws.connect() as con:
        for name, frame in (("orders", orders), ("customers", customers), *more.items()):
            if frame is not None:
                con.write(name, frame)
    return ws


def _customers(truth, *, labels: bool) -> pd.DataFrame:
    cols = ["customer_id", "gender", "city", "channel", "signup_date"]
    frame = truth.customers[cols].copy()
    frame["signup_date"] = pd.to_datetime(frame["signup_date"]).dt.date
    if labels:
        frame["churned"] = truth.customers["churned"].astype("boolean")
        frame.loc[frame.index[::4], "churned"] = pd.NA  # unknown: predict me
    return frame


@pytest.fixture(scope="module")
def orders_ws(truth, tmp_path_factory):
    return _workspace(
        tmp_path_factory.mktemp("p") / "ws",
        truth.orders[ORDER_COLUMNS],
        _customers(truth, labels=False),
    )


def _run(ws):
    result = run(ws, steps=steps_named("customer features", "rfm", "purchase and value models", "churn"))
    scores = pd.read_parquet(result.snapshot_path / "customer_scores.parquet")
    models = pd.read_parquet(result.snapshot_path / "models.parquet")
    return result, scores, models


def test_run_publishes_every_prediction(orders_ws):
    result, scores, models = _run(orders_ws)
    outcome = {o.name: o for o in result.steps}
    assert outcome["purchase and value models"].status == "done"
    assert outcome["churn"].status == "skipped"
    buyers = scores[scores["orders_count"] > 0]
    for col in ("p_alive", "p_purchase", "churn_risk"):
        assert buyers[col].between(0, 1).all(), col
    assert (buyers["expected_orders"] >= 0).all() and (buyers["clv"] >= 0).all()
    assert np.allclose(buyers["churn_risk"], 1 - buyers["p_purchase"])
    assert set(buyers["value_tier"]) == {"high", "medium", "low"}
    assert (buyers["value_tier"] == "high").mean() == pytest.approx(0.2, abs=0.02)
    reasons = buyers["top_reasons"].iloc[0]
    assert 1 <= len(reasons) <= 3 and all(isinstance(r, str) and "churn risk" in r for r in reasons)
    names = set(models["name"])
    assert {"bgnbd_gamma_gamma", "purchase_propensity", "horizon_revenue", "clv"} <= names
    prop = models.set_index("name").loc["purchase_propensity"]
    metrics = json.loads(prop["metrics"])
    assert {c["candidate"] for c in metrics["candidates"]} >= {"logistic", "lightgbm"}
    assert "validated on the cutoff" in prop["training_window"]


def test_forecast_ignores_everything_after_as_of(truth, tmp_path):
    """Point in time: the full warehouse and one cut at as_of give the same forecasts."""
    as_of = datetime(2024, 9, 1)
    orders = truth.orders[ORDER_COLUMNS]
    contacts = truth.interactions[["customer_id", "ts", "channel", "topic", "resolved"]]
    feedback = truth.feedback[["feedback_id", "customer_id", "ts", "kind", "score"]]
    full_ws = _workspace(tmp_path / "full", orders, None, interactions=contacts, feedback=feedback)
    early = _workspace(
        tmp_path / "cut",
        orders[orders["order_ts"] < as_of],
        None,
        interactions=contacts[contacts["ts"] < as_of],
        feedback=feedback[feedback["ts"] < as_of],
    )
    tables = {"orders", "interactions", "feedback"}
    out = []
    for ws in (full_ws, early):
        with ws.connect(read_only=True) as con:
            fc = forecast_orders(con.ibis(), as_of, 90, tables, FAST)
        out.append(fc.scores.sort_values("customer_id").reset_index(drop=True))
    features = next(m for m in fc.models if m.name == "purchase_propensity")
    unscored = {"sentiment_mean", "sentiment_trend"}  # no sentiment given: empty, dropped
    assert set(SERVICE_FEATURES) - unscored <= set(features.parameters["features"])
    full, cut = out
    assert len(full) == len(cut) > 0
    for col in ("p_alive", "p_purchase", "expected_orders", "expected_revenue", "clv"):
        np.testing.assert_allclose(full[col], cut[col], rtol=1e-6, err_msg=col)


def _service_ws(truth, root):
    contacts = truth.interactions[["customer_id", "ts", "topic", "resolved"]]
    feedback = truth.feedback[["feedback_id", "customer_id", "ts", "kind", "score"]]
    return _workspace(
        root,
        truth.orders[ORDER_COLUMNS],
        _customers(truth, labels=False),
        interactions=contacts,
        feedback=feedback,
    )


def test_training_rows_carry_the_service_signals_of_their_own_cutoff(truth, tmp_path):
    """One implementation: every cutoff's rows hold service_frame at that cutoff."""
    from crmine.features import known_customer_features
    from crmine.features.service import read_service_events

    as_of = datetime(2024, 9, 1)
    ws = _service_ws(truth, tmp_path / "svc")
    tables = {"orders", "customers", "interactions", "feedback"}
    with ws.connect(read_only=True) as con:
        backend = con.ibis()
        orders = inputs_before(backend, as_of)
        occasions = purchase_occasions(orders)
        events = read_service_events(backend, as_of, tables)
        cuts = [as_of - timedelta(days=90), as_of - timedelta(days=135)]
        now = known_customer_features(
            backend.table("orders"), as_of, backend.table("customers")
        ).execute()
        inputs = PurchaseInputs(backend, orders, occasions, tables, events)
        frame = purchase_training_frame(inputs, cuts, 90, FAST, as_of)
        reused = purchase_training_frame(
            PurchaseInputs(backend, orders, occasions, tables, events, now),
            cuts,
            90,
            FAST,
            as_of,
        )
        bare = purchase_training_frame(
            PurchaseInputs(backend, orders, occasions, tables, None),
            cuts,
            90,
            PredictSettings(exclude_features=("service",)),
            as_of,
        )
    assert set(SERVICE_FEATURES) <= set(frame.columns)
    assert not set(SERVICE_FEATURES) & set(bare.columns)
    expected = service_frame(events.feedback, events.interactions, [*cuts, as_of])
    for cut, rows in frame.groupby("cutoff"):
        want = expected[expected["cutoff"] == cut].set_index("customer_id")
        got = rows.set_index("customer_id").loc[want.index.intersection(rows["customer_id"])]
        assert len(got) > 0
        for col in SERVICE_FEATURES:
            np.testing.assert_allclose(
                got[col].to_numpy(float), want.loc[got.index, col].to_numpy(float), err_msg=col
            )
        # nothing at or after the cutoff is counted
        seen = events.interactions[events.interactions["ts"] < cut]
        assert rows["contacts_total"].sum() <= len(seen)
    # reusing the run's features at as_of changes nothing
    key = ["cutoff", "customer_id"]
    a = frame.sort_values(key, ignore_index=True)
    b = reused.sort_values(key, ignore_index=True)[a.columns]
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_churn_model_sees_the_service_signals(truth, tmp_path):
    contacts = truth.interactions[["customer_id", "ts", "topic", "resolved"]]
    ws = _workspace(
        tmp_path / "churn",
        truth.orders[ORDER_COLUMNS],
        _customers(truth, labels=True),
        interactions=contacts,
    )
    tables = {"orders", "customers", "interactions"}
    with ws.connect(read_only=True) as con:
        backend = con.ibis()
        fc = forecast_churn(backend, datetime(2025, 1, 1), tables, FAST)
        off = forecast_churn(
            backend, datetime(2025, 1, 1), tables, PredictSettings(exclude_features=("service",))
        )
    # the service columns (contacts, complaints, tickets, ...) are among the model's inputs
    assert fc.models[0].parameters["features"] > off.models[0].parameters["features"]


def test_rolling_cutoffs_end_their_labels_before_as_of():
    as_of = datetime(2024, 1, 1)
    every, train = plan_cutoffs(datetime(2023, 1, 1), as_of, 90, **PLAN)
    assert every[0] == as_of - timedelta(days=90)
    assert all(c + timedelta(days=90) <= as_of for c in every)
    assert train and all(c + timedelta(days=90) <= every[0] for c in train)
    assert plan_cutoffs(datetime(2023, 12, 1), as_of, 90, **PLAN) == (
        [],
        [],
    )


def test_few_customers_and_short_history_skip_without_failing(truth, tmp_path):
    orders = truth.orders[ORDER_COLUMNS]
    few = orders[orders["customer_id"].isin(orders["customer_id"].unique()[:3])]
    ws = _workspace(tmp_path / "few", few, None)
    result, scores, _ = _run(ws)
    step = {o.name: o for o in result.steps}["purchase and value models"]
    assert "propensity skipped" in step.detail
    assert "p_alive" in scores and "top_reasons" not in scores
    one = orders[orders["customer_id"] == orders["customer_id"].iloc[0]]
    result, _, _ = _run(_workspace(tmp_path / "one", one, None))
    assert {o.name for o in result.steps} >= {"purchase and value models"}


def test_customers_only_with_labels_gets_churn_but_no_purchase_columns(truth, tmp_path):
    ws = _workspace(tmp_path / "c", None, _customers(truth, labels=True))
    result, scores, models = _run(ws)
    assert {o.name: o for o in result.steps}["churn"].status == "done"
    assert scores["churn_risk"].between(0, 1).all() and scores["churn_risk"].notna().all()
    assert "p_alive" not in scores and "clv" not in scores
    assert all(len(r) >= 1 for r in scores["top_reasons"])
    assert "contractual_churn" in set(models["name"])


def test_evaluate_is_plain_data_with_grades(orders_ws, truth, tmp_path):
    result = evaluate_workspace(orders_ws, date(2024, 9, 1), 90)
    json.dumps(result)  # JSON-serialisable
    purchase = result["sections"]["purchase"]
    auc_row = next(r for r in purchase["metrics"] if r["metric"] == "auc")
    assert auc_row["model"] > 0.6 and auc_row["grade"] in {"A", "B", "C"}
    assert set(auc_row["baselines"]) == {"recency", "last_period", "bgnbd", "bgnbd_expected_orders"}
    assert purchase["gains_curve"]["model"][-1] == pytest.approx([1.0, 1.0])
    assert purchase["reliability_curve"]
    assert {"orders", "revenue", "churn"} <= set(result["sections"])
    from rich.console import Console

    console = Console(record=True, width=120)
    console.print(evaluation_table(result))
    assert "Purchase within the horizon" in console.export_text()


def test_evaluate_contractual_churn_on_hidden_labels(truth, tmp_path):
    ws = _workspace(tmp_path / "c", None, _customers(truth, labels=True))
    result = evaluate_workspace(ws, date(2025, 1, 1), 90)
    section = result["sections"]["contractual_churn"]
    assert section["customers"] == pytest.approx(
        0.3 * truth.customers["churned"].notna().sum() * 0.75, rel=0.05
    )
    assert section["metrics"][0]["baselines"].keys() == {"best_attribute"}


def test_orders_and_labelled_customers_use_the_contractual_model(truth, tmp_path):
    ws = _workspace(tmp_path / "both", truth.orders[ORDER_COLUMNS], _customers(truth, labels=True))
    result, scores, models = _run(ws)
    steps_done = {o.name: o.status for o in result.steps}
    assert steps_done == {
        "customer features": "done",
        "rfm": "done",
        "purchase and value models": "done",
        "churn": "done",
    }
    assert scores["churn_risk"].notna().all()  # every customer, buyer or not
    buyers = scores[scores["orders_count"] > 0]
    assert not np.allclose(buyers["churn_risk"], 1 - buyers["p_purchase"])
    assert {"purchase_propensity", "contractual_churn"} <= set(models["name"])


def test_settings_come_from_the_config_and_bad_ones_are_config_errors():
    from crmine.config import parse_config
    from crmine.errors import ConfigError

    config = parse_config({
        "clv": {"horizon_days": 180, "annual_discount_rate": 0.05},
        "models": {"candidates": ["logistic"]},
    })  # fmt: skip
    s = PredictSettings.from_config(config)
    assert (s.clv_days, s.annual_discount_rate, s.candidates) == (180, 0.05, ("logistic",))
    assert PredictSettings.from_config(parse_config({})) == PredictSettings()
    for bad in (
        {"models": {"candidates": ["magic"]}},
        {"clv": {"horizon_days": "soon"}},
        {"models": {"max_cutoffs": 1}},
    ):
        with pytest.raises(ConfigError):
            parse_config(bad)



def test_a_long_horizon_widens_the_cutoff_step_so_training_has_labels():
    """Orders 2014-2016, horizon 180: 4 cutoffs 45 days apart span 135 days, which left no
    training cutoff whose labels end before the validation one."""
    as_of = datetime(2017, 1, 1)
    every, train = plan_cutoffs(datetime(2014, 1, 3), as_of, 180, **PLAN)
    assert train, every
    assert every[0] == as_of - timedelta(days=180)
    assert all(c + timedelta(days=180) <= every[0] for c in train)
    assert (every[0] - every[1]).days == 60  # 180 / (4 - 1)
    # the 90-day plan keeps its 45-day step
    every90, _ = plan_cutoffs(datetime(2014, 1, 3), as_of, 90, **PLAN)
    assert (every90[0] - every90[1]).days == 45

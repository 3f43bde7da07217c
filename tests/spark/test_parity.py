"""Engine parity: the same demo workspace on DuckDB and on Spark publishes the same tables.

Every step the demo's orders and customers feed runs on both (features, profiles, RFM,
rules, clusters, purchase and value models, next categories, recommendations, demand),
then the feedback and campaign steps; and features, RFM and rules on a slice of Online Retail.

The DuckDB workspace ingests the demo's files; the Spark workspace receives the very same
warehouse rows (:func:`crmine.engine.transfer.copy_tables`: ingest itself does not run on
Spark yet). Then each engine runs the same steps through its own Ibis backend, and every
published table must agree: the same rows, numbers within 1e-6 relative, text equal.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from crmine.engine import Workspace
from tests.conftest import configure

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

ENGINES = ("duckdb", "spark")
STEPS = ("customer features", "customer profiles", "rfm", "association rules", "clusters",
         "purchase and value models", "churn", "next categories", "recommendations",
         "demand forecast")  # fmt: skip
TABLES = ("customer_features", "customer_profiles", "customer_scores", "association_rules",
          "cluster_profiles", "cluster_projection", "next_categories", "recommendations",
          "demand_forecast", "demand_history", "models")  # fmt: skip
SEED = 11


@pytest.fixture(scope="module")
def workspaces(spark, tmp_path_factory) -> dict[str, Workspace]:
    from crmine.demo import generate
    from crmine.demo._write import write_files
    from crmine.engine.transfer import copy_tables
    from crmine.pipeline.ingest_all import ORDER, ingest_sources

    root = tmp_path_factory.mktemp("parity")
    files = write_files(generate(300, seed=SEED), root / "sources")
    duck = Workspace.init(root / "duckdb")
    ingest_sources(duck, sorted(files.items(), key=lambda kv: ORDER.index(kv[0])))
    on_spark = configure(Workspace.init(root / "spark"), "workspace", engine="spark")
    with duck.connect(read_only=True) as source, on_spark.connect() as target:
        started = time.perf_counter()
        copied = copy_tables(source, target)
        print(f"\ncopied {sum(copied.values()):,} rows to Spark in {time.perf_counter() - started:.1f} s")
    assert copied["orders"] > 5000 and copied["customers"] > 250
    return {"duckdb": duck, "spark": on_spark}


@pytest.fixture(scope="module")
def published(workspaces) -> dict[str, dict[str, pd.DataFrame]]:
    """engine → the published tables of a run of STEPS (with each run's wall time)."""
    from crmine.pipeline.run import run, steps_named
    from crmine.pipeline.snapshots import SnapshotStore

    out: dict[str, dict[str, pd.DataFrame]] = {}
    for name, ws in workspaces.items():
        started = time.perf_counter()
        result = run(ws, steps=steps_named(*STEPS))
        seconds = time.perf_counter() - started
        done = {o.name for o in result.steps if o.status == "done"}
        assert done == set(STEPS) - {"churn"}, result.steps  # the demo has no churn label
        snap = SnapshotStore(ws.snapshots_dir).current()
        out[name] = {t: snap.read(t) for t in snap.tables()}
        print(f"\n{name}: run of {', '.join(STEPS)} in {seconds:.1f} s")
    return out


@pytest.mark.parametrize("engine", ENGINES)
def test_scores_hold_the_revenue_and_orders_of_the_warehouse_rows(workspaces, published, engine):
    """Ground truth from the engine's own rows, summed in pandas: the net revenue (returns
    negative) and the distinct purchase orders of each customer before as_of."""
    scores = published[engine]["customer_scores"].set_index("customer_id")
    as_of = pd.Timestamp(scores["as_of"].iloc[0])
    with workspaces[engine].connect(read_only=True) as con:
        lines = con.execute(
            "SELECT customer_id, order_id, order_ts, amount, is_return FROM orders "
            "WHERE customer_id IS NOT NULL"
        ).df()
    stamps = pd.to_datetime(lines["order_ts"])
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    lines = lines[stamps < as_of]
    is_ret = lines["is_return"].fillna(lines["amount"] < 0).astype(bool)
    lines = lines.assign(net=np.where(is_ret, -lines["amount"].abs(), lines["amount"]))
    revenue = lines.groupby("customer_id")["net"].sum()
    orders = lines[~is_ret].groupby("customer_id")["order_id"].nunique()
    buyers = scores[scores["orders_count"] > 0]
    assert len(buyers) > 250
    np.testing.assert_allclose(buyers["revenue_total"], revenue.reindex(buyers.index), atol=0.01)
    assert (buyers["orders_count"] == orders.reindex(buyers.index).fillna(0)).all()


@pytest.mark.parametrize("table", TABLES)
def test_published_tables_agree_across_engines(published, table):
    duck, spark = published["duckdb"][table], published["spark"][table]
    assert len(duck) > 0
    assert_same_table(duck, spark)


def test_feedback_and_campaign_tables_agree_across_engines(workspaces, published):
    """The steps on feedback, interactions and campaigns, in a second run of each workspace."""
    from crmine.pipeline.run import run, steps_named
    from crmine.pipeline.snapshots import SnapshotStore

    steps = steps_named("feedback sentiment", "topics", "nps and drivers", "campaigns")
    tables = {}
    for name, ws in workspaces.items():
        result = run(ws, steps=steps)
        assert all(o.status == "done" for o in result.steps), result.steps
        snap = SnapshotStore(ws.snapshots_dir).current()
        tables[name] = {t: snap.read(t) for t in snap.tables()}
    assert set(tables["spark"]) == set(tables["duckdb"])
    for table in ("feedback_scores", "interaction_scores", "feedback_topics", "voice_summary",
                  "voice_drivers", "campaign_scores"):  # fmt: skip
        assert len(tables["duckdb"][table]) > 0, table
        assert_same_table(tables["duckdb"][table], tables["spark"][table])


def test_purchase_model_inputs_agree_across_engines(workspaces):
    """The training frame of the purchase and value models, its purchase days and margins."""
    from crmine.features import training_frame
    from crmine.features.purchase import customer_margins, purchase_occasions

    frames: dict[str, dict[str, pd.DataFrame]] = {}
    for name, ws in workspaces.items():
        with ws.connect(read_only=True) as con:
            backend = con.ibis()
            orders, customers = backend.table("orders"), backend.table("customers")
            last = orders.order_ts.max().execute()
            last = pd.Timestamp(last).tz_localize(None) if pd.Timestamp(last).tz else pd.Timestamp(last)
            cutoffs = [datetime(last.year, last.month, 1) - timedelta(days=90 * k) for k in (1, 2)]
            frames[name] = {
                "training": training_frame(orders, cutoffs, 90, customers),
                "occasions": purchase_occasions(orders),
                "margins": customer_margins(orders),
            }
    for part in ("training", "occasions"):
        assert len(frames["duckdb"][part]) > 100, part
        assert_same_table(frames["duckdb"][part], frames["spark"][part])
    # the demo's lines carry no profit: neither engine finds margins
    assert frames["duckdb"]["margins"] is None and frames["spark"]["margins"] is None


@pytest.mark.realdata
def test_a_slice_of_online_retail_agrees_across_engines(spark, tmp_path):
    """Real data: the first 60,000 lines of Online Retail (December 2010 to mid-January 2011:
    returns, guests, postage lines), features, RFM and rules on both engines."""
    from crmine.engine.transfer import copy_tables
    from crmine.pipeline.ingest import ingest
    from crmine.pipeline.run import run, steps_named
    from crmine.pipeline.snapshots import SnapshotStore
    from tests.conftest import dataset_file

    lines = tmp_path / "online_retail_slice.parquet"
    pd.read_parquet(dataset_file("online_retail")).head(60_000).to_parquet(lines)
    duck = Workspace.init(tmp_path / "duckdb")
    loaded = ingest(duck, "orders", lines).loaded
    assert loaded > 59_000
    on_spark = configure(Workspace.init(tmp_path / "spark"), "workspace", engine="spark")
    with duck.connect(read_only=True) as source, on_spark.connect() as target:
        assert copy_tables(source, target)["orders"] == loaded
    steps = steps_named("customer features", "rfm", "association rules")
    tables = {}
    for name, ws in (("duckdb", duck), ("spark", on_spark)):
        run(ws, steps=steps)
        snap = SnapshotStore(ws.snapshots_dir).current()
        tables[name] = {t: snap.read(t) for t in snap.tables()}
    assert set(tables["spark"]) == set(tables["duckdb"])
    assert len(tables["duckdb"]["customer_scores"]) > 1000
    assert len(tables["duckdb"]["association_rules"]) > 10
    for table in ("customer_features", "customer_scores", "association_rules", "models"):
        assert_same_table(tables["duckdb"][table], tables["spark"][table])


# --- comparing two frames ----------------------------------------------------------------


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Types both engines may spell differently made alike: timestamps naive UTC, lists as
    tuples, missing values as None."""
    out = {}
    for col in frame.columns:
        values = frame[col]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.astype("datetime64[ns]")
        elif values.dtype == object:
            values = values.map(lambda v: tuple(v) if isinstance(v, list | np.ndarray) else v)
            values = values.map(lambda v: None if _missing(v) else v)
        out[col] = values
    return pd.DataFrame(out)


def _missing(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def _same(x, y) -> bool:
    """Equal; JSON text (the models' parameters and metrics) equal with its numbers within
    1e-6 relative (sums in another order differ in the last bits)."""
    if _missing(x) or _missing(y):
        return _missing(x) and _missing(y)
    if x == y:
        return True
    if isinstance(x, str) and isinstance(y, str) and x[:1] in "[{" and y[:1] in "[{":
        import json

        try:
            return _close(json.loads(x), json.loads(y))
        except ValueError:
            return False
    return False


def _close(x, y) -> bool:
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_close(x[k], y[k]) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_close(a, b) for a, b in zip(x, y, strict=True))
    if isinstance(x, int | float) and isinstance(y, int | float) and not isinstance(x, bool):
        return bool(np.isclose(x, y, rtol=1e-6, atol=1e-9, equal_nan=True))
    return x == y


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def assert_same_table(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    """The same columns and rows; numbers within 1e-6 relative, everything else equal."""
    assert list(spark.columns) == list(duck.columns)
    assert len(spark) == len(duck)
    duck, spark = _normalised(duck), _normalised(spark)
    key = [c for c in duck.columns if not _is_number(duck[c])] or list(duck.columns)
    duck = duck.sort_values(key, key=lambda s: s.map(repr)).reset_index(drop=True)
    spark = spark.sort_values(key, key=lambda s: s.map(repr)).reset_index(drop=True)
    for col in duck.columns:
        a, b = duck[col], spark[col]
        if _is_number(a) or _is_number(b):
            np.testing.assert_allclose(
                b.astype("float64"), a.astype("float64"), rtol=1e-6, atol=1e-9,
                equal_nan=True, err_msg=col,
            )
        else:
            mismatched = [(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True) if not _same(x, y)]
            assert not mismatched, f"{col}: {mismatched[:3]}"


def test_the_comparison_catches_a_difference():
    """assert_same_table is no rubber stamp: one number off by 1e-4 relative fails it."""
    a = pd.DataFrame({"id": ["x", "y"], "v": [1.0, 2.0], "t": ["p", "q"]})
    assert_same_table(a, a.iloc[::-1].reset_index(drop=True))
    with pytest.raises(AssertionError):
        assert_same_table(a, a.assign(v=[1.0, 2.0002]))
    with pytest.raises(AssertionError):
        assert_same_table(a, a.assign(t=["p", "r"]))
    j = a.assign(t=['{"edges": [1.0, 2.5]}', "q"])
    assert_same_table(j, j.assign(t=['{"edges": [1.0000000001, 2.5]}', "q"]))
    with pytest.raises(AssertionError):
        assert_same_table(j, j.assign(t=['{"edges": [1.001, 2.5]}', "q"]))

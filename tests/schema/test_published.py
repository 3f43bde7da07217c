"""Published tables: the declarations, check_published on small frames, and real snapshots.

The integration tests hold what ``crmine run`` really publishes to the declarations: the
demo's full workspace, and workspaces holding one kind of data only (which is where a column
declared required but published only on some data would show).
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crmine.schema import (
    PUBLISHED_TABLES,
    LogicalType,
    check_published,
    published_table,
)

RECS = {
    "customer_id": ["A", "A", "B"],
    "rank": [1, 2, 1],
    "product_id": ["p1", "p2", "p1"],
    "score": [0.9, 0.5, 0.7],
    "source": ["again", "als", "popular"],
    "reason": ["bought it before", "people like you", "popular"],
}


def recs(**changes) -> pd.DataFrame:
    """A small valid recommendations frame, with columns replaced (None drops one)."""
    data = {**RECS, **changes}
    return pd.DataFrame({k: v for k, v in data.items() if v is not None})


# --------------------------------------------------------------------------- declarations


def test_every_table_and_column_is_declared_once_with_a_known_type():
    types = set(typing.get_args(LogicalType))
    for name, spec in PUBLISHED_TABLES.items():
        assert spec.name == name and spec.meaning
        assert len(set(spec.column_names)) == len(spec.column_names), name
        for col in spec.columns:
            assert col.type in types, (name, col.name)
            assert col.meaning, (name, col.name)
            # an optional column says what data it needs; a required one needs none
            assert (col.when is None) == col.required, (name, col.name)
        for family in spec.families:
            re.compile(family.pattern)
            assert family.type is None or family.type in types


def test_published_table_looks_up_and_names_the_valid_ones():
    assert published_table("recommendations").required == tuple(RECS)
    with pytest.raises(KeyError, match="expected one of: customer_features"):
        published_table("nope")
    with pytest.raises(KeyError, match="not part of a snapshot"):
        published_table("quarantine")


def test_design_promises_are_marked():
    scores = published_table("customer_scores")
    assert scores.promised and scores.required == ("customer_id", "as_of", "horizon_days")
    clv = scores.column("clv")
    assert clv.promised and not clv.required and "prices" in (clv.when or "")
    assert not published_table("cluster_profiles").promised  # DESIGN §4 does not list it


# --------------------------------------------------------------------------- check_published


def test_a_conforming_frame_has_no_problems_whatever_form_it_comes_in():
    frame = recs()
    assert check_published("recommendations", frame) == []
    assert check_published("recommendations", frame.dtypes) == []
    assert check_published("recommendations", {k: str(v) for k, v in frame.dtypes.items()}) == []
    assert check_published("recommendations", pa.Table.from_pandas(frame)) == []
    assert check_published("recommendations", pa.Table.from_pandas(frame).schema) == []


def test_a_missing_required_column_is_found():
    assert check_published("recommendations", recs(rank=None)) == [
        "recommendations: required column 'rank' is missing"
    ]


def test_an_optional_column_may_be_absent():
    frame = pd.DataFrame({"customer_id": ["A"], "as_of": [pd.Timestamp("2024-01-01").date()],
                          "horizon_days": [90]})  # fmt: skip
    assert check_published("customer_scores", frame) == []


def test_a_column_of_the_wrong_type_is_found():
    problems = check_published("recommendations", recs(rank=["1", "2", "1"]))
    assert problems == ["recommendations.rank: holds string, declared integer"]
    assert check_published("recommendations", {**dict(recs().dtypes), "score": "str"}) == [
        "recommendations.score: holds string, declared float"
    ]
    # lists of numbers are not lists of product ids
    rules = {"antecedents": "list<element: int64>"}
    assert "association_rules.antecedents: holds list[integer], declared list[string]" in (
        check_published("association_rules", rules)
    )


def test_an_undeclared_column_is_found():
    assert check_published("recommendations", recs(margin=[1.0, 2.0, 3.0])) == [
        "recommendations.margin: not a declared column"
    ]


def test_a_repeated_column_is_found():
    frame = pd.concat([recs(), recs()[["score"]]], axis=1)
    assert check_published("recommendations", frame) == [
        "recommendations.score: appears more than once"
    ]


def test_an_unknown_table_is_a_problem_not_an_error():
    (problem,) = check_published("no_such_table", {"run_id": "str"})
    assert problem.startswith("no_such_table: not a declared published table")


def test_integers_widened_to_float_pass_only_while_whole():
    # pandas stores an integer column with gaps as float64; its values show whether it is one
    assert check_published("recommendations", recs(rank=[1.0, np.nan, 1.0])) == []
    assert check_published("recommendations", {**dict(recs().dtypes), "rank": "float64"}) == []
    assert check_published("recommendations", recs(rank=[1.5, 2.0, 1.0])) == [
        "recommendations.rank: holds fractional, declared integer"
    ]


def test_object_columns_are_judged_by_their_values_when_there_are_values():
    frame = pd.DataFrame({"customer_id": ["A", "B"], "as_of": ["2024-01-01", "x"],
                          "horizon_days": [90, 90]})  # fmt: skip
    frame["as_of"] = frame["as_of"].astype(object)
    assert check_published("customer_scores", frame) == [
        "customer_scores.as_of: holds string, declared date"
    ]
    frame["as_of"] = pd.Series([pd.Timestamp("2024-01-01").date()] * 2, dtype=object)
    frame["top_reasons"] = pd.Series([["few orders"], [3]], dtype=object)
    assert check_published("customer_scores", frame) == [
        "customer_scores.top_reasons: holds list[mixed values], declared list[string]"
    ]
    # a bare object dtype says nothing about the values: given the benefit of the doubt
    assert check_published("customer_scores", frame.dtypes) == []


def test_empty_columns_pass_any_declared_type():
    # an empty table is written with untyped (null) columns; a column without data likewise
    empty = pa.schema([(c.name, pa.null()) for c in published_table("voice_drivers").columns])
    assert check_published("voice_drivers", empty) == []
    frame = recs(score=[None, None, None])
    assert check_published("recommendations", frame) == []


def test_families_declare_columns_named_by_the_data():
    profiles = {"cluster": "int64", "size": "int64", "label": "str", "recency": "float64",
                "gender=female": "float64", "渠道=app": "float64"}  # fmt: skip
    assert check_published("cluster_profiles", profiles) == []
    assert check_published("cluster_profiles", {**profiles, "gender=male": "str"}) == [
        "cluster_profiles.gender=male: holds string, declared float"
    ]
    features = {"customer_id": "str", "渠道": "str", "loyalty_level": "int64"}
    assert check_published("customer_features", features) == []
    # the customers' own attributes are published, their PII never
    assert check_published("customer_features", {**features, "email": "str"}) == [
        "customer_features.email: not a declared column"
    ]


def test_check_published_rejects_what_it_cannot_read():
    with pytest.raises(TypeError, match="mapping of column name to dtype"):
        check_published("models", ["name", "parameters"])


# --------------------------------------------------------------------------- real snapshots


def _snapshot_problems(workspace: Path) -> dict[str, list[str]]:
    """check_published on every table of the workspace's current snapshot, read three ways."""
    from crmine.pipeline.snapshots import SnapshotStore

    snap = SnapshotStore(workspace / "snapshots").require_current()
    problems = {}
    for name in snap.tables():
        path = snap.table_path(name)
        frame = pd.read_parquet(path)
        found = [
            *check_published(name, pq.read_schema(path)),
            *check_published(name, frame),
            *check_published(name, frame.dtypes),
        ]
        problems[name] = sorted(set(found))
    return problems


@pytest.mark.slow
def test_every_table_of_the_demo_snapshot_is_declared_and_conforms(tmp_path: Path):
    from crmine.cli.demo import run_demo
    from crmine.engine import Workspace
    from crmine.pipeline.run import run

    run_demo(tmp_path / "demo", n_customers=250, seed=3)
    problems = _snapshot_problems(tmp_path / "demo")
    run(Workspace.open(tmp_path / "demo"))  # a second run: the tables that compare runs
    again = _snapshot_problems(tmp_path / "demo")
    for found in (problems, again):
        assert set(found) <= set(PUBLISHED_TABLES), set(found) - set(PUBLISHED_TABLES)
        assert {name: p for name, p in found.items() if p} == {}
    # the demo exercises every step, so two runs publish every declared table
    assert set(problems) | set(again) == set(PUBLISHED_TABLES)
    assert {"segment_migrations", "monitoring"} <= set(again) - set(problems)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The synthetic CRM's exports, and its orders without any price."""
    from crmine.demo import generate, write_files

    folder = tmp_path_factory.mktemp("published-sources")
    data = generate(250, seed=3)
    paths = write_files(data, folder)
    orders = data.frames()["orders"]
    prices = [c for c in orders.columns if re.search("price|amount|金额|单价", c, re.I)]
    assert prices, list(orders.columns)
    paths["orders_unpriced"] = folder / "orders_unpriced.csv"
    orders.drop(columns=prices).to_csv(paths["orders_unpriced"], index=False)
    return paths


@pytest.mark.slow
@pytest.mark.parametrize(
    "loads",
    [
        ("customers",),
        ("orders",),
        ("orders_unpriced",),
        ("feedback",),
        ("interactions",),
        ("customers", "feedback"),
    ],
    ids="+".join,
)
def test_a_run_on_partial_data_publishes_what_is_declared(
    loads: tuple[str, ...], sources: dict[str, Path], tmp_path: Path
):
    from crmine.engine import Workspace
    from crmine.pipeline.ingest import ingest
    from crmine.pipeline.run import run

    ws = Workspace.init(tmp_path / "ws")
    for source in loads:
        ingest(ws, source.removesuffix("_unpriced"), sources[source])
    run(ws)
    problems = _snapshot_problems(tmp_path / "ws")
    assert problems, "the run published nothing"
    assert {name: p for name, p in problems.items() if p} == {}


def test_required_columns_are_the_ones_the_steps_always_write():
    """Spot-check required columns against the column lists the steps write from."""
    from crmine.models.basket import RULE_COLUMNS
    from crmine.models.recommend import REC_COLUMNS
    from crmine.pipeline.steps.sentiment import SCORE_COLUMNS

    def required(name: str) -> set[str]:
        return set(published_table(name).required)

    assert required("association_rules") == {*RULE_COLUMNS, "antecedent_names",
                                             "consequent_names"}  # fmt: skip
    assert required("recommendations") == set(REC_COLUMNS)
    assert required("feedback_scores") == set(SCORE_COLUMNS)


def test_published_columns_follow_the_declaration_whatever_the_step_order():
    from crmine.schema import ordered_columns

    assert ordered_columns("customer_scores", ["customer_id", "cluster", "extra", "rfm_segment",
                                               "as_of"]) == [
        "customer_id", "as_of", "rfm_segment", "cluster", "extra"]  # fmt: skip
    assert ordered_columns("not_declared", ["b", "a"]) == ["b", "a"]

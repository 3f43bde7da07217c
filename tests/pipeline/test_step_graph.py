"""Declared steps: the order comes from the declarations, and the context enforces them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from crmine.config import ChurnSettings, RFMSettings
from crmine.engine import Workspace
from crmine.pipeline.graph import StepGraphError, order_steps
from crmine.pipeline.ingest import ingest
from crmine.pipeline.run import StepFailed, default_steps, run, steps_named
from crmine.pipeline.snapshots import SnapshotStore
from crmine.pipeline.step import Step, StepResult, UndeclaredAccess
from tests.pipeline.conftest import ORDERS_CSV, write


def _noop(ctx):
    return StepResult.done("ok")


def _names(steps: list[Step]) -> list[str]:
    return [s.name for s in steps]


def test_creator_then_extenders_then_readers_whatever_the_listing_order():
    steps = [
        Step("reader", _noop, reads=("scores",)),
        Step("extender", _noop, extends=("scores",)),
        Step("creator", _noop, writes=("scores",)),
    ]
    assert _names(order_steps(steps)) == ["creator", "extender", "reader"]


def test_after_orders_two_extenders_and_ties_break_by_name():
    steps = [
        Step("z second", _noop, extends=("t",), after=("b first",)),
        Step("b first", _noop, extends=("t",)),
        Step("a creator", _noop, writes=("t",)),
        Step("free", _noop),
    ]
    assert _names(order_steps(steps)) == ["a creator", "b first", "free", "z second"]


@pytest.mark.parametrize(
    "steps, message",
    [
        ([Step("a", _noop, writes=("t",)), Step("b", _noop, writes=("t",))], "created by both"),
        ([Step("a", _noop, reads=("t",))], "no step creates"),
        ([Step("a", _noop, extends=("t",))], "no step creates"),
        ([Step("a", _noop, after=("ghost",))], "is no step"),
        (
            [Step("a", _noop, writes=("x",), reads=("y",)),
             Step("b", _noop, writes=("y",), reads=("x",))],
            "cycle among: a, b",
        ),
    ],
)  # fmt: skip
def test_contradicting_declarations_fail_before_anything_runs(steps, message):
    with pytest.raises(StepGraphError, match=message):
        order_steps(steps)


def test_the_registered_steps_form_a_valid_graph_with_one_creator_per_table():
    steps = default_steps()
    creators = [t for s in steps for t in s.writes]
    assert len(creators) == len(set(creators))
    assert "customer_scores" in creators and "models" not in creators  # models: the run's own
    position = {s.name: i for i, s in enumerate(steps)}
    assert position["customer features"] < position["purchase and value models"]
    assert position["purchase and value models"] < position["churn"]


def test_steps_named_refuses_an_unknown_step():
    with pytest.raises(ValueError, match="no run step called"):
        steps_named("rfm", "telepathy")


@pytest.fixture
def loaded(ws: Workspace, tmp_path: Path) -> Workspace:
    ingest(ws, "orders", write(tmp_path / "orders.csv", ORDERS_CSV))
    return ws


def test_a_step_reading_an_undeclared_table_fails_the_run(loaded: Workspace):
    def sneaky(ctx):
        ctx.read("customer_scores")
        return StepResult.done("read it")

    steps = [*steps_named("customer features"), Step("sneaky", sneaky)]
    with pytest.raises(StepFailed, match="UndeclaredAccess"):
        run(loaded, steps=steps)


def test_a_step_taking_an_undeclared_setting_is_refused(loaded: Workspace):
    seen = {}

    def greedy(ctx):
        seen["rfm"] = ctx.settings(RFMSettings).bins
        with pytest.raises(UndeclaredAccess, match=r"\[churn\]"):
            ctx.settings(ChurnSettings)
        return StepResult.done("ok")

    run(loaded, steps=[Step("greedy", greedy, settings=(RFMSettings,))])
    assert seen["rfm"] == loaded.config.rfm.bins


def test_publishing_an_undeclared_table_is_refused_and_nothing_is_published(loaded: Workspace):
    def leaky(ctx):
        return StepResult.done("ok", {"surprise": pd.DataFrame({"a": [1]})})

    with pytest.raises(AssertionError, match="undeclared tables"):
        run(loaded, steps=[Step("leaky", leaky, writes=("other",))])
    assert SnapshotStore(loaded.snapshots_dir).current() is None


def test_a_skipped_step_says_why_and_a_reader_sees_none(loaded: Workspace):
    got = {}

    def producer(ctx):
        return StepResult.skipped("nothing to do")

    def consumer(ctx):
        got["t"] = ctx.read("t")
        return StepResult.done("read")

    steps = order_steps([
        Step("consumer", consumer, reads=("t",)),
        Step("producer", producer, writes=("t",)),
        Step("needs feedback", _noop, needs=(("feedback", "interactions"),)),
    ])  # fmt: skip
    result = run(loaded, as_of=date(2024, 1, 11), steps=steps)
    by_name = {o.name: o for o in result.steps}
    assert by_name["producer"].status == "skipped"
    assert by_name["needs feedback"].detail == "needs feedback or interactions"
    assert got == {"t": None}
    meta = SnapshotStore(loaded.snapshots_dir).require_current().meta
    assert [s["status"] for s in meta["steps"]] == ["skipped", "skipped", "done"]  # by name when free
    assert meta["settings_hash"] == loaded.config.digest()
    assert meta["inputs"] == {"orders": 5}

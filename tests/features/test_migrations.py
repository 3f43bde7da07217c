"""Segment migrations between two runs' customer scores."""

from __future__ import annotations

import pandas as pd

from crmine.features.migrations import COLUMNS, move_counts, segment_moves


def _scores(segments: dict[str, str | None], clusters: dict[str, str | None]) -> pd.DataFrame:
    ids = sorted(segments)
    return pd.DataFrame({
        "customer_id": ids,
        "rfm_segment": pd.Series([segments[i] for i in ids], dtype="string"),
        "cluster": range(len(ids)),  # numbers are not compared: they change every run
        "cluster_label": pd.Series([clusters[i] for i in ids], dtype="string"),
    })


def test_moves_are_the_changed_values_of_customers_in_both_runs():
    before = _scores({"a": "Champions", "b": "Loyal", "c": None, "d": "Lost"},
                     {"a": "big", "b": "small", "c": "small", "d": "big"})
    now = _scores({"a": "At risk", "b": "Loyal", "c": "New", "e": "New"},
                  {"a": "big", "b": "big", "c": "small", "e": "small"})
    moves = segment_moves(before, now, "r1", "r2")
    assert list(moves.columns) == COLUMNS
    got = set(moves[["customer_id", "kind", "from_segment", "to_segment"]]
              .astype(object).where(moves.notna(), None).itertuples(index=False, name=None))
    assert got == {("a", "rfm_segment", "Champions", "At risk"),
                   ("c", "rfm_segment", None, "New"),
                   ("b", "cluster", "small", "big")}
    assert set(moves["previous_run_id"]) == {"r1"} and set(moves["run_id"]) == {"r2"}
    assert move_counts(moves)[0][3] == 1


def test_no_change_means_no_rows_with_the_declared_columns():
    same = _scores({"a": "Loyal"}, {"a": "big"})
    moves = segment_moves(same, same.copy(), "r1", "r2")
    assert moves.empty and list(moves.columns) == COLUMNS
    assert segment_moves(same[["customer_id"]], same[["customer_id"]], "r1", "r2").empty

"""Segment migrations: which customers changed RFM segment or cluster between two runs.

Clusters are compared by their label (``cluster_label``), not their number: K-Means numbers
its groups afresh every run, while the label says what the group is ("Big spenders, recent"),
so a move is a change of meaning, not of numbering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: the columns compared, and the name a move of each is published under (``kind``)
COMPARED = {"rfm_segment": "rfm_segment", "cluster_label": "cluster"}
COLUMNS = ["customer_id", "kind", "from_segment", "to_segment", "previous_run_id", "run_id"]


def segment_moves(before: pd.DataFrame, now: pd.DataFrame, previous_run_id: str,
                  run_id: str) -> pd.DataFrame:
    """One row per customer and kind whose value differs between ``before`` and ``now``.

    Only customers in both runs count (a new customer did not move; a gone one is not
    scored); a value that appears or disappears (e.g. a first purchase gives a segment)
    is a move from or to nothing, kept as a null.
    """
    import pandas as pd

    parts = []
    for column, kind in COMPARED.items():
        if column not in before or column not in now:
            continue
        pair = before[["customer_id", column]].merge(
            now[["customer_id", column]], on="customer_id", suffixes=("_from", "_to")
        )
        old = pair[f"{column}_from"].astype("string")
        new = pair[f"{column}_to"].astype("string")
        moved = (old != new).fillna(old.isna() != new.isna()).astype(bool)
        parts.append(pd.DataFrame({
            "customer_id": pair["customer_id"].astype("string")[moved].to_numpy(),
            "kind": kind,
            "from_segment": old[moved].to_numpy(),
            "to_segment": new[moved].to_numpy(),
        }))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in COLUMNS})
    moves = pd.concat(parts, ignore_index=True)
    moves["previous_run_id"] = previous_run_id
    moves["run_id"] = run_id
    for c in COLUMNS:
        moves[c] = moves[c].astype("string")
    return moves[COLUMNS].sort_values(["kind", "customer_id"], ignore_index=True)


def move_counts(moves: pd.DataFrame, top: int = 5) -> list[tuple[str, str, str, int]]:
    """The largest flows, (kind, from, to, customers), for one-line summaries and reports."""
    if moves.empty:
        return []
    counts = (moves.fillna({"from_segment": "(none)", "to_segment": "(none)"})
              .groupby(["kind", "from_segment", "to_segment"]).size()
              .sort_values(ascending=False).head(top))  # fmt: skip
    return [(k, f, t, int(n)) for (k, f, t), n in counts.items()]

"""The warehouse as the steps of one run see it: read through Ibis, truncated at as_of.

Reads that several steps share (the order lines, the feedback) are made once per run and
handed out unchanged; no step may modify what it gets from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

LINE_COLUMNS = (
    "customer_id", "order_id", "order_ts", "product_id", "product_name", "category",
    "quantity", "unit_price", "amount", "is_return",
)  # fmt: skip


@dataclass
class RunInputs:
    """The warehouse (an Ibis backend), the input tables holding rows, and shared reads."""

    backend: Any
    as_of: date
    available: frozenset[str]
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def as_of_ts(self) -> datetime:
        return datetime.combine(self.as_of, datetime.min.time())

    def table(self, name: str):
        return self.backend.table(name)

    def columns(self, name: str) -> list[str]:
        return list(self.backend.table(name).columns)

    def before(self, name: str, ts: str):
        """An input table restricted to rows strictly before as_of."""
        import ibis

        table = self.backend.table(name)
        return table.filter(table[ts] < ibis.literal(self.as_of_ts))

    def order_lines(self) -> pd.DataFrame:
        """Order lines with a customer, before as_of (shared by the "what next" steps)."""
        if "order_lines" not in self._cache:
            lines = self.before("orders", "order_ts")
            cols = [c for c in LINE_COLUMNS if c in lines.columns]
            lines = lines.filter(lines.customer_id.notnull()).select(cols)
            self._cache["order_lines"] = lines.to_pandas()
        return self._cache["order_lines"]

    def feedback(self) -> pd.DataFrame:
        """Feedback before as_of (and undated feedback, which cannot be placed in time but can
        be scored), ``kind`` inferred per source where the source had none. Everything that
        reads a time (service signals at cutoffs, months, trends) leaves undated rows out."""
        if "feedback" not in self._cache:
            import ibis

            from crmine.features.feedback import read_feedback

            table = self.backend.table("feedback")
            dated = table.ts < ibis.literal(self.as_of_ts)
            self._cache["feedback"] = read_feedback(table.filter(dated | table.ts.isnull()))
        return self._cache["feedback"]

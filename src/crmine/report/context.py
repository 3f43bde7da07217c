"""What every section is given: the connection, the report date, settings and the schema seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from crmine.report.fmt import Money

if TYPE_CHECKING:
    from crmine.engine.base import Engine


@dataclass(frozen=True)
class ReportSettings:
    """Report knobs; defaults match DESIGN. ``active_days`` comes from ``[run] active_days``
    when the report is made from a workspace."""

    active_days: int = 90
    top_regions: int = 15
    top_products: int = 15
    max_cohorts: int = 24
    max_cohort_months: int = 24
    # model sections
    high_churn: float = 0.7
    top_recommended: int = 15
    top_rules: int = 15
    network_rules: int = 40
    network_nodes: int = 40
    projection_points: int = 3000
    profile_features: int = 16
    model_figures: int = 6


@dataclass(frozen=True)
class ReportContext:
    """One report run. ``tables`` maps each relation present to its columns holding any value."""

    con: Engine
    as_of: date
    money: Money
    tables: dict[str, frozenset[str]]
    settings: ReportSettings = field(default_factory=ReportSettings)

    def has(self, table: str, *columns: str) -> bool:
        """True when ``table`` exists and every column in ``columns`` holds at least one value."""
        cols = self.tables.get(table)
        return cols is not None and all(c in cols for c in columns)

"""The vocabulary of the published-table declarations: tables, columns, column families."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

LogicalType = Literal["string", "integer", "float", "boolean", "date", "timestamp", "list[string]"]


@dataclass(frozen=True)
class PublishedColumn:
    name: str
    type: LogicalType
    meaning: str
    unit: str | None = None  # days, currency, probability 0-1, …; None when it has none
    required: bool = False  # in every snapshot that holds the table
    promised: bool = False  # DESIGN §4 names it
    when: str | None = None  # for an optional column: the data it needs


@dataclass(frozen=True)
class ColumnFamily:
    """Columns whose names come from the data (an attribute's levels, a source's own columns).

    They cannot be listed; a column that matches ``pattern`` (the whole name) is declared by
    the family. ``type`` None: whatever type the source column had.
    """

    pattern: str
    type: LogicalType | None
    meaning: str
    unit: str | None = None

    def matches(self, name: str) -> bool:
        return re.fullmatch(self.pattern, name) is not None


@dataclass(frozen=True)
class PublishedTable:
    name: str
    meaning: str
    columns: tuple[PublishedColumn, ...]
    families: tuple[ColumnFamily, ...] = field(default=())
    promised: bool = False  # DESIGN §4 names the table
    #: the columns that identify a row (a database export merges on them); () = no natural key
    key: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> PublishedColumn:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def family(self, name: str) -> ColumnFamily | None:
        """The family that declares an unlisted column, if any."""
        return next((f for f in self.families if f.matches(name)), None)

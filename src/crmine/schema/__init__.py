"""Canonical tables: names, types, meaning and which columns are required.

``tables``: the input tables a workspace loads (DESIGN §3). ``published``: the tables a run
publishes in a snapshot (DESIGN §4), and :func:`check_published` to hold a table to them.
"""

from crmine.schema.published import (
    PUBLISHED_TABLES,
    ColumnFamily,
    LogicalType,
    PublishedColumn,
    PublishedTable,
    check_published,
    ordered_columns,
    published_table,
)
from crmine.schema.tables import PERSONAL_COLUMNS, TABLES, Column, Table, table

__all__ = [
    "PERSONAL_COLUMNS",
    "PUBLISHED_TABLES",
    "TABLES",
    "Column",
    "ColumnFamily",
    "LogicalType",
    "PublishedColumn",
    "PublishedTable",
    "Table",
    "check_published",
    "ordered_columns",
    "published_table",
    "table",
]

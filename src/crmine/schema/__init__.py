"""Canonical tables: names, types, meaning and which columns are required."""

from crmine.schema.tables import TABLES, Column, Table, table

__all__ = ["TABLES", "Column", "Table", "table"]

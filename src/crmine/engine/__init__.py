"""The workspace and its warehouse connection (DuckDB by default)."""

from crmine.engine.workspace import Workspace, column_names, table_names

__all__ = ["Workspace", "column_names", "table_names"]

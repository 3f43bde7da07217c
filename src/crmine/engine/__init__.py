"""The workspace and the engine API over its warehouse (DuckDB by default).

Only this package talks to a database driver; see :mod:`crmine.engine.base`.
"""

from crmine.engine.base import CatalogError, Engine, EngineError, Result
from crmine.engine.quoting import quote_identifier, quote_literal
from crmine.engine.workspace import Workspace

__all__ = [
    "CatalogError",
    "Engine",
    "EngineError",
    "Result",
    "Workspace",
    "quote_identifier",
    "quote_literal",
]

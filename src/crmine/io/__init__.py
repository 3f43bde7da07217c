"""Readers, column auto-mapping and SQL value parsers for source files.

- :func:`read_source` lands a CSV/TSV/TXT, Excel or Parquet file in DuckDB as text columns
  plus ``_source_row`` and ``_read_error`` (:mod:`crmine.io.readers`);
- :func:`auto_map` / :func:`require` map its headers onto a canonical table
  (:mod:`crmine.io.mapping`, synonyms in :mod:`crmine.io.synonyms`);
- ``*_sql`` builders turn text into typed values inside DuckDB, with formats inferred from
  samples (:mod:`crmine.io.values`, dates in :mod:`crmine.io.dates`).

Names are resolved lazily so that ``import crmine.io`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SourceInfo": "readers",
    "read_source": "readers",
    "ColumnMapping": "mapping",
    "auto_map": "mapping",
    "require": "mapping",
    "DateSpec": "dates",
    "date_sql": "dates",
    "infer_date_spec": "dates",
    "NumberSpec": "values",
    "bool_sql": "values",
    "id_sql": "values",
    "infer_number_spec": "values",
    "infer_type": "values",
    "number_sql": "values",
    "text_sql": "values",
    "normalise_ids": "values",
    "parse_bools": "values",
    "parse_dates": "values",
    "parse_numbers": "values",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'crmine.io' has no attribute {name!r}")
    return getattr(importlib.import_module(f"crmine.io.{module}"), name)

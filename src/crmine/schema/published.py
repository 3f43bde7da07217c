"""The published tables (DESIGN §4): what a ``crmine run`` snapshot holds, declared once.

The report, the REST API, exports and alert rules all read these tables, so their columns are
a contract: this module says which tables a snapshot may hold, what each column means, its
logical type and unit, and whether every snapshot that holds the table has the column
(``required``) or only when the data supports it (``when``: e.g. clv needs prices). DESIGN §4
lists only some tables and columns ("other columns may be added"); ``promised`` marks the
ones it names, so a column DESIGN promises but the run only publishes on some data shows up
as ``promised=True, required=False``.

The declarations follow what the run steps publish today (``crmine.pipeline.steps*``);
:func:`check_published` compares a table's columns with them, without reading any file.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any

from crmine.schema._published_types import (
    ColumnFamily,
    LogicalType,
    PublishedColumn,
    PublishedTable,
)
from crmine.schema.published_tables import _NOT_IN_SNAPSHOTS, PUBLISHED_TABLES

__all__ = ["PUBLISHED_TABLES", "ColumnFamily", "LogicalType", "PublishedColumn",
           "PublishedTable", "check_published", "ordered_columns", "published_table"]  # fmt: skip


def published_table(name: str) -> PublishedTable:
    """Look up a published table; an unknown name gets a clear error listing the valid ones."""
    try:
        return PUBLISHED_TABLES[name]
    except KeyError:
        why = f" ({_NOT_IN_SNAPSHOTS[name]})" if name in _NOT_IN_SNAPSHOTS else ""
        raise KeyError(
            f"no published table {name!r}{why}; expected one of: {', '.join(PUBLISHED_TABLES)}"
        ) from None


# --------------------------------------------------------------------------- checking

# What each logical type may be stored as. Physical kinds come from dtypes (see _kind):
# "object" is a pandas dtype that says nothing about the values (lists, dates, booleans with
# gaps and all-empty columns all read back as object), so only a frame's values can judge it;
# "null" is a column without a single value (an empty table, or data that lacks it);
# "float" holds integers too, because pandas widens an integer column with gaps to float64.
_ACCEPTS: dict[str, frozenset[str]] = {
    "string": frozenset({"string", "object", "null"}),
    "integer": frozenset({"integer", "float", "object", "null"}),
    "float": frozenset({"float", "fractional", "object", "null"}),
    "boolean": frozenset({"boolean", "object", "null"}),
    "date": frozenset({"date", "object", "null"}),
    "timestamp": frozenset({"timestamp", "object", "null"}),
    "list[string]": frozenset({"list[string]", "list[null]", "object", "null"}),
}

_LIST = re.compile(r"^(?:large_)?list(?:_view)?<[^:]*: (?P<inner>.+)>(?:\[pyarrow\])?$")
_DICTIONARY = re.compile(r"^dictionary<values=(?P<values>[^,]+),")


def _kind(dtype: Any) -> str:
    """Physical kind of a dtype: a dtype string, numpy / pandas dtype or pyarrow type."""
    text = str(dtype).strip()
    low = text.lower().removesuffix("[pyarrow]")
    if m := _LIST.match(text):
        inner = _kind(m["inner"])
        return f"list[{inner}]"
    if m := _DICTIONARY.match(low):
        return _kind(m["values"])
    if low.startswith(("int", "uint")):
        return "integer"
    if low.startswith(("float", "double", "halffloat", "decimal")):
        return "float"
    if low in ("bool", "boolean"):
        return "boolean"
    if low in ("str", "string", "string[python]", "large_string", "utf8", "large_utf8",
               "string_view", "category"):  # fmt: skip
        return "string"
    if low.startswith(("date32", "date64")):
        return "date"
    if low.startswith(("datetime64", "timestamp")):
        return "timestamp"
    if low in ("null", "na"):
        return "null"
    if low in ("object", "o"):
        return "object"
    return text  # anything else (timedelta, binary, struct, …) matches no logical type


def _value_kind(values: list[Any]) -> str:
    """Physical kind of the non-empty values of an object column."""
    import numpy as np

    if not values:
        return "null"
    if all(isinstance(v, str) for v in values):
        return "string"
    if all(isinstance(v, bool | np.bool_) for v in values):
        return "boolean"
    if all(isinstance(v, _dt.datetime) for v in values):  # before date: a datetime is a date
        return "timestamp"
    if all(isinstance(v, _dt.date) for v in values):
        return "date"
    if all(isinstance(v, list | tuple | np.ndarray) for v in values):
        items = [x for v in values for x in v if x is not None]
        return f"list[{_value_kind(items)}]"
    if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values):
        return "integer"
    if all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values):
        return "float"
    return "mixed values"


def _series_kind(series: Any) -> str:
    """Physical kind of a pandas column, read from its values where the dtype cannot tell."""
    import numpy as np

    kind = _kind(series.dtype)
    if kind not in ("object", "float"):
        return kind
    values = series.dropna()
    if kind == "float":
        arr = values.to_numpy(dtype=float)
        arr = arr[np.isfinite(arr)]
        return "float" if np.array_equal(arr, np.round(arr)) else "fractional"
    return _value_kind(values.tolist())


def _columns(columns: Any) -> list[tuple[str, str]]:
    """(name, physical kind) of every column, duplicates kept, from any accepted input."""
    module = type(columns).__module__
    if module.startswith("pyarrow"):
        schema = getattr(columns, "schema", columns)  # a Table, or a Schema
        return [(f.name, _kind(f.type)) for f in schema]
    if module.startswith("pandas") and hasattr(columns, "iloc") and hasattr(columns, "columns"):
        return [(str(n), _series_kind(columns.iloc[:, i])) for i, n in enumerate(columns.columns)]
    if isinstance(columns, Mapping) or hasattr(columns, "items"):  # a mapping, df.dtypes
        return [(str(n), _kind(d)) for n, d in columns.items()]
    raise TypeError(
        "columns must be a mapping of column name to dtype, a pandas DataFrame or its dtypes, "
        f"or a pyarrow Schema or Table; got {type(columns).__name__}"
    )


def check_published(name: str, columns: Any) -> list[str]:
    """Problems of a published table's columns against its declaration; empty when it conforms.

    ``columns``: a mapping of column name to dtype (a string such as ``"int64"``, ``"str"``,
    ``"list<element: string>"``, or a numpy / pandas / pyarrow dtype), a DataFrame's
    ``dtypes``, a pandas DataFrame, or a pyarrow Schema or Table. A DataFrame is judged by
    its values where its dtype cannot tell (object columns, integers widened to float); a
    bare ``object`` dtype is given the benefit of the doubt. Reports a required column that
    is missing, a column whose type is not its declared logical type, a column the table
    does not declare, and a name that appears twice. Pure: reads no file.
    """
    spec = PUBLISHED_TABLES.get(name)
    if spec is None:
        return [f"{name}: not a declared published table (declared: {', '.join(PUBLISHED_TABLES)})"]
    found = _columns(columns)
    problems: list[str] = []
    names = [n for n, _ in found]
    for col in spec.required:
        if col not in names:
            problems.append(f"{name}: required column {col!r} is missing")
    seen: set[str] = set()
    for col, kind in found:
        if col in seen:
            problems.append(f"{name}.{col}: appears more than once")
            continue
        seen.add(col)
        if col in spec.column_names:
            declared: str | None = spec.column(col).type
        elif (family := spec.family(col)) is not None:
            declared = family.type
        else:
            problems.append(f"{name}.{col}: not a declared column")
            continue
        if declared is not None and kind not in _ACCEPTS[declared]:
            problems.append(f"{name}.{col}: holds {kind}, declared {declared}")
    return problems


def ordered_columns(name: str, columns: list[str]) -> list[str]:
    """``columns`` in the table's declared order, undeclared ones after in their own order.

    The published order is the declaration's, not the order the run's steps happened to add
    the columns in, so reordering steps never reorders a table.
    """
    table = PUBLISHED_TABLES.get(name)
    if table is None:
        return list(columns)
    present = set(columns)
    declared = [c for c in table.column_names if c in present]
    return [*declared, *(c for c in columns if c not in set(declared))]

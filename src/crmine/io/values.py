"""Value parsers as DuckDB SQL expression builders, plus format inference from samples.

Each ``*_sql(expr)`` takes a SQL expression of text (e.g. a quoted column name) and returns
an expression of the typed value that is NULL, never an error, when the text cannot be
parsed, so ingest can run it set-based over millions of rows and quarantine the NULLs.
The ``parse_*`` wrappers run the same SQL on a Python list (tests, small inputs).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from crmine.engine.quoting import quote_literal
from crmine.io import currency_marks
from crmine.io.dates import DateSpec, date_sql, detect_families, infer_date_spec
from crmine.io.evaluate import run_sql

__all__ = [
    "BOOL_FALSE",
    "BOOL_TRUE",
    "DateSpec",
    "NumberSpec",
    "bool_sql",
    "clean_texts",
    "date_sql",
    "id_sql",
    "infer_date_spec",
    "infer_number_spec",
    "infer_type",
    "normalise_ids",
    "number_sql",
    "parse_bools",
    "parse_dates",
    "parse_numbers",
    "text_sql",
]

_WS = r"[\s\x{00A0}\x{2007}\x{202F}\x{3000}\x{FEFF}]"

# ---------------------------------------------------------------- text and ids


def text_sql(expr: str) -> str:
    """Trimmed text with runs of whitespace (incl. NBSP, full-width space) as one space."""
    x = f"CAST({expr} AS VARCHAR)"
    # Most values are already clean: only rewrite those with something to fix.
    dirty = f"regexp_matches({x}, '{_WS}{{2}}|[^\\S ]|[\\x{{00A0}}\\x{{2007}}\\x{{202F}}\\x{{3000}}\\x{{FEFF}}]|^ | $')"
    return (f"NULLIF(CASE WHEN {dirty} THEN trim(regexp_replace({x}, '{_WS}+', ' ', 'g')) "
            f"ELSE {x} END, '')")


def id_sql(expr: str) -> str:
    """Identifier text: trimmed, ``17850.0`` → ``17850`` (float-typed export), padding kept.

    A float printed in scientific notation (``1.2345678901234568e+16``, as a large double
    id casts to text) is written out as the integer it holds: never scientific notation.
    """
    trimmed = f"regexp_replace(CAST({expr} AS VARCHAR), '^{_WS}+|{_WS}+$', '', 'g')"
    plain = f"regexp_replace({trimmed}, '^([+-]?\\d+)\\.0+$', '\\1')"
    sci = f"TRY_CAST({trimmed} AS DOUBLE)"
    return (
        f"NULLIF(CASE WHEN regexp_full_match({trimmed}, '[+-]?\\d+(\\.\\d+)?[eE][+]?\\d+') "
        f"AND {sci} = floor({sci}) AND abs({sci}) < 1e30 "
        f"THEN CAST(CAST({sci} AS HUGEINT) AS VARCHAR) ELSE {plain} END, '')"
    )


# ---------------------------------------------------------------- booleans

BOOL_TRUE = ("yes", "y", "true", "t", "1", "1.0", "on", "是", "有", "对", "真", "✓", "√")
BOOL_FALSE = ("no", "n", "false", "f", "0", "0.0", "off", "否", "无", "没有", "错", "假", "✗", "×")


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(quote_literal(v) for v in values)


_SLOW_BOOL = "[" + ", ".join(["TRUE"] * len(BOOL_TRUE) + ["FALSE"] * len(BOOL_FALSE)) + "]"


def bool_sql(expr: str) -> str:
    """yes/no, y/n, true/false, t/f, 1/0, on/off, 是/否, 有/无 → BOOLEAN; anything else NULL."""
    x = f"CAST({expr} AS VARCHAR)"
    key = f"lower(trim(regexp_replace({x}, '{_WS}+', ' ', 'g')))"
    fast = f"lower({x})"
    return (f"CASE WHEN {fast} IN ({_in_list(BOOL_TRUE)}) THEN TRUE "
            f"WHEN {fast} IN ({_in_list(BOOL_FALSE)}) THEN FALSE "
            f"WHEN length({x}) > 12 THEN NULL "  # too long to be a padded token
            # ``key`` appears once: DuckDB would otherwise compute it for every row.
            f"ELSE {_SLOW_BOOL}[list_position([{_in_list(BOOL_TRUE + BOOL_FALSE)}], {key})] END")


# ---------------------------------------------------------------- numbers

_SQL_CURRENCY = currency_marks.PATTERN
_CURRENCY_RX = re.compile(_SQL_CURRENCY)
_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"

_COMMA_DECIMAL = re.compile(r"^[^\d]*-?\d{1,3}(?:\.\d{3})+,\d+\D*$|^[^\d]*-?\d+,(?:\d{1,2}|\d{4,})\D*$")
_POINT_DECIMAL = re.compile(r"^[^\d]*-?\d{1,3}(?:,\d{3})+\.\d+\D*$|^[^\d]*-?\d+\.(?:\d{1,2}|\d{4,})\D*$")


@dataclass(frozen=True)
class NumberSpec:
    """How to read one column's numbers; ``currency`` is the ISO code seen, if any."""

    decimal: Literal[".", ","] = "."
    currency: str | None = None
    parse_rate: float = 0.0
    samples: int = 0


def infer_number_spec(samples: list[str | None]) -> NumberSpec:
    """Decimal mark (point unless the data shows a comma) and currency, from samples."""
    nonblank = [s.strip() for s in samples if s is not None and s.strip()]
    comma = sum(bool(_COMMA_DECIMAL.match(s)) for s in nonblank)
    point = sum(bool(_POINT_DECIMAL.match(s)) for s in nonblank)
    found = Counter(
        currency_marks.code_of(m.group(0)) for s in nonblank if (m := _CURRENCY_RX.search(s))
    )
    currency = found.most_common(1)[0][0] if found else None
    spec = NumberSpec("," if comma > point else ".", currency, 0.0, len(nonblank))
    if not nonblank:
        return spec
    parsed = run_sql(nonblank, lambda e: number_sql(e, spec))
    rate = sum(v is not None for v in parsed) / len(nonblank)
    return NumberSpec(spec.decimal, currency, rate, len(nonblank))


def number_sql(expr: str, spec: NumberSpec | None = None) -> str:
    """DOUBLE from text like ``1,234.50``, ``¥ 1.234,50``, ``(12.50)``, ``12.5-``, ``7%``."""
    spec = spec or NumberSpec()
    x = f"CAST({expr} AS VARCHAR)"
    # Plain numbers take DuckDB's cast; with a decimal comma only when there is no '.'.
    fast = f"TRY_CAST({x} AS DOUBLE)"
    guard = "" if spec.decimal == "." else f" AND NOT contains({x}, '.')"
    # Marks go before spaces: "USD 3.25" loses its code only while it stands apart.
    s = f"regexp_replace({x}, {quote_literal(_SQL_CURRENCY)}, '', 'g')"
    s = f"regexp_replace({s}, '{_WS}+|%', '', 'g')"
    s = f"regexp_replace({s}, '^\\((.*)\\)$', '-\\1')"  # accounting negative
    s = f"regexp_replace({s}, '^([^+-].*)-$', '-\\1')"  # trailing minus
    if spec.decimal == ",":
        s = f"replace(replace(replace({s}, '.', ''), '''', ''), ',', '.')"
    else:
        s = f"replace(replace({s}, ',', ''), '''', '')"
    slow = f"TRY_CAST(NULLIF(regexp_extract({s}, {quote_literal(_NUMBER)}), '') AS DOUBLE)"
    return f"CASE WHEN isfinite({fast}){guard} THEN {fast} ELSE {slow} END"


# ---------------------------------------------------------------- attribute types

AttrType = Literal["bool", "float", "timestamp", "text"]
TYPE_THRESHOLD = 0.95
_BOOL_NUMERIC = {"0", "1", "0.0", "1.0"}


def infer_type(samples: list[str | None], threshold: float = TYPE_THRESHOLD) -> AttrType:
    """Type of an unmapped column: the first of bool, float, timestamp that parses at least
    ``threshold`` of the non-blank samples, else text.

    A 0/1 column is bool, but one that also holds other numbers (2, 3, ...) is float. Dates
    need a date-shaped family; bare numbers (Excel serials) stay numbers here, except
    compact ``YYYYMMDD`` values, which are dates.
    """
    nonblank = [s.strip() for s in samples if s is not None and s.strip()]
    if not nonblank:
        return "text"
    n = len(nonblank)
    lowered = [s.lower() for s in nonblank]
    bool_share = sum(s in BOOL_TRUE or s in BOOL_FALSE for s in lowered) / n
    numbers = infer_number_spec(nonblank)
    numeric = run_sql(nonblank, lambda e: number_sql(e, numbers))
    other_numbers = any(v is not None and s not in _BOOL_NUMERIC
                        for s, v in zip(lowered, numeric, strict=True))
    if bool_share >= threshold and not other_numbers:
        return "bool"
    counts, _, _ = detect_families(nonblank)
    # Compact YYYYMMDD values are numbers too; being valid dates of 1900-2099, they are dates.
    dates_first = counts.get("compact", 0) >= threshold * n
    if numbers.parse_rate >= threshold and not dates_first:
        return "float"
    if counts and set(counts) != {"excel"} and infer_date_spec(nonblank).parse_rate >= threshold:
        return "timestamp"
    return "text"


# ---------------------------------------------------------------- Python wrappers


def parse_dates(values: list[str | None], dayfirst: bool | None = None) -> list[datetime | None]:
    spec = infer_date_spec(values, dayfirst)
    return run_sql(values, lambda e: date_sql(e, spec))


def parse_numbers(values: list[str | None], spec: NumberSpec | None = None) -> list[float | None]:
    spec = spec or infer_number_spec(values)
    return run_sql(values, lambda e: number_sql(e, spec))


def parse_bools(values: list[str | None]) -> list[bool | None]:
    return run_sql(values, bool_sql)


def normalise_ids(values: list[str | None]) -> list[str | None]:
    return run_sql(values, id_sql)


def clean_texts(values: list[str | None]) -> list[str | None]:
    return run_sql(values, text_sql)

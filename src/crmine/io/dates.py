"""Date and timestamp parsing as DuckDB SQL, with the format chosen from sample values.

Supported forms (each a *family*): ISO ``2024-01-05[ T]13:45[:00[.123]]`` with an optional
offset (``-0800``, ``+08:00``, ``Z``); ``2024/1/5`` and ``2024.1.5``; day-month-year or
month-day-year with ``/ - .`` (``05/01/2024``, ``21-07-2015``, 2- or 4-digit year, optional
time and AM/PM); compact ``YYYYMMDD[HHMMSS]``; month names (``2-Jul-18``, ``5 Jan 2024``,
``Jan 5, 2024``); Chinese ``2024年1月5日[ 13:45]``; Excel serial day numbers (``45296.5``).

Policies, chosen once and reported through :meth:`DateSpec.notes`:

- Day-first or month-first is read from the data: a first field above 12 means day-first,
  a second field above 12 month-first. When the data never says, ``dayfirst`` from the
  configuration decides, and without it **day-first** is the default (most of the world
  writes 05/01/2024 for 5 January; the US is the main exception) and a note says so.
- A UTC offset is dropped, keeping the wall-clock time as written: the local day of an
  order matters more to customer behaviour than the instant in UTC.
- Excel serial numbers are only read as dates when the samples hold them, since a bare
  5-digit number is usually not a date.
- Text that does not parse becomes NULL, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from crmine.engine.quoting import quote_literal

_TIME = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:\s*[AaPp]\.?[Mm]\.?)?"
_TZ = r"(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"  # only ever after a time
_MONTH = r"[A-Za-z]{3,9}\.?"

# Patterns are written for both Python's re and DuckDB's RE2.
FAMILIES: dict[str, str] = {
    "iso": rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}(?:(?:T|\s+){_TIME}{_TZ})?",
    "ymd": rf"\d{{4}}[/.]\d{{1,2}}[/.]\d{{1,2}}(?:\s+{_TIME}{_TZ})?",
    "dmy": rf"\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})(?:\s+{_TIME}{_TZ})?",
    "compact": r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\d{6})?",
    "month_name": rf"\d{{1,2}}[- ]{_MONTH}[- ,]\s*\d{{2,4}}(?:\s+{_TIME})?"
    rf"|{_MONTH} \d{{1,2}},? \d{{4}}(?:\s+{_TIME})?",
    "cjk": r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日?(?:\s*\d{1,2}\s*[:：时点]\s*\d{1,2}"
    r"(?:\s*[:：分]\s*\d{1,2}\s*秒?)?\s*分?)?",
    "excel": r"\d{5}(?:\.\d+)?",
}
_COMPILED = {k: re.compile(v) for k, v in FAMILIES.items()}
_DMY_PARTS = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-]")
EXCEL_RANGE = (20000, 80000)  # 1954-10-03 .. 2119-01-10

Source = Literal["data", "config", "default", "conflict", "none"]


@dataclass(frozen=True)
class DateSpec:
    """How to read one column's dates; ``parse_rate`` says how many samples parsed."""

    families: tuple[str, ...] = ()
    dayfirst: bool = True
    dayfirst_source: Source = "none"
    parse_rate: float = 0.0
    samples: int = 0
    examples: dict[str, str] = field(default_factory=dict)

    @property
    def is_dates(self) -> bool:
        """False when no sample parses: the column holds text, not dates."""
        return self.parse_rate > 0

    def notes(self) -> list[str]:
        """Human-readable choices the orchestrator should print."""
        ex = self.examples.get("dmy", "dd/mm/yyyy")
        order = "day/month/year" if self.dayfirst else "month/day/year"
        if self.dayfirst_source == "default":
            return [f"dates like {ex!r} are ambiguous; read as {order} "
                    f"(set dayfirst in crmine.toml to change)"]
        if self.dayfirst_source == "conflict":
            return [f"dates like {ex!r} appear both day-first and month-first; "
                    f"read as {order}, the others become NULL"]
        if self.dayfirst_source in ("data", "config") and "dmy" in self.families:
            return [f"dates like {ex!r} read as {order} ({self.dayfirst_source})"]
        return []


def _family(text: str) -> str | None:
    for name, rx in _COMPILED.items():
        if rx.fullmatch(text):
            if name == "excel" and not EXCEL_RANGE[0] <= float(text) < EXCEL_RANGE[1]:
                return None
            return name
    return None


def detect_families(samples: list[str | None]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    counts: dict[str, int] = {}
    examples: dict[str, str] = {}
    dmy: list[str] = []
    for s in samples:
        if s is None or not s.strip():
            continue
        t = s.strip()
        fam = _family(t)
        if fam is None:
            continue
        counts[fam] = counts.get(fam, 0) + 1
        examples.setdefault(fam, t)
        if fam == "dmy":
            dmy.append(t)
    return counts, examples, dmy


def _dayfirst(dmy: list[str], dayfirst: bool | None) -> tuple[bool, Source]:
    first_big = second_big = 0
    for t in dmy:
        m = _DMY_PARTS.match(t)
        if m is None:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        first_big += a > 12
        second_big += b > 12
    if first_big and not second_big:
        return True, "data"
    if second_big and not first_big:
        return False, "data"
    if first_big and second_big:
        return first_big >= second_big, "conflict"
    if dayfirst is not None:
        return dayfirst, "config"
    return True, ("default" if dmy else "none")


def infer_date_spec(samples: list[str | None], dayfirst: bool | None = None) -> DateSpec:
    """Pick the date families and day order from samples of a column's text values."""
    counts, examples, dmy = detect_families(samples)
    first, source = _dayfirst(dmy, dayfirst)
    families = tuple(sorted(counts, key=lambda k: -counts[k]))
    spec = DateSpec(families, first, source, 0.0, 0, examples)
    nonblank = [s for s in samples if s is not None and s.strip()]
    if not nonblank or not families:
        return DateSpec(families, first, source, 0.0, len(nonblank), examples)
    from crmine.io.evaluate import run_sql

    parsed = run_sql(nonblank, lambda e: date_sql(e, spec))
    rate = sum(v is not None for v in parsed) / len(nonblank)
    return DateSpec(families, first, source, rate, len(nonblank), examples)


def _fmt_list(formats: list[str]) -> str:
    return "[" + ", ".join(quote_literal(f) for f in formats) + "]"


_AMPM = ["%Y-%m-%d %I:%M:%S.%f %p", "%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %I:%M %p"]
_MONTH_FORMATS = [
    f"{d} {t}".strip()
    for d in ("%d-%b-%y", "%d-%b-%Y", "%d-%B-%y", "%d-%B-%Y", "%b %d %Y", "%B %d %Y")
    for t in ("", "%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M:%S %p")
]


def _finish(iso_text: str) -> str:
    """ISO-shaped text (any padding) → TIMESTAMP; AM/PM times go through strptime."""
    return (f"CASE WHEN suffix({iso_text}, 'M') THEN try_strptime({iso_text}, {_fmt_list(_AMPM)}) "
            f"ELSE TRY_CAST({iso_text} AS TIMESTAMP) END")


def date_sql(expr: str, spec: DateSpec | None = None) -> str:
    """DuckDB expression: ``expr`` (text) as TIMESTAMP, NULL when it cannot be parsed.

    Canonical ISO text takes DuckDB's fast cast; every other form is rewritten to ISO
    text by regular expressions (only on the rows that need it) and cast the same way.
    """
    spec = spec or DateSpec()
    x = f"CAST({expr} AS VARCHAR)"
    fast = f"TRY_CAST({x} AS TIMESTAMP)"
    # Starts with a digit and a '-' at position 5: not 'infinity' or 'epoch', which the cast
    # would accept.
    fast_ok = f"ascii({x}) BETWEEN 48 AND 57 AND substr({x}, 5, 1) = '-' AND isfinite({fast})"
    s = f"trim(regexp_replace({x}, '\\s+', ' ', 'g'))"
    # Upper case, offset after a time dropped, AM/PM spelled 'AM'/'PM' after one space.
    n = (f"regexp_replace(upper(regexp_replace({s}, "
         f"'(:\\d{{2}}(?:[.,]\\d+)?)\\s*(?:Z|UTC|GMT|[+-]\\d{{2}}:?\\d{{2}})$', '\\1')), "
         f"'(\\d)\\s*([AP])\\.?M\\.?$', '\\1 \\2M')")
    ymd = f"regexp_replace({n}, '^(\\d{{4}})[/.-](\\d+)[/.-](\\d+)', '\\1-\\2-\\3')"
    d, m = ("\\1", "\\2") if spec.dayfirst else ("\\2", "\\1")
    dmy4 = f"regexp_replace({n}, '^(\\d+)[/.-](\\d+)[/.-](\\d{{4}})', '\\3-{m}-{d}')"
    dmy2 = f"regexp_replace({n}, '^(\\d+)[/.-](\\d+)[/.-](\\d{{2}})', '20\\3-{m}-{d}')"
    yy = f"TRY_CAST(regexp_extract({n}, '^\\d+[/.-]\\d+[/.-](\\d{{2}})(?:\\D|$)', 1) AS INTEGER)"
    dmy = (f"CASE WHEN regexp_matches({n}, '^\\d+[/.-]\\d+[/.-]\\d{{4}}') THEN {_finish(dmy4)} "
           f"WHEN {yy} >= 69 THEN {_finish(dmy2)} - INTERVAL 100 YEAR "
           f"ELSE {_finish(dmy2)} END")
    compact = (f"CASE WHEN length({s}) = 8 THEN try_strptime({s}, '%Y%m%d') "
               f"ELSE try_strptime({s}, '%Y%m%d%H%M%S') END")
    mon = (f"try_strptime(replace(regexp_replace(replace({n}, '.', ''), "
           f"'^(\\d+)[ -]([A-Z]+)[ ,-]+(\\d+)', '\\1-\\2-\\3'), ',', ''), "
           f"{_fmt_list(_MONTH_FORMATS)})")
    cjk = (f"trim(regexp_replace(regexp_replace(regexp_replace({s}, '\\s*[年月]\\s*', '-', 'g'),"
           f" '\\s*日\\s*', ' '), '\\s*[:：时点分]\\s*', ':', 'g'), ' :')")
    branches = [
        ("iso", _finish(ymd)),
        ("ymd", _finish(ymd)),
        ("dmy", dmy),
        ("compact", compact),
        ("month_name", mon),
        ("cjk", _finish(cjk)),
    ]
    whens = [f"WHEN {fast_ok} THEN {fast}"] + [
        f"WHEN regexp_full_match({s}, {quote_literal(FAMILIES[name])}) THEN {parse}"
        for name, parse in branches
    ]
    if "excel" in spec.families:
        lo, hi = EXCEL_RANGE
        days = f"TRY_CAST({s} AS DOUBLE)"
        whens.append(
            f"WHEN regexp_full_match({s}, {quote_literal(FAMILIES['excel'])}) AND {days} >= {lo} "
            f"AND {days} < {hi} THEN TIMESTAMP '1899-12-30' + "
            f"to_microseconds(CAST(round({days} * 86400000000) AS BIGINT))"
        )
    return f"CAST(CASE {' '.join(whens)} ELSE NULL END AS TIMESTAMP)"


# ---------------------------------------------------------------- bare years

_YEAR = re.compile(r"\d{4}(?:\.0+)?")
#: years a date column may plausibly hold (a birth year, a founding year, a model year)
YEAR_RANGE = (1800, 2100)


def is_years(samples: list[str | None], threshold: float = 0.95) -> bool:
    """True when the column's values are bare years (``1957``): a date column that holds
    only the year (``Year_Birth``), read as 1 January of it rather than rejected."""
    nonblank = [s.strip() for s in samples if s is not None and s.strip()]
    if not nonblank:
        return False
    hits = sum(
        bool(_YEAR.fullmatch(s)) and YEAR_RANGE[0] <= int(float(s)) <= YEAR_RANGE[1]
        for s in nonblank
    )
    return hits >= threshold * len(nonblank)


def year_sql(expr: str) -> str:
    """DuckDB expression: a bare year as TIMESTAMP (1 January), NULL when it is not one."""
    y = f"TRY_CAST(TRY_CAST(trim(CAST({expr} AS VARCHAR)) AS DOUBLE) AS INTEGER)"
    lo, hi = YEAR_RANGE
    return (f"CASE WHEN {y} BETWEEN {lo} AND {hi} "
            f"THEN CAST(make_date({y}, 1, 1) AS TIMESTAMP) END")

"""Delimited text (CSV / TSV / TXT) into a DuckDB table of VARCHAR columns.

DuckDB's ``read_csv`` does the bulk work. Around it, one vectorised pass over the bytes
finds where each record starts (a newline outside quotes ends a record), which gives
every record its physical line number and lets rows DuckDB rejects (too many or too few
fields, broken quoting) be put back at their place, marked in ``_read_error``. Every
non-blank physical record after the header is exactly one output row.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crmine.errors import InputError
from crmine.io.encoding import needs_transcoding, sniff_encoding, transcode_to_utf8
from crmine.io.headers import unique_headers

log = logging.getLogger(__name__)

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_RECORDS = 50


@dataclass(frozen=True)
class DelimitedResult:
    encoding: str
    delimiter: str
    rows: int
    columns: list[str]
    bad_rows: int


@dataclass(frozen=True)
class _Records:
    """Byte spans of the non-blank records of a file, and the line each starts on."""

    starts: np.ndarray
    ends: np.ndarray  # exclusive, without the line break
    lines: np.ndarray
    open_quote: bool  # the file ends inside a quoted field
    ends_with_newline: bool


def scan_records(data: np.ndarray) -> _Records:
    """Split ``data`` (UTF-8 bytes) into records: a newline ends one unless inside quotes."""
    nl = np.flatnonzero(data == 10)
    quotes = np.flatnonzero(data == 34)
    # An even number of quotes before a newline means we are outside a quoted field
    # (an escaped quote "" adds two, so it does not change the parity).
    term = nl[np.searchsorted(quotes, nl) % 2 == 0]
    starts = np.concatenate(([0], term + 1))
    ends = np.concatenate((term, [len(data)]))
    length = ends - starts
    last = np.maximum(ends - 1, 0)
    blank = (length == 0) | ((length == 1) & (data[last] == 13) if len(data) else False)
    keep = ~blank
    starts, ends = starts[keep], ends[keep]
    lines = np.searchsorted(nl, starts) + 1
    return _Records(
        starts=starts,
        ends=ends,
        lines=lines,
        open_quote=len(quotes) % 2 == 1,
        ends_with_newline=len(data) > 0 and data[-1] == 10,
    )


def _record_text(data: np.ndarray, start: int, end: int) -> str:
    text = data[start:end].tobytes().decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff").removesuffix("\r")


def parse_record(text: str, delimiter: str) -> list[str]:
    """Fields of one record with standard CSV quoting ("" escapes a quote)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    return next(reader, [])


def sniff_delimiter(records: list[str], prefer: str | None = None) -> str:
    """The candidate that splits the header into most fields, consistently across records."""
    def score(d: str) -> tuple[bool, float, int, bool]:
        counts = [len(parse_record(r, d)) for r in records]
        width = counts[0]
        consistent = sum(c == width for c in counts[1:]) / max(len(counts) - 1, 1)
        return (width > 1, consistent if width > 1 else 0.0, width, d == prefer)

    best = max(DELIMITERS, key=score)
    return best if score(best)[0] else (prefer or ",")


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def read_delimited(
    con, path: Path, table_name: str, *, encoding: str | None, delimiter: str | None
) -> tuple[DelimitedResult, str]:
    """Create ``table_name``; returns the result and the file's sha256."""
    sniffed = sniff_encoding(path, encoding)
    with tempfile.TemporaryDirectory(prefix="crmine-read-") as tmp:
        src = path
        if needs_transcoding(sniffed.encoding):
            src = Path(tmp) / "utf8.csv"
            transcode_to_utf8(path, sniffed.encoding, src)
        result = _read_utf8(con, path, src, table_name, sniffed.encoding, delimiter)
    return result, sniffed.sha256


def _read_utf8(
    con, path: Path, src: Path, table_name: str, encoding: str, delimiter: str | None
) -> DelimitedResult:
    data = np.memmap(src, dtype=np.uint8, mode="r") if src.stat().st_size else np.zeros(0, np.uint8)
    recs = scan_records(data)
    texts = [
        _record_text(data, int(s), int(e))
        for s, e in zip(recs.starts[: _SNIFF_RECORDS], recs.ends[: _SNIFF_RECORDS], strict=True)
    ]
    if not texts or not any(t.strip() for t in texts[:1]):
        raise InputError(f"{path} is empty (no header line)")
    prefer = "\t" if path.suffix.lower() == ".tsv" else None
    delim = delimiter or sniff_delimiter(texts, prefer)
    header = parse_record(texts[0], delim)
    columns = unique_headers(header)
    n = len(columns)
    if recs.open_quote:
        i = int(np.searchsorted(recs.starts, len(data), side="right")) - 1
        raise InputError(
            f"{path}: line {int(recs.lines[i])} opens a quoted field that is never closed "
            f"(file cut off, or a stray quote)"
        )
    if len(recs.starts) == 1:
        raise InputError(f"{path} has a header but no rows")
    if not recs.ends_with_newline:
        last = parse_record(_record_text(data, int(recs.starts[-1]), int(recs.ends[-1])), delim)
        if len(last) < n:
            raise InputError(
                f"{path}: the last line (line {int(recs.lines[-1])}) is cut off: expected {n} "
                f"fields, found {len(last)}, and the file does not end with a line break"
            )
    bad = _load(con, src, table_name, delim, columns, data, recs)
    rows = len(recs.starts) - 1
    return DelimitedResult(encoding, delim, rows, columns, bad)


def _load(con, src: Path, table_name: str, delim: str, columns: list[str],
          data: np.ndarray, recs: _Records) -> int:
    import pyarrow as pa

    n = len(columns)
    tag = uuid.uuid4().hex[:12]
    raw, rej, scan = f"_crmine_raw_{tag}", f"_crmine_rej_{tag}", f"_crmine_scan_{tag}"
    spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n))
    con.execute(
        f"CREATE TEMP TABLE {raw} AS SELECT * FROM read_csv({_sql_str(str(src))}, "
        f"header=true, auto_detect=false, columns={{{spec}}}, delim={_sql_str(delim)}, "
        f"quote='\"', escape='\"', ignore_errors=true, store_rejects=true, "
        f"rejects_table='{rej}', rejects_scan='{scan}', max_line_size=33554432)"
    )
    try:
        rejected = con.execute(
            f"SELECT line_byte_position, first(error_type::VARCHAR) FROM {rej} "
            f"GROUP BY ALL ORDER BY 1"
        ).fetchall()
        good_count = con.execute(f"SELECT count(*) FROM {raw}").fetchone()[0]
        n_records = len(recs.starts) - 1
        # DuckDB's line_byte_position is 1-based; 'right' also tolerates a 0-based one.
        pos = np.array([r[0] for r in rejected], dtype=np.int64)
        rej_idx = np.unique(np.searchsorted(recs.starts, pos, side="right") - 1)
        rej_idx = rej_idx[rej_idx >= 1]
        is_good = np.ones(n_records + 1, dtype=bool)
        is_good[0] = False
        is_good[rej_idx] = False
        good_idx = np.flatnonzero(is_good)
        if len(good_idx) != good_count:
            log.warning(
                "%s: record layout differs from DuckDB's (%d vs %d rows); "
                "_source_row holds record numbers instead of line numbers",
                src, len(good_idx), good_count,
            )
            good_lines = np.arange(2, good_count + 2, dtype=np.int64)
            rej_idx = np.zeros(0, dtype=np.int64)
        else:
            good_lines = recs.lines[good_idx].astype(np.int64)
        lines_tbl = pa.table({"_source_row": pa.array(good_lines, pa.int64())})
        bad_tbl = _rejected_table(data, recs, rej_idx, delim, n)
        names = ", ".join(f'c{i} AS "{_ident(c)}"' for i, c in enumerate(columns))
        con.register(f"{raw}_lines", lines_tbl)
        con.register(f"{raw}_bad", bad_tbl)
        good = (
            f"SELECT {names}, _source_row, NULL::VARCHAR AS _read_error "
            f"FROM {raw} POSITIONAL JOIN {raw}_lines"
        )
        query = good if not len(rej_idx) else (
            f"SELECT * FROM ({good} UNION ALL SELECT {names}, _source_row, _read_error "
            f"FROM {raw}_bad) ORDER BY _source_row"
        )
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{_ident(table_name)}" AS {query}')
        return len(rej_idx)
    finally:
        for view in (f"{raw}_lines", f"{raw}_bad"):
            con.unregister(view)
        for t in (raw, rej, scan):
            con.execute(f"DROP TABLE IF EXISTS {t}")


def _rejected_table(data: np.ndarray, recs: _Records, idx: np.ndarray, delim: str, n: int):
    """Rows DuckDB refused, re-parsed field by field, padded or cut to the header's width."""
    import pyarrow as pa

    cols: list[list[str | None]] = [[] for _ in range(n)]
    errors, lines = [], []
    for i in idx.tolist():
        fields = parse_record(_record_text(data, int(recs.starts[i]), int(recs.ends[i])), delim)
        found = len(fields)
        errors.append(
            f"expected {n} fields, found {found}" if found != n else "malformed quoting"
        )
        lines.append(int(recs.lines[i]))
        padded = (fields + [None] * n)[:n]
        for c, v in zip(cols, padded, strict=True):
            c.append(v if v != "" else None)
    arrays = {f"c{i}": pa.array(c, pa.string()) for i, c in enumerate(cols)}
    arrays["_source_row"] = pa.array(lines, pa.int64())
    arrays["_read_error"] = pa.array(errors, pa.string())
    return pa.table(arrays)


def _ident(name: str) -> str:
    return name.replace('"', '""')

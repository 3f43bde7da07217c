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

from crmine.engine.quoting import quote_identifier, quote_literal
from crmine.errors import InputError
from crmine.io.encoding import CHUNK, needs_transcoding, sniff_encoding, transcode_to_utf8
from crmine.io.headers import unique_headers

log = logging.getLogger(__name__)

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_RECORDS = 50
_SNIFF_BYTES = 1 << 18


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


def _quote_events(data: np.ndarray, delimiter: str | None) -> np.ndarray:
    """Positions where a quoted field opens or closes, alternating open, close, ...

    Without a delimiter every quote counts (parity). With one, as DuckDB reads it, quotes
    are taken in runs of consecutive quotes: pairs inside a run are escaped quotes, so only
    a run of odd length can open a field (at the field's start: after a delimiter or a line
    break) or close it (before a delimiter, a line break or the end). Any other quote is
    text (``5" screen``).
    """
    q = np.flatnonzero(data == 34)
    if delimiter is None or not len(q):
        return q
    n = len(data)
    first = np.concatenate(([0], np.flatnonzero(np.diff(q) != 1) + 1))
    length = np.diff(np.concatenate((first, [len(q)])))
    start, end = q[first], q[first + length - 1]
    odd = length % 2 == 1
    start, end = start[odd], end[odd]
    bom = 3 if n >= 3 and data[:3].tobytes() == b"\xef\xbb\xbf" else 0
    prev = data[np.maximum(start - 1, 0)].astype(np.int16)
    prev[start == bom] = 10  # the start of the file is a line start
    nxt = data[np.minimum(end + 1, n - 1)].astype(np.int16)
    nxt[end == n - 1] = 10
    d = ord(delimiter)

    def boundary(b: np.ndarray) -> np.ndarray:
        return (b == 10) | (b == 13) | (b == d)

    opens, closes = boundary(prev), boundary(nxt)
    keep = opens | closes
    pos, o, c = end[keep], opens[keep], closes[keep]
    want_open = np.arange(len(pos)) % 2 == 0
    if np.array_equal(o & ~c, want_open) and np.array_equal(c & ~o, ~want_open):
        return pos  # the usual case: open, close, open, close, ...
    return _alternate(pos, o, c)


def _alternate(pos: np.ndarray, opens: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """Keep the first open outside a field and the first close inside one (messy files)."""
    out: list[int] = []
    inside = False
    for p, is_open, is_close in zip(pos.tolist(), opens.tolist(), closes.tolist(), strict=True):
        if (not inside and is_open) or (inside and is_close):
            out.append(p)
            inside = not inside
    return np.asarray(out, dtype=np.int64)


def scan_records(data: np.ndarray, delimiter: str | None = None) -> _Records:
    """Split ``data`` (UTF-8 bytes) into records: a newline ends one unless inside quotes."""
    nl = np.flatnonzero(data == 10)
    events = _quote_events(data, delimiter)
    # An odd number of quote events before a newline means it sits inside a quoted field.
    term = nl[np.searchsorted(events, nl) % 2 == 0]
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
        open_quote=len(events) % 2 == 1,
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
        if _mixed_line_breaks(src):
            fixed = Path(tmp) / "lf.csv"
            normalise_line_breaks(src, fixed)
            src = fixed
        result = _read_utf8(con, path, src, table_name, sniffed.encoding, delimiter)
    return result, sniffed.sha256


def _mixed_line_breaks(path: Path) -> bool:
    """True when the file has a lone CR (old Mac, or stray) or mixes CRLF with LF.

    DuckDB treats a lone CR as a line break and stumbles on mixed styles, so such files are
    rewritten with LF only; a lone CR then counts as a line break, as editors show it.
    """
    if not path.stat().st_size:
        return False
    data = np.memmap(path, dtype=np.uint8, mode="r")
    cr = np.flatnonzero(data == 13)
    if not len(cr):
        return False
    lf_after = data[np.minimum(cr + 1, len(data) - 1)] == 10
    lf_after[cr == len(data) - 1] = False
    if not lf_after.all():
        return True
    return int(np.count_nonzero(data == 10)) != len(cr)


def normalise_line_breaks(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` with CRLF and lone CR turned into LF, chunk by chunk."""
    carry = b""
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(CHUNK):
            chunk = carry + chunk
            carry = b"\r" if chunk.endswith(b"\r") else b""
            if carry:
                chunk = chunk[:-1]
            fout.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        fout.write(carry.replace(b"\r", b"\n"))


def _read_utf8(
    con, path: Path, src: Path, table_name: str, encoding: str, delimiter: str | None
) -> DelimitedResult:
    data = np.memmap(src, dtype=np.uint8, mode="r") if src.stat().st_size else np.zeros(0, np.uint8)
    head = data[:_SNIFF_BYTES]
    first = scan_records(head)
    texts = [
        _record_text(head, int(s), int(e))
        for s, e in zip(first.starts[:_SNIFF_RECORDS], first.ends[:_SNIFF_RECORDS], strict=True)
    ]
    if len(head) == _SNIFF_BYTES and len(texts) > 2:
        texts = texts[:-1]  # the last one may be cut at the sniffing window
    if not texts or not texts[0].strip():
        raise InputError(f"{path} is empty (no header line)")
    prefer = "\t" if path.suffix.lower() == ".tsv" else None
    delim = delimiter or sniff_delimiter(texts, prefer)
    if len(delim) != 1:
        raise InputError(f"{path}: the delimiter must be one character, got {delim!r}")
    recs = scan_records(data, delim)
    texts = [_record_text(data, int(recs.starts[0]), int(recs.ends[0]))]
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
    bad = _load(con, src, path, table_name, delim, columns, data, recs)
    rows = len(recs.starts) - 1
    return DelimitedResult(encoding, delim, rows, columns, bad)


def _load(con, src: Path, display: Path, table_name: str, delim: str, columns: list[str],
          data: np.ndarray, recs: _Records) -> int:
    """Read with DuckDB straight into the output table, then number and complete it.

    The good rows land in file order, so a row's ``rowid`` is its rank among them; line
    numbers are set by ``rowid`` (no second copy of the data). Rows DuckDB rejected are
    re-parsed from their bytes and inserted, and only then is the table re-sorted.
    """
    import pyarrow as pa

    n = len(columns)
    tag = uuid.uuid4().hex[:12]
    rej, scan, view = f"_crmine_rej_{tag}", f"_crmine_scan_{tag}", f"_crmine_lines_{tag}"
    out = quote_identifier(table_name)
    tmp = [f"_c{tag}_{i}" for i in range(n)]
    spec = ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in tmp)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM read_csv($path, "
        f"header=true, auto_detect=false, columns={{{spec}}}, delim=$delim, "
        f"quote='\"', escape='\"', ignore_errors=true, store_rejects=true, "
        f"rejects_table={quote_literal(rej)}, rejects_scan={quote_literal(scan)}, "
        f"max_line_size=33554432)",
        {"path": str(src), "delim": delim},
    )
    try:
        rejected = con.execute(
            f"SELECT line_byte_position, line, first(csv_line) FROM {rej} GROUP BY ALL ORDER BY 1"
        ).fetchall()
    finally:
        for t in (rej, scan):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    good_count = con.execute(f"SELECT count(*) FROM {out}").fetchone()[0]
    good_lines, bad = _numbering(data, recs, rejected, good_count, display)
    for c, name in zip(tmp, columns, strict=True):
        con.execute(f"ALTER TABLE {out} RENAME COLUMN {c} TO {quote_identifier(name)}")
    con.execute(f"ALTER TABLE {out} ADD COLUMN _source_row BIGINT")
    con.execute(f"ALTER TABLE {out} ADD COLUMN _read_error VARCHAR")
    # Rows written inside an open transaction get rowids from a high base: count from it.
    base = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {out}").fetchone()[0]
    if np.array_equal(good_lines, np.arange(2, good_count + 2)):
        con.execute(f"UPDATE {out} SET _source_row = rowid - {base} + 2")  # a line per record
    else:
        lines = pa.table({
            "i": pa.array(np.arange(good_count), pa.int64()),
            "line": pa.array(good_lines, pa.int64()),
        })
        with con.temp_table(view, lines):
            con.execute(f"UPDATE {out} SET _source_row = v.line FROM {view} v "
                        f"WHERE {out}.rowid - {base} = v.i")
    if bad:
        with con.temp_table(view, _rejected_table(bad, delim, n)):
            con.execute(f"INSERT INTO {out} SELECT * FROM {view}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM {out} "
                    f"ORDER BY _source_row")
    return len(bad)


def _numbering(
    data: np.ndarray, recs: _Records, rejected: list[tuple[int, int, str]], good_count: int,
    display: Path,
) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Line numbers of the good rows, and (line, raw text) of each rejected record."""
    n_records = len(recs.starts) - 1
    # DuckDB's line_byte_position is 1-based; 'right' also tolerates a 0-based one.
    pos = np.array([r[0] for r in rejected], dtype=np.int64)
    rej_idx = np.unique(np.searchsorted(recs.starts, pos, side="right") - 1)
    rej_idx = rej_idx[rej_idx >= 1]
    is_good = np.ones(n_records + 1, dtype=bool)
    is_good[0] = False
    is_good[rej_idx] = False
    good_idx = np.flatnonzero(is_good)
    if len(good_idx) == good_count:
        bad = [(int(recs.lines[i]), _record_text(data, int(recs.starts[i]), int(recs.ends[i])))
               for i in rej_idx.tolist()]
        return recs.lines[good_idx].astype(np.int64), bad
    log.warning(
        "%s: could not match DuckDB's records to lines (%d vs %d rows); _source_row "
        "counts records instead of lines", display, len(good_idx), good_count,
    )
    return _fallback_numbering(rejected, good_count)


def _fallback_numbering(
    rejected: list[tuple[int, int, str]], good_count: int
) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Record numbers from DuckDB's own count, for files whose layout the scan misreads.

    Rejected rows keep DuckDB's ``line``; good rows take the remaining numbers from 2 up,
    in order, so every row still has a unique ``_source_row``.
    """
    bad = sorted({(int(line), text) for _, line, text in rejected})
    taken = np.array(sorted({line for line, _ in bad}), dtype=np.int64)
    candidates = np.arange(2, good_count + len(taken) + 2, dtype=np.int64)
    free = candidates[~np.isin(candidates, taken)]
    return free[:good_count], bad


def _rejected_table(bad: list[tuple[int, str]], delim: str, n: int):
    """Rows DuckDB refused, re-parsed field by field, padded or cut to the header's width."""
    import pyarrow as pa

    cols: list[list[str | None]] = [[] for _ in range(n)]
    errors, lines = [], []
    for line, text in bad:
        fields = parse_record(text, delim)
        found = len(fields)
        errors.append(
            f"expected {n} fields, found {found}" if found != n else "malformed quoting"
        )
        lines.append(line)
        padded = (fields + [None] * n)[:n]
        for c, v in zip(cols, padded, strict=True):
            c.append(v if v != "" else None)
    arrays = {f"c{i}": pa.array(c, pa.string()) for i, c in enumerate(cols)}
    arrays["_source_row"] = pa.array(lines, pa.int64())
    arrays["_read_error"] = pa.array(errors, pa.string())
    return pa.table(arrays)

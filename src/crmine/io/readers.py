"""Read a source file into a DuckDB table of text columns, whatever its format.

The output is a temporary DuckDB table ``table_name`` (the raw stage of an ingest, so it
lives in memory, not in the warehouse file) with one row per data row of the file: every
source column as VARCHAR (named by the file's header, made unique and non-empty), plus

- ``_source_row`` BIGINT: the row number a person sees in the file (CSV: physical line of
  the record's first line, header = line 1; Excel: the sheet row; Parquet: 1-based index);
- ``_read_error`` VARCHAR: NULL for good rows; for a CSV record with the wrong number of
  fields or broken quoting, the reason (``expected 8 fields, found 5``). Such rows are kept
  (fields padded or cut to the header's width) so that ingest can quarantine them.

Typing is left to the value parsers: a Parquet double 17850.0 becomes the text '17850.0'.

CSV line breaks may be LF, CRLF or a lone CR (counted as a line break, as editors show it);
a quote in the middle of an unquoted field (``5" screen``) is text, as DuckDB reads it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from crmine.engine.quoting import quote_identifier
from crmine.errors import InputError
from crmine.io.delimited import read_delimited
from crmine.io.encoding import CHUNK
from crmine.io.headers import unique_headers

Format = Literal["csv", "excel", "parquet"]
FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class SourceInfo:
    """What was read, for the ingest log and for "same file ingested twice" checks."""

    path: Path
    format: Format
    encoding: str | None
    delimiter: str | None
    rows: int
    columns: list[str]
    sha256: str
    sheet: str | None = None
    bad_rows: int = 0  # rows with a non-NULL _read_error


def read_source(
    con,
    path: str | Path,
    table_name: str,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> SourceInfo:
    """Create (or replace) ``table_name`` in ``con`` from the file at ``path``."""
    path = Path(path)
    fmt = _check_path(path)
    if fmt == "csv":
        res, digest = read_delimited(con, path, table_name, encoding=encoding, delimiter=delimiter)
        return SourceInfo(path, fmt, res.encoding, res.delimiter, res.rows, res.columns, digest,
                          bad_rows=res.bad_rows)
    digest = _sha256(path)
    if fmt == "parquet":
        columns, rows = _read_parquet(con, path, table_name)
        return SourceInfo(path, fmt, None, None, rows, columns, digest)
    columns, rows, sheet_name = _read_excel(con, path, table_name, sheet)
    return SourceInfo(path, fmt, None, None, rows, columns, digest, sheet=sheet_name)


def _check_path(path: Path) -> Format:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a file")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unsupported file type {path.suffix or '(no suffix)'!r}; "
            f"expected one of {', '.join(sorted(FORMATS))}"
        )
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty (0 bytes)")
    return fmt


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _read_parquet(con, path: Path, table_name: str) -> tuple[list[str], int]:
    from crmine.engine.base import EngineError

    src = "read_parquet($path, file_row_number=true)"  # the path is a bound parameter
    params = {"path": str(path)}
    try:
        names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}", params).fetchall()]
    except EngineError as e:
        raise InputError(f"{path}: not a readable Parquet file ({str(e).splitlines()[0]})") from None
    names = [n for n in names if n != "file_row_number"]
    columns = unique_headers(names)
    select = ", ".join(
        f"CAST({quote_identifier(src_name)} AS VARCHAR) AS {quote_identifier(out)}"
        for src_name, out in zip(names, columns, strict=True)
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {quote_identifier(table_name)} AS SELECT {select}, "
        f"file_row_number + 1 AS _source_row, NULL::VARCHAR AS _read_error "
        f"FROM {src} ORDER BY file_row_number",
        params,
    )
    rows = con.execute(f"SELECT count(*) FROM {quote_identifier(table_name)}").fetchone()[0]
    if rows == 0:
        raise InputError(f"{path} has a header but no rows")
    return columns, rows


def _cell_text(v: object) -> str | None:
    """Excel cell → text; integral floats keep one decimal, like a Parquet double cast."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e16:
            return f"{v:.1f}"
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    return str(v)


def _read_excel(
    con, path: Path, table_name: str, sheet: str | int | None
) -> tuple[list[str], int, str]:
    import pyarrow as pa
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except Exception as e:  # calamine raises its own error types for corrupt files
        raise InputError(f"{path}: not a readable Excel file ({e})") from None
    names = wb.sheet_names
    if sheet is None:
        name = names[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise InputError(f"{path}: no sheet number {sheet}; it has {len(names)} sheet(s)")
        name = names[sheet]
    elif sheet in names:
        name = sheet
    else:
        raise InputError(f"{path}: no sheet {sheet!r}; sheets: {', '.join(names)}")
    grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    texts = [[_cell_text(v) for v in row] for row in grid]
    header_at = next((i for i, row in enumerate(texts) if any(c is not None for c in row)), None)
    if header_at is None:
        raise InputError(f"{path}: sheet {name!r} is empty")
    body = [(i + 1, row) for i, row in enumerate(texts[header_at + 1 :], start=header_at + 1)
            if any(c is not None for c in row)]
    if not body:
        raise InputError(f"{path}: sheet {name!r} has a header but no rows")
    header = texts[header_at]
    width = max(len(header), *(len(r) for _, r in body))
    # Keep a column when it has a header or any value; drop fully empty margins.
    keep = [
        j for j in range(width)
        if (j < len(header) and header[j] is not None)
        or any(j < len(r) and r[j] is not None for _, r in body)
    ]
    columns = unique_headers([header[j] if j < len(header) else None for j in keep])
    data = {
        f"c{k}": pa.array([r[j] if j < len(r) else None for _, r in body], pa.string())
        for k, j in enumerate(keep)
    }
    data["_source_row"] = pa.array([i for i, _ in body], pa.int64())
    view = f"_crmine_xl_{abs(hash((str(path), table_name)))}"
    with con.temp_table(view, pa.table(data)):
        select = ", ".join(f"c{k} AS {quote_identifier(c)}" for k, c in enumerate(columns))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {quote_identifier(table_name)} AS SELECT {select}, "
            f"_source_row, NULL::VARCHAR AS _read_error FROM {view}"
        )
    return columns, len(body), name

"""PostgreSQL as a source and a destination, through psycopg.

Sources: ``postgresql://user@host:port/db?table=T`` (or ``?query=SELECT …``) is streamed out
of the server with ``COPY (…) TO STDOUT`` into a CSV file, in bounded memory, and that file
goes through the same reader, mapping, cleaning and quarantine as any export; row numbers in
the quarantine are rows of the query's result.

Destinations: :func:`upsert` bulk-loads a frame into a temporary staging table with ``COPY``
and merges it with one ``INSERT … ON CONFLICT (key) DO UPDATE``, so a second export of the
same rows changes nothing; a table without a key is replaced inside one transaction. (Rows
are never merged one by one: that costs seconds per row on a large table.)

Credentials come from the URL or from libpq's own variables (``PGPASSWORD``, ``~/.pgpass``);
they are never printed: every message shows :func:`redacted` URLs.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from crmine.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa

SCHEMES = ("postgresql://", "postgres://")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")

#: published logical types → PostgreSQL column types (lists travel as JSON)
PG_TYPES = {"string": "text", "integer": "bigint", "float": "double precision",
            "boolean": "boolean", "date": "date", "timestamp": "timestamp",
            "list[string]": "jsonb"}  # fmt: skip


def is_url(text: str | Path) -> bool:
    return str(text).startswith(SCHEMES)


def redacted(url: str) -> str:
    """The URL with any password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class Target:
    conninfo: str  # the URL without crmine's own query parameters
    table: str | None
    query: str | None
    label: str  # redacted, for messages


def parse_url(url: str) -> Target:
    """Split ``url`` into the connection and the ``table`` or ``query`` it names."""
    parts = urlsplit(url)
    params = parse_qs(parts.query, keep_blank_values=True)
    table = (params.pop("table", [None]) or [None])[0]
    query = (params.pop("query", [None]) or [None])[0]
    rest = "&".join(f"{k}={v}" for k, vals in params.items() for v in vals)
    conninfo = urlunsplit(parts._replace(query=rest))
    label = redacted(url)
    if table is not None and not _NAME.match(table):
        raise InputError(f"{label}: table={table!r} is not a plain table name (schema.table)")
    return Target(conninfo, table, query, label)


def _connect(target: Target):
    import psycopg

    try:
        return psycopg.connect(target.conninfo, connect_timeout=10)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or ["connection failed"])[-1]
        raise InputError(f"cannot connect to {target.label}: {redacted(first)}") from None


def dump_to_csv(url: str, path: Path) -> str:
    """Stream the URL's table or query into ``path`` as CSV with a header; returns its label."""
    import psycopg
    from psycopg import sql

    target = parse_url(url)
    if (target.table is None) == (target.query is None):
        raise InputError(f"{target.label}: say what to read with ?table=NAME or ?query=SELECT …")
    source = (sql.SQL("SELECT * FROM {}").format(sql.Identifier(*target.table.split(".")))
              if target.table else sql.SQL(target.query))  # fmt: skip
    copy = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true)").format(source)
    with _connect(target) as con, con.cursor() as cur, path.open("wb") as out:
        try:
            with cur.copy(copy) as stream:
                for chunk in stream:
                    out.write(chunk)
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or ["query failed"])[0]
            raise InputError(f"{target.label}: {first}") from None
    return target.label


def upsert(url: str, data: pa.Table, key: tuple[str, ...],
           types: dict[str, str] | None = None) -> tuple[str, int]:
    """Merge ``data`` into the URL's table (created when absent); returns (label, rows).

    ``key`` columns identify a row (a primary key on a new table); without a key the table's
    rows are replaced. ``types`` gives PostgreSQL types by column (others follow Arrow's).
    """
    import psycopg
    from psycopg import sql

    target = parse_url(url)
    if target.table is None or target.query is not None:
        raise InputError(f"{target.label}: name the table to write with ?table=NAME")
    columns = list(data.column_names)
    pg_types = {c: (types or {}).get(c) or _arrow_type(data.schema.field(c).type) for c in columns}
    table = sql.Identifier(*target.table.split("."))
    ident = {c: sql.Identifier(c) for c in columns}
    col_list = sql.SQL(", ").join(ident[c] for c in columns)
    with _connect(target) as con:
        try:
            with con.transaction(), con.cursor() as cur:
                definitions = [sql.SQL("{} {}").format(ident[c], sql.SQL(pg_types[c]))
                               for c in columns]  # fmt: skip
                if key:
                    definitions.append(sql.SQL("PRIMARY KEY ({})").format(
                        sql.SQL(", ").join(ident[k] for k in key)))
                cur.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
                    table, sql.SQL(", ").join(definitions)))
                for c in columns:  # a column added since the table was made
                    cur.execute(sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                        table, ident[c], sql.SQL(pg_types[c])))
                cur.execute(sql.SQL(
                    "CREATE TEMP TABLE _crmine_stage ON COMMIT DROP AS "
                    "SELECT {} FROM {} WITH NO DATA").format(col_list, table))
                with cur.copy(sql.SQL("COPY _crmine_stage ({}) FROM STDIN WITH (FORMAT csv, "
                                      "HEADER true)").format(col_list)) as copy:  # fmt: skip
                    copy.write(_csv_bytes(data))
                if key:
                    others = [c for c in columns if c not in key]
                    update = (sql.SQL("DO UPDATE SET {}").format(sql.SQL(", ").join(
                        sql.SQL("{} = EXCLUDED.{}").format(ident[c], ident[c]) for c in others))
                        if others else sql.SQL("DO NOTHING"))  # fmt: skip
                    cur.execute(sql.SQL(
                        "INSERT INTO {} ({}) SELECT {} FROM _crmine_stage ON CONFLICT ({}) {}"
                    ).format(table, col_list, col_list,
                             sql.SQL(", ").join(ident[k] for k in key), update))
                else:
                    cur.execute(sql.SQL("DELETE FROM {}").format(table))
                    cur.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM _crmine_stage").format(
                        table, col_list, col_list))
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or ["write failed"])[0]
            raise InputError(f"{target.label}: {first}") from None
    return target.label, data.num_rows


def without_password(url: str) -> str:
    """The URL with any password left out (what crmine may keep on disk): libpq then finds
    it in ``PGPASSWORD`` or ``~/.pgpass`` when the URL is used again."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", "@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def delete_rows(url: str, column: str, values: list[str]) -> tuple[str, int]:
    """Delete the rows of the URL's table whose ``column`` (as text) is one of ``values``, in
    one statement; returns (label, rows deleted). A table that no longer exists holds none."""
    import psycopg
    from psycopg import sql

    target = parse_url(url)
    if target.table is None:
        raise InputError(f"{target.label}: name the table with ?table=NAME")
    with _connect(target) as con:
        try:
            with con.transaction(), con.cursor() as cur:
                cur.execute("SELECT to_regclass(%s)", [target.table])
                if cur.fetchone()[0] is None:
                    return target.label, 0
                cur.execute(sql.SQL("DELETE FROM {} WHERE CAST({} AS text) = ANY(%s)").format(
                    sql.Identifier(*target.table.split(".")), sql.Identifier(column)),
                    [list(values)])  # fmt: skip
                return target.label, cur.rowcount
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or ["delete failed"])[0]
            raise InputError(f"{target.label}: {first}") from None


def _arrow_type(t: Any) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "bigint"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "double precision"
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz else "timestamp"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_struct(t):
        return "jsonb"
    return "text"


def _csv_bytes(data: pa.Table) -> bytes:
    """The table as CSV for COPY: nested values as JSON text, NULL as an empty unquoted field."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = []
    for name in data.column_names:
        col = data.column(name)
        if pa.types.is_list(col.type) or pa.types.is_large_list(col.type) or pa.types.is_struct(
                col.type):
            col = pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                            for v in col.to_pylist()], pa.string())  # fmt: skip
        columns.append(col)
    table = pa.table(columns, names=data.column_names)
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=True,
                                                      quoting_style="needed"))
    return buffer.getvalue()

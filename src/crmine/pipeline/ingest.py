"""Load one source file into a canonical table, quarantining every row that cannot be loaded.

All set-based work happens in DuckDB: the reader lands the file as text columns, the
column mapper picks which header feeds each canonical column, the value parsers become SQL
expressions, and one statement decides per row whether it loads or why it does not.
Everything is done in one transaction, so a failed ingest leaves the warehouse unchanged,
and ``read = loaded + quarantined`` holds for every file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from crmine.engine.quoting import quote_identifier, quote_literal
from crmine.engine.workspace import Workspace
from crmine.errors import CrmineError, InputError
from crmine.pipeline.clean import (
    apply_customer_merges,
    check_pseudonymised,
    clean_customers,
    personal_columns,
    pseudonymise_staged,
    quarantined_values,
    unify_table_categories,
)
from crmine.pipeline.currency import unify_currency
from crmine.pipeline.customer_facts import lift_customer_facts
from crmine.quality import quarantine
from crmine.quality.tombstones import ERASED, mark_erased
from crmine.schema import Column, Table, table

if TYPE_CHECKING:
    from crmine.engine.base import Engine
    from crmine.io.mapping import ColumnMapping

log = logging.getLogger(__name__)

RAW = "_ingest_raw"
STAGED = "_ingest_staged"
PARSED = "_ingest_parsed"
SAMPLE_SIZE = 20_000  # distinct values a parser's format is inferred from
SAMPLE_ROWS = 100_000  # rows they are drawn from (the whole file when smaller)


@dataclass
class IngestResult:
    entity: str
    source: str  # the file's path, or the database URL with any password hidden
    read: int
    loaded: int
    quarantined: dict[str, int]
    mapping: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: bool = False

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())


def ingest(ws: Workspace, entity: str, path: str | Path) -> IngestResult:
    """Load ``path`` (a file, or a ``postgresql://…?table=T`` URL) as ``entity``."""
    from crmine.io.postgres import is_url

    spec = _entity(entity)
    with ws.lock(f"crmine ingest {spec.name}"):
        if is_url(path):
            return _ingest_database(ws, spec, str(path))
        path = Path(path).expanduser().resolve()
        return _ingest_file(ws, spec, path, str(path))


def _ingest_file(ws: Workspace, spec: Table, path: Path, label: str) -> IngestResult:
    with ws.connect() as con:
        quarantine.ensure_tables(con)
        with con.transaction():
            result = _ingest(con, ws, spec, path, label)
            con.execute(f"DROP TABLE IF EXISTS {RAW}")
            con.execute(f"DROP TABLE IF EXISTS {STAGED}")
    return result


def _ingest_database(ws: Workspace, spec: Table, url: str) -> IngestResult:
    """A database table or query, streamed to a CSV file and loaded like any export (the
    quarantine names the URL, its row numbers are rows of the result)."""
    import tempfile

    from crmine.io.postgres import dump_to_csv

    with tempfile.TemporaryDirectory(prefix="crmine-pg-") as tmp:
        csv = Path(tmp) / f"{spec.name}.csv"
        label = dump_to_csv(url, csv)
        return _ingest_file(ws, spec, csv, label)


def _entity(name: str) -> Table:
    try:
        return table(name)
    except KeyError as exc:
        raise CrmineError(str(exc).strip("'\"")) from None


def _ingest(con: Engine, ws: Workspace, spec: Table, path: Path, label: str) -> IngestResult:
    from crmine.io.guess import complete_customer, complete_order_id
    from crmine.io.mapping import require
    from crmine.io.readers import read_source

    info = read_source(con, path, RAW)
    seen = con.execute(
        "SELECT ingested_at FROM ingest_log WHERE entity = ? AND sha256 = ?",
        [spec.name, info.sha256],
    ).fetchone()
    if seen:
        return IngestResult(
            spec.name, label, info.rows, 0, {}, skipped=True,
            notes=[f"already ingested on {seen[0]:%Y-%m-%d %H:%M} (same content): nothing to do"],
        )
    notes: list[str] = []
    samples = _Samples(con)
    mapping = _checked_mapping(con, ws, spec, info.columns, samples, notes)
    mapping = complete_order_id(con, RAW, complete_customer(con, RAW, mapping, notes), notes)
    mapping = require(mapping)
    if info.encoding and info.format == "csv":
        notes.append(f"read as {info.format}, encoding {info.encoding}, delimiter {info.delimiter!r}")
    _stage(con, ws, spec, mapping, samples, notes, info.sha256)
    if spec.name == "orders":
        notes += unify_currency(con, STAGED, ws.config.currency, ws.config.workspace.currency)
    check_pseudonymised(con, ws.config)
    personal = personal_columns(spec.name, mapping, ws.config.privacy.pseudonymise)
    key = ws.secret_key(create=bool(personal))
    if personal:
        assert key is not None
        notes += pseudonymise_staged(con, STAGED, personal, ws.config, key)
    _mark_duplicates(con, spec, mapping)
    erased = mark_erased(con, STAGED, key)
    if erased:
        notes.append(f"{erased:,} rows of erased customers left out (quarantined as erased, "
                     "without their values)")
    _append(con, spec, mapping, label, quarantined_values(mapping, personal, key, "s", "r"))
    if spec.name == "orders":
        notes += lift_customer_facts(con, STAGED, mapping, label)
    if spec.name == "customers":
        notes += clean_customers(con, ws.config, label)
    if spec.name in ("orders", "products"):
        notes += unify_table_categories(con, spec.name)
    apply_customer_merges(con)
    counts = quarantine.reason_counts(con, STAGED)
    loaded = con.execute(f"SELECT count(*) FROM {STAGED} WHERE _reason IS NULL").fetchone()[0]
    quarantined = sum(counts.values())
    if loaded + quarantined != info.rows:  # the promise of the whole design: never lose a row
        raise RuntimeError(
            f"row accounting failed for {label}: read {info.rows}, loaded {loaded}, "
            f"quarantined {quarantined}"
        )
    con.execute(
        "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, now())",
        [spec.name, label, info.sha256, info.rows, loaded, quarantined],
    )
    notes += _after_load_notes(con, spec)
    return IngestResult(spec.name, label, info.rows, int(loaded), counts, mapping.describe(), notes)


def _checked_mapping(
    con: Engine,
    ws: Workspace,
    spec: Table,
    headers: list[str],
    samples: _Samples,
    notes: list[str],
) -> ColumnMapping:
    """The header mapping with every guess checked against its values.

    A guess whose values do not fit (a count named like a date) is refused and the mapping
    made again, so the next-best header gets its chance; the refused header stays an
    attribute. Only what the user wrote in ``[ingest.columns]`` is taken unchecked: that
    alone may stop an ingest.
    """
    from crmine.io.guess import column_profiles, unfit_guess
    from crmine.io.headers import RESERVED
    from crmine.io.mapping import auto_map

    overrides = ws.config.ingest.columns.get(spec.name)
    written = set(overrides or {})
    refused: set[tuple[str, str]] = set()
    reasons: dict[str, str] = {}
    kinds = {c.name: c.type for c in spec.columns}
    profiles = column_profiles(con, RAW, [h for h in headers if h not in RESERVED])
    while True:
        mapping = auto_map(headers, spec, overrides, refused)
        unfit = [
            (col, header, why)
            for col, header in mapping.canonical.items()
            if col not in written
            and (why := unfit_guess(kinds[col], samples(header), col in mapping.partial,
                                    ws.config.ingest.dayfirst, profiles[header].filled_share,
                                    spec.column(col).row_required))
        ]  # fmt: skip
        flagged = {(col, header) for col, header, _ in unfit}
        unfit += [u for u in _unfit_for_orders(con, spec, mapping, written, profiles)
                  if u[:2] not in flagged]  # fmt: skip
        if not unfit:
            mapping.refused = reasons
            return mapping
        for col, header, why in unfit:
            notes.append(f"{header} is not taken as {col}: {why}; kept as an attribute")
            reasons.setdefault(col, f"{header!r} is not taken as {col}: {why}")
            refused.add((col, header))


#: an order line amount filled on fewer lines than this, beside quantity and unit price
#: filled on nearly all, is an order-level total written on an order's first line
SPARSE_AMOUNT_SHARE = 0.5


def _unfit_for_orders(con: Engine, spec: Table, mapping: ColumnMapping, written: set[str],
                      profiles: dict) -> list[tuple[str, str, str]]:  # fmt: skip
    """Order-line guesses that only the values across columns can refuse.

    * ``status``: a status column only serves to mark cancellations and refunds; one none of
      whose values says so (``paid``, ``fulfilled``) is not taken, so another status column
      (Shopify has a financial and a fulfilment status) can be.
    * ``amount``: filled on few lines while quantity and unit price fill nearly all: it is
      the order's total on its first line, and the line amount is quantity × unit price.
    """
    from crmine.quality.returns import status_sql

    if spec.name != "orders":
        return []
    out = []
    status = mapping.canonical.get("status")
    if status is not None and "status" not in written:
        marked = con.scalar(f"SELECT count(*) FILTER (WHERE {status_sql(quote_identifier(status))}) "
                            f"FROM {RAW}")  # fmt: skip
        if not marked:
            out.append(("status", status, "none of its values marks a cancellation, refund or "
                        "return"))  # fmt: skip
    amount = mapping.canonical.get("amount")
    parts = [mapping.canonical.get(c) for c in ("quantity", "unit_price")]
    if amount is not None and "amount" not in written and all(parts):
        share = profiles[amount].filled_share
        if share < SPARSE_AMOUNT_SHARE and min(profiles[p].filled_share for p in parts) >= 0.9:
            out.append(("amount", amount, f"it is filled on only {share:.0%} of the lines (an "
                        "order total?), so each line's amount is quantity × unit price"))
    return out


# --- parsing -----------------------------------------------------------------------------


class _Samples:
    """Distinct non-blank values of each column, drawn evenly from the whole file.

    Every k-th row (k chosen to look at about SAMPLE_ROWS rows) rather than the first rows,
    so a format that appears only late in a file is still seen; cheaper than a reservoir.
    Each column is read once per ingest and shared by the mapping checks and the parsers.
    """

    def __init__(self, con: Engine) -> None:
        self._con = con
        rows = con.execute(f"SELECT count(*) FROM {RAW}").fetchone()[0]
        self._stride = max(1, rows // SAMPLE_ROWS)
        self._seen: dict[str, list[str]] = {}

    def __call__(self, header: str) -> list[str]:
        if header not in self._seen:
            col = quote_identifier(header)
            found = self._con.execute(
                f"SELECT DISTINCT {col} FROM {RAW} WHERE _source_row % {self._stride} = 0 "
                f"AND nullif(trim({col}), '') IS NOT NULL LIMIT {SAMPLE_SIZE}"
            ).fetchall()
            self._seen[header] = [r[0] for r in found]
        return self._seen[header]


def _parse_expr(
    samples: _Samples, ws: Workspace, column: Column, header: str, notes: list[str]
) -> str:
    """SQL turning the raw text of ``header`` into ``column``'s type (NULL when unparseable)."""
    from crmine.io import values
    from crmine.io.dates import is_years, year_sql

    raw = quote_identifier(header)
    kind = column.type
    if kind == "id":
        return values.id_sql(raw)
    if kind == "text":
        return values.text_sql(raw)
    if kind == "bool":
        return values.bool_sql(raw)
    sample = samples(header)
    if kind in ("timestamp", "date"):
        if not sample:
            return "CAST(NULL AS TIMESTAMP)" if kind == "timestamp" else "CAST(NULL AS DATE)"
        spec = values.infer_date_spec(sample, dayfirst=ws.config.ingest.dayfirst)
        if spec.parse_rate < 0.5 and is_years(sample):
            notes.append(f"{header}: bare years (e.g. {sample[0]!r}), read as 1 January of each")
            expr = year_sql(raw)
            return expr if kind == "timestamp" else f"CAST({expr} AS DATE)"
        if spec.parse_rate < 0.5:
            examples = ", ".join(repr(s) for s in sample[:3])
            raise InputError(
                f"column {header!r} (mapped to {column.name}) holds text, not dates "
                f"(e.g. {examples}); map another column in crmine.toml [ingest.columns]"
            )
        notes += [f"{header}: {n}" for n in spec.notes()]
        expr = values.date_sql(raw, spec)
        return expr if kind == "timestamp" else f"CAST({expr} AS DATE)"
    if kind in ("float", "int"):
        spec = values.infer_number_spec(sample)
        return values.number_sql(raw, spec)
    raise AssertionError(f"unhandled column type {kind}")


def _attribute_expr(samples: _Samples, ws: Workspace, header: str) -> str:
    from crmine.io import values

    raw = quote_identifier(header)
    sample = samples(header)
    kind = values.infer_type(sample) if sample else "text"
    if kind == "bool":
        return values.bool_sql(raw)
    if kind == "float":
        return values.number_sql(raw, values.infer_number_spec(sample))
    if kind == "timestamp":
        return values.date_sql(raw, values.infer_date_spec(sample, dayfirst=ws.config.ingest.dayfirst))
    return values.text_sql(raw)


def _stage(
    con: Engine,
    ws: Workspace,
    spec: Table,
    mapping: ColumnMapping,
    samples: _Samples,
    notes: list[str],
    info_sha: str,
) -> None:
    """Build the staged table: typed canonical columns, attributes and a reason per row.

    Two passes, so that each value is parsed once: the first parses every mapped column
    (the expensive part), the second derives reasons and computed columns from the parsed
    values with cheap expressions.
    """
    first: list[str] = ["_source_row", "_read_error", f"{_raw_key(mapping)} AS _raw_key"]
    parsed: dict[str, str] = {}
    for col in spec.columns:
        header = mapping.canonical.get(col.name)
        if header is None:
            continue
        raw = quote_identifier(header)
        first += [
            f"{_parse_expr(samples, ws, col, header, notes)} AS {quote_identifier('p_' + col.name)}",
            f"nullif(trim({raw}), '') IS NOT NULL AS {quote_identifier('has_' + col.name)}",
            f"{raw} AS {quote_identifier('raw_' + col.name)}",
        ]
        parsed[col.name] = quote_identifier("p_" + col.name)
    attrs = list(mapping.attributes.values())
    first += [
        f"{_attribute_expr(samples, ws, header)} AS {quote_identifier(name)}"
        for header, name in mapping.attributes.items()
    ]
    if spec.name == "orders":
        first.append(f"{_currency_hint(mapping)} AS _currency_hint")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {PARSED} AS SELECT {', '.join(first)} FROM {RAW}")

    checks: list[tuple[str, str, str]] = [("_read_error IS NOT NULL", "'malformed line'", "_read_error")]
    for col in spec.columns:
        header = mapping.canonical.get(col.name)
        if header is None:
            continue
        has, raw = quote_identifier("has_" + col.name), quote_identifier("raw_" + col.name)
        if col.row_required:
            checks.append((f"NOT {has}", quote_literal(f"missing {col.name}"), "NULL"))
        checks.append(
            (
                f"{has} AND {parsed[col.name]} IS NULL",
                quote_literal(f"unparseable {col.name}"),
                f"{quote_literal(header + ': ')} || {raw}",
            )
        )
    checks += _entity_checks(spec, parsed)
    prefix = _return_prefix(con, ws, spec, mapping, parsed, notes)
    parsed.update(_generated_ids(spec, mapping, parsed, info_sha))
    reason = "CASE " + " ".join(f"WHEN {c} THEN {r}" for c, r, _ in checks) + " END"
    detail = "CASE " + " ".join(f"WHEN {c} THEN {d}" for c, _, d in checks) + " END"
    typed = _derived(spec, parsed, prefix)
    cols = [f"{expr} AS {quote_identifier(name)}" for name, expr in typed.items()]
    cols += [quote_identifier(a) for a in attrs]
    if spec.name == "orders":
        cols.append("_currency_hint")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGED} AS SELECT _source_row, _raw_key, "
        f"{reason} AS _reason, {detail} AS _detail, {', '.join(cols)} FROM {PARSED}"
    )
    con.execute(f"DROP TABLE {PARSED}")


def _raw_key(mapping: ColumnMapping) -> str:
    """A fingerprint of the raw row, for finding exact repeats (compared again in full)."""
    return f"hash({', '.join(quote_identifier(h) for h in mapping.headers)})"


def _raw_json(mapping: ColumnMapping, alias: str, replaced: dict[str, str]) -> str:
    """The row's raw values as JSON; ``replaced`` gives SQL for headers whose raw text must
    not be kept (pseudonymised columns)."""
    return "json_object(" + ", ".join(
        f"{quote_literal(h)}, {replaced.get(h, f'{alias}.{quote_identifier(h)}')}"
        for h in mapping.headers
    ) + ")"


def _currency_hint(mapping: ColumnMapping) -> str:
    """The currency symbol or code written next to a line's amount or price, if any."""
    from crmine.io.currency_marks import PATTERN

    mark = quote_literal("(" + PATTERN + ")")
    parts = [
        f"nullif(regexp_extract({quote_identifier(mapping.canonical[c])}, {mark}, 1), '')"
        for c in ("amount", "unit_price")
        if c in mapping.canonical
    ]
    return f"coalesce({', '.join(parts)})" if parts else "CAST(NULL AS VARCHAR)"


def _entity_checks(spec: Table, parsed: dict[str, str]) -> list[tuple[str, str, str]]:
    """Rules particular to one table, beyond "present and parseable".

    None yet: a negative price (a discount or an adjustment line) is a real money movement
    and loads; an order line without any value column still counts for frequency.
    """
    return []


def _generated_ids(
    spec: Table, mapping: ColumnMapping, parsed: dict[str, str], sha: str
) -> dict[str, str]:
    """Ids the source lacks: an order per customer and timestamp, a feedback id per row, a
    product named by its name."""
    from crmine.io.mapping import COPIED

    out = {}
    for col in mapping.derived:
        if (spec.name, col) in COPIED:
            out[col] = parsed[COPIED[(spec.name, col)]]
        elif (spec.name, col) == ("orders", "order_id"):
            out[col] = (
                f"coalesce(({parsed.get('customer_id', 'NULL')}), '?') || '@' || "
                f"strftime(({parsed['order_ts']}), '%Y-%m-%dT%H:%M:%S')"
            )
        elif col == spec.column_names[0] and col.endswith("_id"):
            out[col] = f"{quote_literal(sha[:10] + ':')} || CAST(_source_row AS VARCHAR)"
    return out


def _negative(qty: str, amount: str) -> str:
    """SQL: the line's own sign says return (a negative quantity, or amount without one)."""
    return f"(coalesce(({qty}) < 0, false) OR coalesce(({amount}) < 0 AND ({qty}) IS NULL, false))"


def _return_prefix(
    con: Engine,
    ws: Workspace,
    spec: Table,
    mapping: ColumnMapping,
    parsed: dict[str, str],
    notes: list[str],
) -> tuple[str, str] | None:
    """(SQL of the source order id, the letters that mark returns) when the data says so."""
    from crmine.quality.returns import PrefixStats, decide_prefix

    if spec.name != "orders" or "order_id" not in parsed:
        return None
    qty = parsed.get("quantity", "CAST(NULL AS DOUBLE)")
    amount = parsed.get("amount", "CAST(NULL AS DOUBLE)")
    letters = f"regexp_extract(upper(trim({parsed['order_id']})), '^[A-Z]+', 0)"
    rows = con.execute(
        f"SELECT {letters} AS p, count(*), count(*) FILTER (WHERE {_negative(qty, amount)}) "
        f"FROM {PARSED} WHERE {parsed['order_id']} IS NOT NULL GROUP BY p"
    ).fetchall()
    decision = decide_prefix([PrefixStats(p or "", int(n), int(neg)) for p, n, neg in rows],
                             ws.config.ingest.return_id_prefix)  # fmt: skip
    if decision.reason:
        notes.append(decision.reason)
    return None if decision.prefix is None else (parsed["order_id"], decision.prefix)


def _derived(spec: Table, parsed: dict[str, str], prefix: tuple[str, str] | None) -> dict[str, str]:
    """Canonical columns in schema order, with values derived where the schema says so.

    Orders: returns are marked from the data (:mod:`crmine.quality.returns`); a negative line
    reduces revenue whichever sign the source used, a line whose status says cancelled or
    refunded but whose value is positive (a reversed sale) counts none; a line without a
    status of its own takes its order's.
    """
    from crmine.quality.returns import status_sql

    out = {c.name: parsed.get(c.name, f"CAST(NULL AS {_sql_type(c)})") for c in spec.columns}
    if spec.name == "orders":
        qty, price, amount = out["quantity"], out["unit_price"], out["amount"]
        negative = _negative(qty, amount)
        by_id = ""
        if prefix is not None:
            source_id, letters = prefix
            letters_of = f"regexp_extract(upper(trim({source_id})), '^[A-Z]+', 0)"
            by_id = f" OR coalesce({letters_of} = {quote_literal(letters)}, false)"
        by_status = "false"
        if "status" in parsed:
            # a status written on an order's first line only (Shopify) holds for its lines
            own, status = status_sql(out["status"]), out["status"]
            by_status = (f"(CASE WHEN {status} IS NULL THEN coalesce(bool_or({own}) OVER "
                         f"(PARTITION BY {out['order_id']}), false) ELSE {own} END)")
        is_return = f"({negative}{by_id} OR {by_status})"
        value = f"coalesce({amount}, ({qty}) * ({price}))"
        out["amount"] = (
            f"CASE WHEN {negative} OR ({is_return} AND NOT {by_status}) THEN -abs({value}) "
            f"WHEN {by_status} THEN 0.0 ELSE {value} END"
        )
        out["is_return"] = is_return
    return out


def _sql_type(col: Column) -> str:
    return {
        "id": "VARCHAR",
        "text": "VARCHAR",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
        "float": "DOUBLE",
        "int": "BIGINT",
        "bool": "BOOLEAN",
    }[col.type]


# --- duplicates and loading -------------------------------------------------------------


def _canonical_cols(con: Engine, spec: Table) -> list[str]:
    return [c for c in con.columns(STAGED) if c in spec.column_names or c == "is_return"]


def _mark_duplicates(con: Engine, spec: Table, mapping: ColumnMapping) -> None:
    """Quarantine exact repeats inside the file, and rows already loaded from other files.

    Not in a file of a keyed table whose key the source lacks (a customers file without
    ids): there each row is one entity, and two customers may well share every attribute (Hillstrom's 64,000 e-mail recipients share 6,562 rows
    with another); nothing tells them apart, so nothing says they are the same.
    """
    if spec.key and all(mapping.derived.get(k, "").startswith("generated") for k in spec.key):
        return
    same = " AND ".join(
        f"a.{quote_identifier(h)} IS NOT DISTINCT FROM b.{quote_identifier(h)}"
        for h in mapping.headers
    )
    con.execute(
        f"""
        UPDATE {STAGED} s SET _reason = 'duplicate', _detail = 'same as row ' || d.first_row
        FROM (
            WITH repeated AS (
                SELECT _raw_key FROM {STAGED} WHERE _reason IS NULL
                GROUP BY _raw_key HAVING count(*) > 1
            ),
            k AS (
                SELECT _source_row, min(_source_row) OVER (PARTITION BY _raw_key) AS first_row
                FROM {STAGED} SEMI JOIN repeated USING (_raw_key) WHERE _reason IS NULL
            )
            SELECT k._source_row, k.first_row FROM k
            JOIN {RAW} a ON a._source_row = k._source_row
            JOIN {RAW} b ON b._source_row = k.first_row
            WHERE k.first_row <> k._source_row AND {same}
        ) d
        WHERE s._source_row = d._source_row
        """
    )
    key = [k for k in spec.key]
    if key:
        keys = ", ".join(quote_identifier(k) for k in key)
        con.execute(
            f"""
            UPDATE {STAGED} s SET _reason = 'duplicate {spec.key[0]}',
                _detail = 'first at row ' || d.first_row
            FROM (
                SELECT _source_row, min(_source_row) OVER (PARTITION BY {keys}) AS first_row
                FROM {STAGED} WHERE _reason IS NULL
            ) d
            WHERE s._source_row = d._source_row AND d.first_row <> d._source_row
            """
        )
    if spec.name in con.tables() and not key:
        cols = _canonical_cols(con, spec)
        existing = set(con.columns(spec.name))
        cols = [c for c in cols if c in existing]
        if cols:
            row = ", ".join(quote_identifier(c) for c in cols)
            staged_row = ", ".join("s." + quote_identifier(c) for c in cols)
            con.execute(
                f"""
                UPDATE {STAGED} s SET _reason = 'duplicate', _detail = 'already loaded'
                WHERE s._reason IS NULL AND hash({staged_row})
                    IN (SELECT hash({row}) FROM {spec.name})
                """
            )


def _append(
    con: Engine, spec: Table, mapping: ColumnMapping, label: str, replaced: dict[str, str]
) -> None:
    internal = ("_source_row", "_raw_key", "_reason", "_detail", "_currency_hint")
    staged_cols = [c for c in con.columns(STAGED) if c not in internal]
    source = quote_literal(label)
    if spec.name not in con.tables():
        cols = ", ".join(quote_identifier(c) for c in staged_cols)
        con.execute(
            f"CREATE TABLE {spec.name} AS SELECT {cols}, "
            f"{source} AS _source, _source_row FROM {STAGED} WHERE false"
        )
    existing = con.columns(spec.name)
    types = con.column_types(STAGED)
    for c in staged_cols:
        if c not in existing:  # a later file brought a new attribute
            con.execute(f"ALTER TABLE {spec.name} ADD COLUMN {quote_identifier(c)} {types[c]}")
    if spec.key:
        keys = " AND ".join(f"t.{quote_identifier(k)} = s.{quote_identifier(k)}" for k in spec.key)
        con.execute(
            f"DELETE FROM {spec.name} t USING {STAGED} s WHERE s._reason IS NULL AND {keys}"
        )
    cols = ", ".join(quote_identifier(c) for c in staged_cols)
    con.execute(
        f"INSERT INTO {spec.name} ({cols}, _source, _source_row) "
        f"SELECT {cols}, {source}, _source_row FROM {STAGED} WHERE _reason IS NULL"
    )
    con.execute(
        f"INSERT INTO quarantine SELECT {quote_literal(spec.name)}, {source}, s._source_row, "
        f"s._reason, s._detail, CASE WHEN s._reason = '{ERASED}' THEN NULL "
        f"ELSE {_raw_json(mapping, 'r', replaced)} END, now() "
        f"FROM {STAGED} s JOIN {RAW} r ON r._source_row = s._source_row "
        f"WHERE s._reason IS NOT NULL ORDER BY s._source_row"
    )


def _after_load_notes(con: Engine, spec: Table) -> list[str]:
    if spec.name != "orders":
        return []
    returns, no_customer = con.execute(
        f"SELECT count(*) FILTER (WHERE is_return), count(*) FILTER (WHERE customer_id IS NULL) "
        f"FROM {STAGED} WHERE _reason IS NULL"
    ).fetchone()
    notes = []
    if returns:
        notes.append(f"{returns:,} return/cancellation lines marked (they reduce revenue)")
    if no_customer:
        notes.append(
            f"{no_customer:,} lines have no customer: kept for product figures, "
            "left out of customer-level ones"
        )
    return notes

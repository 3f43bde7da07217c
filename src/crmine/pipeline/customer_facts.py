"""Customer facts repeated on order lines become customer attributes.

Many exports (Superstore, shop-system order reports, marketplace downloads) repeat who the
customer is on every line: name, segment, city, state, postal code. Left on the lines, the
clusters, churn model, customer card and the report's regions never see them. A line column
is taken as a customer fact when the data says it is one: for nearly every customer with
several lines it holds a single value. The latest value per customer is kept (a note says
for how many customers the lines disagreed); names the customers table knows (``Customer
Name`` → name, ``State`` → region) are mapped onto its columns. Facts never overwrite what
a customers file says: they fill its gaps and add the customers it lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crmine.engine.quoting import quote_identifier, quote_literal

if TYPE_CHECKING:
    from crmine.engine.base import Engine
    from crmine.io.mapping import ColumnMapping

#: customers with two or more valued lines on which the column must be single-valued
STABLE_SHARE = 0.9
#: fewest such customers for the share to mean anything
MIN_REPEAT_CUSTOMERS = 20
#: order columns that may describe the customer as well as the line
CANONICAL_CANDIDATES = ("region",)


@dataclass(frozen=True)
class Fact:
    line_column: str  # column on the staged lines
    customer_column: str  # column it fills in customers
    changed: int  # customers whose lines hold more than one value


def find_facts(
    con: Engine, staged: str, mapping: ColumnMapping
) -> list[Fact]:
    """Line columns that are single-valued per customer (see the module docstring)."""
    from crmine.io.mapping import auto_map
    from crmine.schema import table

    candidates = list(mapping.attributes.values())
    candidates += [c for c in CANONICAL_CANDIDATES if c in mapping.canonical]
    if not candidates:
        return []
    q = quote_identifier
    per_customer = ", ".join(
        f"count(DISTINCT {q(c)}) AS {q('d_' + c)}, count({q(c)}) AS {q('n_' + c)}"
        for c in candidates
    )
    totals = ", ".join(
        f"count(*) FILTER (WHERE {q('n_' + c)} >= 2), "
        f"count(*) FILTER (WHERE {q('n_' + c)} >= 2 AND {q('d_' + c)} = 1), "
        f"count(*) FILTER (WHERE {q('d_' + c)} > 1)"
        for c in candidates
    )
    overall = ", ".join(f"count(DISTINCT {q(c)})" for c in candidates)
    row = con.execute(
        f"WITH per AS (SELECT customer_id, {per_customer} FROM {staged} "
        f"WHERE _reason IS NULL AND customer_id IS NOT NULL GROUP BY customer_id) "
        f"SELECT {totals} FROM per"
    ).fetchone()
    distinct = con.execute(
        f"SELECT {overall} FROM {staged} WHERE _reason IS NULL AND customer_id IS NOT NULL"
    ).fetchone()
    stable: list[tuple[str, int]] = []
    for i, c in enumerate(candidates):
        repeat, single, changed = row[3 * i : 3 * i + 3]
        if repeat >= MIN_REPEAT_CUSTOMERS and single >= STABLE_SHARE * repeat and distinct[i] >= 2:
            stable.append((c, int(changed)))
    if not stable:
        return []
    headers = mapping.attribute_headers | {
        c: mapping.canonical[c] for c in CANONICAL_CANDIDATES if c in mapping.canonical
    }  # the source's own header says what it is: Online Retail's Country → country
    named = auto_map([headers.get(c, c) for c, _ in stable], table("customers"))
    by_header = {h: col for col, h in named.canonical.items() if col != "customer_id"}
    facts = []
    used: set[str] = set()
    for c, changed in stable:
        target = by_header.get(headers.get(c, c), c)
        if target in used:
            target = c
        used.add(target)
        facts.append(Fact(c, target, changed))
    return facts


def lift_customer_facts(
    con: Engine, staged: str, mapping: ColumnMapping, source: str
) -> list[str]:
    """Write the facts found on the staged order lines into ``customers``; the notes to print."""
    facts = find_facts(con, staged, mapping)
    if not facts:
        return []
    q = quote_identifier
    latest = ", ".join(
        f"arg_max({q(f.line_column)}, order_ts) FILTER (WHERE {q(f.line_column)} IS NOT NULL) "
        f"AS {q(f.customer_column)}"
        for f in facts
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _customer_facts AS SELECT customer_id, {latest}, "
        f"arg_max(_source_row, order_ts) AS _source_row FROM {staged} "
        f"WHERE _reason IS NULL AND customer_id IS NOT NULL GROUP BY customer_id"
    )
    cols = [f.customer_column for f in facts]
    where = quote_literal(f"{source} (customer facts on order lines)")
    if "customers" not in con.tables():
        con.execute(
            f"CREATE TABLE customers AS SELECT customer_id, {', '.join(q(c) for c in cols)}, "
            f"{where} AS _source, _source_row FROM _customer_facts ORDER BY customer_id"
        )
        added = con.execute("SELECT count(*) FROM _customer_facts").fetchone()[0]
        filled = 0
    else:
        existing = set(con.columns("customers"))
        types = con.column_types("_customer_facts")
        for c in cols:
            if c not in existing:
                con.execute(f"ALTER TABLE customers ADD COLUMN {q(c)} {types[c]}")
        gaps = " OR ".join(f"(c.{q(c)} IS NULL AND f.{q(c)} IS NOT NULL)" for c in cols)
        filled = con.execute(
            f"SELECT count(*) FROM customers c JOIN _customer_facts f USING (customer_id) "
            f"WHERE {gaps}"
        ).fetchone()[0]
        sets = ", ".join(f"{q(c)} = coalesce(customers.{q(c)}, f.{q(c)})" for c in cols)
        con.execute(
            f"UPDATE customers SET {sets} FROM _customer_facts f "
            f"WHERE customers.customer_id = f.customer_id"
        )
        added = con.execute(
            "SELECT count(*) FROM _customer_facts f ANTI JOIN customers c USING (customer_id)"
        ).fetchone()[0]
        col_list = ", ".join(q(c) for c in cols)
        con.execute(
            f"INSERT INTO customers (customer_id, {col_list}, _source, _source_row) "
            f"SELECT f.customer_id, {', '.join('f.' + q(c) for c in cols)}, {where}, "
            f"f._source_row FROM _customer_facts f ANTI JOIN customers c USING (customer_id) "
            f"ORDER BY f.customer_id"
        )
    con.execute("DROP TABLE _customer_facts")
    names = ", ".join(
        f.line_column if f.line_column == f.customer_column
        else f"{f.line_column} → {f.customer_column}"
        for f in facts
    )  # fmt: skip
    notes = [
        f"customer facts on the order lines ({names}) became customer attributes: "
        f"{added:,} customers added, {filled:,} customers' gaps filled"
    ]
    changed = [f"{f.line_column} ({f.changed:,})" for f in facts if f.changed]
    if changed:
        notes.append(
            "lines of some customers disagree, the latest value is kept: " + ", ".join(changed)
        )
    return notes


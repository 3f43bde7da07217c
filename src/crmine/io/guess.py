"""Required columns the header names did not give: found from the values, or made.

The customer is often there under a name no synonym list has (``Member_number``, ``cust``,
``account``, ``Customer Email``) or not there at all (one row per client, no id). Decided
from the data, in this order:

1. a header whose *whole words* say it identifies someone (id, number, no, code, key,
   member, account, cust, client, subscriber, email) and whose values behave like a
   customer key: near-unique in a customers table (one row each), repeated across the lines
   of any other table; or any column of e-mail-shaped values that behaves so;
2. a customers table with no such column: a stable id per row (the file's hash and the row
   number: the same file gives the same ids), said in the notes;
3. orders with no customer column at all: the lines are kept without a customer (product,
   revenue and demand figures), said in the notes.

A guess is only ever taken when its values fit; a user's ``[ingest.columns]`` always wins.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from crmine.engine.quoting import quote_identifier, quote_literal
from crmine.io.mapping import ColumnMapping, tokens

if TYPE_CHECKING:
    from crmine.engine.base import Engine

ID_WORDS = {"id", "ids", "number", "no", "nr", "num", "code", "key", "member", "account",
            "acct", "cust", "customer", "client", "subscriber", "email", "mail", "e"}  # fmt: skip
PERSON_WORDS = {"member", "account", "acct", "cust", "customer", "client", "subscriber",
                "user", "buyer", "email", "mail"}  # fmt: skip
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
#: distinct / non-null values for "one row per customer"
UNIQUE_SHARE = 0.98
#: filled share a key column needs
FILLED_SHARE = 0.95


def complete_customer(
    con: Engine, raw: str, mapping: ColumnMapping, notes: list[str]
) -> ColumnMapping:
    """``mapping`` with customer_id found from the values, generated, or left empty on
    purpose; unchanged when customer_id is mapped or not missing."""
    if "customer_id" not in mapping.unmapped_required:
        return mapping
    one_row_each = mapping.table == "customers"
    best: tuple[int, str, str] | None = None
    profiles = column_profiles(con, raw, list(mapping.attributes), keys=True)
    for header, profile in profiles.items():
        words = set(tokens(header))
        # "Member_number", "cust", "account id"; in a customers table a bare "ID" or "No"
        # names the row's own key
        named = (bool(words & PERSON_WORDS) and bool(words & ID_WORDS)) or (
            one_row_each and bool(words) and words <= ID_WORDS
        )
        filled, distinct = profile.filled, profile.distinct
        if profile.filled_share < FILLED_SHARE or distinct < 2:
            continue
        unique = distinct >= UNIQUE_SHARE * filled
        # one row per customer in a customers table, repeated across an order's lines; other
        # tables (subscriptions, contacts, feedback) may hold one row or many per customer
        if one_row_each:
            fits = unique
        elif mapping.table == "orders":
            fits = not unique and distinct < filled
        else:
            fits = True
        is_email = profile.emails >= 0.9 * filled
        if not fits or not (named or is_email):
            continue
        rank = 0 if is_email and named else 1 if named else 2
        if best is None or rank < best[0]:
            why = "e-mail addresses" if is_email else "an identifier"
            how = "one per row" if one_row_each else "repeated across the lines"
            best = (rank, header, f"{why}, {how}")
    missing = [c for c in mapping.unmapped_required if c != "customer_id"]
    if best is not None:
        _, header, why = best
        notes.append(f"customer_id is {header!r}: its values are {why}")
        canonical = {**mapping.canonical, "customer_id": header}
        attributes = {h: a for h, a in mapping.attributes.items() if h != header}
        return replace(mapping, canonical=canonical, attributes=attributes,
                       unmapped_required=missing)  # fmt: skip
    if one_row_each:
        notes.append("no customer id column: each row gets a stable generated id (the file's "
                     "hash and row number); name one under [ingest.columns] to use your own")
        derived = {**mapping.derived, "customer_id": "generated: one per row"}
        return replace(mapping, derived=derived, unmapped_required=missing)
    if mapping.table == "orders":
        notes.append("no customer column: the lines are kept without a customer (product, "
                     "revenue and demand figures; the customer models skip)")
        derived = {**mapping.derived, "customer_id": "none in the source: lines without a customer"}
        return replace(mapping, derived=derived, unmapped_required=missing)
    return mapping


def complete_order_id(
    con: Engine, raw: str, mapping: ColumnMapping, notes: list[str]
) -> ColumnMapping:
    """Order lines whose order number sits under a header no synonym names (Shopify's
    ``Name`` holds ``#1001``): an attribute whose values carry a digit, are filled on every
    line and each belong to one customer and one order time, with about as many values as
    there are (customer, time) pairs, is the order id. Otherwise ``mapping`` is unchanged
    (the id is then generated per customer and order time)."""
    if mapping.table != "orders" or "order_id" in mapping.canonical:
        return mapping
    customer, ts = mapping.canonical.get("customer_id"), mapping.canonical.get("order_ts")
    if customer is None or ts is None or not mapping.attributes:
        return mapping
    c, t = quote_identifier(customer), quote_identifier(ts)
    pairs = con.scalar(f"SELECT count(DISTINCT ({c}, {t})) FROM {raw}")
    rows = con.scalar(f"SELECT count(*) FROM {raw}")
    for header in mapping.attributes:
        h = quote_identifier(header)
        values, filled, single, digits = con.execute(f"""
            WITH per AS (
                SELECT {h} AS v, count(DISTINCT {c}) AS nc, count(DISTINCT {t}) AS nt
                FROM {raw} WHERE nullif(trim({h}), '') IS NOT NULL GROUP BY 1)
            SELECT count(*), (SELECT count(nullif(trim({h}), '')) FROM {raw}),
                   count(*) FILTER (WHERE nc = 1 AND nt = 1),
                   count(*) FILTER (WHERE regexp_matches(v, '[0-9]'))
            FROM per""").fetchone()  # fmt: skip
        if not values or filled < FILLED_SHARE * rows or values == filled:
            continue  # empty, gappy, or unique per line (a line id, not an order's)
        if single >= UNIQUE_SHARE * values and digits >= UNIQUE_SHARE * values and \
                values >= 0.9 * pairs:
            notes.append(f"order_id is {header!r}: each of its {values:,} values belongs to one "
                         "customer and one order time, repeated across the order's lines")
            derived = {k: v for k, v in mapping.derived.items() if k != "order_id"}
            return replace(mapping, canonical={**mapping.canonical, "order_id": header},
                           attributes={a: n for a, n in mapping.attributes.items() if a != header},
                           derived=derived)  # fmt: skip
    return mapping


@dataclass(frozen=True)
class Profile:
    """What one raw column holds: rows, non-blank values, distinct values, e-mail-shaped."""

    rows: int
    filled: int
    distinct: int = 0
    emails: int = 0

    @property
    def filled_share(self) -> float:
        return self.filled / self.rows if self.rows else 1.0


def column_profiles(
    con: Engine, raw: str, headers: list[str], *, keys: bool = False
) -> dict[str, Profile]:
    """A :class:`Profile` per header, in one scan of ``raw`` (its columns are text).
    ``keys``: also count distinct and e-mail-shaped values (what a key guess needs)."""
    if not headers:
        return {}
    per: list[str] = []
    for h in headers:
        col = f"nullif(trim({quote_identifier(h)}), '')"
        per.append(f"count({col})")
        if keys:
            per += [f"count(DISTINCT {col})",
                    f"count(*) FILTER (WHERE regexp_matches({col}, {quote_literal(EMAIL)}))"]  # fmt: skip
    rows, *counts = con.execute(f"SELECT count(*), {', '.join(per)} FROM {raw}").fetchone()
    width = 3 if keys else 1
    return {h: Profile(int(rows), *(int(c) for c in counts[i * width:(i + 1) * width]))
            for i, h in enumerate(headers)}  # fmt: skip


#: share of a guessed column's values that must read as its type
FIT_SHARE = {"exact": 0.5, "keyword": 0.9}


def unfit_guess(
    kind: str,
    sample: list[str],
    by_keyword: bool,
    dayfirst: bool | None,
    filled_share: float = 1.0,
    row_required: bool = False,
) -> str | None:
    """Why a guessed column's values do not fit the canonical type, or None when they do.

    Checked before the guess is taken, so a header that merely *says* date (a count named
    ``NumberOfDeviceRegistered``) does not become the signup date. A guess by keyword must
    read cleanly (90 %), an exact synonym only mostly (50 %: dirty rows are quarantined);
    a column every row needs must be filled on as large a share.
    """
    from crmine.io import values
    from crmine.io.dates import is_years

    nonblank = [s.strip() for s in sample if s is not None and s.strip()]
    if not nonblank and filled_share == 0:
        return "it holds no values"
    if not nonblank or kind in ("id", "text"):
        return None
    need = FIT_SHARE["keyword" if by_keyword else "exact"]
    if row_required and filled_share < need:
        # a column every row needs, empty on many: taking it would quarantine those rows
        return f"it is empty on {1 - filled_share:.0%} of the rows, which would be quarantined"
    examples = ", ".join(repr(s) for s in nonblank[:3])
    if kind in ("timestamp", "date"):
        if is_years(nonblank):
            return None
        counts, _, _ = values.detect_families(nonblank)
        if by_keyword and set(counts) <= {"excel"}:
            return f"its values are not dates (e.g. {examples})"
        if values.infer_date_spec(nonblank, dayfirst).parse_rate < need:
            return f"its values are not dates (e.g. {examples})"
        return None
    if kind in ("float", "int"):
        if values.infer_number_spec(nonblank).parse_rate < need:
            return f"its values are not numbers (e.g. {examples})"
        return None
    if kind == "bool":
        parsed = values.parse_bools(nonblank)
        if sum(v is not None for v in parsed) < need * len(nonblank):
            return f"its values are not yes/no (e.g. {examples})"
        return None
    return None

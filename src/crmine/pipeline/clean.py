"""Cleaning that spans tables, run inside the ingest transaction after a file is loaded.

- customers: e-mails and phones normalised, records sharing one merged (the merged-away
  records are kept whole in ``customer_merges``, with the id they now go by), look-alikes
  flagged in ``customer_likely_duplicates``;
- every table with a customer_id: merged ids replaced by the survivor's, so orders loaded
  before or after the customers agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmine.engine.quoting import quote_identifier
from crmine.quality.countries import country_codes, unify_countries

if TYPE_CHECKING:
    from crmine.config import Config
    from crmine.engine.base import Engine
    from crmine.io.mapping import ColumnMapping

CUSTOMER_TABLES = ("orders", "feedback", "interactions", "campaigns", "subscriptions")

MERGES_DDL = """
CREATE TABLE IF NOT EXISTS customer_merges (
    old_id VARCHAR NOT NULL,
    new_id VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    merged_at TIMESTAMP NOT NULL,
    record JSON
)
"""


def clean_customers(con: Engine, config: Config, source: str) -> list[str]:
    """Normalise the contacts just loaded from ``source``, then merge duplicate customers.

    Rows from earlier files were normalised when they were loaded (the normalisers are
    idempotent), so only the new rows go through phonenumbers; the duplicate search, which
    needs every customer, runs on the whole table. Pseudonymised columns were normalised
    and hashed before they were loaded (:func:`pseudonymise_staged`): the duplicate search
    compares their hashes, which are equal exactly when the normalised values are.
    """
    from crmine.quality import find_duplicate_customers

    notes: list[str] = []
    customers = con.execute("SELECT * FROM customers").df()
    new = (customers["_source"] == source).to_numpy() if "_source" in customers else slice(None)
    fresh = customers.loc[new]
    hashed = set(config.privacy.pseudonymise)
    if "email" in fresh and "email" not in hashed and fresh["email"].notna().any():
        customers.loc[new, "email"], note = normalised_contact("email", fresh["email"], config)
        notes += note
    if "country" in fresh and fresh["country"].notna().any():
        customers.loc[new, "country"] = unify_countries(fresh["country"])
    if "gender" in fresh and fresh["gender"].notna().any():
        from crmine.quality.gender import normalise_gender

        customers.loc[new, "gender"] = normalise_gender(fresh["gender"])
    if "phone" in fresh and "phone" not in hashed and fresh["phone"].notna().any():
        fresh = customers.loc[new]
        customers.loc[new, "phone"], note = normalised_contact(
            "phone", fresh["phone"], config, fresh.get("country")
        )
        notes += note
    con.execute(MERGES_DDL)
    if config.clean.merge_duplicate_customers:
        result = find_duplicate_customers(
            customers, name_city_threshold=config.clean.name_similarity
        )
        id_map = result.id_map
        if len(id_map):
            with con.temp_table("_id_map", id_map):
                con.execute(
                    "INSERT INTO customer_merges SELECT m.old_id, m.new_id, m.reason, now(), "
                    "to_json(c) FROM _id_map m JOIN customers c ON c.customer_id = m.old_id"
                )
                # a survivor of an earlier merge may itself have been merged now: keep maps flat
                con.execute(
                    "UPDATE customer_merges SET new_id = m.new_id FROM _id_map m "
                    "WHERE customer_merges.new_id = m.old_id"
                )
            notes.append(
                f"merged {len(id_map):,} duplicate customer records "
                f"({result.merged_by_email:,} by e-mail, {result.merged_by_phone:,} by phone)"
            )
        customers = result.customers
        con.execute("DROP TABLE IF EXISTS customer_likely_duplicates")
        if len(result.likely):
            con.write("customer_likely_duplicates", result.likely)
            notes.append(
                f"{len(result.likely):,} pairs of customers look alike (similar name, same city): "
                "flagged in customer_likely_duplicates, not merged"
            )
    _replace_customers(con, customers)
    return notes


def normalised_contact(kind: str, values, config: Config, countries=None):
    """(normalised values, notes) of one contact column: e-mails lower-case and checked,
    phones in E.164 read in the customer's country, names as their matching key."""
    from crmine.quality import normalise_emails
    from crmine.quality.contacts import normalise_name

    if kind == "email":
        out, stats = normalise_emails(values)
        return out, ([f"{stats.invalid:,} e-mail addresses are not valid and were left empty"]
                     if stats.invalid else [])  # fmt: skip
    if kind == "phone":
        region = config.ingest.phone_region
        out, stats = _phones_by_country(values, countries, region)
        return out, [
            f"phones written as E.164 ({stats.changed:,} reformatted"
            + (f", {stats.invalid:,} not valid and left empty" if stats.invalid else "")
            + "; numbers without a country code read in the customer's country, else "
            + f"{region})"
        ]
    if kind == "name":
        return normalise_name(values), []
    raise AssertionError(f"no normaliser for {kind}")


def _phones_by_country(phones, countries, default_region: str):
    """E.164 phones, reading numbers without a country code with the customer's country."""
    import pandas as pd

    from crmine.quality import CleanStats, normalise_phones

    regions = (
        country_codes(unify_countries(countries)).fillna(default_region)
        if countries is not None
        else pd.Series(default_region, index=phones.index, dtype="string")
    )
    out = pd.Series(pd.NA, index=phones.index, dtype="string")
    changed = invalid = 0
    for region in regions.unique():  # a handful of countries, not one call per row
        rows = regions == region
        normal, stats = normalise_phones(phones[rows], default_region=region)
        out[rows] = normal
        changed, invalid = changed + stats.changed, invalid + stats.invalid
    return out, CleanStats(changed, invalid)


# --- pseudonymisation -------------------------------------------------------------------


def personal_columns(entity: str, mapping: ColumnMapping, hashed: tuple[str, ...]) -> dict[str, str]:
    """Staged column → the personal column it holds, for the columns to pseudonymise.

    In the customers table, the canonical columns listed; in any table, attributes whose
    header names one of them (Superstore's ``Customer Name`` on order lines), so a copy of
    a name or e-mail elsewhere is hashed alike and customer facts lifted from it agree.
    """
    from crmine.io.mapping import auto_map
    from crmine.schema import table

    if not hashed:
        return {}
    out = {c: c for c in hashed if entity == "customers" and c in mapping.canonical}
    named = auto_map(list(mapping.attributes), table("customers")).canonical
    out |= {mapping.attributes[h]: c for c, h in named.items() if c in hashed}
    return out


def check_pseudonymised(con: Engine, config: Config) -> None:
    """Refuse to mix clear and hashed values of one personal column in ``customers``.

    Switching ``[privacy] pseudonymise`` on after customers were loaded in clear would hash
    only the new rows: the old ones keep their raw values, and no e-mail or phone could
    merge across the two. Switching it off would store new rows in clear beside hashes.
    Either way the one-line error says how to start over.
    """
    from crmine.errors import ConfigError

    if "customers" not in con.tables():
        return
    present = set(con.columns("customers"))
    hashed = set(config.privacy.pseudonymise)
    for column in [c for c in ("name", "email", "phone") if c in present]:
        q = quote_identifier(column)
        clear, hashes = con.execute(
            f"SELECT count(*) FILTER (WHERE NOT regexp_full_match({q}, '[0-9a-f]{{64}}')), "
            f"count(*) FILTER (WHERE regexp_full_match({q}, '[0-9a-f]{{64}}')) "
            f"FROM customers WHERE {q} IS NOT NULL"
        ).fetchone()
        if column in hashed and clear:
            raise ConfigError(
                f"[privacy] pseudonymise lists {column}, but {clear:,} customers were loaded "
                f"with it in clear before; ingest the sources into a new workspace instead"
            )
        if column not in hashed and hashes and not clear:
            raise ConfigError(
                f"the customers' {column} values are stored as keyed hashes: keep {column!r} "
                f"in [privacy] pseudonymise (or ingest the sources into a new workspace)"
            )


def pseudonymise_staged(con: Engine, staged: str, columns: dict[str, str], config: Config,
                        key: str) -> list[str]:  # fmt: skip
    """Normalise, then replace by keyed hashes, the personal columns of a staged table.

    Done before anything is written to the warehouse, so raw values never reach its file
    (nor the free pages a later erasure would have to scrub); the same normalisers as for
    plain columns run first, so the hashes merge, deduplicate and tombstone exactly as
    the plain values would. Python sees each distinct value once (as the normalisers
    always do); the hashing itself is one SQL pass.
    """
    from crmine.quality.pseudonyms import pseudonym_sql

    if not columns:
        return []
    q = quote_identifier
    present = con.columns(staged)
    country = ", country" if "country" in present and "country" not in columns else ""
    frame = con.execute(
        f"SELECT _source_row, {', '.join(q(c) for c in columns)}{country} FROM {staged}"
    ).df()
    notes: list[str] = []
    out = frame[["_source_row"]].copy()
    for column, kind in columns.items():
        values = frame[column].astype("string")
        out[column], note = normalised_contact(kind, values, config, frame.get("country"))
        notes += note
    with con.temp_table("_pseudonyms", out):
        sets = ", ".join(f"{q(c)} = {pseudonym_sql(key, kind, 'p.' + q(c))}"
                         for c, kind in columns.items())  # fmt: skip
        con.execute(f"UPDATE {staged} SET {sets} FROM _pseudonyms p "
                    f"WHERE {staged}._source_row = p._source_row")  # fmt: skip
    listed = ", ".join(sorted(set(columns)))
    return [*notes, f"{listed} stored as keyed hashes ([privacy] pseudonymise)"]


def quarantined_values(mapping: ColumnMapping, columns: dict[str, str], key: str | None,
                       staged: str, raw: str) -> dict[str, str]:  # fmt: skip
    """Header → SQL of the value a quarantined row keeps, where it must not be the raw text.

    A pseudonymised column keeps its hash (so an erasure still finds the row by it), or,
    when its value could not be normalised, the hash of its trimmed text. A malformed line
    may have its fields shifted, a name under another header: all of its fields are hashed.
    """
    from crmine.quality.pseudonyms import pseudonym_sql

    if not columns or key is None:
        return {}
    by_header = {h: c for c, h in mapping.canonical.items() if c in columns}
    by_header |= {h: a for h, a in mapping.attributes.items() if a in columns}
    out = {}
    for header in mapping.headers:
        r = f"{raw}.{quote_identifier(header)}"
        shifted = pseudonym_sql(key, "field", f"nullif(trim({r}), '')")
        if header in by_header:
            col = by_header[header]
            own = pseudonym_sql(key, columns[col], f"nullif(trim({r}), '')")
            value = f"coalesce({staged}.{quote_identifier(col)}, {own})"
        else:
            value = r
        out[header] = f"CASE WHEN {raw}._read_error IS NOT NULL THEN {shifted} ELSE {value} END"
    return out


def _replace_customers(con: Engine, frame) -> None:
    """Write the cleaned frame back, keeping the warehouse column types."""
    types = con.column_types("customers")
    cols = ", ".join(
        f"CAST({quote_identifier(c)} AS {t}) AS {quote_identifier(c)}" for c, t in types.items()
    )
    with con.temp_table("_clean_customers", frame):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _customers_new AS SELECT {cols} FROM _clean_customers"
        )
    con.execute("DELETE FROM customers")
    con.execute("INSERT INTO customers SELECT * FROM _customers_new")
    con.execute("DROP TABLE _customers_new")


def unify_table_categories(con: Engine, table: str) -> list[str]:
    """One spelling per category across the whole table ("Home Decor", "home decor " → one).

    Counts come from every row, so the most used spelling wins; only distinct values go
    through Python, the rewrite is one UPDATE.
    """
    import pandas as pd

    from crmine.quality.categories import unify_categories

    if "category" not in con.columns(table):
        return []
    counts = con.execute(
        f"SELECT category, count(*) AS n FROM {table} WHERE category IS NOT NULL GROUP BY 1"
    ).df()
    if counts.empty:
        return []
    spelled = pd.Series(counts["category"].repeat(counts["n"]).to_numpy(), dtype="string")
    unified, _ = unify_categories(spelled)
    changes = pd.DataFrame({"old": spelled, "new": unified}).drop_duplicates()
    changes = changes[changes["old"] != changes["new"]]
    if changes.empty:
        return []
    with con.temp_table("_category_changes", changes):
        con.execute(
            f"UPDATE {table} t SET category = c.new FROM _category_changes c "
            "WHERE t.category = c.old"
        )
    return [f"{len(changes):,} category spellings merged into {changes['new'].nunique():,}"]


def apply_customer_merges(con: Engine) -> int:
    """Point every customer_id that was merged away at its survivor; returns rows changed."""
    from crmine.quality import remap_customer_ids_sql

    tables = con.tables()
    if "customer_merges" not in tables:
        return 0
    changed = 0
    for table in CUSTOMER_TABLES:
        if table in tables:
            cur = con.execute(remap_customer_ids_sql(table, "customer_merges"))
            changed += cur.fetchone()[0] if cur.columns else 0
    return changed

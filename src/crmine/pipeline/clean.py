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
    needs every customer, runs on the whole table.
    """
    from crmine.quality import find_duplicate_customers, normalise_emails

    notes: list[str] = []
    customers = con.execute("SELECT * FROM customers").df()
    new = (customers["_source"] == source).to_numpy() if "_source" in customers else slice(None)
    fresh = customers.loc[new]
    if "email" in fresh and fresh["email"].notna().any():
        customers.loc[new, "email"], stats = normalise_emails(fresh["email"])
        if stats.invalid:
            notes.append(f"{stats.invalid:,} e-mail addresses are not valid and were left empty")
    if "country" in fresh and fresh["country"].notna().any():
        customers.loc[new, "country"] = unify_countries(fresh["country"])
    if "gender" in fresh and fresh["gender"].notna().any():
        from crmine.quality.gender import normalise_gender

        customers.loc[new, "gender"] = normalise_gender(fresh["gender"])
    if "phone" in fresh and fresh["phone"].notna().any():
        customers.loc[new, "phone"], stats = _phones_by_country(
            customers.loc[new], config.ingest.phone_region
        )
        notes.append(
            f"phones written as E.164 ({stats.changed:,} reformatted"
            + (f", {stats.invalid:,} not valid and left empty" if stats.invalid else "")
            + "; numbers without a country code read in the customer's country, else "
            + f"{config.ingest.phone_region})"
        )
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


def _phones_by_country(customers, default_region: str):
    """E.164 phones, reading numbers without a country code with the customer's country."""
    import pandas as pd

    from crmine.quality import CleanStats, normalise_phones

    regions = (
        country_codes(customers["country"]).fillna(default_region)
        if "country" in customers
        else pd.Series(default_region, index=customers.index, dtype="string")
    )
    out = pd.Series(pd.NA, index=customers.index, dtype="string")
    changed = invalid = 0
    for region in regions.unique():  # a handful of countries, not one call per row
        rows = regions == region
        phones, stats = normalise_phones(customers.loc[rows, "phone"], default_region=region)
        out[rows] = phones
        changed, invalid = changed + stats.changed, invalid + stats.invalid
    return out, CleanStats(changed, invalid)


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

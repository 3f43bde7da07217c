"""Cleaning of canonical tables: contacts, duplicate customers, currencies, categories.

Every function here is pure computation on frames or series; the ingest step reads from
and writes to the warehouse and decides when to call them.
"""

from crmine.quality.categories import unify_categories
from crmine.quality.contacts import (
    CleanStats,
    normalise_emails,
    normalise_name,
    normalise_phones,
    normalise_text,
)
from crmine.quality.currency import convert_amounts, normalise_currencies
from crmine.quality.duplicates import (
    DuplicateResult,
    find_duplicate_customers,
    remap_customer_ids_sql,
)

__all__ = [
    "CleanStats",
    "DuplicateResult",
    "convert_amounts",
    "find_duplicate_customers",
    "normalise_currencies",
    "normalise_emails",
    "normalise_name",
    "normalise_phones",
    "normalise_text",
    "remap_customer_ids_sql",
    "unify_categories",
]

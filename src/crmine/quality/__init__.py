"""Cleaning of canonical tables: contacts, duplicate customers, currencies, categories.

Every function here is pure computation on frames or series; the ingest step reads from
and writes to the warehouse and decides when to call them.
"""

from crmine.quality.contacts import (
    CleanStats,
    normalise_emails,
    normalise_name,
    normalise_phones,
    normalise_text,
)
from crmine.quality.duplicates import (
    DuplicateResult,
    find_duplicate_customers,
    remap_customer_ids_sql,
)

__all__ = [
    "CleanStats",
    "DuplicateResult",
    "find_duplicate_customers",
    "normalise_emails",
    "normalise_name",
    "normalise_phones",
    "normalise_text",
    "remap_customer_ids_sql",
]

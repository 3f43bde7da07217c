"""What the generator returns: raw exports, and the ground truth behind them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import pandas as pd

from crmine.demo._params import DemoParams

# Reasons an ingest should give when it quarantines an injected row.
UNPARSEABLE_DATE = "unparseable_date"
NON_NUMERIC = "non_numeric_value"
EXACT_DUPLICATE = "exact_duplicate"
# Issues that are not quarantined: the row is loaded and fixed or kept.
MISSING_CUSTOMER_ID = "missing_customer_id"


@dataclass
class DemoTruth:
    """Clean ground truth behind the raw exports.

    customers: one row per real person (canonical columns, E.164 phones, lower-case e-mails,
        English country names, gender M / F, ``signup_ts``, ``channel``) plus latent ``lam``
        (repeat purchases per off-peak day), ``p``, ``satisfaction``, ``first_order_ts``,
        ``n_repeat`` (repeat BG/NBD orders in the window), ``dropout_ts`` (NaT if none),
        ``alive_at_end`` and ``churned`` (NA for customers who never bought),
        ``cycle_product_id``, ``cycle_days``, ``name_lang``.
    orders: clean lines (order_id, customer_id = the real person, raw_customer_id = the id
        in the export, order_ts, product_id, product_name, category, quantity, unit_price,
        amount, currency, country, is_return, source in bgnbd / cycle / guest / return,
        line_no).
    duplicates: kept_id, duplicate_id, match (email / phone / name_city / name_city_typo).
    issues: entity, row (0-based position in the raw frame = data row of the file, so file
        line row + 2 counting the header), key, issue, quarantine (bool): every injected bad
        row and exact duplicate (quarantine) and every guest line (kept).
    bundles: bundle_id, product_ids (tuple), prob (chance that an order carries it).
    feedback: feedback_id, customer_id, raw_customer_id, order_id, ts, kind, score, text,
        language, label (the true sentiment: negative / neutral / positive).
    interactions: customer_id, raw_customer_id, ts, channel, direction, topic, text,
        duration_s, resolved.
    campaigns: the pilot coupon's sends: campaign_id, customer_id, sent_ts, group (treatment
        / control), responded, revenue, base_p (chance of responding anyway), uplift (what
        the coupon adds).
    categories: category, category_zh, consumable cycle_days (0 = not consumable).
    """

    customers: pd.DataFrame
    orders: pd.DataFrame
    duplicates: pd.DataFrame
    issues: pd.DataFrame
    bundles: pd.DataFrame
    feedback: pd.DataFrame
    interactions: pd.DataFrame
    campaigns: pd.DataFrame
    categories: pd.DataFrame
    non_product_codes: tuple[str, ...]
    currency: str
    start: date
    end: date
    params: DemoParams


@dataclass
class DemoData:
    """Raw exports as they would sit in the files (all values are strings), plus the truth."""

    customers: pd.DataFrame
    orders: pd.DataFrame
    products: pd.DataFrame
    feedback: pd.DataFrame
    interactions: pd.DataFrame
    campaigns: pd.DataFrame
    truth: DemoTruth

    def frames(self) -> dict[str, pd.DataFrame]:
        """The raw exports by entity name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "truth"}

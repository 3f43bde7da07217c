"""What counts as a product: postage, fees, adjustments and samples are not goods.

Shared by everything that reasons about products (association rules, recommendations,
category needs, the report's top products), so they all leave out the same lines. Decided
from the data: the shape of the codes, the words of the names, the prices.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["NON_PRODUCT_WORDS", "code_shape", "detect_non_products"]

# Words that mark a line as a service, fee or book-keeping entry rather than goods.
NON_PRODUCT_WORDS = (
    "postage", "carriage", "shipping", "delivery charge", "fee", "fees", "charge", "charges",
    "manual", "adjust", "adjustment", "discount", "sample", "samples", "voucher", "commission",
    "bank charges", "bad debt", "coupon", "邮费", "运费", "折扣", "手续费",
)
_ALT = "|".join(map(re.escape, NON_PRODUCT_WORDS))
# The word must open or close the name ("POSTAGE", "Next Day Carriage", "Adjust bad debt"), so
# goods named after it ("FRENCH CARRIAGE LANTERN") stay products.
_WORDS = re.compile(rf"^\W*(?:{_ALT})(?![a-z])|(?<![a-z])(?:{_ALT})[\W\d]*$")
_RUN = re.compile(r"(\d+)|([A-Za-z]+)|(.)")


def code_shape(code: str) -> str:
    """The shape of a code's first run: ``85123A`` → ``9x5``, ``POST`` → ``Ax4``."""
    m = _RUN.match(code)
    if m is None:
        return ""
    if m.group(1):
        return f"9x{len(m.group(1))}"
    if m.group(2):
        return f"Ax{len(m.group(2))}"
    return m.group(3)


def detect_non_products(
    product_ids: pd.Series,
    product_names: pd.Series | None = None,
    unit_prices: pd.Series | None = None,
    *,
    dominant_share: float = 0.5,
    rare_share: float = 0.01,
) -> set[str]:
    """Product ids that look like postage, fees, adjustments or samples rather than goods.

    Three signals, any one suffices:

    - the code's shape (first run of digits or letters and its length) is rare (< ``rare_share``
      of distinct codes) while one shape dominates (≥ ``dominant_share``), e.g. ``POST`` or
      ``BANK CHARGES`` among five-digit stock codes; catalogues of free-text ids have no dominant
      shape, so nothing is flagged by shape there;
    - the description contains a word such as postage, fee, charge, manual, adjust, discount,
      sample (:data:`NON_PRODUCT_WORDS`);
    - every priced line of the product has a price of zero or less.
    """
    import pandas as pd

    ids = product_ids.astype("string")
    codes = pd.Series(ids.dropna().unique())
    flagged: set[str] = set()
    if len(codes):
        shapes = codes.map(code_shape)
        share = shapes.map(shapes.value_counts(normalize=True))
        if share.max() >= dominant_share:
            flagged |= set(codes[share < rare_share])
    if product_names is not None:
        names = pd.DataFrame({"id": ids, "name": product_names.astype("string")}).dropna()
        names = names.drop_duplicates()
        hit = names["name"].str.lower().str.contains(_WORDS)
        flagged |= set(names.loc[hit.fillna(False).astype(bool), "id"])
    if unit_prices is not None:
        price = pd.DataFrame({"id": ids, "price": pd.to_numeric(unit_prices, errors="coerce")})
        best = price.dropna().groupby("id")["price"].max()
        flagged |= set(best.index[best <= 0])
    return {str(c) for c in flagged}

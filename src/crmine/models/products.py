"""What counts as a product: postage, fees, adjustments and samples are not goods.

Shared by every model that reasons about products (association rules, recommendations,
category needs), so they all leave out the same lines.
"""

from crmine.models._recommend_data import NON_PRODUCT_WORDS, detect_non_products

__all__ = ["NON_PRODUCT_WORDS", "detect_non_products"]

"""The knobs of the generative model, with their defaults, in one typed place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoParams:
    """Parameters of the synthetic CRM; every figure the tests and docs cite lives here.

    Purchases (BG/NBD, Fader, Hardie & Lee 2005), time in days:
      λ ~ Gamma(shape ``r``, rate ``alpha``) repeat purchases per day in an off-peak month;
      p ~ Beta(``a``, ``b``) chance of dropping out after each repeat purchase.
    The purchase rate in ``peak_months`` is multiplied by ``peak_factor``.
    """

    # Purchase process.
    r: float = 0.9
    alpha: float = 60.0
    a: float = 1.2
    b: float = 6.0
    peak_months: tuple[int, ...] = (11, 12)
    peak_factor: float = 1.6
    # Share of customers who signed up in the first month; the others sign up uniformly over
    # the first ``signup_span`` of the window. First purchase is 0-2 days after signup.
    early_signup_share: float = 0.3
    signup_span: float = 0.75
    never_buy_share: float = 0.03
    # Correlation between satisfaction and -logit(p): unhappy customers churn sooner.
    satisfaction_rho: float = 0.6

    # Baskets.
    n_products: int = 200
    extra_lines_mean: float = 1.5  # lines per order = 1 + Poisson(extra_lines_mean)
    category_concentration: float = 0.5  # Dirichlet concentration of a customer's tastes
    n_bundles: int = 6
    bundle_prob: float = 0.25  # chance that an order carries one bundle (uniform among them)
    cycle_share: float = 0.12  # share of buyers who re-buy one consumable on its cycle
    cycle_jitter: float = 0.1  # sd of the cycle, as a share of its length
    promo_share: float = 0.1  # lines sold at a promotional price (×0.8 or ×0.9)
    return_share: float = 0.03  # share of product lines returned (more for unhappy customers)
    discount_share: float = 0.05  # orders with a 10% DISCOUNT line
    postage_price: float = 60.0  # POST line on every order shipped outside China
    guest_order_share: float = 0.03  # extra orders without a customer id (dirty only)

    # Voice of the customer.
    feedback_per_order: float = 0.15
    interactions_per_year: float = 2.0  # for a neutral customer; unhappy ones contact more

    # Dirty values (only with dirty=True).
    duplicate_customer_share: float = 0.03
    exact_duplicate_share: float = 0.005  # per file
    bad_row_share: float = 0.002  # per file with dates / numbers
    # Orders dates: ISO, "2024/1/5 14:03", "05/01/2024 14:03" (day first), "2024年1月5日 14:03".
    date_format_shares: tuple[float, float, float, float] = (0.7, 0.1, 0.1, 0.1)
    # Prices: "68.90", "¥1,234.50", "CNY 1,234.50", "1,234.50".
    price_format_shares: tuple[float, float, float, float] = (0.55, 0.3, 0.1, 0.05)
    missing_email_share: float = 0.1
    missing_phone_share: float = 0.05
    missing_birth_date_share: float = 0.08

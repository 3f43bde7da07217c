"""Step: association rules over the baskets bought before the as-of date.

One order is one basket; returns and non-products (postage, fees, adjustments, found from
the data or listed in ``[association_rules] exclude``) are left out; a product counts once
per basket. Thresholds come from ``[association_rules]``.
"""

from __future__ import annotations

from crmine.config import AssociationRuleSettings
from crmine.pipeline.step import StepContext, StepResult, record, step

#: fewest baskets worth mining (``crmine check`` says so in advance)
MIN_BASKETS = 10


def basket_lines(ctx: StepContext):
    """(order, product) pairs of the purchases before as_of, with a name and a price."""
    orders = ctx.inputs.before("orders", "order_ts")
    buys = orders.filter(~orders.is_return & orders.product_id.notnull())
    return buys.group_by(["order_id", "product_id"]).aggregate(
        product_name=buys.product_name.arbitrary(), unit_price=buys.unit_price.max()
    ).to_pandas()


def _product_names(lines):
    """product_id → its most frequent name (ties: the first alphabetically), so the names
    shown beside a rule do not depend on the order the warehouse returned the lines in."""
    counts = lines.groupby(["product_id", "product_name"], dropna=True).size().reset_index(name="n")
    counts = counts.sort_values(["product_id", "n", "product_name"], ascending=[True, False, True])
    return counts.drop_duplicates("product_id").set_index("product_id")["product_name"]


@step(
    "association rules",
    needs=(("orders",),),
    writes=("association_rules",),
    settings=(AssociationRuleSettings,),
)
def association_rules_step(ctx: StepContext) -> StepResult:
    from crmine.models.basket import AssociationRuleMiner
    from crmine.quality.products import detect_non_products

    settings = ctx.settings(AssociationRuleSettings)
    lines = basket_lines(ctx)
    if lines.empty:
        return StepResult.skipped("no purchases with a product before the as-of date")
    excluded = detect_non_products(lines["product_id"], lines["product_name"], lines["unit_price"])
    excluded |= set(settings.exclude)
    baskets = lines[~lines["product_id"].isin(excluded)]
    if baskets["order_id"].nunique() < MIN_BASKETS:
        return StepResult.skipped(f"fewer than {MIN_BASKETS} baskets")
    miner = AssociationRuleMiner(
        min_support=settings.min_support,
        min_confidence=settings.min_confidence,
        min_lift=settings.min_lift,
        max_len=settings.max_itemset,
    ).fit(baskets["order_id"].to_numpy(), baskets["product_id"].to_numpy())
    rules = miner.rules_.copy()
    names = _product_names(baskets)
    for side in ("antecedents", "consequents"):
        rules[f"{side[:-1]}_names"] = [
            [str(names.get(i, i)) for i in items] for items in rules[side]
        ]
    model = record(
        "association_rules",
        {**miner.get_params(), "excluded_products": sorted(excluded)},
        training_window=f"baskets before {ctx.as_of}",
        metrics={"baskets": miner.n_baskets_, "itemsets": len(miner.itemsets_), "rules": len(rules)},
        rows=miner.n_baskets_,
    )
    return StepResult.done(
        f"{len(rules):,} rules from {miner.n_baskets_:,} baskets "
        f"(support ≥ {settings.min_support}, confidence ≥ {settings.min_confidence}); "
        f"{len(excluded)} non-products left out",
        {"association_rules": rules},
        [model],
    )

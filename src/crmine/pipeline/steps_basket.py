"""Run step: association rules over the baskets bought before the as-of date.

One order is one basket; returns and non-products (postage, fees, adjustments, found from
the data or listed in ``[association_rules] exclude``) are left out; a product counts once
per basket. Thresholds come from ``[association_rules]`` in crmine.toml.
"""

from __future__ import annotations

from typing import Any

from crmine.errors import ConfigError
from crmine.pipeline.run import RunContext, Step


def rule_settings(section: dict[str, Any]):
    """``[association_rules]`` → RuleSettings, with the library's defaults for absent keys."""
    from dataclasses import fields

    from crmine.models.basket import RuleSettings

    known = {f.name for f in fields(RuleSettings)}
    values = {k: v for k, v in section.items() if k in known}
    if values.get("max_len") == 0:
        values["max_len"] = None  # 0 = no limit (TOML has no null)
    try:
        return RuleSettings(**values)
    except TypeError as exc:
        raise ConfigError(f"[association_rules]: {exc}") from None


def association_rules_step(ctx: RunContext) -> str:
    from crmine.models.basket import AssociationRuleMiner
    from crmine.models.products import detect_non_products

    section = ctx.ws.config.section("association_rules")
    settings = rule_settings(section)
    lines = ctx.con.execute(
        """
        SELECT order_id, product_id, any_value(product_name) AS product_name,
               max(unit_price) AS unit_price
        FROM orders
        WHERE order_ts < ? AND NOT is_return AND product_id IS NOT NULL
        GROUP BY order_id, product_id
        """,
        [ctx.as_of_ts],
    ).df()
    if lines.empty:
        return "skipped: no purchases with a product before the as-of date"
    excluded = detect_non_products(lines["product_id"], lines["product_name"], lines["unit_price"])
    excluded |= {str(x) for x in section.get("exclude", [])}
    baskets = lines[~lines["product_id"].isin(excluded)]
    if baskets["order_id"].nunique() < 10:
        return "skipped: fewer than 10 baskets"
    miner = AssociationRuleMiner.from_settings(settings).fit(
        baskets["order_id"].to_numpy(), baskets["product_id"].to_numpy()
    )
    rules = miner.rules_.copy()
    names = baskets.drop_duplicates("product_id").set_index("product_id")["product_name"]
    for side in ("antecedents", "consequents"):
        rules[f"{side[:-1]}_names"] = [
            [str(names.get(i, i)) for i in items] for items in rules[side]
        ]
    ctx.tables["association_rules"] = rules
    ctx.record_model(
        "association_rules",
        {**settings.__dict__, "excluded_products": sorted(excluded)},
        training_window=f"baskets before {ctx.as_of}",
        metrics={"baskets": miner.n_baskets_, "itemsets": len(miner.itemsets_), "rules": len(rules)},
        rows=miner.n_baskets_,
    )
    return (
        f"{len(rules):,} rules from {miner.n_baskets_:,} baskets "
        f"(support ≥ {settings.min_support}, confidence ≥ {settings.min_confidence}); "
        f"{len(excluded)} non-products left out"
    )


STEPS = [Step("association rules", (("orders",),), association_rules_step)]

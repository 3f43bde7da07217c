"""``crmine check``: what each model family can do with this workspace's data, and why not.

Two halves. :func:`gather_facts` reads the warehouse once (counts, period, what the lines
carry, labels, quality) into :class:`DataFacts`; :func:`assess` turns those facts and the
settings into one verdict per family, with the reason and what would change it. The
verdicts use the same rules the run does (the cutoff plan of the purchase model, the
basket count of the rules, the customers a clustering needs), so ``check`` says in advance
what ``run`` will then skip.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from crmine.config import Config
    from crmine.engine import Workspace
    from crmine.engine.base import Engine

Status = Literal["ready", "partly", "no"]
INPUT_TABLES = ("customers", "orders", "products", "feedback", "interactions", "campaigns",
                "subscriptions")  # fmt: skip
#: labelled customers of each class a contractual churn model needs
MIN_CHURN_LABELS = 10


@dataclass(frozen=True)
class DataFacts:
    """What the warehouse holds, as far as the models care."""

    rows: dict[str, int]
    first_order: datetime | None = None
    last_order: datetime | None = None
    lines_without_customer: int = 0
    buyers: int = 0
    repeat_buyers: int = 0
    priced_lines: int = 0
    product_lines: int = 0
    products: int = 0
    multi_product_baskets: int = 0
    category_lines: int = 0
    named_lines: int = 0
    returns: int = 0
    churn_labels: dict[str, int] = field(default_factory=dict)  # churned / stayed
    feedback_texts: int = 0
    feedback_undated: int = 0
    interaction_texts: int = 0
    campaign_groups: dict[str, int] = field(default_factory=dict)
    campaign_outcome_columns: list[str] = field(default_factory=list)  # on customers
    quarantined: dict[str, int] = field(default_factory=dict)  # "entity: reason" → rows
    merged_customers: int = 0

    @property
    def history_days(self) -> int:
        if self.first_order is None or self.last_order is None:
            return 0
        return (self.last_order.date() - self.first_order.date()).days + 1

    def to_dict(self) -> dict:
        out = asdict(self)
        for k in ("first_order", "last_order"):
            out[k] = None if out[k] is None else out[k].isoformat()
        out["history_days"] = self.history_days
        return out


@dataclass(frozen=True)
class Readiness:
    """One model family's verdict: will it run, why (not), and what would change that."""

    family: str
    status: Status
    detail: str
    change: str = ""


def gather_facts(ws: Workspace) -> DataFacts:
    """Read the warehouse once (read-only) into :class:`DataFacts`."""
    with ws.connect(read_only=True) as con:
        return gather_facts_from(con)


def gather_facts_from(con: Engine) -> DataFacts:
    """:func:`gather_facts` on an open connection to the warehouse (e.g. the report's)."""


    present = con.tables()
    rows = {t: _count(con, f"SELECT count(*) FROM {t}") for t in INPUT_TABLES if t in present}
    facts: dict = {"rows": rows}
    if rows.get("orders"):
        facts |= _order_facts(con, set(con.columns("orders")))
    if rows.get("customers") and "churned" in con.columns("customers"):
        churned, stayed = con.execute(
            "SELECT count(*) FILTER (WHERE churned), count(*) FILTER (WHERE NOT churned) "
            "FROM customers"
        ).fetchone()
        facts["churn_labels"] = {"churned": int(churned), "stayed": int(stayed)}
    if rows.get("feedback"):
        texts, undated = con.execute(
            "SELECT count(*) FILTER (WHERE nullif(trim(text), '') IS NOT NULL), "
            "count(*) FILTER (WHERE ts IS NULL) FROM feedback"
        ).fetchone() if "text" in con.columns("feedback") else (0, 0)
        facts |= {"feedback_texts": int(texts), "feedback_undated": int(undated)}
    if rows.get("interactions") and "text" in con.columns("interactions"):
        facts["interaction_texts"] = _count(
            con, "SELECT count(*) FROM interactions WHERE nullif(trim(text), '') IS NOT NULL"
        )
    if rows.get("customers") and not rows.get("campaigns"):
        from crmine.pipeline.campaign_rows import AUTO_OUTCOMES, _find

        facts["campaign_outcome_columns"] = _find(con.columns("customers"), AUTO_OUTCOMES)
    if rows.get("campaigns") and "group" in con.columns("campaigns"):
        facts["campaign_groups"] = {
            str(g): int(n)
            for g, n in con.execute(
                'SELECT lower(coalesce("group", \'(none)\')), count(*) FROM campaigns '
                "GROUP BY 1 ORDER BY 1"
            ).fetchall()
        }
    if "quarantine" in present:
        facts["quarantined"] = {
            f"{e}: {r}": int(n)
            for e, r, n in con.execute(
                "SELECT entity, reason, count(*) FROM quarantine GROUP BY 1, 2 ORDER BY 3 DESC"
            ).fetchall()
        }
    if "customer_merges" in present:
        facts["merged_customers"] = _count(con, "SELECT count(*) FROM customer_merges")
    return DataFacts(**facts)


def _count(con: Engine, sql: str) -> int:
    return int(con.execute(sql).fetchone()[0])


def _order_facts(con: Engine, cols: set[str]) -> dict:
    def has(c: str, test: str = "IS NOT NULL") -> str:
        return f"count(*) FILTER (WHERE {c} {test})" if c in cols else "0"

    priced = (
        "count(*) FILTER (WHERE coalesce(amount, 0) <> 0)" if "amount" in cols else "0"
    )
    first, last, no_customer, returns, priced_n, product_n, category_n, named_n = con.execute(
        f"SELECT min(order_ts), max(order_ts), count(*) FILTER (WHERE customer_id IS NULL), "
        f"count(*) FILTER (WHERE is_return), {priced}, {has('product_id')}, "
        f"{has('category')}, {has('product_name')} FROM orders"
    ).fetchone()
    buyers, repeat = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE days >= 2) FROM (SELECT customer_id, "
        "count(DISTINCT CAST(order_ts AS DATE)) AS days FROM orders WHERE customer_id IS NOT "
        "NULL AND NOT is_return GROUP BY 1)"
    ).fetchone()
    products = baskets = 0
    if "product_id" in cols:
        products, baskets = con.execute(
            "SELECT (SELECT count(DISTINCT product_id) FROM orders), (SELECT count(*) FROM "
            "(SELECT order_id FROM orders WHERE NOT is_return AND product_id IS NOT NULL "
            "GROUP BY 1 HAVING count(DISTINCT product_id) >= 2))"
        ).fetchone()
    return {
        "first_order": first, "last_order": last, "lines_without_customer": int(no_customer),
        "returns": int(returns), "priced_lines": int(priced_n), "product_lines": int(product_n),
        "category_lines": int(category_n), "named_lines": int(named_n), "buyers": int(buyers),
        "repeat_buyers": int(repeat), "products": int(products),
        "multi_product_baskets": int(baskets),
    }  # fmt: skip


# --- verdicts (pure) --------------------------------------------------------------------------


def assess(facts: DataFacts, config: Config, horizon_days: int | None = None) -> list[Readiness]:
    """One verdict per model family, in the order a user reads them."""
    from crmine.config.sections import ClusterSettings, ModelsSettings, RunSettings
    from crmine.pipeline.steps.clusters import fewest_to_cluster

    horizon = horizon_days or config.get(RunSettings).horizon_days
    models = config.get(ModelsSettings)
    purchase = _purchase(facts, models, horizon)
    return [
        purchase,
        _churn(facts, purchase),
        _clv(facts, purchase),
        _recommendations(facts),
        _rules(facts),
        _categories(facts),
        _clusters(facts, fewest_to_cluster(config.get(ClusterSettings))),
        _sentiment(facts),
        _forecast(facts, horizon),
        _demand(facts),
        _campaigns(facts),
    ]


def _purchase(facts: DataFacts, models, horizon: int) -> Readiness:
    from crmine.features.purchase import plan_cutoffs

    name = "purchase"
    if not facts.rows.get("orders"):
        return Readiness(name, "no", "no orders loaded", "load orders: crmine ingest DIR orders=FILE")
    if facts.buyers == 0:
        return Readiness(name, "no", "no order line names a customer",
                         "map the customer column under [ingest.columns]")  # fmt: skip
    as_of = facts.last_order + timedelta(days=1)
    _, train = plan_cutoffs(facts.first_order, as_of, horizon, step_days=models.cutoff_step_days,
                            max_cutoffs=models.max_cutoffs,
                            min_history_days=models.min_history_days)  # fmt: skip
    if facts.buyers < models.min_customers:
        return Readiness(name, "partly", f"BG/NBD only: {facts.buyers} buyers, the propensity "
                         f"model needs {models.min_customers}", "more customers' orders")  # fmt: skip
    if not train:
        fits = _longest_horizon(facts, models, as_of)
        change = (f"a horizon of {fits} days or less (--horizon {fits})" if fits
                  else "more order history")  # fmt: skip
        return Readiness(name, "partly",
                         f"BG/NBD only: {facts.history_days} days of history, the propensity "
                         f"model's time-split validation needs about "
                         f"{models.min_history_days} + 2×{horizon} days", change)  # fmt: skip
    return Readiness(name, "ready", f"{facts.buyers:,} buyers over {facts.history_days} days: "
                     f"propensity trained on {len(train)} cutoff(s) and validated, BG/NBD beside it")  # fmt: skip


def _longest_horizon(facts: DataFacts, models, as_of: datetime) -> int:
    from crmine.features.purchase import plan_cutoffs

    for h in range(min(365, facts.history_days), 6, -1):
        if plan_cutoffs(facts.first_order, as_of, h, step_days=models.cutoff_step_days,
                        max_cutoffs=models.max_cutoffs,
                        min_history_days=models.min_history_days)[1]:  # fmt: skip
            return h
    return 0


def _churn(facts: DataFacts, purchase: Readiness) -> Readiness:
    churned, stayed = facts.churn_labels.get("churned", 0), facts.churn_labels.get("stayed", 0)
    if min(churned, stayed) >= MIN_CHURN_LABELS:
        return Readiness("churn", "ready", f"contractual: {churned:,} churned and {stayed:,} "
                         "stayed customers to learn from")  # fmt: skip
    change = "add a churned column to customers to predict contractual churn"
    if facts.churn_labels:
        change = f"at least {MIN_CHURN_LABELS} customers of each label"
    if purchase.status != "no":
        return Readiness("churn", "partly", "non-contractual: churn risk is the chance of no "
                         "purchase within the horizon", change)  # fmt: skip
    return Readiness("churn", "no", "no churned labels and no purchases", change)


def _clv(facts: DataFacts, purchase: Readiness) -> Readiness:
    if purchase.status == "no":
        return Readiness("clv", "no", purchase.detail, purchase.change)
    if facts.priced_lines == 0:
        return Readiness("clv", "no", "order lines carry no amount or price: spend is unknown",
                         "add an amount or unit_price column to orders")  # fmt: skip
    if facts.repeat_buyers == 0:
        return Readiness("clv", "no", "no customer bought on two days: nothing to learn "
                         "spend per purchase from", "longer history")  # fmt: skip
    return Readiness("clv", "ready", f"{facts.repeat_buyers:,} repeat buyers, "
                     f"{facts.priced_lines:,} priced lines (BG/NBD × Gamma-Gamma and the "
                     "hurdle model)")  # fmt: skip


def _recommendations(facts: DataFacts) -> Readiness:
    if not facts.rows.get("orders"):
        return Readiness("recommendations", "no", "no orders loaded", "load orders")
    if facts.product_lines == 0:
        return Readiness("recommendations", "no", "order lines carry no product",
                         "add a product id or name column to orders")  # fmt: skip
    if facts.buyers == 0:
        return Readiness("recommendations", "no", "no order line names a customer",
                         "map the customer column")  # fmt: skip
    if facts.products < 2:
        return Readiness("recommendations", "no", "only one product", "more products")
    return Readiness("recommendations", "ready",
                     f"{facts.products:,} products bought by {facts.buyers:,} customers")


def _rules(facts: DataFacts) -> Readiness:
    """The run mines any MIN_BASKETS baskets; rules need baskets of two or more products,
    so those are what is counted here."""
    from crmine.pipeline.steps.rules import MIN_BASKETS

    if facts.product_lines == 0:
        return Readiness("rules", "no", "order lines carry no product",
                         "add a product id or name column to orders")  # fmt: skip
    if facts.multi_product_baskets < MIN_BASKETS:
        return Readiness("rules", "no", f"{facts.multi_product_baskets} baskets with two or "
                         f"more products, fewer than {MIN_BASKETS}",
                         "orders with an order id that groups the lines of a basket")  # fmt: skip
    return Readiness("rules", "ready",
                     f"{facts.multi_product_baskets:,} baskets with two or more products")


def _categories(facts: DataFacts) -> Readiness:
    if facts.category_lines:
        return Readiness("categories", "ready", f"{facts.category_lines:,} lines with a category")
    if facts.named_lines:
        return Readiness("categories", "ready", "categories derived from product names "
                         "(no category column)", "a category column to use your own")  # fmt: skip
    return Readiness("categories", "no", "order lines carry no category or product name",
                     "add a category or product name column to orders")  # fmt: skip


def _clusters(facts: DataFacts, fewest: int) -> Readiness:
    people = facts.buyers if facts.rows.get("orders") else facts.rows.get("customers", 0)
    if people >= fewest:
        return Readiness("clusters", "ready", f"{people:,} customers to group")
    return Readiness("clusters", "no", f"{people} customers, fewer than {fewest}",
                     "more customers, or a smaller [clusters] k_max")  # fmt: skip


def _sentiment(facts: DataFacts) -> Readiness:
    texts = facts.feedback_texts + facts.interaction_texts
    if not texts:
        return Readiness("sentiment", "no", "no feedback or contact text",
                         "load reviews, surveys or tickets as feedback / interactions")  # fmt: skip
    undated = (f"; {facts.feedback_undated:,} undated reviews are scored but left out of the "
               "monthly trends") if facts.feedback_undated else ""  # fmt: skip
    return Readiness("sentiment", "ready", f"{texts:,} texts to score{undated}")


def _forecast(facts: DataFacts, horizon: int) -> Readiness:
    if not facts.rows.get("orders"):
        return Readiness("forecast", "no", "no orders loaded", "load orders")
    if facts.history_days < 2 * horizon:
        return Readiness("forecast", "partly", f"{facts.history_days} days of history: "
                         f"customer-level forecasts only, a demand series needs two horizons "
                         f"({2 * horizon} days)", "longer history or a shorter horizon")  # fmt: skip
    return Readiness("forecast", "ready", f"{facts.history_days} days of history for the "
                     "customer-level forecasts (expected orders and revenue per customer)")  # fmt: skip


#: days of sales the demand forecast wants: eight weekly periods to validate on
MIN_DEMAND_DAYS = 56


def _demand(facts: DataFacts) -> Readiness:
    """Demand forecasts read every dated line, with or without a customer."""
    if not facts.rows.get("orders"):
        return Readiness("demand", "no", "no orders loaded", "load orders (aggregated sales "
                         "such as one line per store and week will do)")  # fmt: skip
    days = facts.history_days
    if days < MIN_DEMAND_DAYS:
        return Readiness("demand", "partly", f"{days} days of sales: forecasts with little or "
                         f"no validation (without it: a simple model, a band from period-to-period "
                         f"changes)",
                         f"at least {MIN_DEMAND_DAYS} days of sales")  # fmt: skip
    season = "a yearly season to use" if days > 371 else "no yearly season yet (a year and a week needed)"
    return Readiness("demand", "ready", f"{days} days of sales for demand_forecast per level, "
                     f"models chosen on rolling windows; {season}")  # fmt: skip


def _campaigns(facts: DataFacts) -> Readiness:
    from crmine.config import CampaignSettings

    if not facts.rows.get("campaigns"):
        if facts.campaign_outcome_columns:
            return Readiness("campaigns", "partly", "customers carry campaign outcomes ("
                             f"{', '.join(facts.campaign_outcome_columns)}): the customers "
                             "without one are scored for response", "an arm column with a "
                             "control group ([campaigns] group_column) to learn uplift")  # fmt: skip
        return Readiness("campaigns", "no", "no campaign sends loaded",
                         "load campaign sends as campaigns (customer, sent date, group), or name "
                         "the customers columns holding outcomes in [campaigns] outcome_columns")  # fmt: skip
    groups = facts.campaign_groups
    controls = CampaignSettings().controls & set(groups)
    if not controls or len(groups) < 2:
        return Readiness("campaigns", "partly", f"{facts.rows['campaigns']:,} sends without a "
                         "control group: response is scored, uplift cannot be measured",
                         "a group column with treatment and control")  # fmt: skip
    return Readiness("campaigns", "ready", f"{facts.rows['campaigns']:,} sends with a control "
                     "group: response and uplift (published when it beats targeting by response "
                     "on validation)")  # fmt: skip


def summary_lines(facts: DataFacts) -> list[str]:
    """The data's period, counts and quality, one fact per line."""
    lines = []
    counts = ", ".join(f"{t} {n:,}" for t, n in facts.rows.items())
    lines.append(f"loaded: {counts or 'nothing'}")
    if facts.first_order is not None:
        lines.append(f"orders from {facts.first_order:%Y-%m-%d} to {facts.last_order:%Y-%m-%d} "
                     f"({facts.history_days} days), {facts.buyers:,} customers with a purchase")  # fmt: skip
    if facts.lines_without_customer:
        lines.append(f"{facts.lines_without_customer:,} order lines without a customer")
    if facts.returns:
        lines.append(f"{facts.returns:,} return or cancellation lines")
    if facts.merged_customers:
        lines.append(f"{facts.merged_customers:,} duplicate customer records merged")
    total = sum(facts.quarantined.values())
    if total:
        top = ", ".join(f"{k} {n:,}" for k, n in list(facts.quarantined.items())[:4])
        lines.append(f"quarantined {total:,} rows ({top})")
    return lines


def to_json(facts: DataFacts, verdicts: list[Readiness]) -> str:
    import json

    return json.dumps({"facts": facts.to_dict(), "models": [asdict(v) for v in verdicts]},
                      indent=2, ensure_ascii=False, default=str)  # fmt: skip

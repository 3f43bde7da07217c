"""The report's sections, as a registry: adding a section is adding one function.

A section's ``build`` gets the :class:`ReportContext` and returns either its content or an
:class:`Omitted` with a one-line reason (shown in its place), never raises for absent data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from crmine.report import charts, data
from crmine.report.charts import Chart
from crmine.report.context import ReportContext
from crmine.report.fmt import Money, integer, percent


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    detail: str = ""


@dataclass(frozen=True)
class Table:
    """A small table; ``numeric`` marks right-aligned columns. Cells are plain text."""

    columns: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()


@dataclass(frozen=True)
class SectionContent:
    kpis: list[Kpi] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Omitted:
    """Why a section is left out, in one sentence for the reader."""

    reason: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    build: Callable[[ReportContext], SectionContent | Omitted]
    width: Literal["full", "half"] = "full"
    # Relations the section reads; the report inspects them before building.
    tables: tuple[str, ...] = ()


SECTIONS: list[Section] = []


def register_section(section: Section, *, before: str | None = None) -> Section:
    """Add ``section`` (replacing one with the same id), at the end or before id ``before``."""
    SECTIONS[:] = [s for s in SECTIONS if s.id != section.id]
    ids = [s.id for s in SECTIONS]
    SECTIONS.insert(ids.index(before) if before in ids else len(SECTIONS), section)
    return section


def section(
    id: str, title: str, *, width: Literal["full", "half"] = "full", tables: tuple[str, ...] = ()
) -> Callable[[Callable[[ReportContext], SectionContent | Omitted]], Section]:
    """Decorator form of :func:`register_section`."""

    def wrap(build: Callable[[ReportContext], SectionContent | Omitted]) -> Section:
        return register_section(Section(id, title, build, width, tables))

    return wrap


_NO_ORDERS = Omitted("There is no orders table with order numbers and dates.")
_NO_MONEY_NOTE = (
    "Order lines carry no amounts or prices, so revenue figures are left out and orders "
    "stand in for them."
)
_NO_SCORES = Omitted("There is no customer_scores table (run the models to publish one).")


def _has_orders(ctx: ReportContext) -> bool:
    return ctx.has("orders", "order_id", "order_ts")


def _has_money(ctx: ReportContext) -> bool:
    """Basket data often has no prices: order figures still stand, revenue ones do not."""
    return ctx.has("orders", "amount")


def anonymous_note(k: dict, money: Money) -> list[str]:
    """Footnote on order lines without a customer (none when every line has one)."""
    n = k["anonymous_lines"]
    if not n:
        return []
    return [
        f"{integer(n)} of {integer(k['lines'])} order lines ({money(k['anonymous_revenue'])} net) "
        "have no customer: they count in revenue, order and product figures but not in "
        "customer figures."
    ]


@section("data", "The data", tables=("orders", "customers"))
def data_section(ctx: ReportContext) -> SectionContent | Omitted:
    """The facts ``crmine check`` starts with: period, counts, quality."""
    from crmine.pipeline.readiness import gather_facts_from, summary_lines

    facts = gather_facts_from(ctx.con)
    if not facts.rows:
        return Omitted("Nothing is loaded yet.")
    return SectionContent(notes=[*summary_lines(facts), "What each model can do with this "
                                 "data, and why not: crmine check DIR."])  # fmt: skip


@section("kpis", "Key figures", tables=("orders", "customers", "customer_scores"))
def kpi_section(ctx: ReportContext) -> SectionContent | Omitted:
    on_file = data.count_rows(ctx.con, "customers") if "customers" in ctx.tables else None
    if not _has_orders(ctx):
        if on_file is None and "customer_scores" not in ctx.tables:
            return _NO_ORDERS
        n = on_file if on_file is not None else data.count_rows(ctx.con, "customer_scores")
        return SectionContent(
            kpis=[Kpi("Customers", integer(n), "on file")],
            notes=[
                "There is no orders table, so order, revenue and activity figures are left out."
            ],
        )
    k = data.order_kpis(ctx.con, ctx.as_of, ctx.settings.active_days)
    money, days = ctx.money, ctx.settings.active_days
    active_share = k["active_customers"] / k["customers"] if k["customers"] else None
    period, period_detail = "–", "no orders before the report date"
    if k["first_ts"] is not None:
        first, last = k["first_ts"].date(), k["last_ts"].date()
        period = f"{first:%b %Y} – {last:%b %Y}"
        period_detail = (
            f"{first:%d %b %Y} to {last:%d %b %Y}, {integer((last - first).days + 1)} days"
        )
    kpis = [
        Kpi(
            "Customers",
            integer(k["customers"]),
            "with at least one purchase" + (f" · {integer(on_file)} on file" if on_file else ""),
        ),
        Kpi("Orders", integer(k["orders"]), "purchase orders, returns excluded"),
        Kpi("Revenue", money(k["revenue"]), "net of returns"),
        Kpi(
            "Active customers",
            integer(k["active_customers"]),
            f"bought in the {days} days before {ctx.as_of:%d %b %Y} ({percent(active_share)})",
        ),
        Kpi("Repeat-purchase rate", percent(k["repeat_rate"]), "customers with 2 or more orders"),
        Kpi("Average order value", money(k["avg_order_value"], 2), "purchase value per order"),
        Kpi(
            "Returns",
            percent(k["returns_share"]),
            f"of gross sales ({money(k['returned'])} returned)",
        ),
        Kpi("Data period", period, period_detail),
    ]
    if not _has_money(ctx):
        money_kpis = {"Revenue", "Average order value", "Returns"}
        kpis = [kpi for kpi in kpis if kpi.label not in money_kpis]
        return SectionContent(kpis=kpis, notes=[_NO_MONEY_NOTE])
    return SectionContent(kpis=kpis, notes=anonymous_note(k, ctx.money))


@section("monthly", "Revenue and orders by month", tables=("orders",))
def monthly_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not _has_orders(ctx):
        return _NO_ORDERS
    df = data.monthly(ctx.con, ctx.as_of)
    if df.empty:
        return Omitted("No orders were placed before the report date.")
    notes = []
    last = data.last_order_ts(ctx.con, ctx.as_of)
    if last is not None and (last + timedelta(days=1)).month == last.month:
        notes.append(f"{last:%B %Y} is incomplete: the data ends on {last:%d %B %Y}.")
    if not _has_money(ctx):
        notes.append(_NO_MONEY_NOTE)
    chart = charts.monthly_chart(df, ctx.money, with_revenue=_has_money(ctx))
    return SectionContent(charts=[chart], notes=notes)


@section("regions", "Sales by region", tables=("orders",))
def region_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not _has_orders(ctx):
        return _NO_ORDERS
    if not ctx.has("orders", "region"):
        return Omitted("No order line records a region or country.")
    money = _has_money(ctx)
    df = data.revenue_by_region(ctx.con, ctx.as_of, ctx.settings.top_regions, by_revenue=money)
    if df.empty:
        return Omitted("No orders were placed before the report date.")
    chart = charts.region_chart(df, ctx.money, with_revenue=money)
    return SectionContent(charts=[chart], notes=[] if money else [_NO_MONEY_NOTE])


@section("segments", "RFM segments", width="half", tables=("customer_scores",))
def segment_section(ctx: ReportContext) -> SectionContent | Omitted:
    if "customer_scores" not in ctx.tables:
        return _NO_SCORES
    if not ctx.has("customer_scores", "rfm_segment"):
        return Omitted("customer_scores has no RFM segment labels.")
    df = data.rfm_segments(ctx.con, ctx.tables)
    return SectionContent(charts=[charts.segments_chart(df, ctx.money)])


@section("rf_grid", "Recency × frequency", width="half", tables=("customer_scores",))
def rf_section(ctx: ReportContext) -> SectionContent | Omitted:
    if "customer_scores" not in ctx.tables:
        return _NO_SCORES
    if not ctx.has("customer_scores", "r_score", "f_score"):
        return Omitted("customer_scores has no recency and frequency scores.")
    df = data.rf_grid(ctx.con, ctx.tables)
    if df.empty:
        return Omitted("No customer has recency and frequency scores from 1 to 5.")
    return SectionContent(charts=[charts.rf_heatmap(df, ctx.money)])


@section("cohorts", "Retention by first-purchase month", tables=("orders",))
def cohort_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not _has_orders(ctx):
        return _NO_ORDERS
    if not ctx.has("orders", "customer_id"):
        return Omitted("No order line names a customer, so cohorts cannot be followed.")
    s = ctx.settings
    df = data.cohort_retention(ctx.con, ctx.as_of, s.max_cohorts, s.max_cohort_months)
    if not (df["k"] >= 1).any():
        return Omitted("Purchases span a single month, so no cohort can be followed yet.")
    return SectionContent(charts=[charts.cohort_heatmap(df)])


@section("products", "Top products", tables=("orders",))
def product_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not _has_orders(ctx):
        return _NO_ORDERS
    if not (ctx.has("orders", "product_id") or ctx.has("orders", "product_name")):
        return Omitted("No order line records a product.")
    excluded = data.non_products(ctx.con, ctx.tables)
    df = data.top_products(
        ctx.con, ctx.as_of, ctx.tables, ctx.settings.top_products, [c for c, _ in excluded]
    )
    if df.empty:
        return Omitted("No orders were placed before the report date.")
    money = ctx.money
    with_money = _has_money(ctx)
    names = df["name"].astype(object).where(df["name"].notna(), "").astype(str).tolist()
    with_codes = any(name != str(p) for p, name in zip(df["product"], names, strict=True))
    header = ["#", "Code", "Product", "Net revenue", "Net units", "Orders"]
    rows = [
        [str(i), str(p), name, money(v), integer(u), integer(o)]
        for i, (p, name, v, u, o) in enumerate(
            zip(df["product"], names, df["revenue"], df["units"], df["orders"], strict=True),
            start=1,
        )
    ]
    drop = ({"Code"} if not with_codes else set()) | ({"Net revenue"} if not with_money else set())
    if df["units"].isna().all():
        drop.add("Net units")
    keep = [i for i, h in enumerate(header) if h not in drop]
    table = Table(
        [header[i] for i in keep],
        [[row[i] for i in keep] for row in rows],
        frozenset(j for j, i in enumerate(keep) if header[i] in {"#", "Net revenue", "Net units",
                                                                  "Orders"}),
    )
    k = data.anonymous_lines(ctx.con, ctx.as_of)
    notes = anonymous_note(k, ctx.money)
    if excluded:
        shown = ", ".join(name for _, name in excluded[:6]) + (" …" if len(excluded) > 6 else "")
        notes.append(
            f"{len(excluded)} codes that are not goods (postage, fees, adjustments) are left "
            f"out of this ranking: {shown}."
        )
    if not with_money:
        notes.append(_NO_MONEY_NOTE)
    chart = charts.products_chart(df, money, with_revenue=with_money)
    return SectionContent(charts=[chart], tables=[table], notes=notes)

"""Report section for campaigns: whom to contact, what the contact adds, and how we know.

Reads the published ``campaign_scores`` and the campaign rows of ``models``: per campaign, the
Qini curve on validation (the chosen uplift model, the response model as a targeting rule and
random targeting), the profit curve of the contact list with its maximum, the top of the
list with the reasons in words, and the response by segment (contacted against held out).
Left out when no campaign was scored.
"""

from __future__ import annotations

import json
from typing import Any

from crmine.report.charts import _MUTED, PALETTE, Chart, _base, _tip, _value_axis
from crmine.report.context import ReportContext
from crmine.report.fmt import integer, percent
from crmine.report.sections import Kpi, Omitted, SectionContent, Table, section

_PER = 1000  # Qini values are per customer: shown per 1,000 customers contacted or not
_RULE = "response_model"
_CAMPAIGN_MODELS = ("campaign_uplift", "campaign_response")


def _records(ctx: ReportContext) -> list[dict[str, Any]]:
    if not ctx.has("models", "name"):
        return []
    rows = ctx.con.execute(
        "SELECT name, parameters, metrics FROM models WHERE name IN (?, ?) ORDER BY name",
        list(_CAMPAIGN_MODELS),
    ).fetchall()
    return [{"name": n, "parameters": json.loads(p), "metrics": json.loads(m)} for n, p, m in rows]


def _line(name: str, points: list[list[float]], color: str, dashed: bool = False,
          scale: float = _PER) -> dict[str, Any]:  # fmt: skip
    return {
        "name": name, "type": "line", "showSymbol": False,
        "data": [{"value": [x, y * scale],
                  "tip": _tip(name, f"Contacted {percent(x)}", f"{y * scale:.1f} per 1,000")}
                 for x, y in points],
        "itemStyle": {"color": color},
        "lineStyle": {"width": 2, "type": "dashed" if dashed else "solid"},
    }  # fmt: skip


def _segment_rows(records: dict[Any, dict[str, Any]], per_campaign: int = 24) -> list[list[str]]:
    """The campaigns' response-by-segment facts as table rows (a few per campaign)."""
    out = []
    for campaign, record in sorted(records.items(), key=lambda kv: str(kv[0])):
        for seg in (record["metrics"].get("by_segment") or [])[:per_campaign]:
            held = seg.get("response_held_out")
            interval = seg.get("uplift_90")
            uplift = "—" if seg.get("uplift") is None else (
                f"{seg['uplift']:+.1%} ({interval[0]:+.1%} to {interval[1]:+.1%})")
            out.append([str(campaign), str(seg["attribute"]), str(seg["level"]),
                        integer(seg["contacted"]), percent(seg["response_contacted"]),
                        "—" if held is None else percent(held), uplift])  # fmt: skip
    return out


def qini_chart(campaign: str, record: dict[str, Any]) -> Chart:
    """Extra responders caused, per 1,000 customers, as more are contacted in each order."""
    curves = record["metrics"]["qini_curves"]
    end = curves["chosen"][-1]
    chosen = record["parameters"]["chosen"]
    series = [
        _line(f"uplift model ({chosen})", curves["chosen"], PALETTE[0]),
        _line("response model", curves[_RULE], PALETTE[1], dashed=True),
        _line("random order", [[0.0, 0.0], end], "#8c959f", dashed=True),
    ]
    option = _base() | {
        "legend": {"top": 0},
        "grid": {"left": 30, "right": 20, "top": 40, "bottom": 40, "containLabel": True},
        "xAxis": _value_axis("pct", min=0, max=1, name="Share of customers contacted",
                             nameLocation="middle", nameGap=28, nameTextStyle={"color": _MUTED}),
        "yAxis": _value_axis("int", name="Extra responders per 1,000",
                             nameTextStyle={"color": _MUTED}),
        "series": series,
    }  # fmt: skip
    slug = "".join(ch if ch.isalnum() else "_" for ch in campaign)
    return Chart(
        f"qini_{slug}", option,
        f"{campaign}: on validation, the responses the contact causes as customers are "
        "contacted in each order; above the random line the order finds the customers the "
        "contact moves, not those who would respond anyway.", height=360,
    )  # fmt: skip


def profit_chart(campaign: str, record: dict[str, Any]) -> Chart:
    """Cumulative expected profit against customers contacted, best first, maximum marked."""
    curve = record["metrics"]["profit_curve"]
    best_n, best = curve["best_contacts"], curve["best_profit"]
    option = _base() | {
        "grid": {"left": 30, "right": 20, "top": 30, "bottom": 40, "containLabel": True},
        "xAxis": _value_axis("int", name="Customers contacted (best first)",
                             nameLocation="middle", nameGap=28, nameTextStyle={"color": _MUTED}),
        "yAxis": _value_axis("money", name="Expected profit", nameTextStyle={"color": _MUTED}),
        "series": [{
            "name": "expected profit", "type": "line", "showSymbol": False,
            "data": [{"value": [n, p], "tip": _tip("Expected profit", f"{integer(n)} contacted",
                                                   f"{p:,.2f}")} for n, p in curve["curve"]],
            "itemStyle": {"color": PALETTE[2]},
            "markPoint": {"data": [{"coord": [best_n, best], "value": integer(best_n),
                                    "name": "most profit"}]},
        }],
    }  # fmt: skip
    slug = "".join(ch if ch.isalnum() else "_" for ch in campaign)
    return Chart(
        f"profit_{slug}", option,
        f"{campaign}: the expected profit of contacting the list from the top; it peaks at "
        f"{integer(best_n)} customers ({best:,.2f}).", height=320,
    )  # fmt: skip


@section("campaigns", "Campaigns: whom to contact", tables=("campaign_scores", "models"))
def campaigns_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not ctx.has("campaign_scores", "campaign_id", "customer_id"):
        return Omitted("There is no campaign_scores table (load campaign sends or outcomes).")
    records = {r["parameters"].get("campaign_id"): r for r in _records(ctx)}
    per = ctx.con.execute(
        "SELECT campaign_id, count(*), count(*) FILTER (WHERE target), "
        "coalesce(sum(expected_profit) FILTER (WHERE target), 0), avg(p_response), "
        "avg(uplift) FROM campaign_scores GROUP BY 1 ORDER BY 1"
    ).fetchall()
    kpis, charts, notes = [], [], []
    rows = []
    for campaign, scored, targeted, profit, p, uplift in per:  # a handful of campaigns
        record = records.get(campaign)
        claimed = bool(record and record["metrics"].get("uplift_claimed"))
        kpis.append(Kpi(str(campaign), f"{integer(targeted)} to contact",
                        f"of {integer(scored)} scored; expected profit {profit:,.2f}"))
        rows.append([str(campaign), integer(scored), integer(targeted), percent(p),
                     "—" if uplift is None else f"{uplift:+.3f}",
                     "yes" if claimed else "no"])  # fmt: skip
        if record and record["name"] == "campaign_uplift":
            charts.append(qini_chart(str(campaign), record))
            if not claimed:
                notes.append(f"{campaign}: no uplift model beat targeting by response and random "
                             "targeting on validation, so no uplift is claimed; the list is "
                             "ranked by the chance of responding.")  # fmt: skip
        elif record:
            notes.append(f"{campaign}: no control group, so only the chance of responding is "
                         "known, not what the contact adds.")  # fmt: skip
        if record and record["metrics"].get("profit_curve"):
            charts.append(profit_chart(str(campaign), record))
    why = "top_reasons" if ctx.has("campaign_scores", "top_reasons") else "NULL"
    top = ctx.con.execute(
        f"SELECT campaign_id, customer_id, p_response, uplift, expected_profit, {why} FROM "
        "campaign_scores WHERE target AND rank <= 10 ORDER BY campaign_id, rank"
    ).fetchall()
    tables = [
        Table(["Campaign", "Scored", "To contact", "Mean p_response", "Mean uplift",
               "Uplift claimed"], rows, frozenset({1, 2, 3, 4})),
        Table(["Campaign", "Customer", "p_response", "Uplift", "Expected profit", "Why"],
              [[str(c), str(i), percent(p), "—" if u is None else f"{u:+.3f}", f"{e:,.2f}",
                "; ".join(r) if r is not None and len(r) else "—"]
               for c, i, p, u, e, r in top], frozenset({2, 3, 4})),
    ]  # fmt: skip
    segment_rows = _segment_rows(records)
    if segment_rows:
        tables.append(Table(["Campaign", "Attribute", "Level", "Contacted", "Responded if "
                             "contacted", "Responded if held out", "Uplift (90 % interval)"],
                            segment_rows, frozenset({3, 4, 5, 6})))  # fmt: skip
        notes.append("Response by segment: each level's response among the customers the "
                     "campaign contacted and, with a control group, among those it held out; "
                     "their difference is what the contact added there.")  # fmt: skip
    return SectionContent(kpis=kpis, charts=charts, tables=tables, notes=notes)

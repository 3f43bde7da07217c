"""Report sections for the voice of the customer: sentiment, topics, NPS/CSAT and drivers.

They read the published tables ``feedback_scores``, ``feedback_topics``, ``voice_summary`` and
``voice_drivers`` (views in the report's connection) and are left out with a note when a
table is absent. Importing this module registers the sections.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from crmine.report.charts import FONT_STACK, PALETTE, Chart
from crmine.report.fmt import integer, percent
from crmine.report.sections import Kpi, Omitted, SectionContent, Table, section

if TYPE_CHECKING:
    import pandas as pd

    from crmine.report.context import ReportContext

_TEXT, _MUTED, _GRID = "#1f2328", "#57606a", "#e5e7eb"
COMPLAINT_COLOR, THEME_COLOR = "#D55E00", "#0072B2"  # Okabe-Ito vermillion / blue
_NO_FEEDBACK = Omitted("There is no feedback_scores table (load feedback and run the models).")


def _tip(title: str, *lines: str) -> str:
    return f"<b>{escape(title)}</b>" + "".join(f"<br>{escape(line)}" for line in lines)


def _base(**extra: Any) -> dict[str, Any]:
    return {
        "color": PALETTE,
        "textStyle": {"color": _TEXT, "fontFamily": FONT_STACK},
        "animation": False,
        "tooltip": {"trigger": "axis", "confine": True, "formatter": "$fmt:tip"},
        "grid": {"left": 16, "right": 24, "top": 40, "bottom": 8, "containLabel": True},
        **extra,
    }


def _value_axis(**extra: Any) -> dict[str, Any]:
    return {"type": "value", "axisLabel": {"color": _MUTED},
            "splitLine": {"lineStyle": {"color": _GRID}}, **extra}  # fmt: skip


def _signed(x: float) -> str:
    return "–" if x != x else f"{x:+.2f}".replace("-", "−")


# --- data --------------------------------------------------------------------------------


def sentiment_by_month(con, as_of) -> pd.DataFrame:
    """Per month and language: texts, mean sentiment, share labelled negative."""
    return con.execute(
        """
        SELECT CAST(date_trunc('month', ts) AS DATE) AS month, language, count(*) AS texts,
               avg(sentiment) AS sentiment,
               avg(CASE WHEN sentiment_label = 'negative' THEN 1.0 ELSE 0.0 END) AS negative
        FROM feedback_scores
        WHERE sentiment IS NOT NULL AND ts < CAST($as_of AS TIMESTAMP)
        GROUP BY ALL ORDER BY month, language
        """,
        {"as_of": as_of},
    ).df()


def summary(con, dimension: str) -> pd.DataFrame:
    return con.execute(
        "SELECT value, metric, n, score FROM voice_summary WHERE dimension = $d ORDER BY value",
        {"d": dimension},
    ).df()


# --- sections ----------------------------------------------------------------------------


@section("voice_sentiment", "Customer sentiment by month", tables=("feedback_scores",))
def sentiment_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not ctx.has("feedback_scores", "sentiment", "ts"):
        return _NO_FEEDBACK
    df = sentiment_by_month(ctx.con, ctx.as_of)
    if df.empty:
        return Omitted("No feedback text before the report date carries a sentiment.")
    months = sorted(df["month"].unique())
    labels = [m.strftime("%b %Y") for m in months]
    series = []
    for i, (lang, g) in enumerate(df.groupby("language", sort=True)):
        g = g.set_index("month").reindex(months)
        data = [
            None if n != n else {"value": round(float(s), 3), "tip": _tip(
                f"{lab} · {lang}", f"Mean sentiment {_signed(s)}", f"{integer(n)} texts",
                f"{percent(neg)} negative")}
            for lab, s, n, neg in zip(labels, g["sentiment"], g["texts"], g["negative"], strict=True)
        ]  # fmt: skip
        series.append({"name": str(lang), "type": "line", "data": data, "connectNulls": False,
                       "symbolSize": 6, "itemStyle": {"color": PALETTE[i % len(PALETTE)]}})  # fmt: skip
    option = _base(
        legend={"top": 0},
        xAxis={"type": "category", "data": labels, "axisTick": {"show": False},
               "axisLabel": {"color": _TEXT, "hideOverlap": True}},
        yAxis=_value_axis(min=-1, max=1, name="sentiment", nameTextStyle={"color": _MUTED}),
        series=series,
    )  # fmt: skip
    total = int(df["texts"].sum())
    mean = float((df["sentiment"] * df["texts"]).sum() / total)
    neg = float((df["negative"] * df["texts"]).sum() / total)
    kpis = [
        Kpi(
            "Texts scored",
            integer(total),
            f"feedback texts in {df['language'].nunique()} language(s)",
        ),
        Kpi("Mean sentiment", _signed(mean), "from −1 (negative) to +1 (positive)"),
        Kpi("Negative texts", percent(neg), "labelled negative"),
    ]
    chart = Chart("voice-sentiment", option, "Mean sentiment of feedback texts per month, one line "
                  "per language (−1 negative … +1 positive).", wide=True)  # fmt: skip
    return SectionContent(kpis=kpis, charts=[chart])


@section("voice_topics", "What customers talk about", tables=("feedback_topics",))
def topics_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not ctx.has("feedback_topics", "topic", "n"):
        return Omitted("There is no feedback_topics table (too few feedback texts for topics).")
    df = ctx.con.execute(
        "SELECT topic, kind, n, share, mean_sentiment, share_negative FROM feedback_topics "
        "WHERE n > 0 ORDER BY kind = 'complaint' DESC, n DESC LIMIT 20"
    ).df()
    if df.empty:
        return Omitted("No topic was found in the feedback texts.")
    data = [
        {"value": int(n), "text": f"{integer(n)} · {percent(neg, 0)} negative",
         "itemStyle": {"color": COMPLAINT_COLOR if k == "complaint" else THEME_COLOR},
         "tip": _tip(t, f"{integer(n)} texts ({percent(sh)} of the language's texts)",
                     f"Mean sentiment {_signed(s)}", f"{percent(neg)} negative")}
        for t, k, n, sh, s, neg in zip(df["topic"], df["kind"], df["n"], df["share"],
                                       df["mean_sentiment"], df["share_negative"], strict=True)
    ]  # fmt: skip
    option = _base(
        tooltip={"trigger": "item", "confine": True, "formatter": "$fmt:tip"},
        grid={"left": 8, "right": 150, "top": 8, "bottom": 8, "containLabel": True},
        xAxis=_value_axis(),
        yAxis={"type": "category", "data": df["topic"].tolist(), "inverse": True,
               "axisTick": {"show": False},
               "axisLabel": {"color": _TEXT, "width": 260, "overflow": "truncate"}},
        series=[{"type": "bar", "data": data, "barMaxWidth": 22,
                 "label": {"show": True, "position": "right", "formatter": "$fmt:text",
                           "color": _TEXT}}],
    )  # fmt: skip
    rows = [[t, k, integer(n), _signed(s), percent(neg)]
            for t, k, n, s, neg in zip(df["topic"], df["kind"], df["n"], df["mean_sentiment"],
                                       df["share_negative"], strict=True)]  # fmt: skip
    chart = Chart("voice-topics", option, "Texts per topic; complaint topics (found among negative "
                  "texts) in orange, general themes in blue. Labels are each topic's top terms.",
                  height=max(220, 60 + 28 * len(df)))  # fmt: skip
    table = Table(["Topic", "Kind", "Texts", "Mean sentiment", "Negative"], rows,
                  frozenset({2, 3, 4}))  # fmt: skip
    return SectionContent(charts=[chart], tables=[table])


@section("voice_nps", "NPS and CSAT", tables=("voice_summary",))
def nps_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not ctx.has("voice_summary", "dimension", "metric"):
        return Omitted("There is no voice_summary table (load feedback and run the models).")
    overall = summary(ctx.con, "all").set_index("metric")
    if not {"nps", "csat"} & set(overall.index):
        return Omitted("No feedback carries an NPS (0–10) or a 1–5 score.")
    kpis = []
    if "nps" in overall.index:
        kpis.append(Kpi("NPS", f"{overall.loc['nps', 'score']:+.0f}".replace("-", "−"),
                        f"{integer(overall.loc['nps', 'n'])} answers: % promoters (9–10) − % "
                        "detractors (0–6)"))  # fmt: skip
    if "csat" in overall.index:
        kpis.append(Kpi("CSAT", percent(overall.loc["csat", "score"] / 100),
                        f"of {integer(overall.loc['csat', 'n'])} 1–5 answers were 4 or 5"))  # fmt: skip
    monthly = summary(ctx.con, "month")
    monthly = monthly[monthly["metric"].isin(["nps", "csat"])]
    charts = []
    if monthly["value"].nunique() >= 2:
        months = sorted(monthly["value"].unique())
        series = []
        for i, metric in enumerate(("nps", "csat")):
            g = monthly[monthly["metric"] == metric].set_index("value").reindex(months)
            if g["score"].notna().sum() == 0:
                continue
            data = [None if n != n else {"value": round(float(s), 1), "tip": _tip(
                f"{m} · {metric.upper()}", f"{s:.0f}", f"{integer(n)} answers")}
                for m, s, n in zip(months, g["score"], g["n"], strict=True)]  # fmt: skip
            series.append({"name": metric.upper(), "type": "line", "data": data,
                           "symbolSize": 6, "itemStyle": {"color": PALETTE[i]}})  # fmt: skip
        option = _base(legend={"top": 0},
                       xAxis={"type": "category", "data": months, "axisTick": {"show": False}},
                       yAxis=_value_axis(min=-100, max=100), series=series)  # fmt: skip
        charts.append(Chart("voice-nps", option, "NPS (−100…100) and CSAT (% of 4–5 answers) "
                            "per month; months with too few answers are left blank.", wide=True))  # fmt: skip
    rows = []
    for dim in ("rfm_segment", "cluster_label", "region"):
        by = summary(ctx.con, dim)
        for value, g in by[by["metric"].isin(["nps", "csat"])].groupby("value", sort=True):
            m = g.set_index("metric")
            cell = [f"{m.loc[k, 'score']:.0f} ({integer(m.loc[k, 'n'])})" if k in m.index else "–"
                    for k in ("nps", "csat")]  # fmt: skip
            rows.append([dim.replace("_", " "), str(value), *cell])
    tables = [Table(["By", "Group", "NPS (answers)", "CSAT % (answers)"], rows,
                    frozenset({2, 3}))] if rows else []  # fmt: skip
    return SectionContent(kpis=kpis, charts=charts, tables=tables)


@section("voice_drivers", "What moves the score", tables=("voice_drivers",))
def drivers_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not ctx.has("voice_drivers", "driver", "effect"):
        return Omitted("No driver could be estimated (too few scored answers with text).")
    df = ctx.con.execute(
        "SELECT scale, driver, effect, n, significant, sentence FROM voice_drivers "
        "ORDER BY scale, significant DESC, abs(effect) DESC"
    ).df()
    clear = df[df["significant"]]
    rows = [[s, sentence, integer(n)]
            for s, sentence, n in zip(clear["scale"], clear["sentence"], clear["n"], strict=True)]  # fmt: skip
    notes = ["Effects come from one least-squares fit per scale of the score on topic mentions, "
             "the text's tone and the attributes, each holding the others fixed; they describe "
             "association in this data, not proof of cause."]  # fmt: skip
    if clear.empty:
        notes.insert(0, "No driver's effect is clearly different from zero.")
        return SectionContent(notes=notes)
    top = clear.head(15)
    data = [{"value": round(float(e), 3), "tip": _tip(d, s),
             "itemStyle": {"color": THEME_COLOR if e > 0 else COMPLAINT_COLOR}}
            for d, e, s in zip(top["driver"], top["effect"], top["sentence"], strict=True)]  # fmt: skip
    option = _base(
        tooltip={"trigger": "item", "confine": True, "formatter": "$fmt:tip"},
        grid={"left": 8, "right": 24, "top": 8, "bottom": 8, "containLabel": True},
        xAxis=_value_axis(),
        yAxis={"type": "category", "data": [f"{d} ({s})" for d, s in zip(top["driver"], top["scale"],
                                                                        strict=True)],
               "inverse": True, "axisTick": {"show": False},
               "axisLabel": {"color": _TEXT, "width": 300, "overflow": "truncate"}},
        series=[{"type": "bar", "data": data, "barMaxWidth": 22}],
    )  # fmt: skip
    chart = Chart("voice-drivers", option, "Change in the score that goes with each driver "
                  "(points on 0–10 NPS, or stars on 1–5), other drivers held fixed.",
                  height=max(220, 60 + 28 * len(top)))  # fmt: skip
    table = Table(["Scale", "Driver", "Answers"], rows, frozenset({2}))
    return SectionContent(charts=[chart], tables=[table], notes=notes)

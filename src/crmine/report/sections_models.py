"""Report sections for the models: predictions, recommendations, association rules, customer
groups, the models table and the backtest. Registered after the descriptive sections.

Each section reads only published tables, and is left out with a one-line reason when its
table (or every column it needs) is absent.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from crmine.report import charts_eval, charts_models, charts_rules
from crmine.report import data_models as dm
from crmine.report.charts_models import humanise
from crmine.report.context import ReportContext
from crmine.report.fmt import integer, is_missing, percent
from crmine.report.sections import Kpi, Omitted, SectionContent, Table, section

if TYPE_CHECKING:
    import pandas as pd



_PREDICTIONS = ("p_purchase", "expected_revenue", "clv", "churn_risk", "value_tier", "p_alive")


def _absent(table: str, what: str) -> Omitted:
    return Omitted(f"There is no {table} table ({what}).")


# --- 1. predictions --------------------------------------------------------------------------


@section("predictions", "Predictions", tables=("customer_scores",))
def predictions_section(ctx: ReportContext) -> SectionContent | Omitted:
    if "customer_scores" not in ctx.tables:
        return _absent("customer_scores", "run the models to publish one")
    cols = ctx.tables["customer_scores"]
    if not any(c in cols for c in _PREDICTIONS):
        return Omitted("customer_scores holds no predictions yet (purchase, revenue, CLV, churn).")
    s, money = ctx.settings, ctx.money
    k = dm.prediction_kpis(ctx.con, ctx.tables, s.high_churn)
    horizon = f"next {int(k['horizon_days'])} days" if k["horizon_days"] else "the horizon"
    kpis = []
    if k["expected_buyers"] is not None:
        kpis.append(
            Kpi(
                "Expected buyers",
                integer(k["expected_buyers"]),
                f"customers buying in the {horizon} "
                f"({percent(k['expected_buyers'] / k['customers'])} of {integer(k['customers'])})",
            )
        )
    if k["expected_revenue"] is not None:
        kpis.append(Kpi("Expected revenue", money(k["expected_revenue"]), f"in the {horizon}"))
    if k["churn_scored"]:
        kpis.append(
            Kpi(
                "High churn risk",
                integer(k["high_churn"]),
                f"customers with churn risk ≥ {percent(s.high_churn, 0)} "
                f"({percent(k['high_churn'] / k['churn_scored'])})",
            )
        )
    if k["top_tier"] is not None:
        kpis.append(
            Kpi(
                f"CLV of the {k['top_tier']} tier",
                money(k["top_tier_clv"]),
                f"{integer(k['top_tier_customers'])} customers"
                + (
                    f", {percent(k['top_tier_clv'] / k['clv_total'])} of all CLV"
                    if k["clv_total"]
                    else ""
                ),
            )
        )
    elif k["clv_total"] is not None:
        kpis.append(Kpi("Total CLV", money(k["clv_total"]), "expected value of all customers"))
    charts = []
    score = next((c for c in ("p_purchase", "churn_risk") if c in cols), None)
    if score is not None:
        label = "Purchase probability" if score == "p_purchase" else "Churn risk"
        what = f"buying in the {horizon}" if score == "p_purchase" else "churning"
        charts.append(
            charts_models.score_histogram(
                dm.score_histogram(ctx.con, ctx.tables, score),
                label,
                f"hist_{score}",
                f"How many customers have each predicted probability of {what}.",
            )
        )
    if {"churn_risk", "rfm_segment"} <= cols:
        df = dm.churn_by_segment(ctx.con, ctx.tables, s.high_churn)
        if len(df):
            charts.append(charts_models.churn_by_segment(df))
    if {"clv", "value_tier"} <= cols:
        df = dm.clv_by_tier(ctx.con, ctx.tables)
        if len(df):
            charts.append(charts_models.clv_by_tier(df, money))
    notes = []
    if "p_alive" in cols and "p_purchase" not in cols:
        notes.append("p_alive is the chance a customer is still active; see customer_scores.")
    return SectionContent(kpis=kpis, charts=charts, notes=notes)


# --- 2. next best products -------------------------------------------------------------------


@section("recommendations", "Next best products", tables=("recommendations", "orders"))
def recommendations_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not ctx.has("recommendations", "customer_id", "product_id"):
        return _absent("recommendations", "run the models to publish one")
    k = dm.recommendation_kpis(ctx.con, ctx.tables)
    coverage = (
        f"{percent(k['products'] / k['catalogue'])} of the {integer(k['catalogue'])} products sold"
        if k["catalogue"]
        else "catalogue coverage"
    )
    per = k["recommendations"] / k["customers"] if k["customers"] else 0
    kpis = [
        Kpi("Customers with recommendations", integer(k["customers"]), f"{per:.1f} products each"),
        Kpi("Distinct products recommended", integer(k["products"]), coverage),
    ]
    charts = [
        charts_models.top_recommended(
            dm.top_recommended(ctx.con, ctx.tables, ctx.settings.top_recommended), k["customers"]
        )
    ]
    if ctx.has("recommendations", "source"):
        charts.append(charts_models.recommendation_sources(dm.recommendation_sources(ctx.con)))
    return SectionContent(kpis=kpis, charts=charts)


# --- 3. association rules --------------------------------------------------------------------


def _rule_side(names: object) -> str:
    return " + ".join(str(n) for n in list(names))  # type: ignore[call-overload]


def _ratio(value: float | None) -> str:
    if is_missing(value):
        return "–"
    return "∞" if math.isinf(value) else f"{value:.2f}"


@section("association_rules", "Bought together", tables=("association_rules",))
def rules_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not ctx.has("association_rules", "antecedents", "consequents", "lift"):
        return _absent("association_rules", "too few baskets, or the models have not run")
    s = ctx.settings
    top = dm.top_rules(ctx.con, ctx.tables, s.top_rules)
    if top.empty:
        return Omitted("No association rule has a lift.")
    rows = [
        [
            str(i),
            _rule_side(a),
            _rule_side(c),
            percent(sup, 2),
            percent(conf),
            f"{lift:.1f}",
            "–" if is_missing(b) else integer(b),
        ]
        for i, (a, c, sup, conf, lift, b) in enumerate(
            zip(
                top["a_names"],
                top["c_names"],
                top["support"],
                top["confidence"],
                top["lift"],
                top["baskets"],
                strict=True,
            ),
            start=1,
        )
    ]
    table = Table(
        ["#", "Customers who buy", "also buy", "Support", "Confidence", "Lift", "Baskets"],
        rows,
        frozenset({0, 3, 4, 5, 6}),
    )
    nodes, edges, shown = _network(ctx)
    total = dm.count_rules(ctx.con)
    notes = [
        f"{integer(total)} rules found; each set of products is shown once, in the direction "
        "with the higher confidence. Support: share of all baskets holding every product of "
        "the rule. Confidence: of the baskets with the left side, the share that also hold the "
        "right side. Lift: how many times more often they go together than if bought "
        "independently (1 = no link)."
    ]
    return SectionContent(
        charts=[charts_rules.rules_network(nodes, edges, shown)], tables=[table], notes=notes
    )


def _network(ctx: ReportContext) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The most top rules by lift whose products stay within the node limit (at least one)."""
    s = ctx.settings
    n = dm.rules_within(ctx.con, ctx.tables, s.network_rules, s.network_nodes)
    nodes, edges = dm.rule_network(ctx.con, ctx.tables, n)
    return nodes, edges, n


# --- 4. customer groups ----------------------------------------------------------------------


@section(
    "clusters",
    "Customer groups",
    tables=("cluster_profiles", "customer_scores", "cluster_projection"),
)
def clusters_section(ctx: ReportContext) -> SectionContent | Omitted:
    from_profiles = ctx.has("cluster_profiles", "cluster", "size")
    if not (from_profiles or ctx.has("customer_scores", "cluster")):
        return _absent("cluster_profiles", "and customer_scores has no clusters")
    sizes = dm.cluster_sizes(ctx.con, ctx.tables)
    if sizes.empty:
        return Omitted("No customer has been assigned to a group.")
    colors = charts_models.cluster_colors(list(sizes["cluster"]))
    charts = [charts_models.cluster_sizes(sizes, colors)]
    if ctx.has("cluster_projection", "cluster", "pc1", "pc2"):
        points = dm.projection_sample(ctx.con, ctx.settings.projection_points)
        if len(points):
            charts.append(charts_models.cluster_projection(points, sizes, colors))
    notes = []
    features = dm.profile_features(ctx.con, ctx.tables) if from_profiles else []
    if features:
        profile = dm.cluster_profile(ctx.con, features)
        top = ctx.settings.profile_features
        if len(features) > top:  # the features that set groups apart most; the rest in a note
            keep = set(_most_distinct(profile, sizes, top))
            profile = profile[profile["feature"].isin(keep)]
            notes.append(f"The {top} of {len(features)} features that set the groups apart most "
                         "are shown; cluster_profiles holds them all.")
        charts.append(charts_models.cluster_profile(profile, sizes))
    else:
        notes.append("There is no cluster_profiles table with feature means to profile groups.")
    return SectionContent(charts=charts, notes=notes)


def _most_distinct(profile: pd.DataFrame, sizes: pd.DataFrame, top: int) -> list[str]:
    """The ``top`` features whose group means lie furthest apart, in customer-level units.

    The profile's z is relative to the spread of the group means, so every feature has some
    large z. A one-hot share (``plan=monthly``) has the customer-level spread sqrt(p (1 - p));
    for other features the mean's size stands in for it (a coefficient of variation of 1).
    """
    import numpy as np
    import pandas as pd
    w = profile["cluster"].map(dict(zip(sizes["cluster"].astype(str), sizes["customers"],
                                        strict=True))).fillna(1.0)  # fmt: skip
    frame = profile.assign(w=w.to_numpy(float), wm=w.to_numpy(float) * profile["mean"])
    g = frame.groupby("feature")
    mu = g["wm"].sum() / g["w"].sum()
    one_hot = pd.Series(mu.index.str.contains("="), index=mu.index) & mu.between(0, 1)
    sd = np.where(one_hot, np.sqrt((mu * (1 - mu)).clip(lower=0)), mu.abs())
    spread = (g["mean"].max() - g["mean"].min()) / np.maximum(sd, 1e-9)
    return list(spread.sort_values(ascending=False, kind="stable").index[:top])


# --- 5. models -------------------------------------------------------------------------------

_METRIC_WORDS = {
    "auc": "AUC",
    "pr_auc": "PR-AUC",
    "brier": "Brier score",
    "mae": "mean absolute error",
    "rmse": "RMSE",
    "top_decile_lift": "top-10% lift",
    "top_decile_capture": "top-10% capture",
    "gini": "Gini",
    "spearman": "rank correlation",
    "accuracy": "accuracy",
    "macro_f1": "macro F1",
    "heldout_texts": "held-out texts",
    "log_likelihood": "log-likelihood",
    "silhouette": "silhouette",
}


_METRIC_SCOPES = {
    "validation": "validation",
    "cv": "cross-validated",
    "test": "test",
    "train": "training",
    "holdout": "held-out",
}


def metric_words(key: str) -> str:
    """A metric key in plain words: ``validation_auc`` → ``AUC (validation)``."""
    scope, _, rest = key.partition("_")
    if scope in _METRIC_SCOPES and rest:
        return f"{metric_words(rest)} ({_METRIC_SCOPES[scope]})"
    return _METRIC_WORDS.get(key, humanise(key).lower())


_MODEL_NAMES = {
    "rfm": "RFM segments",
    "bg_nbd": "BG/NBD purchases",
    "btyd": "BTYD forecast",
    "clv": "Customer lifetime value",
}


def model_name(name: object) -> str:
    """A model's name for readers: known acronyms kept, others as words."""
    text = "–" if is_missing(name) else str(name)
    return _MODEL_NAMES.get(text.lower(), humanise(text))


def _figure(value: str | None, kind: str | None) -> str:
    """A JSON scalar as a short readable text."""
    if value is None:
        return "–"
    if kind == "BOOLEAN":
        return "yes" if value == "true" else "no"
    if kind in {"BIGINT", "UBIGINT"}:
        return integer(int(value))
    if kind == "DOUBLE":
        x = float(value)
        return integer(x) if x.is_integer() and abs(x) >= 100 else f"{x:.3g}"
    return value


@section("models", "Models", tables=("models",))
def models_section(ctx: ReportContext) -> SectionContent | Omitted:
    if not ctx.has("models", "name"):
        return _absent("models", "run the models to publish one")
    df = dm.model_metrics(ctx.con, ctx.tables)
    rows = []
    for _, part in df.groupby("k", sort=True):
        first = part.iloc[0]
        figures = [
            f"{metric_words(m)} {_figure(v, t)}"
            for m, v, t in zip(part["metric"], part["value"], part["kind"], strict=True)
            if isinstance(m, str) and not is_missing(v)
        ]
        more = len(figures) - ctx.settings.model_figures
        text = " · ".join(figures[: ctx.settings.model_figures]) + (
            f" · +{more} more" if more > 0 else ""
        )
        window = first["training_window"]
        rows_n = first["training_rows"]
        rows.append(
            [
                model_name(first["name"]),
                "–" if is_missing(window) else str(window),
                "–" if is_missing(rows_n) else integer(rows_n),
                text or "–",
            ]
        )
    table = Table(["Model", "Trained on", "Rows", "Key figures"], rows, frozenset({2}))
    return SectionContent(
        tables=[table],
        notes=[
            "Parameters and every metric of each model are in the models table "
            "(crmine export DIR models -o models.csv)."
        ],
    )


# --- 6. backtest -----------------------------------------------------------------------------

_GRADES = {
    "good": "✔ good",
    "strong": "✔ strong",
    "excellent": "✔ excellent",
    "fair": "◐ fair",
    "ok": "◐ ok",
    "moderate": "◐ moderate",
    "weak": "✖ weak",
    "poor": "✖ poor",
    "bad": "✖ bad",
}


def grade_badge(grade: object) -> str:
    """A grade with a shape that reads without colour: ✔ good, ◐ fair, ✖ poor."""
    if is_missing(grade) or not str(grade).strip():
        return "–"
    g = str(grade).strip()
    return _GRADES.get(g.lower(), g)


def _value(v: object) -> str:
    if is_missing(v):
        return "–"
    x = float(v)  # type: ignore[arg-type]
    if math.isinf(x):
        return "∞"
    return integer(x) if abs(x) >= 1000 else f"{x:.3g}"


@section("backtest", "Backtest", tables=("evaluation_metrics", "evaluation_curves"))
def backtest_section(ctx: ReportContext) -> SectionContent | Omitted:
    has_metrics = ctx.has("evaluation_metrics", "task", "metric", "value")
    has_curves = ctx.has("evaluation_curves", "task", "curve", "x", "y")
    if not (has_metrics or has_curves):
        return Omitted("There is no backtest yet: run crmine evaluate DIR --cutoff DATE.")
    tables, charts = [], []
    if has_metrics:
        df = dm.evaluation_metrics(ctx.con)
        rows = [
            [
                humanise(str(task)),
                "–" if is_missing(model) else str(model),
                metric_words(str(metric)),
                _value(v),
                _value(bv) if is_missing(b) else f"{b} {_value(bv)}",
                grade_badge(g),
                "" if is_missing(s) else str(s),
            ]
            for task, metric, model, v, b, bv, g, s in zip(
                df["task"],
                df["metric"],
                df["model"],
                df["value"],
                df["baseline"],
                df["baseline_value"],
                df["grade"],
                df["sentence"],
                strict=True,
            )
        ]
        tables.append(
            Table(
                ["Task", "Model", "Metric", "Value", "Baseline", "Grade", "What it means"],
                rows,
                frozenset({3}),
            )
        )
    if has_curves:
        baselines = dm.baseline_names(ctx.con, ctx.tables)
        gains = dm.evaluation_curves(ctx.con, "gains")
        for task, part in gains.groupby("task", sort=True):
            charts.append(charts_eval.gains_chart(str(task), part, baselines))
        reliability = dm.evaluation_curves(ctx.con, "reliability")
        if len(reliability):
            charts.append(charts_eval.reliability_chart(reliability, baselines))
    return SectionContent(charts=charts, tables=tables)

"""The model sections on small generated tables: figures against pandas, omissions, escaping."""

from __future__ import annotations

import json
import math
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from crmine.engine import Engine
from crmine.engine.duck import DuckDBEngine
from crmine.report import build_report, data
from crmine.report import data_models as dm
from crmine.report.context import ReportSettings
from crmine.report.sections_models import grade_badge, metric_words
from tests.report._frames import orders_frame, scores_frame, warehouse

SETTINGS = ReportSettings()

MODEL_SECTIONS = [
    "predictions",
    "recommendations",
    "association_rules",
    "clusters",
    "models",
    "backtest",
]
AS_OF = date(2024, 9, 1)


def section_html(html: str, sid: str) -> str:
    m = re.search(rf'<section class="([^"]*)" id="s-{sid}">(.*?)</section>', html, re.S)
    assert m, f"section {sid} missing"
    return m.group(1) + "|" + m.group(2)


def is_omitted(html: str, sid: str) -> bool:
    return section_html(html, sid).startswith("card omitted")


def chart_specs(html: str) -> dict[str, dict]:
    raw = re.search(r'id="crmine-charts">(.*?)</script>', html, re.S).group(1)
    return {s["id"]: s["option"] for s in json.loads(raw)}


def predictions(scores: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(scores)
    clv = np.round(rng.gamma(2.0, 100.0, n), 2)
    tiers = np.where(clv >= np.quantile(clv, 0.8), "high", "low")
    tiers = np.where((clv >= np.quantile(clv, 0.5)) & (tiers == "low"), "medium", tiers)
    return scores.assign(
        horizon_days=90,
        p_purchase=rng.uniform(0, 1, n),
        expected_revenue=rng.uniform(0, 200, n),
        clv=clv,
        churn_risk=np.r_[[0.7, 0.69999], rng.uniform(0, 1, n - 2)],
        value_tier=tiers,
        cluster=rng.integers(0, 3, n),
        cluster_label=None,
    )


def rules() -> pd.DataFrame:
    """Rules over products P1..P6, with a mirrored pair, a two-item side and infinite conviction."""
    rows = [
        (["P1"], ["P2"], 0.10, 0.50, 4.0, 10),
        (["P2"], ["P1"], 0.10, 0.40, 4.0, 10),  # mirror of the first: shown once
        (["P1", "P3"], ["P4"], 0.05, 1.00, 8.0, 5),
        (["P5"], ["P6"], 0.02, 0.20, 1.5, 2),
        (["P3"], ["P5"], 0.04, 0.30, 2.0, 4),
    ]
    names = {
        "P1": "Mug",
        "P2": '<img src=x onerror="alert(1)">',
        "P3": "保温杯",
        "P4": "Tea & Co",
        "P5": "Saucer",
        "P6": "Spoon",
    }
    df = pd.DataFrame(
        rows, columns=["antecedents", "consequents", "support", "confidence", "lift", "baskets"]
    )
    df["leverage"] = 0.01
    df["conviction"] = [2.0, 1.5, math.inf, 1.0, 1.2]
    df["antecedent_names"] = [[names[i] for i in a] for a in df["antecedents"]]
    df["consequent_names"] = [[names[i] for i in c] for c in df["consequents"]]
    return df


def model_tables(scores: pd.DataFrame) -> dict[str, pd.DataFrame]:
    ids = list(scores["customer_id"])
    recs = pd.DataFrame(
        {
            "customer_id": np.repeat(ids, 3),
            "rank": np.tile([1, 2, 3], len(ids)),
            "product_id": np.tile(["P1", "P2", "P3"], len(ids)),
            "score": 0.5,
            "source": np.tile(["co_purchase", "popularity", "co_purchase"], len(ids)),
            "reason": "because",
        }
    )
    recs.loc[0, "product_id"] = "P4"
    profiles = pd.DataFrame(
        {
            "cluster": [0, 1, 2],
            "size": [10, 8, 7],
            "label": ["Big spenders", "Occasional", None],
            "recency_days": [10.0, 80.0, 200.0],
            "revenue_total": [900.0, 120.0, 40.0],
            "orders_count": [9.0, 2.0, 1.0],
        }
    )
    rng = np.random.default_rng(5)
    projection = pd.DataFrame(
        {"customer_id": [f"c{i}" for i in range(60)], "cluster": rng.integers(0, 3, 60),
         "pc1": rng.normal(size=60), "pc2": rng.normal(size=60)}  # as the clusters step writes
    )
    models = pd.DataFrame(
        {
            "name": ["rfm", "propensity", "broken"],
            "parameters": ["{}", '{"c": 1}', "not json"],
            "training_window": ["all history before 2024-09-01", "2024-01..2024-06", None],
            "training_rows": [25, 1200, None],
            "metrics": ["{}", '{"auc": 0.8123, "brier": 0.11, "rows": 1200, "ok": true}', "{"],
        }
    )
    metrics = pd.DataFrame(
        {
            "task": ["purchase", "purchase", "revenue"],
            "metric": ["auc", "brier", "gini"],
            "model": ["propensity", "propensity", "hurdle"],
            "value": [0.81, 0.11, 0.42],
            "baseline": ["recency", "recency", None],
            "baseline_value": [0.7, 0.13, None],
            "grade": ["good", "fair", "poor"],
            "sentence": ["Ranks buyers <well>.", "Probabilities are close.", "Weak ordering."],
        }
    )
    grid = np.linspace(0, 1, 11)
    curves = pd.concat(
        [
            pd.DataFrame(
                {
                    "task": "purchase",
                    "curve": "gains",
                    "model": "propensity",
                    "x": grid,
                    "y": np.sqrt(grid),
                }
            ),
            pd.DataFrame(
                {
                    "task": "purchase",
                    "curve": "gains",
                    "model": "recency",
                    "x": grid,
                    "y": grid**0.7,
                }
            ),
            pd.DataFrame(
                {"task": "revenue", "curve": "gains", "model": "hurdle", "x": grid, "y": grid**0.5}
            ),
            pd.DataFrame(
                {
                    "task": "purchase",
                    "curve": "reliability",
                    "model": "propensity",
                    "x": grid[1:],
                    "y": grid[1:] * 0.9,
                }
            ),
        ],
        ignore_index=True,
    )
    return {
        "recommendations": recs,
        "association_rules": rules(),
        "cluster_profiles": profiles,
        "cluster_projection": projection,
        "models": models,
        "evaluation_metrics": metrics,
        "evaluation_curves": curves,
    }


def model_warehouse(*skip: str) -> tuple[Engine, dict[str, pd.DataFrame]]:
    """Orders plus every model table (less those in ``skip``), as a run would publish them."""
    con = warehouse("orders")
    orders = orders_frame()
    frames = {
        "customer_scores": predictions(scores_frame(orders)),
        **model_tables(scores_frame(orders)),
    }
    for name, frame in frames.items():
        if name not in skip:
            con.write(name, frame)
    return con, frames


@pytest.fixture(scope="module")
def full() -> tuple[str, dict[str, pd.DataFrame]]:
    con, frames = model_warehouse()
    return build_report(con, title="t", as_of=AS_OF), frames


def test_every_model_section_shown_in_order(full) -> None:
    html, _ = full
    for sid in MODEL_SECTIONS:
        assert not is_omitted(html, sid), sid
    positions = [html.index(f'id="s-{sid}"') for sid in ["products", *MODEL_SECTIONS]]
    assert positions == sorted(positions)
    specs = chart_specs(html)
    want = {
        "hist_p_purchase",
        "churn_by_segment",
        "clv_by_tier",
        "top_recommended",
        "recommendation_sources",
        "rules_network",
        "cluster_sizes",
        "cluster_profile",
        "cluster_projection",
        "gains_purchase",
        "gains_revenue",
        "reliability",
    }
    assert want <= set(specs)
    for sid in want:
        assert all(s.get("data") for s in specs[sid]["series"]), sid


@pytest.mark.parametrize(
    ("skip", "omitted"),
    [
        (("customer_scores",), {"predictions"}),
        (("recommendations",), {"recommendations"}),
        (("association_rules",), {"association_rules"}),
        (("cluster_profiles", "cluster_projection"), set()),  # falls back to the scores' clusters
        (("models",), {"models"}),
        (("evaluation_metrics", "evaluation_curves"), {"backtest"}),
        (
            (*model_tables(scores_frame(orders_frame())), "customer_scores"),
            set(MODEL_SECTIONS),
        ),
    ],
)
def test_absent_tables_leave_their_section_out(skip, omitted) -> None:
    con, _ = model_warehouse(*skip)
    html = build_report(con, title="t", as_of=AS_OF)
    if "customer_scores" in skip and "cluster_profiles" in skip:
        omitted = omitted | {"clusters"}
    for sid in MODEL_SECTIONS:
        assert is_omitted(html, sid) == (sid in omitted), sid
        if sid in omitted:
            assert "Left out: " in section_html(html, sid)


def test_scores_without_predictions_leave_predictions_out() -> None:
    con = warehouse("orders", "customer_scores")
    html = build_report(con, title="t", as_of=AS_OF)
    assert "holds no predictions" in section_html(html, "predictions")
    assert is_omitted(html, "clusters")


def test_prediction_kpis_equal_pandas(full) -> None:
    _, frames = full
    s = frames["customer_scores"]
    con, _ = model_warehouse()
    tables = data.inspect_tables(con, ["customer_scores"])
    k = dm.prediction_kpis(con, tables, SETTINGS.high_churn)
    assert k["expected_buyers"] == pytest.approx(s["p_purchase"].sum())
    assert k["expected_revenue"] == pytest.approx(s["expected_revenue"].sum())
    assert k["high_churn"] == int((s["churn_risk"] >= 0.7).sum())  # 0.7 counts, 0.69999 not
    assert k["top_tier"] == "high"
    assert k["top_tier_clv"] == pytest.approx(s.loc[s["value_tier"] == "high", "clv"].sum())
    hist = dm.score_histogram(con, tables, "p_purchase")
    assert len(hist) == 20 and hist["customers"].sum() == len(s)
    want = np.histogram(s["p_purchase"], bins=20, range=(0, 1))[0]
    assert list(hist["customers"]) == list(want)


def test_churn_by_segment_and_tiers_equal_pandas() -> None:
    con, frames = model_warehouse()
    s = frames["customer_scores"]
    tables = data.inspect_tables(con, ["customer_scores"])
    got = dm.churn_by_segment(con, tables, 0.7).set_index("segment")["mean_risk"]
    want = s.groupby("rfm_segment")["churn_risk"].mean()
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)
    tiers = dm.clv_by_tier(con, tables)
    assert list(tiers["tier"]) == ["high", "medium", "low"]
    assert tiers["clv_share"].sum() == pytest.approx(1.0)


def test_recommendation_figures(full) -> None:
    html, frames = full
    recs = frames["recommendations"]
    con, _ = model_warehouse()
    tables = data.inspect_tables(con, ["recommendations", "orders"])
    k = dm.recommendation_kpis(con, tables)
    assert k["customers"] == recs["customer_id"].nunique()
    assert k["products"] == 4 and k["catalogue"] == 5
    top = dm.top_recommended(con, tables, 15)
    assert top.iloc[0]["customers"] == recs.groupby("product_id")["customer_id"].nunique().max()
    assert top.set_index("product")["name"]["P1"] == "Mug"  # named from the orders
    sources = dm.recommendation_sources(con).set_index("source")["share"]
    assert sources["co_purchase"] == pytest.approx(2 / 3)
    assert "80.0% of the 5 products sold" in section_html(html, "recommendations")


def test_rules_shown_once_per_product_set_and_ranked_by_lift() -> None:
    con, _ = model_warehouse()
    tables = data.inspect_tables(con, ["association_rules"])
    top = dm.top_rules(con, tables, 15)
    assert list(top["lift"]) == sorted(top["lift"], reverse=True)
    assert len(top) == 4  # P2 → P1 is the mirror of P1 → P2 and has lower confidence
    assert [list(a) for a in top["a_ids"]][:2] == [["P1", "P3"], ["P1"]]
    assert math.isinf(top.iloc[0]["conviction"])
    nodes, edges = dm.rule_network(con, tables, 2)
    assert set(nodes["id"]) == {"P1", "P2", "P3", "P4"}
    assert set(zip(edges["source"], edges["target"], strict=True)) == {
        ("P1", "P4"),
        ("P3", "P4"),
        ("P1", "P2"),
    }
    support = nodes.set_index("id")["support"]
    assert support["P1"] == pytest.approx(0.10 / 0.50)  # own support from a one-item side
    assert support["P2"] == pytest.approx(0.50 / 4.0)
    assert support["P3"] == pytest.approx(0.05)  # only in a two-item side: the rule's support


def test_rules_table_and_network_escape_names(full) -> None:
    html, _ = full
    part = section_html(html, "association_rules")
    assert "<img" not in part
    assert "&lt;img src=x" in part and "Mug + 保温杯" in part
    net = chart_specs(html)["rules_network"]["series"][0]
    assert {n["id"] for n in net["data"]} == {f"P{i}" for i in range(1, 7)}
    assert all(len(n["text"]) <= 22 for n in net["data"])
    tips = " ".join(link["tip"] for link in net["links"])
    assert "&lt;img" in tips and "<img" not in tips


def test_network_stays_within_the_node_limit() -> None:
    con = DuckDBEngine.memory()
    n = 200
    frame = pd.DataFrame(
        {
            "antecedents": [[f"A{i}"] for i in range(n)],
            "consequents": [[f"C{i}"] for i in range(n)],
            "support": 0.01,
            "confidence": 0.5,
            "lift": np.linspace(50, 2, n),
        }
    )
    con.write("association_rules", frame)
    html = build_report(con, title="t", as_of=AS_OF)
    net = chart_specs(html)["rules_network"]["series"][0]
    assert len(net["data"]) == SETTINGS.network_nodes  # two new products per rule
    assert "The 20 rules with the highest lift" in section_html(html, "association_rules")


def test_cluster_profile_zscores() -> None:
    con, frames = model_warehouse()
    tables = data.inspect_tables(con, ["cluster_profiles"])
    features = dm.profile_features(con, tables)
    assert features == ["recency_days", "revenue_total", "orders_count"]
    prof = dm.cluster_profile(con, features)
    p = frames["cluster_profiles"]
    w = p["size"] / p["size"].sum()
    for f in features:
        mu = (w * p[f]).sum()
        sd = math.sqrt((w * (p[f] - mu) ** 2).sum())
        got = prof[prof["feature"] == f].set_index("cluster")["z"]
        assert got["0"] == pytest.approx((p[f][0] - mu) / sd)
        assert (w.values * got.sort_index().values).sum() == pytest.approx(0, abs=1e-9)


def test_clusters_fall_back_to_scores_and_name_unlabelled_groups() -> None:
    con, frames = model_warehouse("cluster_profiles", "cluster_projection")
    html = build_report(con, title="t", as_of=AS_OF)
    specs = chart_specs(html)
    assert "cluster_profile" not in specs and "cluster_projection" not in specs
    bars = specs["cluster_sizes"]["series"][0]["data"]
    assert sum(b["value"] for b in bars) == len(frames["customer_scores"])
    assert "Group 0" in " ".join(specs["cluster_sizes"]["yAxis"]["data"])


def test_models_table_in_plain_words(full) -> None:
    html, _ = full
    part = section_html(html, "models")
    assert "AUC 0.812" in part and "Brier score 0.11".lower() in part.lower()
    assert "ok yes" in part and "rows 1,200" in part
    assert part.count("<tr>") == 4  # header + 3 models, the broken JSON one included


def test_backtest_table_and_curves(full) -> None:
    html, _ = full
    part = section_html(html, "backtest")
    assert "✔ good" in part and "◐ fair" in part and "✖ poor" in part
    assert "Ranks buyers &lt;well&gt;." in part and "recency 0.7" in part
    specs = chart_specs(html)
    gains = specs["gains_purchase"]["series"]
    names = [s["name"] for s in gains]
    assert names == ["propensity", "recency (baseline)", "random order"]
    assert gains[1]["lineStyle"]["type"] == "dashed"
    assert gains[-1]["data"] == [[0, 0], [1, 1]]
    rel = specs["reliability"]["series"]
    assert rel[0]["data"][0]["value"] == pytest.approx([0.1, 0.09])


def test_metric_words() -> None:
    assert metric_words("validation_auc") == "AUC (validation)"
    assert metric_words("cv_brier") == "Brier score (cross-validated)"
    assert metric_words("heldout_texts") == "held-out texts"
    assert metric_words("rules") == "rules"


def test_grade_badge() -> None:
    assert grade_badge("Good") == "✔ good"
    assert grade_badge("B+") == "B+"
    assert grade_badge(None) == "–" and grade_badge(float("nan")) == "–"


def test_spring_layout_is_repeatable_fits_and_keeps_links_short() -> None:
    from crmine.report.charts_rules import spring_layout

    pairs = [(0, 1), (1, 2), (3, 4)]
    pos = spring_layout(6, pairs, aspect=2.0)
    assert np.array_equal(pos, spring_layout(6, pairs, aspect=2.0))
    assert pos[:, 0].min() == 0 and pos[:, 0].max() == pytest.approx(2.0)
    assert pos[:, 1].min() == 0 and pos[:, 1].max() == pytest.approx(1.0)
    dist = np.linalg.norm(pos[:, None] - pos[None, :], axis=-1)
    linked = np.mean([dist[a, b] for a, b in pairs])
    assert linked < np.mean(dist[5, :5])  # node 5 has no rule: it sits away from the others
    assert spring_layout(0, []).shape == (0, 2)


def test_profile_chart_keeps_the_features_that_set_groups_apart():
    from crmine.report.sections_models import _most_distinct

    profile = pd.DataFrame({
        "cluster": ["0", "1"] * 3,
        "feature": ["plan=monthly"] * 2 + ["gender=male"] * 2 + ["fee"] * 2,
        "mean": [0.9, 0.1, 0.50, 0.52, 30.0, 90.0],
    })  # fmt: skip
    sizes = pd.DataFrame({"cluster": ["0", "1"], "customers": [100, 100]})
    assert _most_distinct(profile, sizes, 2) == ["plan=monthly", "fee"]

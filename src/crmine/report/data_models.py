"""Figures for the model sections, computed set-based in DuckDB SQL into small frames.

Every function reads published tables (``customer_scores``, ``recommendations``,
``association_rules``, ``cluster_profiles``, ``cluster_projection``, ``models``,
``evaluation_metrics``, ``evaluation_curves``) and returns at most a few hundred rows; which
optional columns exist is decided by the caller from the inspected schema (``tables``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmine.engine.quoting import quote_identifier
from crmine.report.data import _latest_scores

if TYPE_CHECKING:
    import pandas as pd

    from crmine.engine.base import Engine

Tables = dict[str, frozenset[str]]

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_PROFILE_KEYS = {"cluster", "size", "label", "share", "customers", "cluster_label"}


def _row(con: Engine, sql: str, params: Any = None) -> dict[str, Any]:
    cur = con.execute(sql, params)
    return dict(zip(cur.columns, cur.fetchone(), strict=True))


# --- predictions -----------------------------------------------------------------------------


def prediction_kpis(con: Engine, tables: Tables, high_churn: float) -> dict:
    """Expected buyers and revenue in the horizon, customers at high churn risk, top-tier CLV.

    A column absent from ``customer_scores`` gives None. The top value tier is the one whose
    customers have the highest mean CLV, so it does not depend on the tier names.
    """
    cols = tables["customer_scores"]
    scores = _latest_scores(tables)

    def pick(col: str, expr: str) -> str:
        return expr if col in cols else "NULL"

    k = _row(
        con,
        f"""
        SELECT count(*) AS customers,
               {pick("p_purchase", "sum(p_purchase)")} AS expected_buyers,
               {pick("expected_revenue", "sum(expected_revenue)")} AS expected_revenue,
               {pick("churn_risk", "count(*) FILTER (WHERE churn_risk >= $high)")} AS high_churn,
               {pick("churn_risk", "count(churn_risk)")} AS churn_scored,
               {pick("horizon_days", "max(horizon_days)")} AS horizon_days,
               {pick("clv", "sum(clv)")} AS clv_total
        FROM {scores}
        """,
        {"high": high_churn},
    )
    k.update(top_tier=None, top_tier_clv=None, top_tier_customers=None)
    if {"clv", "value_tier"} <= cols:
        tier = _row(
            con,
            f"""
            SELECT value_tier AS top_tier, sum(clv) AS top_tier_clv,
                   count(*) AS top_tier_customers
            FROM {scores} WHERE value_tier IS NOT NULL
            GROUP BY value_tier ORDER BY avg(clv) DESC NULLS LAST, value_tier LIMIT 1
            """,
        )
        k.update(tier)
    return k


def score_histogram(
    con: Engine, tables: Tables, column: str, bins: int = 20
) -> pd.DataFrame:
    """Customers per equal-width bin of a 0–1 score (every bin present, empty ones as 0)."""
    score = quote_identifier(column)
    sql = f"""
    WITH b AS (
        SELECT least(CAST(floor(greatest({score}, 0) * $bins) AS INTEGER), $bins - 1) AS bin
        FROM {_latest_scores(tables)} WHERE {score} IS NOT NULL
    ),
    counts AS (SELECT bin, count(*) AS customers FROM b GROUP BY bin)
    SELECT CAST(g.bin AS INTEGER) AS bin, g.bin / $bins AS low, (g.bin + 1) / $bins AS high,
           coalesce(c.customers, 0) AS customers
    FROM range(0, $bins) AS g(bin) LEFT JOIN counts c USING (bin)
    ORDER BY g.bin
    """
    return con.execute(sql, {"bins": bins}).df()


def churn_by_segment(
    con: Engine, tables: Tables, high_churn: float
) -> pd.DataFrame:
    """Mean churn risk, customers and customers at high risk per RFM segment."""
    sql = f"""
    SELECT rfm_segment AS segment, count(*) AS customers, avg(churn_risk) AS mean_risk,
           count(*) FILTER (WHERE churn_risk >= $high) AS high_risk
    FROM {_latest_scores(tables)}
    WHERE rfm_segment IS NOT NULL AND churn_risk IS NOT NULL
    GROUP BY rfm_segment
    """
    return con.execute(sql, {"high": high_churn}).df()


def clv_by_tier(con: Engine, tables: Tables) -> pd.DataFrame:
    """Customers, total and mean CLV per value tier, most valuable tier first."""
    sql = f"""
    SELECT value_tier AS tier, count(*) AS customers, coalesce(sum(clv), 0) AS clv,
           avg(clv) AS mean_clv,
           coalesce(sum(clv), 0) / nullif(sum(sum(clv)) OVER (), 0) AS clv_share
    FROM {_latest_scores(tables)} WHERE value_tier IS NOT NULL
    GROUP BY value_tier ORDER BY mean_clv DESC NULLS LAST, tier
    """
    return con.execute(sql).df()


# --- recommendations -------------------------------------------------------------------------


def _product_names(tables: Tables) -> str:
    """A (product_id, name) relation from the recommendations or, failing that, the orders."""
    if "product_name" in tables.get("recommendations", ()):
        return (
            "(SELECT product_id, mode(product_name) AS name FROM recommendations "
            "WHERE product_name IS NOT NULL GROUP BY product_id)"
        )
    if {"product_id", "product_name"} <= tables.get("orders", frozenset()):
        return (
            "(SELECT product_id, mode(trim(product_name)) AS name FROM orders "
            "WHERE product_name IS NOT NULL GROUP BY product_id)"
        )
    return "(SELECT NULL AS product_id, NULL AS name WHERE false)"


def recommendation_kpis(con: Engine, tables: Tables) -> dict:
    """Customers served, recommendations, distinct products and the catalogue they come from."""
    catalogue = (
        "(SELECT count(DISTINCT product_id) FROM orders)"
        if "product_id" in tables.get("orders", ())
        else "NULL"
    )
    return _row(
        con,
        f"""
        SELECT count(DISTINCT customer_id) AS customers, count(*) AS recommendations,
               count(DISTINCT product_id) AS products, {catalogue} AS catalogue
        FROM recommendations
        """,
    )


def top_recommended(con: Engine, tables: Tables, top: int) -> pd.DataFrame:
    """The products recommended to the most customers, with how often they came first."""
    sql = f"""
    SELECT r.product_id AS product, any_value(n.name) AS name,
           count(DISTINCT r.customer_id) AS customers,
           count(*) FILTER (WHERE r.rank = 1) AS first_choice
    FROM recommendations r LEFT JOIN {_product_names(tables)} n USING (product_id)
    WHERE r.product_id IS NOT NULL
    GROUP BY r.product_id ORDER BY customers DESC, product LIMIT $top
    """
    return con.execute(sql, {"top": top}).df()


def recommendation_sources(con: Engine) -> pd.DataFrame:
    """Recommendations per source (the signal that contributed most), largest first."""
    sql = """
    SELECT coalesce(source, '(none)') AS source, count(*) AS recommendations,
           count(*) / sum(count(*)) OVER () AS share
    FROM recommendations GROUP BY ALL ORDER BY recommendations DESC, source
    """
    return con.execute(sql).df()


# --- association rules -----------------------------------------------------------------------


def _side(tables: Tables, side: str) -> str:
    """Item names of one side of a rule as a list of text (names when published, else ids)."""
    names = f"{side[:-1]}_names"
    ids = f"list_transform({side}, x -> CAST(x AS VARCHAR))"
    if names in tables["association_rules"]:
        return f"coalesce({names}, {ids})"
    return ids


def _ranked_rules(tables: Tables) -> str:
    """Rules ranked by lift, one per set of products.

    A → B and B → A (and every other split of the same products) share support and lift;
    only the direction with the highest confidence is kept, so a top list shows different
    products instead of mirror images.
    """
    cols = tables["association_rules"]
    baskets = "baskets" if "baskets" in cols else "NULL"
    conviction = "conviction" if "conviction" in cols else "NULL"
    return f"""
    SELECT row_number() OVER (
               ORDER BY lift DESC, confidence DESC, support DESC, array_to_string(a_ids, ','),
                        array_to_string(c_ids, ',')) AS rule, *
    FROM (
        SELECT list_transform(antecedents, x -> CAST(x AS VARCHAR)) AS a_ids,
               list_transform(consequents, x -> CAST(x AS VARCHAR)) AS c_ids,
               {_side(tables, "antecedents")} AS a_names,
               {_side(tables, "consequents")} AS c_names,
               support, confidence, lift, {conviction} AS conviction, {baskets} AS baskets
        FROM association_rules
        WHERE lift IS NOT NULL AND len(antecedents) > 0 AND len(consequents) > 0
        QUALIFY row_number() OVER (
            PARTITION BY list_sort(list_concat(a_ids, c_ids))
            ORDER BY confidence DESC, array_to_string(a_ids, ',')) = 1
    )
    """


def top_rules(con: Engine, tables: Tables, top: int) -> pd.DataFrame:
    """The ``top`` rules by lift (ties by confidence, then support), item names as lists."""
    sql = f"SELECT * FROM ({_ranked_rules(tables)}) WHERE rule <= $top ORDER BY rule"
    return con.execute(sql, {"top": top}).df()


def count_rules(con: Engine, tables: Tables | None = None) -> int:
    """Rules in the table; with ``tables``, distinct sets of products among them."""
    if tables is None:
        return con.execute("SELECT count(*) FROM association_rules").fetchone()[0]
    return con.execute(f"SELECT count(*) FROM ({_ranked_rules(tables)})").fetchone()[0]


def rules_within(con: Engine, tables: Tables, rules: int, nodes: int) -> int:
    """How many of the top rules (at most ``rules``, at least one) name at most ``nodes``
    distinct products between them: each product counts from the first rule it is in."""
    sql = f"""
    WITH r AS (SELECT * FROM ({_ranked_rules(tables)}) WHERE rule <= $rules),
    items AS (
        SELECT id, min(rule) AS first
        FROM (SELECT rule, unnest(list_concat(a_ids, c_ids)) AS id FROM r) GROUP BY id
    ),
    cut AS (SELECT first FROM items ORDER BY first LIMIT 1 OFFSET $nodes)
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM cut) THEN (SELECT count(*) FROM r)
                ELSE greatest((SELECT first FROM cut) - 1, 1) END
    """
    return int(con.execute(sql, {"rules": rules, "nodes": nodes}).fetchone()[0])


def rule_network(
    con: Engine, tables: Tables, top: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and edges of the ``top`` rules by lift (one per set of products).

    An edge joins each antecedent item to each consequent item; when several rules give the
    same pair, the one with the highest lift speaks for it. A node's support is the item's
    own support where a one-item side lets it be derived (support / confidence for an
    antecedent, confidence / lift for a consequent), else the largest rule support it is in.
    """
    top_rules = f"_crmine_top_rules AS (SELECT * FROM ({_ranked_rules(tables)}) WHERE rule <= $top)"
    nodes = con.execute(
        f"""
        WITH {top_rules},
        sides AS (
            SELECT unnest(a_ids) AS id, unnest(a_names) AS name, support,
                   CASE WHEN len(a_ids) = 1 THEN support / nullif(confidence, 0) END AS own
            FROM _crmine_top_rules
            UNION ALL
            SELECT unnest(c_ids), unnest(c_names), support,
                   CASE WHEN len(c_ids) = 1 THEN confidence / nullif(lift, 0) END
            FROM _crmine_top_rules
        )
        SELECT id, any_value(name) AS name, coalesce(max(own), max(support)) AS support,
               count(*) AS rules
        FROM sides GROUP BY id ORDER BY support DESC, id
        """,
        {"top": top},
    ).df()
    edges = con.execute(
        f"""
        WITH {top_rules},
        pairs AS (
            SELECT a.id AS source, c.id AS target, r.*
            FROM _crmine_top_rules r,
                 unnest(r.a_ids) AS a(id), unnest(r.c_ids) AS c(id)
        )
        SELECT source, target, arg_max(rule, lift) AS rule, max(lift) AS lift,
               arg_max(support, lift) AS support, arg_max(confidence, lift) AS confidence,
               arg_max(a_names, lift) AS a_names, arg_max(c_names, lift) AS c_names
        FROM pairs GROUP BY source, target ORDER BY lift DESC, source, target
        """,
        {"top": top},
    ).df()
    return nodes, edges


# --- clusters --------------------------------------------------------------------------------


def cluster_sizes(con: Engine, tables: Tables) -> pd.DataFrame:
    """Customers and label per cluster: from cluster_profiles, else counted in the scores."""
    if {"cluster", "size"} <= tables.get("cluster_profiles", frozenset()):
        label = "label" if "label" in tables["cluster_profiles"] else "NULL"
        sql = f"""
        SELECT CAST(cluster AS VARCHAR) AS cluster, CAST({label} AS VARCHAR) AS label,
               size AS customers, size / sum(size) OVER () AS share
        FROM cluster_profiles ORDER BY size DESC, cluster
        """
    else:
        label = (
            "any_value(cluster_label)" if "cluster_label" in tables["customer_scores"] else "NULL"
        )
        sql = f"""
        SELECT CAST(cluster AS VARCHAR) AS cluster, CAST({label} AS VARCHAR) AS label,
               count(*) AS customers, count(*) / sum(count(*)) OVER () AS share
        FROM {_latest_scores(tables)} WHERE cluster IS NOT NULL
        GROUP BY cluster ORDER BY customers DESC, cluster
        """
    return con.execute(sql).df()


def profile_features(con: Engine, tables: Tables) -> list[str]:
    """Numeric columns of cluster_profiles that describe a cluster (not its id or size)."""
    held = tables.get("cluster_profiles", frozenset())
    rows = con.execute("DESCRIBE cluster_profiles").fetchall()
    return [
        name
        for name, kind, *_ in rows
        if name in held and name not in _PROFILE_KEYS and kind.split("(")[0] in _NUMERIC
    ]


def cluster_profile(con: Engine, features: list[str]) -> pd.DataFrame:
    """Long form (cluster, feature, mean, z): each feature's cluster means, z-scored across
    clusters weighted by size, so one colour scale serves features of any unit."""
    unions = " UNION ALL ".join(
        f"SELECT CAST(cluster AS VARCHAR) AS cluster, coalesce(size, 1) AS w, "
        f"{i} AS k, CAST(? AS VARCHAR) AS feature, "  # the name itself: a bound parameter
        f"CAST({quote_identifier(f)} AS DOUBLE) AS mean FROM cluster_profiles"
        for i, f in enumerate(features)
    )
    sql = f"""
    WITH long AS ({unions}),
    stats AS (
        SELECT feature, sum(w * mean) / sum(w) AS mu,
               sqrt(greatest(sum(w * mean * mean) / sum(w) - pow(sum(w * mean) / sum(w), 2), 0))
               AS sd
        FROM long WHERE mean IS NOT NULL GROUP BY feature
    )
    SELECT l.cluster, l.feature, l.k, l.mean,
           CASE WHEN s.sd > 1e-12 THEN (l.mean - s.mu) / s.sd ELSE 0 END AS z
    FROM long l JOIN stats s USING (feature) ORDER BY l.k, l.cluster
    """
    return con.execute(sql, list(features)).df()


def projection_sample(con: Engine, limit: int) -> pd.DataFrame:
    """At most ``limit`` projected customers (x, y = the run's pc1, pc2; cluster), a
    repeatable sample."""
    sql = """
    SELECT CAST(cluster AS VARCHAR) AS cluster, CAST(pc1 AS DOUBLE) AS x, CAST(pc2 AS DOUBLE) AS y
    FROM cluster_projection WHERE pc1 IS NOT NULL AND pc2 IS NOT NULL
    ORDER BY hash(pc1, pc2, cluster) LIMIT $limit
    """
    return con.execute(sql, {"limit": limit}).df()


# --- models and backtest ---------------------------------------------------------------------


def model_metrics(con: Engine, tables: Tables) -> pd.DataFrame:
    """One row per model and scalar metric (text value), in the order the run recorded them."""
    cols = tables["models"]

    def col(name: str) -> str:
        return name if name in cols else "NULL"

    sql = f"""
    WITH m AS (
        SELECT row_number() OVER () AS k, name, {col("training_window")} AS training_window,
               {col("training_rows")} AS training_rows,
               CASE WHEN json_valid({col("metrics")}) THEN {col("metrics")} END AS metrics
        FROM models
    ),
    kv AS (
        SELECT k, unnest(json_keys(metrics)) AS metric,
               generate_subscripts(json_keys(metrics), 1) AS i, metrics FROM m
        WHERE json_type(metrics) = 'OBJECT'
    ),
    vals AS (
        SELECT k, i, metric, json_extract(metrics, '$."' || metric || '"') AS v FROM kv
    )
    SELECT m.k, m.name, m.training_window, m.training_rows, v.metric,
           CASE WHEN json_type(v.v) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN')
                THEN CAST(v.v AS VARCHAR)
                WHEN json_type(v.v) = 'VARCHAR' THEN json_extract_string(v.v, '$') END AS value,
           json_type(v.v) AS kind
    FROM m LEFT JOIN vals v USING (k) ORDER BY m.k, v.i
    """
    return con.execute(sql).df()


def evaluation_metrics(con: Engine) -> pd.DataFrame:
    sql = """
    SELECT task, metric, model, value, baseline, baseline_value, grade, sentence
    FROM evaluation_metrics
    """
    return con.execute(sql).df()


def evaluation_curves(con: Engine, curve: str) -> pd.DataFrame:
    """Points of one kind of curve for every task and model, in x order."""
    sql = """
    SELECT task, model, CAST(x AS DOUBLE) AS x, CAST(y AS DOUBLE) AS y
    FROM evaluation_curves
    WHERE curve = $curve AND x IS NOT NULL AND y IS NOT NULL
    ORDER BY task, model, x
    """
    return con.execute(sql, {"curve": curve}).df()


def baseline_names(con: Engine, tables: Tables) -> set[str]:
    """Models named as a baseline in evaluation_metrics (drawn dashed in the curves)."""
    if "baseline" not in tables.get("evaluation_metrics", ()):
        return set()
    rows = con.execute(
        "SELECT DISTINCT baseline FROM evaluation_metrics WHERE baseline IS NOT NULL"
    ).fetchall()
    return {str(r[0]) for r in rows}

"""Every table a ``crmine run`` snapshot may hold, column by column (see :mod:`.published`)."""

from __future__ import annotations

from crmine.schema._published_types import (
    ColumnFamily,
    LogicalType,
    PublishedColumn,
    PublishedTable,
)

C = PublishedColumn

DAYS = "days"
MONEY = "currency (the workspace's)"
PROBABILITY = "probability 0-1"
SHARE = "share 0-1"
SENTIMENT = "-1 (negative) … 1 (positive)"

_ORDERS = "the workspace has orders"
_BOUGHT = "some customer purchased before as_of"
_BTYD = "the BG/NBD purchase model was fitted (orders with enough purchase history)"
_PRICED = "orders carry prices and BG/NBD was fitted"
_PROFIT = "orders carry a profit column beside their amounts, and clv is published"
_SERVICE = "feedback or interactions name customers"
_ATTRIBUTE = "the customers table has the column"


def _order_features() -> tuple[PublishedColumn, ...]:
    """customer_features' order columns: all present together whenever there are orders."""
    specs: list[tuple[str, LogicalType, str, str | None]] = [
        ("first_order_ts", "timestamp", "when the customer first purchased (returns excluded)",
         None),
        ("last_order_ts", "timestamp", "when the customer last purchased (returns excluded)",
         None),
        ("recency_days", "float", "days from the last purchase to as_of, fractional", DAYS),
        ("tenure_days", "float", "days from the first purchase to as_of, fractional", DAYS),
        ("orders_count", "integer", "orders with at least one purchased line", "orders"),
        ("purchase_days", "integer", "distinct days with a purchase", DAYS),
        ("revenue_total", "float", "net revenue: purchases minus returns (empty without prices)",
         MONEY),
        ("gross_revenue", "float", "value of purchased lines, before returns", MONEY),
        ("return_value", "float", "value of returned lines, as a positive amount", MONEY),
        ("return_ratio", "float", "share of gross revenue that was returned", SHARE),
        ("avg_order_value", "float", "net revenue per order", MONEY),
        ("gap_mean_days", "float", "mean days between consecutive purchase days", DAYS),
        ("gap_median_days", "float", "median days between consecutive purchase days", DAYS),
        ("gap_std_days", "float", "sample standard deviation of those gaps", DAYS),
        ("gap_ratio", "float", "recency_days / gap_mean_days; above 1 means overdue", "ratio"),
    ]
    for n in (30, 90, 180, 365):  # the run uses crmine.features.DEFAULT_WINDOWS
        specs += [
            (f"orders_{n}d", "integer", f"orders in the last {n} days", "orders"),
            (f"revenue_{n}d", "float", f"net revenue in the last {n} days", MONEY),
        ]
    specs += [
        ("orders_prev_90d", "integer", "orders in the 90 days before the last 90", "orders"),
        ("revenue_prev_90d", "float", "net revenue in the 90 days before the last 90", MONEY),
        ("orders_change_90d", "integer", "orders_90d minus orders_prev_90d", "orders"),
        ("spend_change_ratio", "float",
         "(revenue_90d - revenue_prev_90d) / revenue_prev_90d; empty when the latter is not "
         "positive", "ratio"),
        ("lines_per_order", "float", "purchased order lines per order (basket breadth)", "lines"),
        ("units_per_order", "float", "purchased units per order (basket size)", "units"),
        ("distinct_products", "integer", "different products bought (empty when unknown)", None),
        ("distinct_categories", "integer", "different categories bought (empty when unknown)",
         None),
        ("distinct_channels", "integer", "different sales channels used (empty when unknown)",
         None),
    ]  # fmt: skip
    return tuple(C(n, t, m, unit=u, when=_ORDERS) for n, t, m, u in specs)


def _service_features() -> tuple[PublishedColumn, ...]:
    """customer_features' service signals (feedback and interactions before as_of)."""
    specs: list[tuple[str, LogicalType, str, str | None]] = [
        ("contacts_total", "integer", "service interactions before as_of", "contacts"),
        ("contacts_30d", "integer", "service interactions in the last 30 days", "contacts"),
        ("contacts_90d", "integer", "service interactions in the last 90 days", "contacts"),
        ("days_since_last_contact", "float", "days from the last interaction (empty: never)",
         DAYS),
        ("unresolved_tickets", "integer", "interactions marked not resolved", "contacts"),
        ("complaints_total", "integer",
         "negative feedback plus interactions on a complaint topic", "complaints"),
        ("complaints_90d", "integer", "the same, in the last 90 days", "complaints"),
        ("feedback_count", "integer", "feedback answers before as_of", "answers"),
        ("mean_score_01", "float", "mean feedback score mapped onto 0-1 by its scale", "0-1"),
        ("sentiment_mean", "float", "mean sentiment of the customer's feedback texts", SENTIMENT),
        ("sentiment_trend", "float", "mean sentiment in the last 90 days minus before",
         "difference of -1…1 means"),
        ("last_nps_score", "float", "the latest NPS answer", "0-10"),
        ("days_since_last_nps", "float", "days from the latest NPS answer to as_of", DAYS),
    ]  # fmt: skip
    return tuple(C(n, t, m, unit=u, when=_SERVICE) for n, t, m, u in specs)


CUSTOMER_FEATURES = PublishedTable(
    "customer_features",
    "one row per customer known at as_of: the point-in-time features the models read",
    (
        C("customer_id", "string", "the customer's identifier", required=True),
        *_order_features(),
        *_service_features(),
        # the customers table's attributes (PII left out); ibis reads its dates as midnight
        C("gender", "string", "gender as recorded", when=_ATTRIBUTE),
        C("birth_date", "timestamp", "date of birth (midnight of the day)", when=_ATTRIBUTE),
        C("city", "string", "city", when=_ATTRIBUTE),
        C("region", "string", "region, province or state", when=_ATTRIBUTE),
        C("country", "string", "country", when=_ATTRIBUTE),
        C("signup_date", "timestamp", "when the customer joined (midnight of the day)",
          when=_ATTRIBUTE),
        C("churned", "boolean", "contractual churn label; empty means unknown", when=_ATTRIBUTE),
    ),
    families=(
        ColumnFamily(
            r"(?!(name|email|phone)$).+",
            None,
            "another attribute of the customers table, with its type there (a name that "
            "clashes with a feature gets a customer_ prefix); name, email and phone never",
        ),
    ),
    key=("customer_id",),
)

CUSTOMER_SCORES = PublishedTable(
    "customer_scores",
    "one row per customer known at as_of: RFM, purchase, value and churn scores, clusters",
    (
        C("customer_id", "string", "the customer's identifier", required=True, promised=True),
        C("as_of", "date", "the scores' date: only data before it was read", required=True,
          promised=True),
        C("horizon_days", "integer", "length of the forecast window starting at as_of", DAYS,
          required=True, promised=True),
        C("first_order_date", "date", "day of the first purchase (returns excluded)",
          promised=True, when=_BOUGHT),
        C("last_order_date", "date", "day of the last purchase (returns excluded)",
          promised=True, when=_BOUGHT),
        C("recency_days", "float", "days from the last purchase to as_of, fractional", DAYS,
          promised=True, when=_BOUGHT),
        C("orders_count", "integer", "orders with a purchased line before as_of", "orders",
          promised=True, when=_BOUGHT),
        C("revenue_total", "float", "net revenue before as_of (empty without prices)", MONEY,
          promised=True, when=_BOUGHT),
        C("avg_order_value", "float", "net revenue per order", MONEY, promised=True,
          when=_BOUGHT),
        C("r_score", "integer", "recency score, 5 = most recent", "score 1-5", promised=True,
          when=_BOUGHT),
        C("f_score", "integer", "frequency score, 5 = most orders", "score 1-5", promised=True,
          when=_BOUGHT),
        C("m_score", "integer", "monetary score, 5 = most revenue (empty without prices)",
          "score 1-5", promised=True, when=_BOUGHT),
        C("rfm_segment", "string", "RFM segment label ([rfm] segments)", promised=True,
          when=_BOUGHT),
        C("p_alive", "float", "BG/NBD probability that the customer is still active",
          PROBABILITY, promised=True, when=_BTYD),
        C("expected_orders", "float",
          "expected purchase days within the horizon (BG/NBD; a day with orders counts once)",
          "purchase days", promised=True, when=_BTYD),
        C("p_purchase", "float", "probability of at least one purchase within the horizon",
          PROBABILITY, promised=True, when="a purchase model was fitted (BG/NBD or propensity)"),
        C("expected_revenue", "float", "expected net revenue within the horizon", MONEY,
          promised=True, when="orders carry prices and a purchase model was fitted"),
        C("clv", "float",
          "expected discounted revenue over the CLV horizon ([clv] horizon_days, default 365)",
          MONEY, promised=True, when=_PRICED),
        C("value_tier", "string",
          "high (top 20 %), medium (next 30 %) or low, by clv_profit when orders carry a "
          "profit column, else by clv; by expected_orders when orders carry no prices",
          promised=True, when=_BTYD),
        C("expected_profit", "float", "expected_revenue × the customer's margin (their profit "
          "over revenue so far, shrunk toward the shop's)", MONEY, when=_PROFIT),
        C("clv_profit", "float", "clv × the customer's margin, as expected_profit", MONEY,
          when=_PROFIT),
        C("churn_risk", "float",
          "the contractual churn model's risk when customers carry a churned label, else "
          "1 - p_purchase", PROBABILITY, promised=True,
          when="p_purchase is published, or customers carry a churned label"),
        C("top_reasons", "list[string]", "the strongest pushes toward churn risk, in words",
          promised=True, when="the purchase propensity or the contractual churn model was fitted"),
        C("cluster", "integer", "cluster number, 0 = largest (empty: not clustered)",
          promised=True, when="enough customers to cluster"),
        C("cluster_label", "string", "what sets the cluster apart, in words", promised=True,
          when="enough customers to cluster"),
    ),
    promised=True,
    key=("customer_id",),
)

FEEDBACK_SCORES = PublishedTable(
    "feedback_scores",
    "one row per feedback answer before as_of, with its sentiment and topics",
    (
        C("feedback_id", "string", "the source's identifier, or row:N when it had none",
          required=True, promised=True),
        C("customer_id", "string", "who answered; empty for anonymous feedback", required=True,
          promised=True),
        C("ts", "timestamp", "when the answer was given", required=True, promised=True),
        C("kind", "string",
          "nps, csat, rating or review; inferred from the scores' range when the source has none",
          required=True),
        C("score", "float", "the answer as given (NPS 0-10, stars 1-5)", required=True),
        C("language", "string", "detected language of the text (en, zh, …; unknown: no text)",
          required=True, promised=True),
        C("sentiment", "float", "sentiment of the text (empty without text)", SENTIMENT,
          required=True, promised=True),
        C("sentiment_label", "string", "negative, neutral or positive (empty without text)",
          required=True, promised=True),
        C("topics", "list[string]",
          "topic labels of the text ('<lang>: …', complaints '<lang> complaint: …'); empty when "
          "topics were not fitted", required=True, promised=True),
    ),
    promised=True,
)

INTERACTION_SCORES = PublishedTable(
    "interaction_scores",
    "one row per service interaction with text before as_of, with its sentiment",
    (
        C("customer_id", "string", "who was in contact", required=True),
        C("ts", "timestamp", "when", required=True),
        C("channel", "string", "phone, email, chat, ticket, visit, web or social",
          when="the interactions carry it"),
        C("direction", "string", "inbound or outbound", when="the interactions carry it"),
        C("topic", "string", "subject or category of the contact",
          when="the interactions carry it"),
        C("resolved", "boolean", "whether the issue was resolved",
          when="the interactions carry it"),
        C("language", "string", "detected language of the text (unknown: undetected)",
          required=True),
        C("sentiment", "float", "sentiment of the text (empty when the language is unknown)",
          SENTIMENT, required=True),
        C("sentiment_label", "string", "negative, neutral or positive", required=True),
    ),
)

FEEDBACK_TOPICS = PublishedTable(
    "feedback_topics",
    "the themes of the feedback texts and, fitted apart, of the complaints, per language",
    (
        C("topic", "string", "label: '<lang>: term / term / term' ('<lang> complaint: …')",
          required=True),
        C("language", "string", "language of the texts the topic was fitted on", required=True),
        C("kind", "string", "theme (all texts) or complaint (negative texts only)",
          required=True),
        C("top_terms", "list[string]", "the topic's most telling terms", required=True),
        C("n", "integer", "feedback texts carrying the topic", "texts", required=True),
        C("share", "float", "n over the language's scored feedback", SHARE, required=True),
        C("mean_sentiment", "float", "mean sentiment of those texts", SENTIMENT, required=True),
        C("share_negative", "float", "share of those texts labelled negative", SHARE,
          required=True),
    ),
)

FEEDBACK_TOPIC_TREND = PublishedTable(
    "feedback_topic_trend",
    "per month and topic: how often it is mentioned and how it feels",
    (
        C("month", "string", "calendar month of the answers, YYYY-MM", required=True),
        C("topic", "string", "topic label, as in feedback_topics", required=True),
        C("n", "integer", "feedback texts of the month carrying the topic", "texts",
          required=True),
        C("mean_sentiment", "float", "mean sentiment of those texts", SENTIMENT, required=True),
        C("share_negative", "float", "share of those texts labelled negative", SHARE,
          required=True),
    ),
)

ASSOCIATION_RULES = PublishedTable(
    "association_rules",
    "if a basket holds the antecedents, it tends to hold the consequents (baskets before as_of)",
    (
        C("antecedents", "list[string]", "product ids on the 'if' side", required=True,
          promised=True),
        C("consequents", "list[string]", "product ids on the 'then' side", required=True,
          promised=True),
        C("antecedent_support", "float", "share of baskets holding the antecedents", SHARE,
          required=True),
        C("consequent_support", "float", "share of baskets holding the consequents", SHARE,
          required=True),
        C("support", "float", "share of baskets holding every product of the rule", SHARE,
          required=True, promised=True),
        C("confidence", "float", "share of the antecedents' baskets that hold the consequents",
          PROBABILITY, required=True, promised=True),
        C("lift", "float", "confidence / consequent_support; above 1: bought together more "
          "than by chance", "ratio", required=True, promised=True),
        C("leverage", "float", "support minus the support expected by chance",
          "difference of shares", required=True, promised=True),
        C("conviction", "float", "(1 - consequent_support) / (1 - confidence); inf when "
          "confidence is 1", "ratio", required=True, promised=True),
        C("baskets", "integer", "baskets holding every product of the rule", "baskets",
          required=True, promised=True),
        C("antecedent_names", "list[string]", "the antecedents' product names (the id when "
          "unnamed)", required=True),
        C("consequent_names", "list[string]", "the consequents' product names (the id when "
          "unnamed)", required=True),
    ),
    promised=True,
)

RECOMMENDATIONS = PublishedTable(
    "recommendations",
    "the top products per customer for the horizon ([recommendations] k, default 10)",
    (
        C("customer_id", "string", "the customer's identifier", required=True, promised=True),
        C("rank", "integer", "position in the customer's list, 1 = best", required=True,
          promised=True),
        C("product_id", "string", "the recommended product", required=True, promised=True),
        C("score", "float", "ranking score; compares products within one customer's list only",
          required=True, promised=True),
        C("source", "string",
          "what contributed most: again, cycle, als, ease, items, rules or popular",
          required=True, promised=True),
        C("reason", "string", "why, in words", required=True),
    ),
    promised=True,
    key=("customer_id", "rank"),
)

NEXT_CATEGORIES = PublishedTable(
    "next_categories",
    "per customer and category: the chance of buying in it within the horizon",
    (
        C("customer_id", "string", "the customer's identifier", required=True, promised=True),
        C("rank", "integer", "1 = the customer's likeliest category", required=True,
          promised=True),
        C("category", "string",
          "product category (from the orders, else derived from product names)", required=True,
          promised=True),
        C("probability", "float", "probability of buying in the category within the horizon",
          PROBABILITY, required=True, promised=True),
    ),
    promised=True,
    key=("customer_id", "rank"),
)

_CLIPPED = "clipped to the 1st-99th percentiles, missing values as the median"
_BEHAVIOUR = "the clustered customers purchased"
CLUSTER_PROFILES = PublishedTable(
    "cluster_profiles",
    f"one row per customer cluster: its size, label and the mean of each clustered feature "
    f"({_CLIPPED})",
    (
        C("cluster", "integer", "cluster number, 0 = largest", required=True),
        C("size", "integer", "customers in the cluster", "customers", required=True),
        C("label", "string", "what sets the cluster apart, in words", required=True),
        C("recency", "float", "mean of log(1 + recency_days)", "log days", when=_BEHAVIOUR),
        C("frequency", "float", "mean of log(1 + orders_count)", "log orders", when=_BEHAVIOUR),
        C("spend", "float", "mean of sign × log(1 + |revenue_total|)", "log currency",
          when="orders carry prices"),
        C("tenure", "float", "mean of log(1 + tenure_days)", "log days", when=_BEHAVIOUR),
        C("irregularity", "float", "mean of gap_std_days / gap_mean_days", "ratio",
          when="customers with repeat purchases"),
        C("basket_size", "float", "mean of log(1 + units_per_order)", "log units",
          when=_BEHAVIOUR),
        C("breadth", "float", "mean of log(1 + distinct categories, else products)",
          "log count", when="orders carry categories or products"),
        C("returns", "float", "mean return_ratio", SHARE, when="orders carry prices"),
    ),
    families=(
        ColumnFamily(
            r".+=.*",
            "float",
            "'<attribute>=<level>': share of the cluster's customers with that level of a "
            "customer attribute of few levels",
            SHARE,
        ),
        ColumnFamily(
            r".+",
            "float",
            "mean of a numeric customer attribute or service signal, by its own name (only "
            "when there is no purchase behaviour to cluster, e.g. a customers-only workspace)",
        ),
    ),
)

CLUSTER_PROJECTION = PublishedTable(
    "cluster_projection",
    "a sample of the clustered customers on the first two principal components (for a chart)",
    (
        C("customer_id", "string", "the customer's identifier", required=True),
        C("cluster", "integer", "cluster number, 0 = largest", required=True),
        C("pc1", "float", "first principal component of the scaled features", required=True),
        C("pc2", "float", "second principal component (0 with a single feature)",
          required=True),
    ),
)

VOICE_SUMMARY = PublishedTable(
    "voice_summary",
    "NPS, CSAT and sentiment overall and per value of each dimension, in long format",
    (
        C("dimension", "string",
          "all, rfm_segment, cluster_label, region, gender, month, language, or a feedback "
          "attribute of few levels", required=True),
        C("value", "string", "the dimension's value ('all' on the overall rows)", required=True),
        C("metric", "string", "nps, csat, mean_sentiment or share_negative", required=True),
        C("n", "integer", "answers counted", "answers", required=True),
        C("score", "float", "the metric's value", "by metric: nps -100…100 points, csat %, "
          "mean_sentiment -1…1, share_negative %", required=True),
    ),
)

VOICE_DRIVERS = PublishedTable(
    "voice_drivers",
    "what moves the score: the effect of topics, sentiment and attributes on NPS or stars",
    (
        C("scale", "string", "nps (0-10 answers) or stars (1-5 answers)", required=True),
        C("driver", "string", "the topic, sentiment or 'attribute = level'", required=True),
        C("kind", "string", "topic, sentiment or attribute", required=True),
        C("effect", "float", "change in the mean score with the driver, the others held fixed",
          "score points of the scale", required=True),
        C("ci_low", "float", "lower end of the 95 % interval of the effect",
          "score points of the scale", required=True),
        C("ci_high", "float", "upper end of the 95 % interval of the effect",
          "score points of the scale", required=True),
        C("n", "integer", "answers with the driver", "answers", required=True),
        C("significant", "boolean", "the 95 % interval excludes 0", required=True),
        C("sentence", "string", "the effect, in words", required=True),
    ),
)

CUSTOMER_PROFILES = PublishedTable(
    "customer_profiles",
    "who each customer is, for the customer card: contact details and place (personal data: "
    "name, email and phone are masked for viewers of the API)",
    (
        C("customer_id", "string", "the customer", required=True),
        C("name", "string", "full name (personal data)", when=_ATTRIBUTE),
        C("email", "string", "e-mail address, normalised (personal data)", when=_ATTRIBUTE),
        C("phone", "string", "phone number, E.164 (personal data)", when=_ATTRIBUTE),
        C("gender", "string", "gender as recorded", when=_ATTRIBUTE),
        C("birth_date", "date", "date of birth", when=_ATTRIBUTE),
        C("city", "string", "city", when=_ATTRIBUTE),
        C("region", "string", "region or province", when=_ATTRIBUTE),
        C("country", "string", "country (ISO code)", when=_ATTRIBUTE),
        C("signup_date", "date", "when the customer signed up", when=_ATTRIBUTE),
    ),
    key=("customer_id",),
)

SEGMENT_MIGRATIONS = PublishedTable(
    "segment_migrations",
    "customers whose RFM segment or cluster changed since the previous snapshot",
    (
        C("customer_id", "string", "the customer", required=True, promised=True),
        C("kind", "string", "rfm_segment or cluster (compared by its label)", required=True),
        C("from_segment", "string", "the segment or cluster label in the previous run "
          "(empty: none then)", required=True, promised=True),
        C("to_segment", "string", "the segment or cluster label now (empty: none now)",
          required=True, promised=True),
        C("previous_run_id", "string", "the run compared with", required=True, promised=True),
        C("run_id", "string", "this run", required=True, promised=True),
    ),
    promised=True,
    key=("customer_id", "kind", "run_id"),
)

MONITORING = PublishedTable(
    "monitoring",
    "drift since the previous run, and how earlier runs' predictions did once their horizon "
    "had passed, beside what validation promised",
    (
        C("run_id", "string", "this run", required=True, promised=True),
        C("model", "string", "features, scores, or the model judged (purchase_propensity)",
          required=True, promised=True),
        C("metric", "string", "psi, realised_auc, realised_brier, mean_predicted, "
          "observed_rate or revenue_capture_top_decile", required=True, promised=True),
        C("subject", "string", "the feature or score measured", required=True, promised=True),
        C("value", "float", "the measurement", required=True, promised=True),
        C("reference", "float", "what it is judged against: the drift threshold, the "
          "validation figure promised, or (for mean_predicted) the observed rate",
          required=True, promised=True),
        C("status", "string", "ok, drift (psi at or above 0.25) or decay (realised AUC more "
          "than 0.05 below validation)", required=True, promised=True),
        C("evaluated_run_id", "string", "the earlier run compared with or judged",
          required=True),
        C("evaluated_as_of", "date", "that run's as_of", required=True),
        C("n", "float", "customers measured", "customers", required=True),
    ),
    promised=True,
)

_CONTROL = "the campaign had a randomised control group"
_UPLIFT = _CONTROL + " and an uplift model beat targeting by response on validation"
CAMPAIGN_SCORES = PublishedTable(
    "campaign_scores",
    "per campaign and customer not yet reached by it: the chance of responding, what the "
    "contact adds, and whether to contact (the contact list: target, best rank first)",
    (
        C("campaign_id", "string", "the campaign (with a several-arm campaign: 'campaign / "
          "arm')", required=True, promised=True),
        C("customer_id", "string", "the customer's identifier", required=True, promised=True),
        C("p_response", "float", "calibrated probability of responding if contacted",
          PROBABILITY, required=True, promised=True),
        C("p_response_control", "float", "calibrated probability of responding if not "
          "contacted", PROBABILITY, promised=True, when=_CONTROL),
        C("uplift", "float", "p_response - p_response_control: the response the contact "
          "causes", "probability -1-1", promised=True, when=_UPLIFT),
        C("expected_profit", "float", "uplift (else p_response) x [campaigns] margin x revenue "
          "per response - cost_per_contact", MONEY, required=True, promised=True),
        C("target", "boolean", "contact: expected_profit > 0, within budget_contacts",
          required=True, promised=True),
        C("rank", "integer", "position in the campaign's contact list, 1 = best",
          required=True, promised=True),
        C("top_reasons", "list[string]", "the segments of the customer that this campaign "
          "moved most (with a control group: observed uplift, 90 % interval above 0) or that "
          "responded best, in words", required=True),
        C("best_campaign", "string", "among the arms of one campaign (a men's and a women's "
          "e-mail against one control), the campaign_id that earns the customer most; empty "
          "when none pays", when="a campaign tests several arms"),
    ),
    promised=True,
)

MODELS = PublishedTable(
    "models",
    "one row per model fitted in the run: what it was, on which data, how well it validated",
    (
        C("name", "string", "the model (rfm, purchase_propensity, clv, …)", required=True,
          promised=True),
        C("parameters", "string", "its parameters", "JSON object", required=True,
          promised=True),
        C("training_window", "string", "the data it was fitted on, in words", required=True,
          promised=True),
        C("training_rows", "integer", "rows it was fitted on (empty when not counted)", "rows",
          required=True),
        C("metrics", "string", "its validation metrics", "JSON object", required=True,
          promised=True),
    ),
    promised=True,
)

DEMAND_FORECAST = PublishedTable(
    "demand_forecast",
    "net demand (sales minus returns) forecast per level, key and future period, with an 80 % "
    "band; a level's forecasts add up to the level above",
    (
        C("level", "string", "total, category, region, category/region, product, or an order "
          "attribute named in [forecast] levels", required=True, promised=True),
        C("key", "string", "the level's value, e.g. Furniture/West; 'all' for the total, "
          "'other' for the pooled products", required=True, promised=True),
        C("period_start", "timestamp", "first day of the period (weeks start on the as-of "
          "date's weekday, months on the 1st)", required=True, promised=True),
        C("freq", "string", "D, W or M", required=True, promised=True),
        C("forecast", "float", "expected net demand in the period (never negative)",
          "[forecast] measure: currency or units", required=True, promised=True),
        C("lo_80", "float", "lower end of the 80 % band (conformal, from validation errors)",
          "[forecast] measure: currency or units", required=True, promised=True),
        C("hi_80", "float", "upper end of the 80 % band",
          "[forecast] measure: currency or units", required=True, promised=True),
        C("model", "string", "the model chosen for the level by rolling-origin validation",
          required=True, promised=True),
    ),
    promised=True,
)

DEMAND_HISTORY = PublishedTable(
    "demand_history",
    "the net demand per level, key and past period that demand_forecast was fitted on (every "
    "complete period before as_of, zeros where nothing sold)",
    (
        C("level", "string", "as in demand_forecast", required=True),
        C("key", "string", "as in demand_forecast", required=True),
        C("period_start", "timestamp", "first day of the period", required=True),
        C("freq", "string", "D, W or M", required=True),
        C("actual", "float", "net demand in the period: sales minus returns",
          "[forecast] measure: currency or units", required=True),
    ),
)

PUBLISHED_TABLES: dict[str, PublishedTable] = {
    t.name: t
    for t in (
        CUSTOMER_FEATURES,
        CUSTOMER_SCORES,
        FEEDBACK_SCORES,
        INTERACTION_SCORES,
        FEEDBACK_TOPICS,
        FEEDBACK_TOPIC_TREND,
        ASSOCIATION_RULES,
        RECOMMENDATIONS,
        NEXT_CATEGORIES,
        CLUSTER_PROFILES,
        CLUSTER_PROJECTION,
        VOICE_SUMMARY,
        VOICE_DRIVERS,
        CUSTOMER_PROFILES,
        SEGMENT_MIGRATIONS,
        MONITORING,
        CAMPAIGN_SCORES,
        MODELS,
        DEMAND_FORECAST,
        DEMAND_HISTORY,
    )
}

# Named by DESIGN §4 but in no snapshot today: said so when asked for, rather than "unknown".
_NOT_IN_SNAPSHOTS = {
    "quarantine": "a loaded warehouse table (crmine export reads it), not part of a snapshot",
}

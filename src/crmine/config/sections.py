"""The sections of ``crmine.toml``: one frozen dataclass per section, the only place they are typed.

The field types drive validation when the file is loaded (:mod:`crmine.config._typed`): a
value of the wrong type, an unknown key or a value out of range is a one-line error naming the
section, the key, the value and what was expected. The commented template
(``template.toml``) documents every field; a test checks that the two agree on names and
defaults and that code reads every field.

Lists are tuples here so that settings stay immutable once loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

# The names the model code accepts; a test checks they equal the models' own registries.
PURCHASE_CANDIDATES = ("logistic", "tree", "forest", "svm", "lightgbm")
CHURN_CANDIDATES = ("logistic", "lightgbm", "blend")
FEATURE_GROUPS = ("service", "btyd")
RECOMMENDATION_SOURCES = ("again", "cycle", "als", "ease", "items", "rules", "popular")

PurchaseCandidate = Literal["logistic", "tree", "forest", "svm", "lightgbm"]
ChurnCandidate = Literal["logistic", "lightgbm", "blend"]
FeatureGroup = Literal["service", "btyd"]


class Section:
    """A section of crmine.toml. ``name`` is its header; ``check`` says what is out of range."""

    name: ClassVar[str]

    def check(self) -> str | None:
        """A one-line problem with values of the right type but out of range, or None."""
        return None


@dataclass(frozen=True)
class WorkspaceSettings(Section):
    name: ClassVar[str] = "workspace"
    currency: str = ""
    engine: Literal["duckdb", "spark"] = "duckdb"

    def __post_init__(self) -> None:
        object.__setattr__(self, "currency", self.currency.upper())


@dataclass(frozen=True)
class IngestSettings(Section):
    name: ClassVar[str] = "ingest"
    date_order: Literal["auto", "dayfirst", "monthfirst"] = "auto"
    phone_region: str = "GB"
    return_id_prefix: str = ""
    sources: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "phone_region", self.phone_region.upper())

    @property
    def dayfirst(self) -> bool | None:
        return {"auto": None, "dayfirst": True, "monthfirst": False}[self.date_order]


@dataclass(frozen=True)
class CurrencySettings(Section):
    name: ClassVar[str] = "currency"
    yen: str = "CNY"
    dollar: str = "USD"
    rates: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "yen", self.yen.upper())
        object.__setattr__(self, "dollar", self.dollar.upper())
        rates = {str(k).upper(): float(v) for k, v in self.rates.items()}
        object.__setattr__(self, "rates", rates)

    def check(self) -> str | None:
        bad = [k for k, v in self.rates.items() if not v > 0]
        if bad:
            return f"[currency.rates] {bad[0]} must be a positive number"
        return None


@dataclass(frozen=True)
class CleanSettings(Section):
    name: ClassVar[str] = "clean"
    merge_duplicate_customers: bool = True
    name_similarity: float = 90.0

    def check(self) -> str | None:
        if not 0 <= self.name_similarity <= 100:
            return f"[clean] name_similarity must be between 0 and 100, not {self.name_similarity}"
        return None


@dataclass(frozen=True)
class RunSettings(Section):
    name: ClassVar[str] = "run"
    horizon_days: int = 90
    active_days: int = 90

    def check(self) -> str | None:
        if self.horizon_days <= 0:
            return "[run] horizon_days must be positive"
        if self.active_days <= 0:
            return "[run] active_days must be positive"
        return None


@dataclass(frozen=True)
class RFMSettings(Section):
    name: ClassVar[str] = "rfm"
    bins: int = 5
    segments: tuple[dict[str, Any], ...] = ()

    def check(self) -> str | None:
        if not 2 <= self.bins <= 10:
            return "[rfm] bins must be between 2 and 10"
        for rule in self.segments:
            problem = _segment_problem(rule, self.bins)
            if problem:
                return f"[rfm] segments: {problem}"
        return None


def _segment_problem(rule: dict[str, Any], bins: int) -> str | None:
    name = rule.get("name")
    if not isinstance(name, str) or not name.strip():
        return f"a rule without a name: {rule!r}"
    unknown = set(rule) - {"name", "r", "f", "fm"}
    if unknown:
        return f"segment {name!r} has unknown keys {sorted(unknown)} (known: name, r, f, fm)"
    sides = [k for k in ("f", "fm") if k in rule]
    if "r" not in rule or len(sides) != 1:
        return f"segment {name!r} needs 'r' and exactly one of 'f' or 'fm'"
    for key in ("r", sides[0]):
        bounds = rule[key]
        ok = (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
            and 1 <= bounds[0] <= bounds[1] <= bins
        )
        if not ok:
            return f"segment {name!r}: {key} must be [low, high] with 1 <= low <= high <= {bins}"
    return None


@dataclass(frozen=True)
class AssociationRuleSettings(Section):
    name: ClassVar[str] = "association_rules"
    min_support: float = 0.01
    min_confidence: float = 0.3
    min_lift: float = 1.0
    max_len: int = 3  # 0 = no limit
    exclude: tuple[str, ...] = ()

    def check(self) -> str | None:
        if not 0 < self.min_support <= 1:
            return "[association_rules] min_support must be in (0, 1]"
        if not 0 <= self.min_confidence <= 1:
            return "[association_rules] min_confidence must be in [0, 1]"
        if self.min_lift < 0:
            return "[association_rules] min_lift must not be negative"
        if self.max_len < 0 or self.max_len == 1:
            return "[association_rules] max_len must be 0 (no limit) or at least 2"
        return None

    @property
    def max_itemset(self) -> int | None:
        """The longest itemset, None for no limit (TOML has no null)."""
        return self.max_len or None


@dataclass(frozen=True)
class ModelsSettings(Section):
    name: ClassVar[str] = "models"
    candidates: tuple[PurchaseCandidate, ...] = PURCHASE_CANDIDATES
    cutoff_step_days: int = 45
    max_cutoffs: int = 4
    min_history_days: int = 45
    min_customers: int = 30
    svm_max_rows: int = 2000
    max_train_rows: int = 20000
    reasons: int = 3
    exclude_features: tuple[FeatureGroup, ...] = ()
    random_state: int = 0
    promote: Literal["always", "if_better"] = "always"

    def check(self) -> str | None:
        if not self.candidates:
            return f"[models] candidates must be a non-empty list from {list(PURCHASE_CANDIDATES)}"
        if self.cutoff_step_days <= 0 or self.max_cutoffs < 2 or self.min_history_days < 0:
            return "[models] needs cutoff_step_days > 0, max_cutoffs >= 2 and min_history_days >= 0"
        if min(self.min_customers, self.svm_max_rows, self.max_train_rows) <= 0:
            return "[models] min_customers, svm_max_rows and max_train_rows must be positive"
        if self.reasons < 0:
            return "[models] reasons must not be negative"
        return None


@dataclass(frozen=True)
class ClvSettings(Section):
    name: ClassVar[str] = "clv"
    horizon_days: int = 365
    annual_discount_rate: float = 0.10

    def check(self) -> str | None:
        if self.horizon_days <= 0 or self.annual_discount_rate <= -1:
            return "[clv] needs horizon_days > 0 and annual_discount_rate > -1"
        return None


@dataclass(frozen=True)
class ChurnSettings(Section):
    name: ClassVar[str] = "churn"
    candidates: tuple[ChurnCandidate, ...] = CHURN_CANDIDATES
    folds: int = 5

    def check(self) -> str | None:
        if not self.candidates:
            return f"[churn] candidates must be a non-empty list from {list(CHURN_CANDIDATES)}"
        if self.folds < 2:
            return "[churn] folds must be at least 2"
        return None


@dataclass(frozen=True)
class RecommendationSettings(Section):
    name: ClassVar[str] = "recommendations"
    enabled: bool = True
    k: int = 10
    weights: Literal["learned", "auto"] | dict[str, float] = "learned"
    repurchase: bool = True
    half_life_days: float = 180.0
    detect_non_products: bool = True
    exclude_products: tuple[str, ...] = ()

    def check(self) -> str | None:
        if self.k <= 0:
            return "[recommendations] k must be positive"
        if self.half_life_days <= 0:
            return "[recommendations] half_life_days must be positive"
        if isinstance(self.weights, dict):
            unknown = set(self.weights) - set(RECOMMENDATION_SOURCES)
            if unknown:
                return (
                    f"[recommendations] weights names unknown sources {sorted(unknown)}; "
                    f"known: {', '.join(RECOMMENDATION_SOURCES)}"
                )
            if not self.weights or any(w < 0 for w in self.weights.values()):
                return "[recommendations] weights must give each source a weight >= 0"
        return None


@dataclass(frozen=True)
class ClusterSettings(Section):
    name: ClassVar[str] = "clusters"
    k_min: int = 3
    k_max: int = 8
    random_state: int = 0

    def check(self) -> str | None:
        if not 2 <= self.k_min <= self.k_max:
            return f"[clusters] needs 2 <= k_min <= k_max, not k_min {self.k_min}, k_max {self.k_max}"
        return None


@dataclass(frozen=True)
class NextCategorySettings(Section):
    name: ClassVar[str] = "next_categories"
    enabled: bool = True
    derive_from_names: bool = True
    derived_categories: int = 15
    top_n: int = 3
    exclude_products: tuple[str, ...] = ()

    def check(self) -> str | None:
        if self.derived_categories < 2 or self.top_n <= 0:
            return "[next_categories] needs derived_categories >= 2 and top_n > 0"
        return None


@dataclass(frozen=True)
class FeedbackSettings(Section):
    name: ClassVar[str] = "feedback"
    adapt: bool = True
    adapt_folds: int = 5
    adapt_min_rated: int = 20
    adapt_max_texts: int = 20000
    seed: int = 0
    complaint_topics: tuple[str, ...] = ("complaint", "refund", "投诉", "退款")
    recent_days: int = 90
    min_group: int = 5
    driver_min_n: int = 20
    max_drivers: int = 15
    max_levels: int = 30
    n_topics: int = 8

    def check(self) -> str | None:
        if self.adapt_folds < 2:
            return "[feedback] adapt_folds must be at least 2"
        positive = ("adapt_min_rated", "adapt_max_texts", "recent_days", "min_group",
                    "driver_min_n", "max_drivers", "max_levels", "n_topics")  # fmt: skip
        for key in positive:
            if getattr(self, key) <= 0:
                return f"[feedback] {key} must be positive"
        return None


@dataclass(frozen=True)
class AlertRule:
    """One ``[[alerts.rules]]`` table: when rows of a published table match, notify channels."""

    name: str
    when: str
    notify: tuple[str, ...]
    table: str = "customer_scores"
    #: the columns that name a row (empty: customer_id, or the table's declared key)
    key: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertChannel:
    """One ``[alerts.channels.NAME]`` table: a webhook or an e-mail destination."""

    kind: Literal["webhook", "email"]
    url: str = ""
    #: environment variable holding the webhook's signing secret (never the secret itself)
    secret_env: str = ""
    smtp: str = ""
    sender: str = field(default="", metadata={"toml": "from"})
    to: tuple[str, ...] = ()
    timeout_s: float = 5.0
    retries: int = 3


@dataclass(frozen=True)
class AlertSettings(Section):
    name: ClassVar[str] = "alerts"
    rules: tuple[AlertRule, ...] = ()
    channels: dict[str, AlertChannel] = field(default_factory=dict)
    #: rows listed per notification (the count is always given in full)
    max_rows: int = 200

    def check(self) -> str | None:
        names = [r.name for r in self.rules]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            return f"[[alerts.rules]] name {doubled[0]!r} is used twice; rule names must be unique"
        for rule in self.rules:
            missing = [c for c in rule.notify if c not in self.channels]
            if missing:
                return (f"[[alerts.rules]] {rule.name!r} notifies {missing[0]!r}, which is not "
                        f"a channel; declare it as [alerts.channels.{missing[0]}]")
            if not rule.notify:
                return f"[[alerts.rules]] {rule.name!r} notifies no channel"
        for name, ch in self.channels.items():
            if ch.kind == "webhook" and not ch.url.startswith(("http://", "https://")):
                return f"[alerts.channels.{name}] a webhook needs url = \"http(s)://…\""
            if ch.kind == "email" and not (ch.smtp and ch.sender and ch.to):
                return f"[alerts.channels.{name}] e-mail needs smtp = \"host:port\", from and to"
            if ch.retries < 0 or ch.timeout_s <= 0:
                return f"[alerts.channels.{name}] retries must be ≥ 0 and timeout_s positive"
        if self.max_rows <= 0:
            return "[alerts] max_rows must be positive"
        return None


@dataclass(frozen=True)
class CampaignSettings(Section):
    name: ClassVar[str] = "campaigns"
    margin: float = 0.3
    cost_per_contact: float = 0.0
    budget_contacts: int = 0
    revenue_per_response: float = 0.0
    outcome_columns: tuple[str, ...] = ()
    group_column: str = ""
    control_groups: tuple[str, ...] = ("control", "holdout", "hold out", "no e-mail", "no email",
                                       "none", "对照组", "对照", "空白组")  # fmt: skip
    revenue_column: str = ""
    post_send_columns: tuple[str, ...] = ()
    folds: int = 5
    seed: int = 0

    def check(self) -> str | None:
        if not 0 <= self.margin <= 1:
            return "[campaigns] margin is a share of revenue: between 0 and 1"
        if self.cost_per_contact < 0 or self.revenue_per_response < 0:
            return "[campaigns] cost_per_contact and revenue_per_response must not be negative"
        if self.budget_contacts < 0:
            return "[campaigns] budget_contacts must not be negative (0 = no limit)"
        if self.folds < 2:
            return "[campaigns] folds must be at least 2"
        return None

    @property
    def controls(self) -> frozenset[str]:
        """The control-group names, compared case-insensitively."""
        return frozenset(g.strip().lower() for g in self.control_groups)



@dataclass(frozen=True)
class ForecastSettings(Section):
    """Demand forecasting (``demand_forecast``): how much will sell per period and level."""

    name: ClassVar[str] = "forecast"
    freq: Literal["", "D", "W", "M"] = ""
    horizon_periods: int = 0
    levels: tuple[str, ...] = ("total", "category", "region", "category/region")
    measure: Literal["amount", "quantity"] = "amount"
    top_products: int = 100
    validation_windows: int = 3

    def check(self) -> str | None:
        if self.horizon_periods < 0 or self.top_products <= 0:
            return "[forecast] needs horizon_periods >= 0 and top_products > 0"
        if not 1 <= self.validation_windows <= 12:
            return "[forecast] validation_windows must be between 1 and 12"
        if not self.levels or any(not str(level).strip() for level in self.levels):
            return "[forecast] levels must name at least one level, none of them empty"
        return None


@dataclass(frozen=True)
class PrivacySettings(Section):
    """Personal data kept as keyed hashes (HMAC-SHA256, key in ``DIR/.crmine/key``)."""

    name: ClassVar[str] = "privacy"
    pseudonymise: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "pseudonymise", tuple(c.strip().lower() for c in self.pseudonymise))

    def check(self) -> str | None:
        from crmine.schema import PERSONAL_COLUMNS

        unknown = [c for c in self.pseudonymise if c not in PERSONAL_COLUMNS]
        if unknown:
            return (f"[privacy] pseudonymise: {unknown[0]!r} is not a personal column; "
                    f"expected some of: {', '.join(PERSONAL_COLUMNS)}")  # fmt: skip
        return None


@dataclass(frozen=True)
class SparkSettings(Section):
    """The Spark session behind ``[workspace] engine = "spark"``: where it runs, how it is tuned."""

    name: ClassVar[str] = "spark"
    master: str = "local[2]"
    config: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "config", {str(k): str(v) for k, v in self.config.items()})

    def check(self) -> str | None:
        if not self.master.strip():
            return "[spark] master must name a Spark master URL, e.g. local[2] or spark://host:7077"
        bad = [k for k in self.config if not k.startswith("spark.")]
        if bad:
            return f"[spark.config] {bad[0]} is not a Spark setting (they start with spark.)"
        return None


SECTIONS: tuple[type[Section], ...] = (
    WorkspaceSettings,
    IngestSettings,
    CurrencySettings,
    CleanSettings,
    RunSettings,
    RFMSettings,
    AssociationRuleSettings,
    ModelsSettings,
    ClvSettings,
    ChurnSettings,
    RecommendationSettings,
    ClusterSettings,
    NextCategorySettings,
    FeedbackSettings,
    AlertSettings,
    CampaignSettings,
    ForecastSettings,
    PrivacySettings,
    SparkSettings,
)

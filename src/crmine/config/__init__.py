"""Workspace settings: ``crmine.toml``, validated and typed when it is loaded.

Every section is a frozen dataclass in :mod:`crmine.config.sections`; this module reads the
TOML file onto them. Anything wrong (an unknown section or key, a value of the wrong type, a
value out of range) is a :class:`~crmine.errors.ConfigError` of one line naming the section,
the key, the value and what was expected, so a typo never loads silently and never surfaces
later as a traceback in the middle of a run.

The commented template shipped with the package (``template.toml``) documents every setting;
``crmine init`` writes it. A test keeps its keys and defaults equal to the dataclasses'.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from crmine.config._typed import Mismatch, convert, section_fields, toml_value
from crmine.config.sections import (
    SECTIONS,
    AlertChannel,
    AlertRule,
    AlertSettings,
    AssociationRuleSettings,
    CampaignSettings,
    ChurnSettings,
    CleanSettings,
    ClusterSettings,
    ClvSettings,
    CurrencySettings,
    FeedbackSettings,
    ForecastSettings,
    IngestSettings,
    ModelsSettings,
    NextCategorySettings,
    PrivacySettings,
    RecommendationSettings,
    RFMSettings,
    RunSettings,
    Section,
    SparkSettings,
    WorkspaceSettings,
)
from crmine.errors import ConfigError

CONFIG_FILE = "crmine.toml"

S = TypeVar("S", bound=Section)

__all__ = [
    "CONFIG_FILE",
    "SECTIONS",
    "AlertChannel",
    "AlertRule",
    "AlertSettings",
    "AssociationRuleSettings",
    "CampaignSettings",
    "ChurnSettings",
    "CleanSettings",
    "ClusterSettings",
    "ClvSettings",
    "Config",
    "CurrencySettings",
    "FeedbackSettings",
    "ForecastSettings",
    "IngestSettings",
    "ModelsSettings",
    "NextCategorySettings",
    "PrivacySettings",
    "RFMSettings",
    "RecommendationSettings",
    "RunSettings",
    "Section",
    "SparkSettings",
    "WorkspaceSettings",
    "defaults",
    "load_config",
    "template_text",
]


def template_text() -> str:
    """The commented default ``crmine.toml`` written by ``crmine init``."""
    return resources.files("crmine.config").joinpath("template.toml").read_text("utf-8")


def defaults() -> dict[str, Any]:
    """The template's values, as TOML gives them."""
    return tomllib.loads(template_text())


@dataclass(frozen=True)
class Config:
    """Every section of crmine.toml, typed."""

    workspace: WorkspaceSettings = field(default_factory=WorkspaceSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    currency: CurrencySettings = field(default_factory=CurrencySettings)
    clean: CleanSettings = field(default_factory=CleanSettings)
    run: RunSettings = field(default_factory=RunSettings)
    rfm: RFMSettings = field(default_factory=RFMSettings)
    association_rules: AssociationRuleSettings = field(default_factory=AssociationRuleSettings)
    models: ModelsSettings = field(default_factory=ModelsSettings)
    clv: ClvSettings = field(default_factory=ClvSettings)
    churn: ChurnSettings = field(default_factory=ChurnSettings)
    recommendations: RecommendationSettings = field(default_factory=RecommendationSettings)
    clusters: ClusterSettings = field(default_factory=ClusterSettings)
    next_categories: NextCategorySettings = field(default_factory=NextCategorySettings)
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    campaigns: CampaignSettings = field(default_factory=CampaignSettings)
    forecast: ForecastSettings = field(default_factory=ForecastSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    spark: SparkSettings = field(default_factory=SparkSettings)

    def get(self, section: type[S]) -> S:
        """The loaded instance of a section type (steps declare the types they read)."""
        value = getattr(self, section.name)
        assert isinstance(value, section)
        return value

    def as_dict(self) -> dict[str, Any]:
        """Every setting in force, as plain JSON-able values (recorded in run.json)."""
        return json.loads(json.dumps(dataclasses.asdict(self), ensure_ascii=False))

    def digest(self) -> str:
        """A short hash of the settings in force: two runs with the same hash used the same."""
        text = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_config(path: Path | None) -> Config:
    """Read ``path`` (only the defaults when None or absent), validate and type it."""
    user: dict[str, Any] = {}
    where = path or Path(CONFIG_FILE)
    if path is not None and path.exists():
        try:
            user = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(user, where)


def parse_config(user: dict[str, Any], where: Path | str = CONFIG_FILE) -> Config:
    """Settings from already-parsed TOML (``{section: {key: value}}``)."""
    by_name = {cls.name: cls for cls in SECTIONS}
    unknown = sorted(set(user) - set(by_name))
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting [{unknown[0]}]; known sections: {', '.join(by_name)}"
        )
    loaded: dict[str, Section] = {}
    for name, cls in by_name.items():
        values = user.get(name, {})
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: {name} must be a section [{name}], not a value")
        loaded[name] = _section(cls, values, where)
    return Config(**loaded)  # type: ignore[arg-type]


def _section(cls: type[S], values: dict[str, Any], where: Path | str) -> S:
    types = section_fields(cls)
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in types:
            raise ConfigError(
                f"{where}: unknown setting [{cls.name}] {key}; known here: {', '.join(types)}"
            )
        try:
            kwargs[key] = convert(value, types[key])
        except Mismatch as exc:
            raise ConfigError(
                f"{where}: [{cls.name}] {key} = {toml_value(value)}: wrong type, {exc}"
            ) from None
    section = cls(**kwargs)
    problem = section.check()
    if problem:
        raise ConfigError(f"{where}: {problem}")
    return section

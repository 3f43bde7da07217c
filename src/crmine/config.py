"""Workspace settings: ``crmine.toml``, read into typed values.

The commented template shipped with the package is both the documentation and the source
of the defaults, so a setting cannot exist without being documented. Unknown settings are
errors: a typo must not be silently ignored.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from crmine.errors import ConfigError

CONFIG_FILE = "crmine.toml"

# Tables whose keys are chosen by the user rather than declared in the template.
_FREE_TABLES = {("ingest", "sources"), ("ingest", "columns"), ("currency", "rates")}


def template_text() -> str:
    """The commented default ``crmine.toml`` written by ``crmine init``."""
    return resources.files("crmine").joinpath("config_template.toml").read_text("utf-8")


def defaults() -> dict[str, Any]:
    return tomllib.loads(template_text())


@dataclass(frozen=True)
class IngestSettings:
    date_order: str = "auto"
    phone_region: str = "GB"
    sources: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def dayfirst(self) -> bool | None:
        return {"auto": None, "dayfirst": True, "monthfirst": False}[self.date_order]


@dataclass(frozen=True)
class CurrencySettings:
    target: str = ""
    yen: str = "CNY"
    dollar: str = "USD"
    rates: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CleanSettings:
    merge_duplicate_customers: bool = True
    name_similarity: float = 90.0


@dataclass(frozen=True)
class RunSettings:
    horizon_days: int = 90
    active_days: int = 90


@dataclass(frozen=True)
class RFMSettings:
    bins: int = 5
    segments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Config:
    ingest: IngestSettings
    currency: CurrencySettings
    clean: CleanSettings
    run: RunSettings
    rfm: RFMSettings
    raw: dict[str, Any]

    def section(self, name: str) -> dict[str, Any]:
        """A section as a plain dict, for steps whose settings are not typed here."""
        return dict(self.raw.get(name, {}))


def load_config(path: Path | None) -> Config:
    """Read ``path`` (or only the defaults when None), validate, and type it."""
    user: dict[str, Any] = {}
    if path is not None and path.exists():
        try:
            user = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    merged = _merge(defaults(), user, path or Path(CONFIG_FILE), ())
    return _typed(merged, path or Path(CONFIG_FILE))


def _merge(base: dict, user: dict, path: Path, where: tuple[str, ...]) -> dict:
    out = dict(base)
    for key, value in user.items():
        here = (*where, key)
        if where in _FREE_TABLES or where[:2] in _FREE_TABLES:
            out[key] = value
            continue
        if key not in base:
            known = ", ".join(sorted(base)) or "none"
            raise ConfigError(
                f"{path}: unknown setting [{'.'.join(here)}]; known here: {known}"
            )
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{'.'.join(here)}] must be a table")
            out[key] = _merge(base[key], value, path, here)
        else:
            out[key] = value
    return out


def _typed(raw: dict[str, Any], path: Path) -> Config:
    def get(section: str, key: str, kind: type | tuple[type, ...]) -> Any:
        value = raw[section][key]
        # bool is an int in Python: never accept it where a number is meant
        if kind in (int, float, (int, float)) and isinstance(value, bool):
            raise ConfigError(f"{path}: [{section}] {key} must be a number, not {value!r}")
        if not isinstance(value, kind):
            raise ConfigError(f"{path}: [{section}] {key} has the wrong type: {value!r}")
        return value

    ingest = raw["ingest"]
    date_order = get("ingest", "date_order", str)
    if date_order not in ("auto", "dayfirst", "monthfirst"):
        raise ConfigError(
            f"{path}: [ingest] date_order must be auto, dayfirst or monthfirst, not {date_order!r}"
        )
    columns = ingest.get("columns", {})
    for entity, mapping in columns.items():
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise ConfigError(
                f"{path}: [ingest.columns.{entity}] must map canonical names to header strings"
            )
    rates = raw["currency"].get("rates", {})
    for code, rate in rates.items():
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
            raise ConfigError(f"{path}: [currency.rates] {code} must be a positive number")
    horizon = get("run", "horizon_days", int)
    if horizon <= 0:
        raise ConfigError(f"{path}: [run] horizon_days must be positive")
    bins = get("rfm", "bins", int)
    if not 2 <= bins <= 10:
        raise ConfigError(f"{path}: [rfm] bins must be between 2 and 10")
    return Config(
        ingest=IngestSettings(
            date_order=date_order,
            phone_region=get("ingest", "phone_region", str).upper(),
            sources={k: str(v) for k, v in ingest.get("sources", {}).items()},
            columns={k: dict(v) for k, v in columns.items()},
        ),
        currency=CurrencySettings(
            target=get("workspace", "currency", str).upper(),
            yen=get("currency", "yen", str).upper(),
            dollar=get("currency", "dollar", str).upper(),
            rates={k.upper(): float(v) for k, v in rates.items()},
        ),
        clean=CleanSettings(
            merge_duplicate_customers=get("clean", "merge_duplicate_customers", bool),
            name_similarity=float(get("clean", "name_similarity", (int, float))),
        ),
        run=RunSettings(horizon_days=horizon, active_days=get("run", "active_days", int)),
        rfm=RFMSettings(bins=bins, segments=list(get("rfm", "segments", list))),
        raw=raw,
    )

"""crmine.toml: every setting documented, defaults typed, typos refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmine.config import defaults, load_config, template_text
from crmine.errors import ConfigError


def test_every_setting_in_the_template_is_documented():
    lines = template_text().splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("["):
            continue
        key = stripped.split("=")[0].strip()
        previous = lines[i - 1].strip()
        assert previous.startswith("#") or lines[i - 1].strip().endswith(","), (
            f"setting {key!r} has no comment above it"
        )


def test_defaults_load():
    config = load_config(None)
    assert config.run.horizon_days == 90
    assert config.ingest.dayfirst is None
    assert "association_rules" in defaults()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[run]\nhorizon = 30\n", "unknown setting"),
        ("[runn]\nhorizon_days = 30\n", "unknown setting"),
        ("[run]\nhorizon_days = 'soon'\n", "wrong type"),
        ("[run]\nhorizon_days = true\n", "must be a number"),
        ("[ingest]\ndate_order = 'sideways'\n", "date_order"),
        ("[currency.rates]\nUSD = -1\n", "positive"),
        ("[run\n", "not valid TOML"),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path: Path, text: str, match: str):
    path = tmp_path / "crmine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        load_config(path)


def test_user_tables_accept_any_keys(tmp_path: Path):
    path = tmp_path / "crmine.toml"
    path.write_text(
        '[ingest.sources]\norders = "o.csv"\n[ingest.columns.orders]\norder_ts = "Datum"\n'
        "[currency.rates]\nusd = 0.8\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.ingest.sources == {"orders": "o.csv"}
    assert config.ingest.columns == {"orders": {"order_ts": "Datum"}}
    assert config.currency.rates == {"USD": 0.8}


def test_excluded_feature_groups_reach_the_models(tmp_path: Path):
    from crmine.pipeline.steps_predict import PredictSettings

    path = tmp_path / "crmine.toml"
    path.write_text('[models]\nexclude_features = ["service"]\n', encoding="utf-8")
    assert PredictSettings.from_config(load_config(path)).exclude_features == ("service",)
    path.write_text('[models]\nexclude_features = ["weather"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="exclude_features"):
        PredictSettings.from_config(load_config(path))

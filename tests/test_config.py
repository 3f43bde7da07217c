"""crmine.toml: every setting documented, defaults typed, typos refused."""

from __future__ import annotations

import ast
import dataclasses
import typing
from pathlib import Path

import pytest

from crmine.config import SECTIONS, Config, defaults, load_config, parse_config, template_text
from crmine.config._typed import convert, section_fields, toml_keys
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
        ("[run]\nhorizon_days = true\n", "expected a whole number"),
        ('[clusters]\nk_min = "three"\n', r"\[clusters\] k_min = \"three\": wrong type"),
        ("[clusters]\nk_min = 9\nk_max = 4\n", "k_min"),
        ('[recommendations]\nweights = "guess"\n', "weights"),
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
    from crmine.pipeline.forecast import PredictSettings

    path = tmp_path / "crmine.toml"
    path.write_text('[models]\nexclude_features = ["service"]\n', encoding="utf-8")
    assert PredictSettings.from_config(load_config(path)).exclude_features == ("service",)
    path.write_text('[models]\nexclude_features = ["weather"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="exclude_features"):
        PredictSettings.from_config(load_config(path))


def _wrong_value(hint):
    """A TOML value that does not fit ``hint`` (None when every value fits)."""
    origin = typing.get_origin(hint)
    if hint is typing.Any:
        return None
    if hint is bool:
        return "yes"
    if hint in (int, float):
        return "three"
    if hint is str:
        return 3
    if origin is typing.Literal:
        return "no such choice"
    if origin in (tuple, dict):
        return True
    options = [o for o in typing.get_args(hint) if o is not typing.Any]
    if len(options) < len(typing.get_args(hint)):
        return None
    return {"__not": "any of them"} if dict not in map(typing.get_origin, options) else True


CASES = [
    (cls.name, key, _wrong_value(hint))
    for cls in SECTIONS
    for key, hint in section_fields(cls).items()
    if _wrong_value(hint) is not None
]


@pytest.mark.parametrize(("section", "key", "value"), CASES, ids=[f"{s}.{k}" for s, k, _ in CASES])
def test_every_setting_of_the_wrong_type_is_a_one_line_error_naming_it(section, key, value):
    with pytest.raises(ConfigError) as err:
        parse_config({section: {key: value}})
    message = str(err.value)
    assert len(message.splitlines()) == 1
    assert f"[{section}] {key} = " in message and "wrong type, expected" in message


def test_the_template_documents_exactly_the_settings_with_their_defaults():
    template = defaults()
    text = template_text()
    for cls in SECTIONS:
        types = section_fields(cls)
        tables = {k: _table_type(h) for k, h in types.items() if _table_type(h) is not None}
        for key, record in tables.items():  # lists of tables: a commented example each
            header = f"[[{cls.name}.{key}]]" if typing.get_origin(types[key]) is tuple else (
                f"[{cls.name}.{key}.")
            assert header in text, f"{header} is not shown in the template"
            for toml_key in toml_keys(record):
                assert f"#   {toml_key} = " in text, f"{header} {toml_key} is not shown"
        written = template.get(cls.name, {})
        assert set(written) == set(types) - set(tables), f"[{cls.name}] template vs settings"
        default = cls()
        for key, value in written.items():
            assert convert(value, types[key]) == getattr(default, key), f"[{cls.name}] {key}"
    assert parse_config(template) == Config()


def _table_type(hint):
    """The dataclass a list or table of TOML tables holds, else None."""
    args = typing.get_args(hint)
    return next((a for a in args if dataclasses.is_dataclass(a)), None)


def test_every_setting_is_read_by_the_code():
    """A documented setting nothing reads is a lie (as [run] active_days once was)."""
    src = Path(__file__).resolve().parents[1] / "src" / "crmine"
    read: set[str] = set()
    for path in src.rglob("*.py"):
        if "config" in path.relative_to(src).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Attribute):
                read.add(node.attr)
            elif isinstance(node, ast.keyword) and node.arg:
                read.add(node.arg)
    via_property = _fields_behind_properties()
    unread = [
        f"[{cls.name}] {f.name}"
        for cls in SECTIONS
        for f in dataclasses.fields(cls)
        if f.name not in read and not via_property.get((cls.__name__, f.name), set()) & read
    ]
    assert unread == []


def _fields_behind_properties() -> dict[tuple[str, str], set[str]]:
    """(section class, field) -> the properties of that class that read the field."""
    from crmine.config import sections

    out: dict[tuple[str, str], set[str]] = {}
    for cls in ast.walk(ast.parse(Path(sections.__file__).read_text("utf-8"))):
        if not isinstance(cls, ast.ClassDef):
            continue
        for fn in cls.body:
            if isinstance(fn, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "property" for d in fn.decorator_list
            ):
                for node in ast.walk(fn):
                    value = getattr(node, "value", None)
                    if isinstance(node, ast.Attribute) and getattr(value, "id", "") == "self":
                        out.setdefault((cls.name, node.attr), set()).add(fn.name)
    return out


def test_active_days_drives_the_reports_active_customers(tmp_path: Path):
    from crmine.engine import Workspace
    from crmine.pipeline.ingest import ingest
    from crmine.pipeline.run import run
    from crmine.report.workspace import write_workspace_report
    from tests.conftest import configure
    from tests.pipeline.conftest import ORDERS_CSV, write

    ws = Workspace.init(tmp_path / "ws")
    ingest(ws, "orders", write(tmp_path / "o.csv", ORDERS_CSV))
    run(ws)
    ws = configure(ws, "run", active_days=1234)
    html = write_workspace_report(ws, tmp_path / "r.html").read_text("utf-8")
    assert "1234" in html


def test_a_bad_setting_stops_the_command_with_exit_2(tmp_path: Path):
    from tests.pipeline.conftest import ORDERS_CSV, write
    from tests.test_cli import crmine

    ws = tmp_path / "ws"
    assert crmine("init", str(ws)).returncode == 0
    assert (
        crmine("ingest", str(ws), f"orders={write(tmp_path / 'o.csv', ORDERS_CSV)}").returncode == 0
    )
    toml = ws / "crmine.toml"
    toml.write_text(toml.read_text("utf-8").replace("k_min = 3", 'k_min = "three"'), "utf-8")
    result = crmine("run", str(ws))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f'crmine: error: {toml}: [clusters] k_min = "three": wrong type, expected a whole number'
    ]


def test_set_settings_edits_in_place_and_refuses_a_file_that_would_not_load(tmp_path: Path):
    from crmine.config.edit import set_settings

    path = tmp_path / "crmine.toml"
    path.write_text(template_text(), encoding="utf-8")
    set_settings(path, "clusters", k_min=4, random_state=7)
    config = load_config(path)
    assert (config.clusters.k_min, config.clusters.random_state) == (4, 7)
    assert path.read_text("utf-8").count("# ") == template_text().count("# ")  # comments kept
    with pytest.raises(ConfigError, match="k_min"):
        set_settings(path, "clusters", k_min="three")
    assert load_config(path).clusters.k_min == 4  # the file is as it was

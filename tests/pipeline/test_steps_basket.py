"""The association-rules step on the synthetic CRM: its injected bundles come back as rules."""

from __future__ import annotations

import pytest

from crmine.config import parse_config
from crmine.demo import generate, write_files
from crmine.engine import Workspace
from crmine.pipeline.ingest_all import ingest_sources
from crmine.pipeline.run import run
from crmine.pipeline.snapshots import SnapshotStore


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    data = generate(600, seed=11)
    tmp = tmp_path_factory.mktemp("basket")
    paths = write_files(data, tmp / "sources")
    ws = Workspace.init(tmp / "ws")
    ingest_sources(ws, [("orders", paths["orders"])])
    run(ws)
    return data, SnapshotStore(ws.snapshots_dir).require_current()


def test_bundles_are_found_and_non_products_left_out(published):
    data, snap = published
    rules = snap.read("association_rules")
    pairs = {(a[0], c[0]) for a, c in zip(rules["antecedents"], rules["consequents"], strict=True)
             if len(a) == 1 and len(c) == 1}
    bundles = data.truth.bundles
    found = 0
    for items in bundles["product_ids"]:
        found += (items[0], items[1]) in pairs or (items[1], items[0]) in pairs
    assert found >= 0.8 * len(bundles)
    every_item = {i for side in ("antecedents", "consequents") for r in rules[side] for i in r}
    assert not every_item & set(data.truth.non_product_codes)
    assert (rules["lift"] >= 1).all() and (rules["confidence"] >= 0.3).all()
    models = snap.read("models").set_index("name")
    assert "association_rules" in models.index


def test_settings_from_crmine_toml():
    rules = {"min_support": 0.02, "max_len": 0, "exclude": ["POST"]}
    settings = parse_config({"association_rules": rules}).association_rules
    assert settings.min_support == 0.02 and settings.max_itemset is None
    assert settings.exclude == ("POST",)

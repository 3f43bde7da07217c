"""The ingest of the synthetic CRM against its ground truth."""

from __future__ import annotations

import pytest

from crmine.demo import generate, write_files
from crmine.engine import Workspace
from crmine.pipeline.ingest_all import ingest_sources


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    data = generate(400, seed=3)
    tmp = tmp_path_factory.mktemp("demo")
    paths = write_files(data, tmp / "sources")
    ws = Workspace.init(tmp / "ws")
    results = ingest_sources(ws, sorted(paths.items()))
    return data, ws, results


def test_counts_reconcile(demo):
    _, _, results = demo
    for r in results:
        assert r.loaded + r.quarantined_total == r.read, r.entity


def test_quarantine_is_exactly_the_injected_bad_rows(demo):
    data, ws, _ = demo
    issues = data.truth.issues
    # truth rows are 0-based data rows; the quarantine gives file lines (header = line 1)
    expected = {
        (e, int(r) + 2)
        for e, r, q in zip(issues.entity, issues.row, issues.quarantine, strict=True)
        if q
    }
    with ws.connect(read_only=True) as con:
        got = set(con.execute("SELECT entity, source_row FROM quarantine").fetchall())
    assert got == expected


def test_duplicate_customers_sharing_email_or_phone_are_merged(demo):
    data, ws, _ = demo
    dups = data.truth.duplicates
    contact = dups[dups["match"].isin(["email", "phone"])]
    with ws.connect(read_only=True) as con:
        merged = dict(con.execute("SELECT old_id, new_id FROM customer_merges").fetchall())
        likely = con.execute("SELECT id_a, id_b FROM customer_likely_duplicates").fetchall()
    for kept, dup in zip(contact["kept_id"], contact["duplicate_id"], strict=True):
        assert merged.get(dup) == kept or merged.get(kept) == dup
    typos = dups[dups["match"] == "name_city_typo"]
    flagged = {frozenset(p) for p in likely}
    found = sum(frozenset(p) in flagged for p in zip(typos["kept_id"], typos["duplicate_id"], strict=True))
    assert found >= len(typos) * 0.6


def test_demo_dates_and_amounts_match_truth(demo):
    data, ws, _ = demo
    truth = data.truth.orders
    with ws.connect(read_only=True) as con:
        loaded = con.execute(
            "SELECT count(*), round(sum(amount), 2) FROM orders"
        ).fetchone()
    clean = truth[truth["order_id"].notna()]
    assert loaded[0] <= len(clean)
    assert loaded[1] == pytest.approx(clean["amount"].sum(), rel=0.02)


def test_phones_read_in_the_customers_country(demo):
    _, ws, results = demo
    with ws.connect(read_only=True) as con:
        countries = {r[0] for r in con.execute("SELECT DISTINCT country FROM customers").fetchall()}
    assert countries <= {"China", "United Kingdom", "United States", None}
    notes = next(r.notes for r in results if r.entity == "customers")
    phone_note = next(n for n in notes if n.startswith("phones"))
    assert "not valid" not in phone_note  # US numbers are read as US, not as UK

"""[privacy] pseudonymise: personal columns stored as keyed hashes, merges and erasures intact."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from crmine.config.edit import set_settings
from crmine.engine import Workspace
from crmine.engine.duck import DuckDBEngine
from crmine.pipeline.ingest import ingest
from crmine.pipeline.ingest_all import ingest_sources
from crmine.quality.pseudonyms import pseudonym, pseudonym_sql
from tests.pipeline.conftest import write
from tests.privacy.traces import traces

ALL = ["name", "email", "phone"]
KEY = "5f" * 32

CUSTOMERS = """customer_id,name,email,phone,city,country
K1,Zelda Quorra,zelda.quorra@example.com,07946 031337,London,UK
K2,ZELDA  QUORRA,Zelda.Quorra@Example.com ,,London,UK
K2,Zelda Quorra,other@example.com,,London,UK
B1,Bo Chen,bo@example.com,+44 7946 000002,Leeds,UK
B2,Cy Dunn,not-an-email,07946 000002,Leeds,UK
,Ida Noid,ida.noid@example.com,,Leeds,UK
A1,Catherine Jones,cj1@example.com,,Leeds,UK
A2,catherine jones,cj2@example.com,,Leeds,UK
A3,Katherine Jones,kj@example.com,,Leeds,UK
"""
RAW = ["Zelda", "Quorra", "zelda.quorra", "7946031337", "7946 031337", "bo@example.com",
       "Bo Chen", "Cy Dunn", "not-an-email", "Ida Noid", "ida.noid", "other@example.com"]


def _workspace(root: Path, columns: list[str]) -> Workspace:
    ws = Workspace.init(root)
    if columns:
        set_settings(ws.config_path, "privacy", pseudonymise=columns)
    return Workspace.open(root)


def _merges(ws: Workspace) -> list[tuple]:
    with ws.connect(read_only=True) as con:
        return con.execute("SELECT old_id, new_id, reason FROM customer_merges ORDER BY 1").fetchall()


def _look_alikes(ws: Workspace) -> set[tuple]:
    with ws.connect(read_only=True) as con:
        if "customer_likely_duplicates" not in con.tables():
            return set()
        return set(con.execute("SELECT id_a, id_b, score FROM customer_likely_duplicates"
                               ).fetchall())  # fmt: skip


def test_sql_and_python_give_the_same_keyed_hash():
    values = ["ann@example.com", "+447946031337", "王伟", None]
    with DuckDBEngine(duckdb.connect()) as con:
        con.execute("CREATE TABLE t (v VARCHAR)")
        con.execute("INSERT INTO t VALUES (?), (?), (?), (?)", values)
        got = [r[0] for r in con.execute(f"SELECT {pseudonym_sql(KEY, 'email', 'v')} FROM t")
               .fetchall()]  # fmt: skip
    assert got == [pseudonym(KEY, "email", v) for v in values[:3]] + [None]
    assert pseudonym(KEY, "email", "a") != pseudonym(KEY, "phone", "a")  # columns apart
    assert pseudonym(KEY, "email", "a") != pseudonym("6e" * 32, "email", "a")  # keyed


def test_an_unknown_column_is_a_one_line_error(tmp_path):
    from tests.test_cli import crmine

    ws = Workspace.init(tmp_path / "w")
    text = ws.config_path.read_text("utf-8")
    ws.config_path.write_text(text.replace("pseudonymise = []", 'pseudonymise = ["name", "city"]'))
    out = crmine("ingest", str(ws.root), f"customers={write(tmp_path / 'c.csv', CUSTOMERS)}")
    assert out.returncode == 2
    assert "'city' is not a personal column" in out.stderr and len(out.stderr.splitlines()) == 1


def test_hashed_after_normalisation_so_merges_stay_the_same(tmp_path):
    source = write(tmp_path / "c.csv", CUSTOMERS)
    plain, hashed = _workspace(tmp_path / "plain", []), _workspace(tmp_path / "hashed", ALL)
    a, b = ingest(plain, "customers", source), ingest(hashed, "customers", source)
    assert (a.loaded, a.quarantined) == (b.loaded, b.quarantined)
    assert _merges(hashed) == _merges(plain) == [("B2", "B1", "same phone"),
                                                 ("K2", "K1", "same email")]  # fmt: skip
    # look-alike names: hashes compare only as equal or not, so the equal ones stay flagged
    assert _look_alikes(plain) == {("A1", "A2", 100.0), ("A1", "A3", 92.9), ("A2", "A3", 92.9)}
    assert _look_alikes(hashed) == {("A1", "A2", 100.0)}
    key = hashed.secret_key()
    assert key and (hashed.private_dir / "key").stat().st_mode & 0o777 == 0o600
    with hashed.connect(read_only=True) as con:
        row = con.execute("SELECT name, email, phone FROM customers WHERE customer_id = 'K1'"
                          ).fetchone()  # fmt: skip
        quarantined = [json.loads(r[0]) for r in con.execute(
            "SELECT raw_values FROM quarantine ORDER BY source_row").fetchall()]  # fmt: skip
    assert row == (pseudonym(key, "name", "zeldaquorra"),
                   pseudonym(key, "email", "zelda.quorra@example.com"),
                   pseudonym(key, "phone", "+447946031337"))  # fmt: skip
    # the quarantined rows (a repeated id, a missing one) keep hashes, not the values
    assert quarantined[1]["email"] == pseudonym(key, "email", "ida.noid@example.com")
    assert quarantined[0]["name"] == pseudonym(key, "name", "zeldaquorra")
    assert traces(hashed.root, RAW) == set()
    assert traces(plain.root, RAW)  # the search finds them when they are there


def test_an_erased_customer_stays_out_by_their_hashed_contacts(tmp_path):
    from crmine.privacy.forget import forget

    ws = _workspace(tmp_path / "w", ALL)
    ingest(ws, "customers", write(tmp_path / "c.csv", CUSTOMERS))
    done = forget(ws, "K1")
    assert set(done.ids) == {"K1", "K2"}
    # the same person under new ids, by e-mail (other case) and by phone (other format)
    again = write(tmp_path / "c2.csv", CUSTOMERS.splitlines()[0] + "\n"
                  "N1,Z. Q.,ZELDA.QUORRA@example.com,,Paris,France\n"
                  "N2,Zed,,+44 (0)7946 031337,Paris,France\n"
                  "N3,New Person,new@example.com,,Paris,France\n")  # fmt: skip
    result = ingest(Workspace.open(ws.root), "customers", again)
    assert result.quarantined == {"erased": 2} and result.loaded == 1
    assert traces(ws.root, [*RAW[:5], "K1", "K2"]) == set()


@pytest.mark.slow
def test_demo_data_merges_alike_and_leaves_no_raw_personal_data(tmp_path):
    """The demo CRM (with its injected duplicates) ingested twice, plain and pseudonymised:
    the same merges; then run and report, and no raw name, e-mail or phone anywhere."""
    from crmine.demo import generate, write_files
    from crmine.pipeline.run import run
    from crmine.privacy.subject import subject_access
    from crmine.report.workspace import write_workspace_report

    sources = sorted(write_files(generate(300, seed=3), tmp_path / "sources").items())
    plain, hashed = _workspace(tmp_path / "plain", []), _workspace(tmp_path / "hashed", ALL)
    counts = [[(r.entity, r.loaded, r.quarantined) for r in ingest_sources(ws, sources)]
              for ws in (plain, hashed)]  # fmt: skip
    assert counts[0] == counts[1]
    merges = _merges(plain)
    assert len(merges) >= 5 and _merges(hashed) == merges
    assert {r for _, _, r in merges} == {"same email", "same phone"}
    with plain.connect(read_only=True) as con:
        n_plain = con.scalar("SELECT count(*) FROM customers")
    with hashed.connect(read_only=True) as con:
        assert con.scalar("SELECT count(*) FROM customers") == n_plain
    assert _look_alikes(hashed) == {p for p in _look_alikes(plain) if p[2] == 100}

    run(hashed)
    write_workspace_report(hashed, hashed.root / "report.html")
    people = pd.read_csv(dict(sources)["customers"], encoding="gb18030", dtype=str)
    people.columns = ["id", "name", "gender", "birth", "city", "region", "country", "phone",
                      "email", "signup", "channel"]  # fmt: skip
    full = people.dropna(subset=["name", "phone", "email"])
    chosen = pd.concat([full[full["name"].str.isascii()].head(4),
                        full[~full["name"].str.isascii()].head(4)])  # fmt: skip
    digits = chosen["phone"].str.replace(r"\D", "", regex=True).str[-10:]
    emails = chosen["email"].str.strip().str.lower()
    needles = [*chosen["name"], *emails, *chosen["phone"], *digits]
    assert len(chosen) == 8
    stored = {n.lower() for n in [*chosen["name"], *emails, *digits]}
    assert {n for _, n in traces(plain.root, needles)} >= stored  # the search finds them in clear
    assert traces(hashed.root, needles) == set()

    doc = subject_access(hashed, chosen["id"].iloc[0], actor="tester")
    card = doc["warehouse"]["customers"][0]
    key = hashed.secret_key()
    assert card["email"] == pseudonym(key, "email", chosen["email"].iloc[0].strip().lower())
    assert key not in json.dumps(doc)
    assert traces(hashed.root, [key]) == {(".crmine/key", key)}  # the key file alone


def test_an_export_of_personal_data_is_audited(tmp_path):
    import getpass

    from crmine.privacy.access import AccessStore
    from tests.test_cli import crmine

    source = write(tmp_path / "c.csv", CUSTOMERS)
    orders = write(tmp_path / "o.csv", "InvoiceNo,InvoiceDate,CustomerID,StockCode,Quantity,"
                   "UnitPrice\n1,2024-01-02,K1,P1,1,5\n")  # fmt: skip
    plain, hashed = _workspace(tmp_path / "plain", []), _workspace(tmp_path / "hashed", ALL)
    for ws in (plain, hashed):
        ingest(ws, "customers", source)
        ingest(ws, "orders", orders)
        for table in ("customers", "quarantine", "orders"):
            out = crmine("export", str(ws.root), table, "-o", str(tmp_path / f"{table}.csv"))
            assert out.returncode == 0, out.stderr
    logged = AccessStore(plain.root).audit_rows()
    assert [(who, what) for _, who, what, _ in logged] == [(getpass.getuser(), "export")] * 2
    assert logged[0][3].startswith("customers [name, email, phone] 5 rows → ")
    assert logged[1][3].startswith("quarantine [records (name, email, phone)]")
    assert AccessStore(hashed.root).audit_rows() == []  # hashes only, orders hold none


def test_a_name_repeated_on_order_lines_is_hashed_alike(tmp_path):
    """Superstore's Customer Name on every order line: hashed on the lines, in the
    quarantine and in the customer facts lifted from it, as the customers' own names."""
    lines = [f"O{i}-{j},2024-01-0{j},C{i},Person Number{i},P{j},10"
             for i in range(1, 31) for j in (1, 2)]  # fmt: skip
    text = "\n".join(["Order ID,Order Date,Customer ID,Customer Name,Product ID,Sales", *lines,
                      "O99,not a date,C1,Person Number1,P1,5"]) + "\n"  # fmt: skip
    ws = _workspace(tmp_path / "w", ["name"])
    result = ingest(ws, "orders", write(tmp_path / "o.csv", text))
    assert result.loaded == 60 and result.quarantined == {"unparseable order_ts": 1}
    key = ws.secret_key()
    assert key
    with ws.connect(read_only=True) as con:
        name = con.scalar("SELECT name FROM customers WHERE customer_id = 'C1'")
        on_lines = con.scalar("SELECT DISTINCT customer_name FROM orders WHERE customer_id = 'C1'")
        raw = json.loads(con.scalar("SELECT raw_values FROM quarantine"))
    assert name == on_lines == raw["Customer Name"] == pseudonym(key, "name", "personnumber1")
    assert traces(ws.root, ["Person Number", "personnumber"]) == set()


def test_switching_pseudonymisation_on_over_clear_data_is_refused(tmp_path):
    from tests.test_cli import crmine

    ws = _workspace(tmp_path / "w", [])
    ingest(ws, "customers", write(tmp_path / "c.csv", CUSTOMERS))
    set_settings(ws.config_path, "privacy", pseudonymise=["email"])
    more = write(tmp_path / "c2.csv", CUSTOMERS.replace("K1,", "K9,"))
    out = crmine("ingest", str(ws.root), f"customers={more}")
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1
    assert "lists email, but 5 customers were loaded with it in clear" in out.stderr

    hashed = _workspace(tmp_path / "h", ["email"])
    ingest(hashed, "customers", write(tmp_path / "c3.csv", CUSTOMERS))
    set_settings(hashed.config_path, "privacy", pseudonymise=[])
    out = crmine("ingest", str(hashed.root), f"customers={more}")
    assert out.returncode == 2 and "stored as keyed hashes: keep 'email'" in out.stderr

"""Exports crmine was never tuned on: guesses checked against values, the customer found from
names and values, undated feedback scored, customer facts lifted off the order lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmine.engine import Workspace
from crmine.errors import MappingError
from crmine.io.guess import unfit_guess
from crmine.pipeline.ingest import ingest


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.init(tmp_path / "ws")


def _columns(ws: Workspace, table: str) -> set[str]:
    with ws.connect(read_only=True) as con:
        return {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}


# --- a guess is checked against the values --------------------------------------------------


def test_a_count_named_like_a_date_is_not_a_date():
    counts = [str(v) for v in range(1, 7)]
    assert "not dates" in unfit_guess("date", counts, by_keyword=True, dayfirst=None)
    assert unfit_guess("date", ["2024-01-03", "2023-12-31"], True, None) is None


def test_years_fit_a_date_column():
    assert unfit_guess("date", ["1957", "1954", "1965", "1984"], False, None) is None


def test_free_text_is_not_a_yes_no_flag():
    answers = ["Replaced the router", "Refund issued", "Customer called back", "yes"]
    assert "not yes/no" in unfit_guess("bool", answers, by_keyword=False, dayfirst=None)
    assert unfit_guess("bool", ["Yes", "No", "no"], False, None) is None


def test_a_mostly_empty_column_is_not_taken_for_one_every_row_needs():
    why = unfit_guess("timestamp", ["2024-01-01 10:00"], True, None, 0.33, row_required=True)
    assert "empty on 67%" in why
    assert unfit_guess("timestamp", ["2024-01-01 10:00"], True, None, 0.33) is None


def test_customers_with_a_registered_count_and_a_birth_year_load(ws: Workspace, tmp_path: Path):
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({
        "CustomerID": [f"K{i:04d}" for i in range(n)],
        "NumberOfDeviceRegistered": rng.integers(1, 7, n),
        "Year_Birth": rng.integers(1940, 2000, n),
        "Churn": rng.integers(0, 2, n),
    })  # fmt: skip
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    result = ingest(ws, "customers", path)
    assert result.loaded == n
    assert any("NumberOfDeviceRegistered is not taken as signup_date" in s for s in result.notes)
    with ws.connect(read_only=True) as con:
        got = con.execute(
            "SELECT customer_id, birth_date, signup_date, number_of_device_registered FROM customers "
            "ORDER BY customer_id"
        ).df()
    assert got["signup_date"].isna().all()
    assert (pd.to_datetime(got["birth_date"]).dt.year.to_numpy() == frame["Year_Birth"]).all()
    assert (got["number_of_device_registered"].to_numpy() == frame["NumberOfDeviceRegistered"]).all()


def test_a_mapping_the_user_wrote_may_stop_the_ingest(ws: Workspace, tmp_path: Path):
    ws.config_path.write_text(
        ws.config_path.read_text("utf-8").replace(
            "[ingest.columns]\n",
            '[ingest.columns]\ncustomers = { signup_date = "NumberOfDeviceRegistered" }\n',
        ),
        encoding="utf-8",
    )
    path = tmp_path / "c.csv"
    path.write_text("CustomerID,NumberOfDeviceRegistered\nA,3\nB,4\n", encoding="utf-8")
    with pytest.raises(Exception, match="not dates"):
        ingest(Workspace.open(ws.root), "customers", path)


def test_a_required_column_refused_says_why(ws: Workspace, tmp_path: Path):
    path = tmp_path / "o.csv"
    path.write_text("order_id,customer_id,order_date\n1,2,3\n", encoding="utf-8")
    with pytest.raises(MappingError, match="'order_date' is not taken as order_ts: its values"):
        ingest(ws, "orders", path)


def test_support_tickets_keep_their_rows(ws: Workspace, tmp_path: Path):
    """A sparse "first response time" is not the ticket's date, a free-text "resolution" is
    not the resolved flag, and the description is the ticket's text."""
    rng = np.random.default_rng(1)
    n = 300
    opened = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    answered = rng.random(n) < 0.35
    frame = pd.DataFrame({
        "Ticket ID": np.arange(1, n + 1),
        "Customer Email": [f"user{i % 120}@example.org" for i in range(n)],
        "Date Opened": opened.strftime("%Y-%m-%d"),
        "Ticket Description": [f"My device {i} stopped working" for i in range(n)],
        "First Response Time": np.where(answered, opened.strftime("%Y-%m-%d 10:00:00"), ""),
        "Resolution": np.where(answered, "Replaced the unit under warranty", ""),
    })  # fmt: skip
    path = tmp_path / "tickets.csv"
    frame.to_csv(path, index=False)
    result = ingest(ws, "interactions", path)
    assert result.loaded == n, result.notes
    with ws.connect(read_only=True) as con:
        first = con.execute(
            "SELECT customer_id, ts, text FROM interactions ORDER BY ts, text LIMIT 1"
        ).fetchone()
        flags = con.execute("SELECT count(resolved) FROM interactions").fetchone()[0]
    assert first[0].startswith("user") and first[2].startswith("My device")
    assert flags == 0 and "resolution" in _columns(ws, "interactions")
    assert any("Resolution is not taken as resolved" in s for s in result.notes)
    # without the opening date, the sparse response time is refused, not 64 % quarantined
    frame.drop(columns="Date Opened").to_csv(path, index=False)
    with pytest.raises(MappingError, match="'First Response Time' is not taken as ts: it is empty"):
        ingest(ws, "interactions", path)


# --- the customer under another name --------------------------------------------------------


@pytest.mark.parametrize("header", ["Member_number", "cust", "account", "Customer Email"])
def test_the_customer_column_is_found_by_name_and_values(ws, tmp_path: Path, header: str):
    rng = np.random.default_rng(2)
    n = 500
    who = rng.integers(0, 60, n)
    key = [f"c{w}@shop.example" if "Email" in header else f"{1000 + w}" for w in who]
    frame = pd.DataFrame({
        header: key,
        "Date": (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 200, n), "D"))
        .strftime("%Y-%m-%d"),
        "itemDescription": rng.choice(["milk", "bread", "eggs"], n),
        "Line": np.arange(n),  # no two lines alike: none is a duplicate
    })  # fmt: skip
    path = tmp_path / "baskets.csv"
    frame.to_csv(path, index=False)
    result = ingest(ws, "orders", path)
    assert result.loaded == n
    assert any(f"customer_id is {header!r}" in s for s in result.notes)
    with ws.connect(read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT customer_id) FROM orders").fetchone()[0] == len(
            set(key)
        )


def test_a_customer_table_without_ids_gets_stable_ones(ws: Workspace, tmp_path: Path):
    path = tmp_path / "clients.csv"
    path.write_text("Age,Income,Kidhome\n" + "".join(f"{30 + i},{1000 * i},{i % 2}\n"
                    for i in range(50)), encoding="utf-8")  # fmt: skip
    result = ingest(ws, "customers", path)
    assert result.loaded == 50
    assert any("generated id" in s for s in result.notes)
    with ws.connect(read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT customer_id FROM customers").fetchall()]
    assert len(set(ids)) == 50
    other = Workspace.init(tmp_path / "again")
    ingest(other, "customers", path)
    with other.connect(read_only=True) as con:
        again = [r[0] for r in con.execute("SELECT customer_id FROM customers").fetchall()]
    assert sorted(again) == sorted(ids)  # same file, same ids


def test_undated_reviews_load_and_are_scored(ws: Workspace, tmp_path: Path):
    from crmine.pipeline.run import run

    path = tmp_path / "reviews.csv"
    texts = ["great product, works well", "terrible, broke after a day", "love it", "awful"]
    path.write_text("review,rating\n" + "".join(f'"{texts[i % 4]} {i}",{5 - 4 * (i % 2)}\n'
                    for i in range(80)), encoding="utf-8")  # fmt: skip
    assert ingest(ws, "feedback", path).loaded == 80
    outcome = run(ws)
    assert not [s for s in outcome.steps if s.status == "failed"]
    scores = pd.read_parquet(outcome.snapshot_path / "feedback_scores.parquet")
    assert len(scores) == 80 and scores["ts"].isna().all()
    assert set(scores["sentiment_label"]) >= {"positive", "negative"}


# --- customer facts on order lines -----------------------------------------------------------


def test_customer_facts_on_lines_become_customer_attributes(ws: Workspace, tmp_path: Path):
    rng = np.random.default_rng(3)
    n_cust, n = 80, 900
    cust = rng.integers(0, n_cust, n)
    segment = rng.choice(["Consumer", "Corporate"], n_cust)
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 300, n)), "D")
    city = np.array([f"City {c % 7}" for c in range(n_cust)])[cust]
    moved = (cust == 5) & (np.arange(n) > n // 2)  # one customer moves half-way
    city = np.where(moved, "Elsewhere", city)
    frame = pd.DataFrame({
        "Order ID": [f"CA-2024-{i:06d}" for i in range(n)],
        "Order Date": day.strftime("%Y-%m-%d"),
        "Customer ID": [f"C{c:03d}" for c in cust],
        "Customer Name": [f"Client {c}" for c in cust],
        "Segment": segment[cust],
        "City": city,
        "Product ID": rng.choice(["P1", "P2", "P3"], n),
        "Sales": np.round(rng.gamma(2.0, 30.0, n), 2),
    })  # fmt: skip
    path = tmp_path / "lines.csv"
    frame.to_csv(path, index=False)
    result = ingest(ws, "orders", path)
    assert any("became customer attributes" in s for s in result.notes)
    with ws.connect(read_only=True) as con:
        got = con.execute(
            "SELECT customer_id, name, segment, city FROM customers ORDER BY customer_id"
        ).df().set_index("customer_id")
        returns = con.execute("SELECT count(*) FILTER (WHERE is_return) FROM orders").fetchone()[0]
    assert returns == 0  # CA- is a country, not a cancellation
    seen = sorted(set(cust))
    assert list(got.index) == [f"C{c:03d}" for c in seen]
    assert got.loc["C010", "name"] == "Client 10"
    assert got.loc["C010", "segment"] == segment[10]
    if moved.any():
        assert got.loc["C005", "city"] == "Elsewhere"  # the latest value
        assert any("city (1)" in s for s in result.notes)
    # product columns vary per customer: they stay on the lines
    assert "product_id" not in got.columns


def test_facts_fill_gaps_but_never_overwrite_a_customers_file(ws: Workspace, tmp_path: Path):
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,name\nC000,From the CRM\n", encoding="utf-8")
    ingest(ws, "customers", customers)
    rows = [f"O{i},2024-01-{1 + i % 28:02d},C{i % 30:03d},Client {i % 30},Seg {i % 3 % 2},9.5"
            for i in range(120)]  # fmt: skip
    lines = tmp_path / "lines.csv"
    lines.write_text("order_id,order_date,customer_id,customer_name,segment,amount\n"
                     + "\n".join(rows) + "\n", encoding="utf-8")  # fmt: skip
    ingest(ws, "orders", lines)
    with ws.connect(read_only=True) as con:
        got = dict(con.execute("SELECT customer_id, name FROM customers").fetchall())
    assert got["C000"] == "From the CRM" and got["C001"] == "Client 1" and len(got) == 30


def test_a_profit_column_gives_profit_clv_and_tiers(ws: Workspace, tmp_path: Path):
    from crmine.pipeline.run import run
    from tests.corpus import shapes

    files, _ = shapes.lines_repeating_customer_facts(tmp_path / "files")
    result = ingest(ws, "orders", files["orders"])
    assert "Profit → profit" in result.mapping
    outcome = run(ws)
    purchase = next(s for s in outcome.steps if s.name == "purchase and value models")
    assert "value tiers by profit CLV" in purchase.detail
    scores = pd.read_parquet(outcome.snapshot_path / "customer_scores.parquet")
    assert scores["clv_profit"].notna().all()
    ranked = scores.sort_values("clv_profit", ascending=False)
    assert ranked["value_tier"].iloc[0] == "high" and ranked["value_tier"].iloc[-1] == "low"
    assert (scores["clv_profit"].abs() <= scores["clv"].abs() * 1.5).all()


def test_a_bare_id_header_keys_a_customers_file(ws: Workspace, tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text("ID,Year_Birth,Dt_Customer\n" + "".join(
        f"{5524 + i},{1950 + i % 40},2013-0{1 + i % 9}-1{i % 9}\n" for i in range(60)),
        encoding="utf-8")  # fmt: skip
    result = ingest(ws, "customers", path)
    assert "ID → customer_id" in result.mapping and "Dt_Customer → signup_date" in result.mapping
    with ws.connect(read_only=True) as con:
        assert con.execute("SELECT min(customer_id) FROM customers").fetchone()[0] == "5524"


def test_customers_without_ids_who_look_alike_are_all_kept(ws: Workspace, tmp_path: Path):
    path = tmp_path / "recipients.csv"
    path.write_text("recency,channel,visit\n" + "3,Web,0\n" * 40 + "5,Phone,1\n" * 10,
                    encoding="utf-8")  # fmt: skip
    result = ingest(ws, "customers", path)
    assert (result.loaded, result.quarantined_total) == (50, 0)

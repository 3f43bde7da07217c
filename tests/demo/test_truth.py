"""The ground truth agrees with the raw exports, and the injected structure is findable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from rapidfuzz.distance import Levenshtein

from crmine.demo._formats import DATE_FORMATS

# How each date style looks, to pick the format a plain pandas parse should use.
STYLE_PATTERNS = {
    "iso": r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$",
    "slash": r"^\d{4}/\d{1,2}/\d{1,2} \d\d:\d\d$",
    "dayfirst": r"^\d\d/\d\d/\d{4} \d\d:\d\d$",
    "zh": r"^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d$",
}


def loaded_rows(data, entity: str) -> pd.DataFrame:
    """The raw rows an ingest should load: all but the quarantined ones."""
    iss = data.truth.issues
    bad = iss.loc[(iss["entity"] == entity) & iss["quarantine"], "row"]
    frame = data.frames()[entity]
    return frame.drop(index=bad.to_numpy()).reset_index(drop=True)


def parse_dates(s: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    for style, pattern in STYLE_PATTERNS.items():
        m = s.str.match(pattern).to_numpy(dtype=bool)
        out[m] = pd.to_datetime(s[m], format=DATE_FORMATS[style])
    return out


def parse_money(s: pd.Series) -> pd.Series:
    return s.str.replace(r"CNY |¥|,", "", regex=True).astype(float)


def test_loaded_orders_line_up_with_the_truth(dirty):
    raw, truth = loaded_rows(dirty, "orders"), dirty.truth.orders
    assert len(raw) == len(truth)
    assert (raw["InvoiceNo"].to_numpy() == truth["order_id"].to_numpy()).all()
    ts = parse_dates(raw["InvoiceDate"])
    assert ts.notna().all()
    assert (ts.to_numpy() == truth["order_ts"].to_numpy()).all()
    assert np.allclose(parse_money(raw["UnitPrice"]), truth["unit_price"])
    assert np.array_equal(raw["Quantity"].astype(float), truth["quantity"])
    assert raw["CustomerID"].fillna("").equals(truth["raw_customer_id"].fillna(""))
    assert np.allclose(truth["amount"], (truth["quantity"] * truth["unit_price"]).round(2))


def test_returns_are_cancelled_orders_with_negative_quantity(dirty):
    o = dirty.truth.orders
    ret = o[o["is_return"]]
    assert len(ret) > 0
    assert ret["order_id"].str.startswith("C").all()
    assert (ret["quantity"] < 0).all() and (ret["amount"] < 0).all()
    # Each return matches a line of its original order, earlier, for the same customer.
    orig = o[~o["is_return"]].set_index(["order_id", "product_id"])
    key = pd.MultiIndex.from_arrays([ret["order_id"].str[1:], ret["product_id"]])
    src = orig.loc[key]
    assert (src["order_ts"].to_numpy() < ret["order_ts"].to_numpy()).all()
    same = src["customer_id"].fillna("").to_numpy() == ret["customer_id"].fillna("").to_numpy()
    assert same.all()
    assert (src["quantity"].to_numpy() == -ret["quantity"].to_numpy()).all()


def test_orders_stay_inside_the_window_and_after_signup(dirty):
    t = dirty.truth
    o = t.orders
    assert o["order_ts"].min() >= pd.Timestamp(t.start)
    assert o["order_ts"].max() < pd.Timestamp(t.end)
    first = o[o["customer_id"].notna()].groupby("customer_id")["order_ts"].min()
    signup = t.customers.set_index("customer_id")["signup_ts"]
    assert (first > signup.loc[first.index]).all()


def test_day_first_dates_are_resolvable(dirty):
    s = dirty.orders["InvoiceDate"]
    dayfirst = s[s.str.match(STYLE_PATTERNS["dayfirst"]).to_numpy(dtype=bool)]
    assert (dayfirst.str[:2].astype(int) > 12).mean() > 0.2


def test_duplicate_pairs_share_what_they_are_matched_on(dirty):
    dups = dirty.truth.duplicates
    assert set(dups["match"]) == {"email", "phone", "name_city", "name_city_typo"}
    c = dirty.customers.drop_duplicates("客户编号").set_index("客户编号")
    kept, dup = c.loc[dups["kept_id"]], c.loc[dups["duplicate_id"]]
    m = dups["match"].to_numpy()

    def norm_email(s):
        return s.str.strip().str.lower().to_numpy()

    assert (norm_email(kept["邮箱"])[m == "email"] == norm_email(dup["邮箱"])[m == "email"]).all()
    truth = dirty.truth.customers.set_index("customer_id")
    region = {"China": "CN", "United Kingdom": "GB", "United States": "US"}
    phone_ids = dups["kept_id"][m == "phone"]
    expected = truth.loc[phone_ids, "phone"].tolist()
    regions = truth.loc[phone_ids, "country"].map(region).tolist()
    for frame in (kept, dup):
        spelled = frame["手机"][m == "phone"].tolist()
        parsed = [phonenumbers.format_number(phonenumbers.parse(x, r),
                                             phonenumbers.PhoneNumberFormat.E164)
                  for x, r in zip(spelled, regions, strict=True)]
        assert parsed == expected
    assert (kept["手机"][m == "phone"].to_numpy() != dup["手机"][m == "phone"].to_numpy()).all()

    def norm_name(s):
        return s.str.lower().str.replace(r"\s+", "", regex=True).to_numpy()

    same_city = kept["城市"].to_numpy() == dup["城市"].to_numpy()
    name_k, name_d = norm_name(kept["姓名"]), norm_name(dup["姓名"])
    assert (same_city[np.isin(m, ["name_city", "name_city_typo"])]).all()
    assert (name_k[m == "name_city"] == name_d[m == "name_city"]).all()
    typo = m == "name_city_typo"
    assert all(Levenshtein.distance(a, b) == 1 for a, b in zip(name_k[typo], name_d[typo],
                                                               strict=True))


def test_no_two_real_people_share_contact_details(dirty):
    c = dirty.truth.customers
    assert c["email"].is_unique and c["phone"].is_unique
    assert not c.duplicated(["name", "city"]).any()


def test_truth_phones_are_valid_e164(dirty):
    phones = dirty.truth.customers["phone"]
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones)


def test_duplicate_ids_carry_some_of_the_persons_orders(dirty):
    o = dirty.truth.orders
    o = o[o["customer_id"].notna()]
    moved = o[o["raw_customer_id"] != o["customer_id"]]
    assert len(moved) > 0
    pairs = set(zip(dirty.truth.duplicates["kept_id"], dirty.truth.duplicates["duplicate_id"],
                    strict=True))
    assert set(zip(moved["customer_id"], moved["raw_customer_id"], strict=True)) <= pairs


def _baskets(orders: pd.DataFrame) -> pd.DataFrame:
    o = orders[~orders["is_return"] & orders["category"].notna()]
    return pd.crosstab(o["order_id"], o["product_id"]).clip(upper=1)


def test_bundles_have_high_lift(dirty):
    b = _baskets(dirty.truth.orders)
    support = b.mean()
    lifts = []
    for members in dirty.truth.bundles["product_ids"]:
        x, y = members[0], members[1]
        both = (b[x] & b[y]).mean()
        lifts.append(both / (support[x] * support[y]))
    assert min(lifts) > 5
    # A typical pair of other products is bought together about at random.
    others = [p for p in support.sort_values().index[-20:]
              if not any(p in m for m in dirty.truth.bundles["product_ids"])][:2]
    x, y = others
    assert (b[x] & b[y]).mean() / (support[x] * support[y]) < 3


def test_non_products_and_categories(dirty):
    o, t = dirty.truth.orders, dirty.truth
    assert set(t.non_product_codes) == {"POST", "DISCOUNT"}
    np_lines = o[o["product_id"].isin(t.non_product_codes)]
    assert np_lines["category"].isna().all()
    assert (np_lines.loc[np_lines["product_id"] == "DISCOUNT", "unit_price"] < 0).all()
    post = np_lines[np_lines["product_id"] == "POST"]
    assert (post["country"] != "China").all()
    cats = set(o["category"].dropna())
    assert cats <= set(t.categories["category"]) and 8 <= len(cats) <= 12
    assert 150 <= len(dirty.products) <= 300


def test_cycle_products_come_back_on_their_cycle(dirty):
    c = dirty.truth.customers
    o = dirty.truth.orders
    cyc = c[c["cycle_days"] > 0][["customer_id", "cycle_product_id", "cycle_days"]]
    lines = o[(o["source"] == "cycle") & o["category"].notna()].merge(cyc, on="customer_id")
    assert (lines["product_id"] == lines["cycle_product_id"]).all()
    gaps = lines.sort_values("order_ts").groupby("customer_id")["order_ts"].diff().dt.days
    ratio = (gaps / lines["cycle_days"]).dropna()
    assert len(ratio) > 20
    assert 0.9 < ratio.median() < 1.1


def test_feedback_scores_follow_the_true_label(dirty):
    fb = dirty.truth.feedback
    assert set(fb["label"]) == {"negative", "neutral", "positive"}
    nps = fb[fb["kind"] == "nps"]
    stars = fb[fb["kind"] != "nps"]
    bands = {"negative": (0, 6), "neutral": (7, 8), "positive": (9, 10)}
    for label, (lo, hi) in bands.items():
        assert nps.loc[nps["label"] == label, "score"].between(lo, hi).all()
    for label, (lo, hi) in {"negative": (1, 2), "neutral": (3, 3), "positive": (4, 5)}.items():
        assert stars.loc[stars["label"] == label, "score"].between(lo, hi).all()
    reviews = fb[fb["kind"] == "review"]
    assert reviews["text"].notna().all()
    assert set(reviews["language"]) == {"zh", "en"}


def test_churners_are_less_happy(dirty):
    fb = dirty.truth.feedback.merge(dirty.truth.customers[["customer_id", "alive_at_end"]])
    share_negative = fb.groupby("alive_at_end")["label"].apply(lambda s: (s == "negative").mean())
    assert share_negative[False] > share_negative[True] + 0.05
    c = dirty.truth.customers
    assert np.corrcoef(c["satisfaction"], np.log(c["p"]))[0, 1] < -0.3


@pytest.mark.parametrize("seed", [0, 1])
def test_purchase_counts_follow_the_bgnbd_truth(seed):
    from crmine.demo import generate

    t = generate(400, seed=seed).truth
    o = t.orders[t.orders["source"] == "bgnbd"]
    per_customer = o.groupby("customer_id")["order_id"].nunique()
    c = t.customers.set_index("customer_id")
    expected = 1 + c.loc[per_customer.index, "n_repeat"]
    assert (per_customer == expected).all()
    dropped = c["dropout_ts"].notna()
    assert (~c.loc[dropped, "alive_at_end"].astype(bool)).all()
    last = o.groupby("customer_id")["order_ts"].max()
    assert (last.loc[c.index[dropped]] == c.loc[dropped, "dropout_ts"]).all()
    never = c["first_order_ts"].isna()
    assert c.loc[never, "alive_at_end"].isna().all() and never.sum() < 0.1 * len(c)


def test_peak_months_sell_more(dirty):
    t = dirty.truth
    o = t.orders[(t.orders["source"] == "bgnbd") & (t.orders["line_no"] == 0)
                 & ~t.orders["is_return"]]
    # Compare repeat purchases per day in peak months and in the months around them.
    month = o["order_ts"].dt.month
    per_day = o.groupby(o["order_ts"].dt.to_period("M")).size() / o.groupby(
        o["order_ts"].dt.to_period("M"))["order_ts"].first().dt.days_in_month
    peak = per_day[[p.month in t.params.peak_months and p.year == 2023 for p in per_day.index]]
    near = per_day[[p.month in (9, 10) and p.year == 2023 for p in per_day.index]]
    assert peak.mean() > 1.2 * near.mean()
    assert month.isin(t.params.peak_months).any()

"""Value parsers: every supported format, inference from samples, and property tests."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmine.io.dates import DateSpec, date_sql, infer_date_spec
from crmine.io.evaluate import run_sql, run_sqls
from crmine.io.values import (
    NumberSpec,
    bool_sql,
    clean_texts,
    id_sql,
    infer_number_spec,
    infer_type,
    normalise_ids,
    number_sql,
    parse_bools,
    parse_dates,
    parse_numbers,
    text_sql,
)

D = datetime

# ------------------------------------------------------------------ dates, by example


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05", D(2024, 1, 5)),
        ("2024-01-05 13:45:00", D(2024, 1, 5, 13, 45)),
        ("2024-01-05T13:45:00.250", D(2024, 1, 5, 13, 45, 0, 250000)),
        ("2024-01-05T13:45", D(2024, 1, 5, 13, 45)),
        ("2015-02-16 23:36:05 -0800", D(2015, 2, 16, 23, 36, 5)),
        ("2015-02-16T23:36:05+08:00", D(2015, 2, 16, 23, 36, 5)),
        ("2015-02-16T23:36:05Z", D(2015, 2, 16, 23, 36, 5)),
        ("2024/1/5", D(2024, 1, 5)),
        ("2024.01.05 08:00", D(2024, 1, 5, 8)),
        ("21-07-2015", D(2015, 7, 21)),
        ("21/07/15", D(2015, 7, 21)),
        ("21.07.2015 7:05 PM", D(2015, 7, 21, 19, 5)),
        ("19970101", D(1997, 1, 1)),
        ("20240105134500", D(2024, 1, 5, 13, 45)),
        ("2-Jul-18", D(2018, 7, 2)),
        ("31-Jul-2018", D(2018, 7, 31)),
        ("5 January 2024", D(2024, 1, 5)),
        ("Jan 5, 2024", D(2024, 1, 5)),
        ("2024年1月5日", D(2024, 1, 5)),
        ("2024年1月5日 13:45", D(2024, 1, 5, 13, 45)),
        ("2024年01月05日 13：45：10", D(2024, 1, 5, 13, 45, 10)),
        ("2024年1月5日13时45分", D(2024, 1, 5, 13, 45)),
    ],
)
def test_date_formats(text, expected):
    assert parse_dates([text, "21/12/2020"]) [0] == expected


def test_excel_serials_when_the_column_holds_them():
    assert parse_dates(["45296", "45296.5", "  "]) == [D(2024, 1, 5), D(2024, 1, 5, 12), None]


def test_excel_serials_ignored_unless_detected():
    spec = infer_date_spec(["2024-01-05"])
    assert run_sql(["45296"], lambda e: date_sql(e, spec)) == [None]


@pytest.mark.parametrize("bad", ["2024-02-30", "13/13/2024", "hello", "", None, "2024-13-01",
                                 "99999", "31-Foo-18", "2024年13月1日"])
def test_unparseable_dates_are_null(bad):
    assert parse_dates([bad, "2024-01-05"])[0] is None


@pytest.mark.parametrize(
    ("samples", "dayfirst", "expected", "source"),
    [
        (["21/07/2015", "05/01/2024"], None, True, "data"),
        (["07/21/2015", "05/01/2024"], None, False, "data"),
        (["05/01/2024", "03/02/2024"], None, True, "default"),
        (["05/01/2024", "03/02/2024"], False, False, "config"),
        (["21/07/2015", "03/02/2024"], False, True, "data"),  # unambiguous data beats config
        (["2024-01-05"], None, True, "none"),
    ],
)
def test_day_order_from_data_then_config_then_default(samples, dayfirst, expected, source):
    spec = infer_date_spec(samples, dayfirst)
    assert (spec.dayfirst, spec.dayfirst_source) == (expected, source)


def test_ambiguous_default_is_reported():
    spec = infer_date_spec(["05/01/2024"])
    assert spec.notes() and "ambiguous" in spec.notes()[0] and "dayfirst" in spec.notes()[0]
    assert parse_dates(["05/01/2024"]) == [D(2024, 1, 5)]
    assert parse_dates(["05/01/2024"], dayfirst=False) == [D(2024, 5, 1)]


def test_text_column_is_not_dates():
    spec = infer_date_spec(["Black Dot", "Charcoal Fabric", None])
    assert not spec.is_dates and spec.parse_rate == 0
    half = infer_date_spec(["2024-01-05", "n/a"])
    assert half.parse_rate == 0.5


# ------------------------------------------------------------------ numbers, by example


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", 1234.5), ("¥ 1,234.50", 1234.5), ("￥88", 88.0), ("RMB 100", 100.0),
        ("USD 3.25", 3.25), ("US$3", 3.0), ("€12", 12.0), ("£ 7.10", 7.1), ("100元", 100.0),
        ("(12.50)", -12.5), ("12.5-", -12.5), ("-3", -3.0), ("+4", 4.0), (".5", 0.5),
        ("1 234.5", 1234.5), ("1\u00a0234.5", 1234.5), ("7%", 7.0), ("1.5E+03", 1500.0),
        ("nan", None), ("inf", None), ("1_000", 1000.0), ("abc", None), ("", None), (None, None),
        ("1-2", None), ("--3", None), ("₹1,000", 1000.0), ("12,50 EUR", 1250.0),
        ("20 euros", 20.0), ("7 POUNDS", 7.0), ("HK$ 5", 5.0), ("100 人民币", 100.0),
        ("ABC123", None), ("12 abc", None),
    ],
)
def test_number_formats(text, expected):
    assert run_sql([text], lambda e: number_sql(e, NumberSpec())) == [expected]


def test_decimal_comma_detected_from_data():
    vals = ["1.234,50", "€ 12,5", "3,00", "1.000"]
    spec = infer_number_spec(vals)
    assert spec.decimal == "," and spec.currency == "EUR" and spec.parse_rate == 1.0
    assert parse_numbers(vals) == [1234.5, 12.5, 3.0, 1000.0]


def test_point_decimal_is_default_and_currency_reported():
    spec = infer_number_spec(["1,000", "¥20", "￥30.5", "$1"])
    assert spec.decimal == "." and spec.currency == "CNY"
    assert infer_number_spec(["1", "2"]).currency is None
    assert infer_number_spec(["₹10", "₹20"]).currency == "INR"
    assert infer_number_spec(["12,50 EUR", "3,10 EUR"]).currency == "EUR"


# ------------------------------------------------------------------ booleans, ids, text


def test_bools():
    vals = ["Yes", "no", "Y", "n", "TRUE", "f", "1", "0", "1.0", "是", "否", "有", "无",
            " yes ", "maybe", "", None, "2", "No phone service"]
    assert parse_bools(vals) == [True, False, True, False, True, False, True, False, True,
                                 True, False, True, False, True, None, None, None, None, None]


def test_ids():
    vals = ["17850.0", " 00001 ", "", None, "1.50", "C536365", "-5.000", "85123A", "  ", "1e5",
            "1.2345678901234568e+16", "1.5e-3", "2E3X"]
    assert normalise_ids(vals) == ["17850", "00001", None, None, "1.50", "C536365", "-5",
                                   "85123A", None, "100000", "12345678901234568", "1.5e-3",
                                   "2E3X"]


def test_text():
    assert clean_texts([" a \t b ", "\u3000", None, "x\u00a0\u00a0y", "\ufeff好评", "&amp;"]) == [
        "a b", None, None, "x y", "好评", "&amp;"]


# ------------------------------------------------------------------ attribute types


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        (["0", "1", "1", "0"], "bool"),  # SeniorCitizen
        (["Yes", "No", "No"], "bool"),
        (["0", "1", "2"], "float"),
        (["Yes", "No", "No phone service", "No", "Yes"], "text"),
        (["29.85", " ", "1889.5"] + ["56.95"] * 40, "float"),  # TotalCharges
        (["2024-01-05 10:00:00", "2024-02-01 09:30:00"], "timestamp"),
        (["2-Jul-18", "31-Jul-18"], "timestamp"),
        (["45296", "45297"], "float"),
        (["19970101", "19970102"], "timestamp"),
        (["Month-to-month", "One year"], "text"),
        ([None, "", " "], "text"),
        (["1"] * 96 + ["x"] * 4, "bool"),
        (["1.5"] * 94 + ["x"] * 6, "text"),
    ],
)
def test_infer_type(samples, expected):
    assert infer_type(samples) == expected


# ------------------------------------------------------------------ properties

DAYFIRST_FORMATS = [
    ("%Y-%m-%d %H:%M:%S", "s"),
    ("%Y-%m-%dT%H:%M:%S.%f", "us"),
    ("%Y-%m-%d %H:%M:%S -0800", "s"),
    ("%Y/%-m/%-d", "d"),
    ("%d/%m/%Y %H:%M", "m"),
    ("%d-%m-%Y", "d"),
    ("%Y%m%d", "d"),
    ("%-d-%b-%y", "d"),
    ("%Y年%-m月%-d日 %H:%M", "m"),
    ("%b %d, %Y", "d"),
]


def _truncate(d: datetime, unit: str) -> datetime:
    if unit == "d":
        return d.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "m":
        return d.replace(second=0, microsecond=0)
    if unit == "s":
        return d.replace(microsecond=0)
    return d


dates = st.datetimes(min_value=D(2000, 1, 1), max_value=D(2068, 12, 31))
ALL = ("iso", "ymd", "dmy", "compact", "month_name", "cjk", "excel")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(dates, min_size=1, max_size=15))
def test_dates_round_trip_in_every_format(ds):
    values = [d.strftime(fmt) for d in ds for fmt, _ in DAYFIRST_FORMATS]
    expected = [_truncate(d, unit) for d in ds for _, unit in DAYFIRST_FORMATS]
    spec = DateSpec(families=ALL, dayfirst=True)
    assert run_sql(values, lambda e: date_sql(e, spec)) == expected


@settings(max_examples=25, deadline=None)
@given(st.lists(dates, min_size=1, max_size=20))
def test_month_first_and_excel_serials_round_trip(ds):
    us = [d.strftime("%m/%d/%Y %I:%M %p") for d in ds]
    assert run_sql(us, lambda e: date_sql(e, DateSpec(ALL, dayfirst=False))) == [
        _truncate(d, "m") for d in ds]
    serials = [f"{(d - D(1899, 12, 30)) / timedelta(days=1):.8f}" for d in ds]
    got = run_sql(serials, lambda e: date_sql(e, DateSpec(ALL)))
    assert all(abs((g - d).total_seconds()) < 0.01 for g, d in zip(got, ds, strict=True))


money = st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False,
                    allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(money, min_size=1, max_size=10))
def test_formatted_numbers_parse_back(xs):
    point, comma = [], []
    for x in xs:
        a = abs(x)
        neg = x < 0
        sign = "-" if neg else ""
        point += [f"{sign}{a:,.2f}", f"{sign}${a:,.2f}", f"¥ {sign}{a:,.2f}",
                  f"({a:,.2f})" if neg else f"{a:,.2f}", f"{a:.2f}-" if neg else f"USD {a}"]
        eu = f"{a:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
        comma += [f"{sign}{eu}", f"{sign}{eu} €"]
    want_p = [float(x) for x in xs for _ in range(5)]
    want_c = [float(x) for x in xs for _ in range(2)]
    got_p = run_sql(point, lambda e: number_sql(e, NumberSpec(".")))
    got_c = run_sql(comma, lambda e: number_sql(e, NumberSpec(",")))
    assert all(math.isclose(g, w, rel_tol=1e-12, abs_tol=1e-9)
               for g, w in zip(got_p + got_c, want_p + want_c, strict=True))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-(10**17), max_value=10**17), min_size=1, max_size=20),
       st.lists(st.from_regex(r"0[0-9]{1,9}", fullmatch=True), min_size=1, max_size=5))
def test_ids_round_trip_through_float_text_and_keep_padding(ints, padded):
    values = [f"{i}.0" for i in ints] + [f" {i} " for i in ints] + padded
    assert normalise_ids(values) == [str(i) for i in ints] * 2 + padded


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30),
                          st.from_regex(r"[0-9 ,./:年月日()$¥-]{1,20}", fullmatch=True)),
                min_size=1, max_size=40))
def test_parsers_never_raise(values):
    spec = DateSpec(families=ALL)
    builders = [lambda e: date_sql(e, spec), number_sql,
                lambda e: number_sql(e, NumberSpec(",")), bool_sql, id_sql, text_sql]
    for out in run_sqls(values, builders):
        assert len(out) == len(values)
        assert all(o is None for o, v in zip(out, values, strict=True) if v is None)
    floats = run_sqls(values, builders)[1]
    assert all(f is None or math.isfinite(f) for f in floats)
    assert infer_type(values) in ("bool", "float", "timestamp", "text")
    assert 0 <= infer_date_spec(values).parse_rate <= 1

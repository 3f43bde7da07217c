"""Currency codes and conversion: known answers, and errors instead of silent mixing."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmine.errors import ConfigError, CrmineError
from crmine.quality import CleanStats, convert_amounts, normalise_currencies


def _list(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


def test_codes_from_symbols_names_and_case() -> None:
    # fmt: off
    raw = pd.Series(
        [
            "£", "$", "￥", "¥", "RMB", "元", "人民币", "usd", " eur ", "€", "HK$", "JP¥", "Pounds",
            "DOLLARZ", None, "",
        ]
    )
    # fmt: on
    out, stats = normalise_currencies(raw)
    assert _list(out) == [
        "GBP", "USD", "CNY", "CNY", "CNY", "CNY", "CNY", "USD", "EUR", "EUR", "HKD", "JPY", "GBP",
        "DOLLARZ", None, None,
    ]  # fmt: skip
    assert stats == CleanStats(changed=13, invalid=1)  # "DOLLARZ" kept, counted invalid


def test_yen_and_dollar_signs_are_configurable() -> None:
    out, _ = normalise_currencies(pd.Series(["¥", "￥", "$", "CN¥"]), dollar="AUD", yen="JPY")
    assert _list(out) == ["JPY", "JPY", "AUD", "CNY"]
    with pytest.raises(ConfigError):
        normalise_currencies(pd.Series(["$"]), dollar="dollar")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=8)), max_size=20))
def test_currency_codes_idempotent_never_raise(values: list) -> None:
    once, _ = normalise_currencies(pd.Series(values, dtype=object))
    twice, stats = normalise_currencies(once)
    assert _list(twice) == _list(once)
    assert stats.changed == 0


def test_fixed_rates_convert_and_summarise() -> None:
    amount = pd.Series([10.0, 20.0, 30.0, 5.0], index=[4, 5, 6, 7])
    currency = pd.Series(["GBP", "USD", None, "usd"], index=[4, 5, 6, 7])
    converted, summary = convert_amounts(amount, currency, target="gbp", rates={"USD": 0.8})
    assert converted.index.tolist() == [4, 5, 6, 7]
    assert converted.tolist() == pytest.approx([10.0, 16.0, 30.0, 4.0])
    assert summary.to_dict("list") == {
        "currency": ["GBP", "USD"],
        "rows": [2, 2],
        "amount": [40.0, 25.0],
        "converted": [40.0, 20.0],
    }


def test_single_target_currency_needs_no_rates() -> None:
    amount = pd.Series([1.5, 2.5])
    converted, _ = convert_amounts(amount, pd.Series([None, "CNY"]), target="CNY")
    assert converted.tolist() == [1.5, 2.5]


def test_missing_rate_names_currencies_and_config() -> None:
    amount = pd.Series([1.0, 2.0, 3.0])
    currency = pd.Series(["GBP", "USD", "JPY"])
    with pytest.raises(ConfigError) as caught:
        convert_amounts(amount, currency, target="GBP", rates={"USD": 0.79})
    message = str(caught.value)
    assert "\n" not in message
    assert "JPY" in message and "USD" not in message.split("for ")[1]
    assert "[currency.rates]" in message and "JPY = 0.79" in message
    with pytest.raises(CrmineError, match="EUR, USD"):
        convert_amounts(pd.Series([1.0, 2.0]), pd.Series(["USD", "EUR"]), target="EUR")


@pytest.mark.parametrize("bad", [{"USD": 0}, {"USD": float("nan")}, {"US": 1.0}, {"GBP": 2.0}])
def test_bad_rates_are_config_errors(bad: dict) -> None:
    with pytest.raises(ConfigError):
        convert_amounts(pd.Series([1.0]), pd.Series(["USD"]), target="GBP", rates=bad)


def test_dated_rates_take_latest_at_or_before_each_date() -> None:
    rates = pd.DataFrame(
        {
            "currency": ["USD", "USD", "EUR"],
            "date": ["2020-01-01", "2020-02-01", "2019-06-01"],
            "rate": [0.8, 0.7, 0.9],
        }
    )
    amount = pd.Series([10.0, 10.0, 10.0, 10.0, 10.0])
    currency = pd.Series(["USD", "USD", "USD", "EUR", "GBP"])
    dates = pd.Series(
        pd.to_datetime(["2020-01-31", "2020-02-01", "2021-01-01", "2020-01-01", "2000-01-01"])
    ).dt.tz_localize("Europe/London")
    converted, _ = convert_amounts(amount, currency, target="GBP", rates=rates, dates=dates)
    assert converted.tolist() == pytest.approx([8.0, 7.0, 7.0, 9.0, 10.0])


def test_dated_rates_before_first_rate_raise() -> None:
    rates = pd.DataFrame({"currency": ["USD"], "date": ["2020-01-01"], "rate": [0.8]})
    dates = pd.Series(pd.to_datetime(["2019-12-31"]))
    with pytest.raises(CrmineError, match="on or before 2019-12-31"):
        convert_amounts(
            pd.Series([1.0]), pd.Series(["USD"]), target="GBP", rates=rates, dates=dates
        )
    with pytest.raises(ConfigError, match="EUR"):
        convert_amounts(
            pd.Series([1.0]), pd.Series(["EUR"]), target="GBP", rates=rates, dates=dates
        )

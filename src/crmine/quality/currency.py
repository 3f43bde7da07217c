"""Currency codes and conversion of amounts into one reporting currency.

Revenue summed over mixed currencies is meaningless, so conversion never guesses: an
amount in a currency other than the target needs a rate, and a missing rate is an error
that says which currencies lack one and how to add them to ``crmine.toml``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import partial

import pandas as pd

from crmine.errors import ConfigError, CrmineError
from crmine.io import currency_marks
from crmine.quality._distinct import count_changes, map_distinct, until_stable
from crmine.quality.contacts import CleanStats


def _check_code(code: str, what: str) -> str:
    upper = code.strip().upper()
    if not currency_marks.CODE.fullmatch(upper):
        raise ConfigError(f"{what} must be a three-letter currency code such as USD, got {code!r}")
    return upper


def _currency(raw: str, *, dollar: str, yen: str) -> str | None:
    return currency_marks.code_of(until_stable(currency_marks.fold, raw), dollar=dollar, yen=yen)


def normalise_currencies(
    values: pd.Series, *, dollar: str = "USD", yen: str = "CNY"
) -> tuple[pd.Series, CleanStats]:
    """ISO 4217 codes from codes in any case, symbols and common names (en, zh).

    ``£``→GBP, ``€``→EUR, ``RMB``/``元``/``人民币``→CNY, ``usd``→USD, ``HK$``→HKD, …
    A bare ``$`` means ``dollar`` (USD by default; AUD, CAD, HKD… are just as likely in
    their markets). A bare ``¥`` or full-width ``￥`` means ``yen``: CNY by default because
    this is how Chinese systems write the yuan, but Japanese data uses the same sign for
    JPY, so set ``yen="JPY"`` there. ``CN¥`` and ``JP¥`` are never ambiguous.

    Unrecognised values are kept upper-cased rather than dropped (a dropped currency
    would later be taken as the target currency) and counted in ``invalid``.
    """
    dollar = _check_code(dollar, "the currency of '$'")
    yen = _check_code(yen, "the currency of '¥'")
    out = map_distinct(values, partial(_currency, dollar=dollar, yen=yen))
    changed, _ = count_changes(values, out)
    unknown = int((out.notna() & ~out.str.fullmatch(currency_marks.CODE.pattern).fillna(False)).sum())
    return out, CleanStats(changed=changed, invalid=unknown)


def convert_amounts(
    amount: pd.Series,
    currency: pd.Series,
    *,
    target: str,
    rates: Mapping[str, float] | pd.DataFrame | None = None,
    dates: pd.Series | None = None,
) -> tuple[pd.Series, pd.DataFrame]:
    """Amounts converted into ``target``, and a summary (currency, rows, amount, converted).

    ``currency`` holds normalised codes (see ``normalise_currencies``) aligned with
    ``amount``; a row with NA currency is taken to be in ``target`` already, since most
    single-currency sources have no currency column at all.

    ``rates`` is either fixed — ``{"USD": 0.79}``: 1 USD = 0.79 target — or dated, a frame
    with columns currency, date, rate, in which case ``dates`` (e.g. order_ts) picks for
    each row the latest rate at or before its date. A currency other than ``target``
    without a rate raises ``ConfigError``; nothing is ever summed across currencies.
    """
    target = _check_code(target, "the target currency")
    codes = currency.astype("string").str.strip().str.upper().fillna(target)
    codes = codes.reindex(amount.index) if not codes.index.equals(amount.index) else codes
    needed = sorted(set(codes.unique()) - {target})
    if isinstance(rates, pd.DataFrame):
        factor = _dated_factors(codes, needed, target, rates, dates)
    else:
        factor = codes.map(_fixed_rates(codes, needed, target, rates)).astype("Float64")
    converted = (amount.astype("Float64") * factor).rename(amount.name)
    summary = (
        pd.DataFrame({"currency": codes, "amount": amount, "converted": converted})
        .groupby("currency", sort=True)
        .agg(rows=("amount", "size"), amount=("amount", "sum"), converted=("converted", "sum"))
        .reset_index()
    )
    return converted, summary


def _missing_rates(codes: pd.Series, missing: list[str], target: str) -> ConfigError:
    present = ", ".join(sorted(set(codes.unique())))
    example = missing[0]
    return ConfigError(
        f"amounts are in {present} but there is no rate to {target} for {', '.join(missing)}: "
        f"add a [currency.rates] table to crmine.toml with one line per currency, e.g. "
        f"{example} = 0.79 if 1 {example} is worth 0.79 {target}"
    )


def _fixed_rates(
    codes: pd.Series, needed: list[str], target: str, rates: Mapping[str, float] | None
) -> dict[str, float]:
    table = {}
    for code, rate in (rates or {}).items():
        key = _check_code(str(code), "a [currency.rates] key")
        value = float(rate)
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"[currency.rates] {key} must be a positive number, got {rate!r}")
        table[key] = value
    if table.get(target, 1.0) != 1.0:
        raise ConfigError(f"[currency.rates] {target} is the target currency: its rate must be 1")
    missing = [c for c in needed if c not in table]
    if missing:
        raise _missing_rates(codes, missing, target)
    return {**table, target: 1.0}


def _naive(values: pd.Series) -> pd.Series:
    """Timestamps as naive nanoseconds, keeping local wall-clock time (rates are per day)."""
    when = pd.to_datetime(values)
    if when.dt.tz is not None:
        when = when.dt.tz_localize(None)
    return when.astype("datetime64[ns]")


def _dated_factors(
    codes: pd.Series,
    needed: list[str],
    target: str,
    rates: pd.DataFrame,
    dates: pd.Series | None,
) -> pd.Series:
    """Per row, the latest rate of its currency at or before its date (1 for the target)."""
    if not {"currency", "date", "rate"} <= set(rates.columns):
        raise ConfigError("a dated rates table needs the columns currency, date and rate")
    table = pd.DataFrame(
        {
            "currency": rates["currency"].astype("string").str.strip().str.upper(),
            "date": _naive(rates["date"]),
            "rate": rates["rate"].astype(float),
        }
    ).dropna()
    missing = [c for c in needed if c not in set(table["currency"])]
    if missing:
        raise _missing_rates(codes, missing, target)
    factor = pd.Series(1.0, index=codes.index, dtype="Float64")
    foreign = (codes != target).to_numpy()
    if not foreign.any():
        return factor
    if dates is None:
        raise CrmineError("dated exchange rates need the date of each amount (e.g. order_ts)")
    when = _naive(dates)
    when = when if when.index.equals(codes.index) else when.reindex(codes.index)
    left = pd.DataFrame(
        {
            "row": range(int(foreign.sum())),
            "currency": pd.array(codes.to_numpy()[foreign], dtype="string"),
            "date": when.to_numpy()[foreign],
        }
    )
    if left["date"].isna().any():
        bad = sorted(set(left.loc[left["date"].isna(), "currency"]))
        raise CrmineError(f"amounts in {', '.join(bad)} without a date cannot be converted")
    found = pd.merge_asof(
        left.sort_values("date"),
        table.sort_values("date"),
        on="date",
        by="currency",
        direction="backward",
    ).sort_values("row")
    lacking = found[found["rate"].isna()]
    if not lacking.empty:
        first = lacking.sort_values("date").iloc[0]
        starts = table.loc[table["currency"] == first["currency"], "date"].min()
        raise CrmineError(
            f"no {first['currency']} to {target} rate on or before {first['date']:%Y-%m-%d} "
            f"({len(lacking)} amount(s); its rates start {starts:%Y-%m-%d}): add earlier rates"
        )
    factor[foreign] = found["rate"].to_numpy()
    return factor

"""Vectorised text formatting of dates, money and phone numbers, the way exports spell them."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Date styles of the orders export, in the order of DemoParams.date_format_shares.
DATE_STYLES = ("iso", "slash", "dayfirst", "zh")
DATE_FORMATS = {  # strptime formats that read each style back
    "iso": "%Y-%m-%d %H:%M:%S",
    "slash": "%Y/%m/%d %H:%M",
    "dayfirst": "%d/%m/%Y %H:%M",
    "zh": "%Y年%m月%d日 %H:%M",
}
MONEY_STYLES = ("plain", "yuan", "code", "thousands")
PHONE_STYLES = 4  # every phone kind has four spellings


def _s(values) -> pd.Series:
    return pd.Series(np.asarray(values)).astype(str)


def format_ts(ts: pd.Series, style: np.ndarray) -> np.ndarray:
    """Timestamps as text, one style per row (see DATE_STYLES)."""
    t = pd.DatetimeIndex(ts)
    y, mo, d = _s(t.year), _s(t.month), _s(t.day)
    hh, mi, ss = _s(t.hour).str.zfill(2), _s(t.minute).str.zfill(2), _s(t.second).str.zfill(2)
    mo2, d2 = mo.str.zfill(2), d.str.zfill(2)
    hm = hh + ":" + mi
    return np.select(
        [style == "iso", style == "slash", style == "dayfirst"],
        [y + "-" + mo2 + "-" + d2 + " " + hm + ":" + ss,
         y + "/" + mo + "/" + d + " " + hm,
         d2 + "/" + mo2 + "/" + y + " " + hm],
        default=y + "年" + mo + "月" + d + "日 " + hm,
    )


def format_date(ts: pd.Series, slash: np.ndarray) -> np.ndarray:
    """Dates as ``2024-01-05`` or, where ``slash``, ``2024/1/5``; NaT becomes None."""
    t = pd.DatetimeIndex(ts)
    y, mo, d = _s(t.year), _s(t.month), _s(t.day)
    iso = y + "-" + mo.str.zfill(2) + "-" + d.str.zfill(2)
    out = np.where(slash, y + "/" + mo + "/" + d, iso).astype(object)
    out[t.isna()] = None
    return out


def _thousands(units: np.ndarray) -> pd.Series:
    """Non-negative integers with comma separators (up to 999,999,999)."""
    m, t, u = units // 1_000_000, (units // 1000) % 1000, units % 1000
    us, ts_, ms = _s(u), _s(t), _s(m)
    return pd.Series(np.select(
        [units >= 1_000_000, units >= 1000],
        [ms + "," + ts_.str.zfill(3) + "," + us.str.zfill(3), ts_ + "," + us.str.zfill(3)],
        default=us,
    ))


def format_money(values: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Amounts as ``68.90``, ``¥1,234.50``, ``CNY 1,234.50`` or ``1,234.50`` (see MONEY_STYLES)."""
    v = np.asarray(values, dtype=float)
    cents = np.round(np.abs(v) * 100).astype(np.int64)
    units, frac = cents // 100, _s(cents % 100).str.zfill(2)
    sign = pd.Series(np.where(v < 0, "-", ""))
    plain = _s(units) + "." + frac
    grouped = _thousands(units) + "." + frac
    return np.select(
        [style == "plain", style == "yuan", style == "code"],
        [sign + plain, sign + "¥" + grouped, "CNY " + sign + grouped],
        default=sign + grouped,
    )


def format_phone(e164: np.ndarray, kind: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Phone numbers in one of four spellings per kind; style 0 is E.164 itself.

    cn_mobile  +8613800138000 | 13800138000 | +86 138 0013 8000 | 138-0013-8000
    uk_mobile  +447700900123  | 07700 900123 | +44 7700 900123 | 07700900123
    uk_london  +442079460958  | (020) 7946 0958 | +44 20 7946 0958 | 020 7946 0958
    us         +12125550123   | (212) 555-0123 | +1 212 555 0123 | 212-555-0123
    """
    e = pd.Series(np.asarray(e164, dtype=object)).astype(str)
    cn, ukm, lon, us = e.str[3:], e.str[3:], e.str[5:], e.str[2:]
    variants = {
        "cn_mobile": (cn, "+86 " + cn.str[:3] + " " + cn.str[3:7] + " " + cn.str[7:],
                      cn.str[:3] + "-" + cn.str[3:7] + "-" + cn.str[7:]),
        "uk_mobile": ("0" + ukm.str[:4] + " " + ukm.str[4:], "+44 " + ukm.str[:4] + " "
                      + ukm.str[4:], "0" + ukm),
        "uk_london": ("(020) " + lon.str[:4] + " " + lon.str[4:], "+44 20 " + lon.str[:4] + " "
                      + lon.str[4:], "020 " + lon.str[:4] + " " + lon.str[4:]),
        "us": ("(" + us.str[:3] + ") " + us.str[3:6] + "-" + us.str[6:], "+1 " + us.str[:3]
               + " " + us.str[3:6] + " " + us.str[6:], us.str[:3] + "-" + us.str[3:6] + "-"
               + us.str[6:]),
    }
    out = e.to_numpy(dtype=object).copy()
    for k, (v1, v2, v3) in variants.items():
        for s, v in ((1, v1), (2, v2), (3, v3)):
            m = (kind == k) & (style == s)
            out[m] = v.to_numpy()[m]
    return out

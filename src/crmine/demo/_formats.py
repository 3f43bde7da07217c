"""Vectorised text formatting of dates, money and phone numbers, the way exports spell them.

Strings are built with Arrow compute kernels (one pass per piece, no Python per value) and
returned as pandas ``str`` arrays; missing values are nulls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


def text(values) -> pa.Array:
    """Any array-like (numbers, strings, None) as an Arrow string array."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        arr = values
    elif isinstance(values, pd.Series | pd.Index):
        arr = pa.array(values, from_pandas=True)
    else:
        arr = pa.array(np.asarray(values), from_pandas=True)
    arr = pc.cast(arr, pa.large_string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def join(*parts) -> pa.Array:
    """Element-wise concatenation of arrays and scalar strings."""
    args = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else text(p) for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar("", pa.large_string()))


def pad(values, width: int) -> pa.Array:
    return pc.utf8_lpad(text(values), width=width, padding="0")


def series(arr: pa.Array) -> pd.Series:
    """An Arrow string array as a pandas ``str`` Series (no copy of the characters)."""
    return pd.Series(pd.array(arr, dtype="str"))


def by_group(style: np.ndarray, make) -> pa.Array:
    """Build each row with ``make(style, rows)`` for its style, then put rows back in order."""
    style = np.asarray(style)
    order = np.argsort(style, kind="stable")
    parts = []
    for st in np.unique(style):
        rows = order[style[order] == st]
        parts.append(text(make(st, rows)))
    if not parts:
        return pa.array([], pa.large_string())
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order))
    return pa.concat_arrays(parts).take(pa.array(inverse))


def with_nulls(arr: pa.Array, missing: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(missing, bool)), pa.scalar(None, arr.type), arr)


def _via_unique(keys: np.ndarray, fmt, *arrays):
    """Format each distinct key once (rows of one order share a timestamp and prices repeat)."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return fmt(*(a[first] for a in arrays)).take(pa.array(inverse.ravel()))


def format_ts(ts, style: np.ndarray) -> pa.Array:
    """Timestamps as text, one style per row (see DATE_STYLES)."""
    t = pd.DatetimeIndex(ts)
    style = np.asarray(style)
    codes = np.searchsorted(np.array(sorted(DATE_STYLES)), style)
    keys = t.as_unit("s").asi8 * 4 + codes
    return _via_unique(keys, _format_ts, t.to_numpy(), style)


def _format_ts(ts: np.ndarray, style: np.ndarray) -> pa.Array:
    t = pd.DatetimeIndex(ts)
    y, mo, d = t.year.to_numpy(), t.month.to_numpy(), t.day.to_numpy()
    hh, mi, ss = t.hour.to_numpy(), t.minute.to_numpy(), t.second.to_numpy()

    def make(st, r):
        hm = join(pad(hh[r], 2), ":", pad(mi[r], 2))
        if st == "iso":
            return join(y[r], "-", pad(mo[r], 2), "-", pad(d[r], 2), " ", hm, ":", pad(ss[r], 2))
        if st == "slash":
            return join(y[r], "/", mo[r], "/", d[r], " ", hm)
        if st == "dayfirst":
            return join(pad(d[r], 2), "/", pad(mo[r], 2), "/", y[r], " ", hm)
        return join(y[r], "年", mo[r], "月", d[r], "日 ", hm)

    return by_group(np.asarray(style), make)


def format_date(ts, slash: np.ndarray) -> pa.Array:
    """Dates as ``2024-01-05`` or, where ``slash``, ``2024/1/5``; NaT becomes null."""
    t = pd.DatetimeIndex(ts)
    na = np.asarray(t.isna())
    t = t.fillna(pd.Timestamp("2000-01-01"))
    y, mo, d = (np.asarray(x, dtype=np.int64) for x in (t.year, t.month, t.day))

    def make(st, r):
        if st:
            return join(y[r], "/", mo[r], "/", d[r])
        return join(y[r], "-", pad(mo[r], 2), "-", pad(d[r], 2))

    return with_nulls(by_group(np.asarray(slash, bool), make), na)


def _thousands(units: np.ndarray) -> pa.Array:
    """Non-negative integers with comma separators (up to 999,999,999)."""
    m, t, u = units // 1_000_000, (units // 1000) % 1000, units % 1000
    return pc.case_when(
        pa.StructArray.from_arrays([pa.array(units >= 1_000_000), pa.array(units >= 1000)],
                                   ["m", "t"]),
        join(m, ",", pad(t, 3), ",", pad(u, 3)),
        join(t, ",", pad(u, 3)),
        text(u),
    )


def format_money(values: np.ndarray, style: np.ndarray) -> pa.Array:
    """Amounts as ``68.90``, ``¥1,234.50``, ``CNY 1,234.50`` or ``1,234.50`` (see MONEY_STYLES)."""
    v = np.asarray(values, dtype=float)
    style = np.asarray(style)
    codes = np.searchsorted(np.array(sorted(MONEY_STYLES)), style)
    return _via_unique(np.round(v * 100).astype(np.int64) * 4 + codes, _format_money, v, style)


def _format_money(v: np.ndarray, style: np.ndarray) -> pa.Array:
    cents = np.round(np.abs(v) * 100).astype(np.int64)
    units, frac = cents // 100, cents % 100
    sign = np.where(v < 0, "-", "")

    def make(st, r):
        tail = join(".", pad(frac[r], 2))
        if st == "plain":
            return join(sign[r], units[r], tail)
        grouped = join(_thousands(units[r]), tail)
        if st == "yuan":
            return join(sign[r], "¥", grouped)
        if st == "code":
            return join("CNY ", sign[r], grouped)
        return join(sign[r], grouped)

    return by_group(np.asarray(style), make)


def format_phone(e164: np.ndarray, kind: np.ndarray, style: np.ndarray) -> pa.Array:
    """Phone numbers in one of four spellings per kind; style 0 is E.164 itself.

    cn_mobile  +8613800138000 | 13800138000 | +86 138 0013 8000 | 138-0013-8000
    uk_mobile  +447700900123  | 07700 900123 | +44 7700 900123 | 07700900123
    uk_london  +442079460958  | (020) 7946 0958 | +44 20 7946 0958 | 020 7946 0958
    us         +12125550123   | (212) 555-0123 | +1 212 555 0123 | 212-555-0123
    """
    e = text(e164)
    key = np.char.add(np.asarray(kind, dtype=str), np.asarray(style).astype(str))

    def sl(a, lo, hi=None):
        return pc.utf8_slice_codeunits(a, lo, hi if hi is not None else 1 << 30)

    def make(st, r):
        x = e.take(pa.array(r))
        k, s = st[:-1], int(st[-1])
        if s == 0:
            return x
        if k == "cn_mobile":
            n = sl(x, 3)
            return (n, join("+86 ", sl(n, 0, 3), " ", sl(n, 3, 7), " ", sl(n, 7)),
                    join(sl(n, 0, 3), "-", sl(n, 3, 7), "-", sl(n, 7)))[s - 1]
        if k == "uk_mobile":
            n = sl(x, 3)
            return (join("0", sl(n, 0, 4), " ", sl(n, 4)),
                    join("+44 ", sl(n, 0, 4), " ", sl(n, 4)), join("0", n))[s - 1]
        if k == "uk_london":
            n = sl(x, 5)
            return (join("(020) ", sl(n, 0, 4), " ", sl(n, 4)),
                    join("+44 20 ", sl(n, 0, 4), " ", sl(n, 4)),
                    join("020 ", sl(n, 0, 4), " ", sl(n, 4)))[s - 1]
        n = sl(x, 2)
        return (join("(", sl(n, 0, 3), ") ", sl(n, 3, 6), "-", sl(n, 6)),
                join("+1 ", sl(n, 0, 3), " ", sl(n, 3, 6), " ", sl(n, 6)),
                join(sl(n, 0, 3), "-", sl(n, 3, 6), "-", sl(n, 6)))[s - 1]

    return by_group(key, make)

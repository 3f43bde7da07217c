"""Demand series from the order lines: one per level and key, one value per period.

What a planner forecasts is sales, not customers, so every line counts, with or without a
customer, and returns count against the period they were booked in (net demand). A level
is a way of cutting the total: ``total``, ``category``, ``region``, ``category/region``,
``product`` (the top products by volume, the rest pooled as ``other``) or any order
attribute by name (``Store`` for Walmart's store-week rows). Each level is a partition of
the total, and :func:`aggregation_map` says which key adds up into which, so the models
can make the forecasts add up too.

Calendar: weeks start on the as-of date's weekday, so the last week before as_of is always
complete and the first forecast week starts at as_of; months are calendar months, and the
month holding as_of is partial and dropped (said so). A partial first period is dropped too:
it would read as a slump. Periods without sales are zeros.

Everything here is point-in-time: only lines strictly before as_of are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import ibis
    import pandas as pd

Freq = Literal["D", "W", "M"]
#: periods ahead when ``horizon_periods`` is 0
DEFAULT_HORIZON: dict[str, int] = {"D": 28, "W": 13, "M": 6}
#: the yearly season in periods (weekly data: 52; daily data: the week)
SEASON: dict[str, int] = {"D": 7, "W": 52, "M": 12}
TOTAL_KEY = "all"
OTHER_KEY = "other"
UNKNOWN_KEY = "unknown"
#: level names that are not a column of their own
_ALIASES = {"product": "product_id"}


@dataclass(frozen=True)
class Level:
    """A configured level: its published name and the order columns that key it."""

    name: str
    columns: tuple[str, ...]


@dataclass
class DemandSeries:
    """The series of every level on one calendar, and what was decided on the way."""

    frame: pd.DataFrame  # level, key, period_start, y (every period of the calendar)
    parents: pd.DataFrame  # level, key, parent_level, parent_key: what adds up into what
    freq: str
    measure: str
    notes: list[str] = field(default_factory=list)


def _column_name(text: str) -> str:
    """The warehouse name of an attribute as ingest stores it (``Store`` → ``store``)."""
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def resolve_levels(levels: tuple[str, ...], columns: list[str]) -> tuple[list[Level], list[str]]:
    """The configured levels the order columns support, and a note per level they do not."""
    out: list[Level] = []
    notes: list[str] = []
    available = set(columns)
    for raw in levels:
        name = raw.strip()
        if name.lower() == "total":
            out.append(Level("total", ()))
            continue
        parts = tuple(_ALIASES.get(_column_name(p), _column_name(p)) for p in name.split("/"))
        missing = [p for p in parts if p not in available]
        if missing:
            notes.append(f"level {name!r} skipped: the orders have no {', '.join(missing)} column")
            continue
        out.append(Level(name, parts))
    if not any(level.columns == () for level in out):
        out.insert(0, Level("total", ()))
    return out, notes


def daily_sales(orders: ibis.Table, as_of: date, columns: tuple[str, ...], measure: str):
    """day, the level's columns as text, value: net demand per day before as_of (an Ibis
    expression; one per distinct set of level columns)."""
    import ibis

    from crmine.features.customer import flag_lines

    cut = datetime.combine(as_of, datetime.min.time())
    lines = flag_lines(orders.filter(orders.order_ts < ibis.literal(cut)))
    if measure == "quantity":
        qty = lines.quantity.cast("float64")
        value = lines.is_ret.ifelse(-qty.abs(), qty)
    else:
        value = lines.net
    lines = lines.mutate(day=lines.order_ts.date(), value=value)
    return lines.group_by(["day", *columns]).aggregate(value=lines.value.sum().fill_null(0))


def as_keys(daily: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The level columns as key text: whole numbers without '.0' (Walmart's store 1.0 is
    store 1), missing values as 'unknown'."""
    import pandas as pd

    out = daily.copy()
    out["day"] = pd.to_datetime(out["day"])
    for column in columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values) and bool(
            (values.dropna() == values.dropna().round()).all()
        ):
            values = values.astype("Int64")
        text = values.astype("string")
        out[column] = text.fillna(UNKNOWN_KEY).astype(object)
    return out


def pick_measure(orders: ibis.Table, measure: str) -> str:
    """amount unless the orders carry no amounts; then quantity (units still forecast)."""
    if measure == "amount" and "amount" in orders.columns and (
        orders.filter(orders.amount.notnull()).count().to_pyarrow().as_py() > 0
    ):
        return "amount"
    return "quantity" if "quantity" in orders.columns else "amount"


def decide_freq(days: np.ndarray) -> tuple[Freq, str]:
    """D, W or M from the days that had sales, with the reason in words.

    Dense and short (under half a year, sales on most days): days; sales on under half the
    weeks, or weeks apart as a rule (B2B, monthly invoicing): months; otherwise weeks, which
    smooth the weekday pattern of most retail without hiding the year's.
    """
    days = np.unique(np.asarray(days, dtype="datetime64[D]"))
    if len(days) < 2:
        return "W", "weeks (too few sale days to tell)"
    span = int((days[-1] - days[0]).astype(int)) + 1
    daily_share = len(days) / span
    weeks = np.unique(days.astype(int) // 7)
    week_share = len(weeks) / (span / 7)
    median_gap = float(np.median(np.diff(days).astype(int)))
    if daily_share >= 0.8 and span < 183:
        return "D", f"days (sales on {daily_share:.0%} of {span} days)"
    if week_share < 0.5 or median_gap >= 20:
        return "M", f"months (sales in {week_share:.0%} of weeks, median gap {median_gap:.0f} days)"
    return "W", f"weeks (sales in {min(week_share, 1):.0%} of weeks over {span} days)"


def period_starts(days: pd.Series, freq: str, as_of: date) -> pd.Series:
    """The start of each day's period: weeks anchored on as_of's weekday, calendar months."""
    import pandas as pd

    days = pd.to_datetime(days)
    anchor = pd.Timestamp(as_of)
    if freq == "D":
        return days.dt.normalize()
    if freq == "W":
        offset = (days - anchor).dt.days // 7
        return anchor + pd.to_timedelta(offset * 7, unit="D")
    return days.dt.to_period("M").dt.start_time


def future_periods(last_start: pd.Timestamp, freq: str, horizon: int) -> pd.DatetimeIndex:
    """The starts of the ``horizon`` periods after ``last_start``."""
    import pandas as pd

    step = {"D": pd.Timedelta(days=1), "W": pd.Timedelta(days=7), "M": pd.offsets.MonthBegin(1)}
    return pd.DatetimeIndex([last_start + step[freq] * k for k in range(1, horizon + 1)])


def _calendar(days: pd.Series, freq: str, as_of: date, notes: list[str]):
    """The complete periods from the first sale to as_of (partial first / last dropped).

    The first period is partial when the data starts later in it than the usual gap between
    its dates (daily lines from a Wednesday; not a week of store totals dated Friday).
    """
    import pandas as pd

    anchor = pd.Timestamp(as_of)
    dates = pd.Series(pd.to_datetime(days).unique()).sort_values()
    first_day = dates.iloc[0]
    gap = dates.diff().dt.days.median() if len(dates) > 1 else 1.0
    first = period_starts(pd.Series([first_day]), freq, as_of).iloc[0]
    if (first_day - first).days >= max(1.0, gap if gap == gap else 1.0):
        notes.append(f"first period ({first.date()}) partial: dropped")
        first = future_periods(first, freq, 1)[0]
    if freq == "M":
        last = anchor.to_period("M").start_time
        if last < anchor:
            notes.append(f"last period ({last.date()}, the month of as_of) partial: dropped")
        last = last - pd.offsets.MonthBegin(1)
        starts = pd.date_range(first, last, freq="MS")
    else:
        step = 1 if freq == "D" else 7
        starts = pd.date_range(first, anchor - pd.Timedelta(days=step), freq=f"{step}D")
    return starts


def _joined(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """The key of each row: its values of ``columns`` joined by '/' (column-wise, no row loop)."""
    key = frame[columns[0]].astype(str)
    for column in columns[1:]:
        key = key + "/" + frame[column].astype(str)
    return key


def level_frame(daily: pd.DataFrame, level: Level, keep: set[str] | None = None) -> pd.DataFrame:
    """day, key, value of one level from daily sales keyed by its columns (keys outside
    ``keep`` pooled as ``other``)."""
    import pandas as pd

    if not level.columns:
        key = pd.Series(TOTAL_KEY, index=daily.index)
    else:
        key = _joined(daily, level.columns)
        if keep is not None:
            key = key.where(key.isin(keep), OTHER_KEY)
    out = pd.DataFrame({"day": daily["day"], "key": key.to_numpy(), "value": daily["value"]})
    return out.groupby(["day", "key"], as_index=False)["value"].sum()


def build_series(
    daily_by_columns: dict[tuple[str, ...], pd.DataFrame],
    levels: list[Level],
    freq: str,
    as_of: date,
    top_products: int,
    measure: str = "amount",
    notes: list[str] | None = None,
) -> DemandSeries | None:
    """Every level's series on one calendar from the daily sales of each column set (keyed
    by :func:`as_keys`); None when no complete period holds a sale."""
    import pandas as pd

    notes = list(notes or [])
    totals = daily_by_columns[()]
    if totals.empty:
        return None
    starts = _calendar(totals["day"], freq, as_of, notes)
    if len(starts) == 0:
        return None
    parts = []
    for level in levels:
        daily = daily_by_columns[level.columns]
        keep = None
        if level.columns == ("product_id",):
            volume = daily.groupby("product_id")["value"].sum()
            keep = set(volume.nlargest(top_products).index.astype(str))
            if len(volume) > len(keep):
                notes.append(f"level {level.name!r}: top {len(keep)} of {len(volume):,} "
                             f"products, the rest pooled as '{OTHER_KEY}'")  # fmt: skip
        frame = level_frame(daily, level, keep)
        frame["period_start"] = period_starts(frame["day"], freq, as_of)
        frame = frame[frame["period_start"].isin(starts)]
        sums = frame.groupby(["key", "period_start"])["value"].sum()
        keys = sorted(frame["key"].unique())
        grid = pd.MultiIndex.from_product([keys, starts], names=["key", "period_start"])
        dense = sums.reindex(grid, fill_value=0.0).reset_index(name="y")
        dense.insert(0, "level", level.name)
        parts.append(dense)
    frame = pd.concat(parts, ignore_index=True)
    keys = frame[["level", "key"]].drop_duplicates()
    return DemandSeries(frame, aggregation_map(daily_by_columns, levels, keys), freq, measure, notes)


def aggregation_map(
    daily_by_columns: dict[tuple[str, ...], pd.DataFrame], levels: list[Level], keys: pd.DataFrame
) -> pd.DataFrame:
    """level, key, parent_level, parent_key: each key adds up into its parent level's key.

    Every level adds up to the total; a level keyed by several columns also adds up into
    each configured level keyed by some of them (``category/region`` into ``category`` and
    into ``region``), matched on the column values (so a '/' inside a value is harmless).
    """
    import pandas as pd

    total = next(level for level in levels if not level.columns)
    rows = []
    for level in levels:
        if not level.columns:
            continue
        mine = keys.loc[keys["level"] == level.name, "key"]
        rows.append(pd.DataFrame({"level": level.name, "key": mine.to_numpy(),
                                  "parent_level": total.name, "parent_key": TOTAL_KEY}))  # fmt: skip
        if len(level.columns) < 2:
            continue
        pairs = daily_by_columns[level.columns][list(level.columns)].drop_duplicates()
        for parent in levels:
            if not parent.columns or not set(parent.columns) < set(level.columns):
                continue
            rows.append(pd.DataFrame({"level": level.name, "key": _joined(pairs, level.columns),
                                      "parent_level": parent.name,
                                      "parent_key": _joined(pairs, parent.columns)}))  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=["level", "key", "parent_level", "parent_key"])
    out = pd.concat(rows, ignore_index=True)
    return out[out["key"].isin(keys["key"])].drop_duplicates(ignore_index=True)

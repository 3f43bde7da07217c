"""The campaigns a run can learn from, as frames the campaign models take.

A :class:`CampaignData` is one campaign arm: the customers it reached or held out with their
outcome (the training rows), the customers it has not reached (the rows to score), and their
features. It comes from one of two sources:

* the ``campaigns`` input table (a campaign export: one row per send). Training features are
  the customers' attributes and their behaviour **as of the campaign's send date** (order
  features computed at that date, earlier campaigns' contacts and responses before it), never
  after; the customers without a send in the campaign are scored on their features as of the
  run's as-of date. A response is ``responded``, a ``responded_ts`` before as_of, or
  ``converted``.
* a customers table that carries campaign outcomes as columns (``[campaigns]
  outcome_columns``, or a column named response / 是否响应): every customer with a value
  is a contacted customer, one without is to be scored. Without settings, a table with an
  arm column (a text column with a control level, e.g. "No E-Mail") is read as a randomised
  test exported per customer: its first column named like a campaign response (visit, opened,
  clicked) is the outcome, one named like revenue (spend) its revenue, and the columns named
  like a conversion are recorded after the send. With a group column (Hillstrom's
  ``segment``) each non-control arm is its own campaign against the shared control group. The
  columns recorded after the send (the outcomes, the arm, the revenue and ``post_send_columns``)
  are never features.

A campaign sent to several arms besides the control (a men's and a women's e-mail) gives one
campaign per arm, named ``campaign / arm``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from crmine.config import CampaignSettings
    from crmine.pipeline.inputs import RunInputs

#: customers columns taken as a campaign outcome when [campaigns] outcome_columns is empty
AUTO_OUTCOMES = ("response", "responded", "是否响应", "响应", "是否回应")
_MAX_ARMS = 10


@dataclass
class CampaignData:
    """One campaign arm: training rows (with outcome and arm), rows to score, features."""

    campaign_id: str
    train: pd.DataFrame  # features; index aligned with the arrays below
    responded: np.ndarray
    treated: np.ndarray
    score_ids: np.ndarray  # customer ids to score
    score: pd.DataFrame  # their features
    revenue_per_response: float | None  # mean revenue per contacted responder, if known
    sent: datetime | None
    source: str  # in words, for the step's detail and the models table
    parent: str = ""  # the campaign this is an arm of (arms of one campaign share it)

    @property
    def has_control(self) -> bool:
        return bool((~self.treated).any())


def synonyms(table: str, column: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from crmine.io.synonyms import synonyms as table_synonyms

    return table_synonyms(table, column)


def _key(text: str) -> str:
    from crmine.io.mapping import normalise

    return normalise(str(text))


def _find(columns: list[str], wanted: tuple[str, ...]) -> list[str]:
    keys = {_key(w) for w in wanted}
    return [c for c in columns if _key(c) in keys]


def _group_column(frame: pd.DataFrame, settings: CampaignSettings, skip: set[str]) -> str | None:
    """The arm column: as configured, else a text column of few levels, one a control name."""
    if settings.group_column:
        found = _find(list(frame.columns), (settings.group_column,))
        if not found:
            raise ValueError(f"[campaigns] group_column {settings.group_column!r} is not a "
                             "customers column")  # fmt: skip
        return found[0]
    for col in frame.columns:
        if col in skip or (frame[col].dtype.kind not in "OUT" and str(frame[col].dtype) != "string"):
            continue
        levels = frame[col].dropna().astype(str).str.strip().str.lower().unique()
        if 1 < len(levels) <= _MAX_ARMS and set(levels) & settings.controls:
            return col
    return None


def _revenue(values: np.ndarray | None, responded: np.ndarray, treated: np.ndarray
             ) -> float | None:  # fmt: skip
    if values is None:
        return None
    paid = values[responded & treated]  # a response that bought nothing counts as 0
    paid = paid[np.isfinite(paid)]
    return float(paid.mean()) if len(paid) and paid.max() > 0 else None


def from_customers(customers: pd.DataFrame, settings: CampaignSettings) -> list[CampaignData]:
    """Campaign arms from outcome columns of the customers table (see the module doc)."""
    cols = list(customers.columns)
    outcomes = _find(cols, settings.outcome_columns or AUTO_OUTCOMES)
    if settings.outcome_columns and len(outcomes) < len(settings.outcome_columns):
        missing = sorted({_key(o) for o in settings.outcome_columns} - {_key(o) for o in outcomes})
        raise ValueError(f"[campaigns] outcome_columns not in the customers table: {missing}")
    revenue = _find(cols, (settings.revenue_column,)) if settings.revenue_column else []
    post = _find(cols, settings.post_send_columns)
    group = _group_column(customers, settings, {*outcomes, *revenue, *post})
    if group and not settings.outcome_columns:
        # a randomised test exported per customer (Hillstrom): its arm column and the
        # campaign-outcome columns a campaign export would have (visit, conversion, spend)
        outcomes = outcomes or _find(cols, synonyms("campaigns", "responded")[0])[:1]
        revenue = revenue or _find(cols, synonyms("campaigns", "revenue")[0])[:1]
        post = [*post, *_find(cols, synonyms("campaigns", "converted")[0])]
        post = [c for c in post if c not in outcomes]
    if not outcomes:
        return []
    after_send = {*outcomes, *revenue, *post, *([group] if group else [])}
    features = customers.drop(columns=[*after_send, "customer_id"])
    ids = customers["customer_id"].to_numpy()
    arm = (customers[group].astype("string").str.strip() if group else None)
    is_control = (arm.str.lower().isin(settings.controls).fillna(False).to_numpy(bool)
                  if arm is not None else np.zeros(len(customers), bool))  # fmt: skip
    money = customers[revenue[0]].to_numpy(float, na_value=np.nan) if revenue else None
    out = []
    for outcome in outcomes:  # a handful of columns
        value = customers[outcome]
        known = value.notna().to_numpy()
        y = value.astype("Float64").fillna(0).to_numpy(float) > 0
        arms = (sorted(arm[known & ~is_control].dropna().unique()) if arm is not None
                else [None])  # fmt: skip
        for name in arms:
            treated = (arm == name).fillna(False).to_numpy(bool) if name else known
            rows = known & (treated | is_control)
            label = outcome if name is None else (name if len(outcomes) == 1
                                                  else f"{outcome} / {name}")  # fmt: skip
            out.append(CampaignData(
                label, features[rows], y[rows], treated[rows], ids[~known], features[~known],
                _revenue(money[rows] if money is not None else None, y[rows], treated[rows]),
                None, f"customers column {outcome}" + (f", arm {group} = {name}" if name else ""),
                outcome,
            ))  # fmt: skip
    return out


def from_table(inputs: RunInputs, settings: CampaignSettings) -> list[CampaignData]:
    """Campaign arms from the ``campaigns`` input table, features as of each send date."""
    import pandas as pd

    sends = inputs.before("campaigns", "sent_ts").execute()
    if sends.empty:
        return []
    sends["_responded"] = _responded(sends, inputs.as_of_ts)
    group = sends["group"].astype("string").str.strip() if "group" in sends else None
    control = (group.str.lower().isin(settings.controls).fillna(False).to_numpy(bool)
               if group is not None else np.zeros(len(sends), bool))  # fmt: skip
    sends["_control"] = control
    sends["_arm"] = (group.fillna("treatment") if group is not None
                     else pd.Series("treatment", index=sends.index))  # fmt: skip
    now = _features(inputs, inputs.as_of_ts, sends)
    out = []
    for campaign, rows in sends.groupby("campaign_id", sort=True):  # per campaign, not per row
        rows = rows.drop_duplicates("customer_id")  # a customer counts once per campaign
        sent = rows["sent_ts"].min().to_pydatetime()
        feats = _features(inputs, sent, sends).set_index("customer_id")
        arms = sorted(rows.loc[~rows["_control"], "_arm"].unique())
        contacted = set(rows["customer_id"])
        to_score = now[~now["customer_id"].isin(contacted)]
        for arm in arms:
            part = rows[rows["_control"] | (rows["_arm"] == arm)]
            part = part[part["customer_id"].isin(feats.index)]
            treated = ~part["_control"].to_numpy(bool)
            y = part["_responded"].to_numpy(bool)
            money = part["revenue"].to_numpy(float, na_value=np.nan) if "revenue" in part else None
            out.append(CampaignData(
                str(campaign) if len(arms) == 1 else f"{campaign} / {arm}",
                feats.loc[part["customer_id"]].reset_index(drop=True), y, treated,
                to_score["customer_id"].to_numpy(), to_score.drop(columns="customer_id"),
                _revenue(money, y, treated), sent, f"campaigns table, sent {sent:%Y-%m-%d}",
                str(campaign),
            ))  # fmt: skip
    return out


def _responded(sends: pd.DataFrame, as_of: datetime) -> np.ndarray:
    """A response known by as_of: the flag, a response time before as_of, or a conversion."""
    out = np.zeros(len(sends), bool)
    for col in ("responded", "converted"):
        if col in sends:
            out |= sends[col].astype("boolean").fillna(False).to_numpy(bool)
    if "responded_ts" in sends:
        out |= (sends["responded_ts"].notna() & (sends["responded_ts"] < as_of)).to_numpy(bool)
    return out


def _features(inputs: RunInputs, at: datetime, sends: pd.DataFrame) -> pd.DataFrame:
    """Customers' attributes and behaviour strictly before ``at``: order features (with
    orders), and the campaigns they were sent and responded to before it."""
    import pandas as pd

    from crmine.features import customer_attributes, known_customer_features

    customers = inputs.table("customers") if "customers" in inputs.available else None
    if "orders" in inputs.available:
        frame = known_customer_features(inputs.table("orders"), at, customers).execute()
    elif customers is not None:
        frame = customer_attributes(customers).execute()
    else:  # sends alone: the customers are those ever sent to, known by their history only
        frame = pd.DataFrame({"customer_id": sends["customer_id"].unique()})
    frame = _dates_as_days(frame, at)
    earlier = sends[sends["sent_ts"] < at]
    answered = earlier["_responded"] & (
        earlier["responded_ts"].isna() | (earlier["responded_ts"] < at)
        if "responded_ts" in earlier else True
    )  # fmt: skip
    history = earlier.assign(_answered=answered).groupby("customer_id").agg(
        campaigns_sent_before=("campaign_id", "nunique"),
        campaign_responses_before=("_answered", "sum"),
    )
    frame = frame.merge(history, left_on="customer_id", right_index=True, how="left")
    for col in ("campaigns_sent_before", "campaign_responses_before"):
        frame[col] = frame[col].fillna(0).astype(float)
    return frame.sort_values("customer_id", kind="stable", ignore_index=True)


def _dates_as_days(frame: pd.DataFrame, at: datetime) -> pd.DataFrame:
    """Date and time columns as days before ``at``: a send date's features and today's then
    mean the same thing ("signed up 300 days before the contact")."""
    import pandas as pd

    out = frame.copy()
    for col in frame.columns:
        s = frame[col]
        if col == "customer_id" or not (pd.api.types.is_datetime64_any_dtype(s)
                                        or s.map(type).astype(str).str.contains("date").any()):
            continue
        when = pd.to_datetime(s, errors="coerce")
        out[f"{col}_days_ago"] = (pd.Timestamp(at) - when).dt.total_seconds() / 86_400.0
        out = out.drop(columns=col)
    return out

"""A pilot coupon campaign with a randomised control group and a known effect.

45 days before the end of the window, a text-message coupon is piloted on 70 % of the
customers who had signed up by then; 30 % of the pilot is held out at random (the control
group, 对照组). Whether a customer responds within two weeks has a base chance that rises with
how often they buy (their BG/NBD rate), whatever the contact; the coupon adds
``COUPON_EFFECT`` to it for customers in the United Kingdom only, so the right contact list is
the UK customers, not the frequent buyers a response model would pick. Responders spend
Gamma(2, 80) CNY. The 30 % not in the pilot are the customers to score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CAMPAIGN_ID = "SPRING-COUPON"
COUPON_EFFECT = 0.25
MOVED_COUNTRY = "United Kingdom"
#: the export's headers: a Chinese CRM's campaign report
HEADERS = {"campaign_id": "活动编号", "customer_id": "客户编号", "sent_ts": "发送时间",
           "channel": "渠道", "group": "分组", "responded": "是否响应", "revenue": "金额"}  # fmt: skip


def make_campaign(rng: np.random.Generator, cust: pd.DataFrame, end_ts: pd.Timestamp,
                  start_ts: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """(truth, raw export): one row per piloted customer; truth adds the base chance and the
    true uplift of each."""
    sent = (end_ts - pd.Timedelta(days=45)).normalize() + pd.Timedelta(hours=10)
    sent_min = (sent - start_ts) / pd.Timedelta(minutes=1)
    signed_up = cust["signup_min"].to_numpy() < sent_min
    n = len(cust)
    piloted = signed_up & (rng.random(n) < 0.7)
    control = rng.random(n) < 0.3
    rate = np.log(cust["lam"].to_numpy())
    base = 1 / (1 + np.exp(-(-1.5 + 1.2 * (rate - rate.mean()) / rate.std())))
    uplift = np.where(cust["country"].to_numpy() == MOVED_COUNTRY, COUPON_EFFECT, 0.0)
    responded = rng.random(n) < base + uplift * ~control
    spend = np.where(responded, rng.gamma(2.0, 80.0, n).round(2), 0.0)
    truth = pd.DataFrame({
        "campaign_id": CAMPAIGN_ID, "customer_id": cust["customer_id"], "sent_ts": sent,
        "group": np.where(control, "control", "treatment"), "responded": responded,
        "revenue": spend, "base_p": base, "uplift": uplift,
    })[piloted].reset_index(drop=True)  # fmt: skip
    raw = pd.DataFrame({
        HEADERS["campaign_id"]: CAMPAIGN_ID,
        HEADERS["customer_id"]: truth["customer_id"].astype(str),
        HEADERS["sent_ts"]: sent.strftime("%Y-%m-%d %H:%M"),
        HEADERS["channel"]: "短信",
        HEADERS["group"]: np.where(truth["group"] == "control", "对照组", "实验组"),
        HEADERS["responded"]: np.where(truth["responded"], "是", "否"),
        HEADERS["revenue"]: [f"{v:.2f}" for v in truth["revenue"]],
    })  # fmt: skip
    return truth, raw


__all__ = ["CAMPAIGN_ID", "COUPON_EFFECT", "MOVED_COUNTRY", "make_campaign"]

"""The voice of the customer: feedback (NPS, ratings, reviews) and service interactions.

Both follow the customer's hidden satisfaction, which is correlated with their drop-out
probability, so unhappy customers give lower scores, contact support more, and churn sooner.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmine.demo import _vocab as V
from crmine.demo._params import DemoParams

LABELS = np.array(["negative", "neutral", "positive"])
KINDS = np.array(["review", "rating", "nps"])
CHANNELS = np.array(["phone", "email", "chat", "ticket"])
MIN_PER_DAY = 1440


def _inverse_cdf(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One category per row of a (rows × k) weight matrix."""
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((rng.random((len(weights), 1)) > cum).sum(axis=1), weights.shape[1] - 1)


def _texts(rng: np.random.Generator, lang: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Two phrases of the true sentiment, in the given language."""
    out = np.empty(len(lang), dtype=object)
    for lg in ("zh", "en"):
        sep, end = ("，", "。") if lg == "zh" else (", ", ".")
        for lb in LABELS:
            m = (lang == lg) & (label == lb)
            k = int(m.sum())
            pool = np.array(V.REVIEW_PHRASES[(lg, lb)])
            i = rng.integers(len(pool), size=k)
            j = (i + rng.integers(1, len(pool), size=k)) % len(pool)  # a different phrase
            bang = np.where(rng.random(k) < 0.3, "！" if lg == "zh" else "!", end)
            second = pd.Series(pool[j])
            if lg == "en":
                second = second.str[0].str.lower() + second.str[1:]
            out[m] = (pd.Series(pool[i]) + sep + second + bang).to_numpy()
    return out


def make_feedback(
    rng: np.random.Generator, cust: pd.DataFrame, orders: pd.DataFrame,
    end_ts: pd.Timestamp, params: DemoParams,
) -> pd.DataFrame:
    """Feedback after ``feedback_per_order`` of the customers' orders, 1-14 days later.

    Experience = satisfaction + N(0, 0.7) - 0.8 if the order had a return; the true label is
    negative below -0.6, positive above 0.4. Scores: NPS 0-6 / 7-8 / 9-10, ratings 1-2 / 3 /
    4-5. Reviews always carry text; ratings 30% and NPS answers 40% of the time. The text's
    language is the customer's name language 85% of the time.
    """
    o = orders[(orders["source"] != "guest") & ~orders["is_return"]]
    o = o[o["line_no"].to_numpy() == 0]  # one row per order
    heads = o[["order_id", "customer_id", "raw_customer_id", "order_ts"]]
    returned = orders.loc[orders["is_return"], "order_id"].str[1:].unique()
    heads = heads[rng.random(len(heads)) < params.feedback_per_order]
    ts = heads["order_ts"] + pd.to_timedelta(rng.integers(MIN_PER_DAY, 14 * MIN_PER_DAY,
                                                          len(heads)), unit="min")
    heads = heads.assign(ts=ts)[ts < end_ts].reset_index(drop=True)
    n = len(heads)
    info = cust.iloc[heads["customer_id"].str[2:].astype(np.int64).to_numpy() - 1]
    exp_ = (info["satisfaction"].to_numpy() + rng.normal(0, 0.7, n)
            - 0.8 * heads["order_id"].isin(returned).to_numpy())
    label_i = np.where(exp_ < -0.6, 0, np.where(exp_ > 0.4, 2, 1))
    kind = KINDS[_inverse_cdf(rng, np.tile([0.5, 0.25, 0.25], (n, 1)))]
    nps = np.select([label_i == 0, label_i == 1],
                    [rng.integers(0, 7, n), rng.integers(7, 9, n)], rng.integers(9, 11, n))
    stars = np.select([label_i == 0, label_i == 1],
                      [rng.integers(1, 3, n), np.full(n, 3)], rng.integers(4, 6, n))
    score = np.where(kind == "nps", nps, stars).astype(float)
    name_lang = info["name_lang"].to_numpy()
    lang = np.where(rng.random(n) < 0.85, name_lang, np.where(name_lang == "zh", "en", "zh"))
    label = LABELS[label_i]
    has_text = (kind == "review") | (rng.random(n) < np.where(kind == "rating", 0.3, 0.4))
    text = np.where(has_text, _texts(rng, lang, label), None)
    fb = heads.assign(kind=kind, score=score, text=text, language=np.where(has_text, lang, None),
                      label=label).sort_values(["ts", "order_id"], kind="stable")
    fb.insert(0, "feedback_id", "FB" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(6)
              .to_numpy())
    return fb[["feedback_id", "customer_id", "raw_customer_id", "order_id", "ts", "kind",
               "score", "text", "language", "label"]].reset_index(drop=True)


def make_interactions(
    rng: np.random.Generator, cust: pd.DataFrame, start: pd.Timestamp, n_days: int,
    dropout_min: np.ndarray, params: DemoParams,
) -> pd.DataFrame:
    """Service contacts over each customer's life (signup to drop-out or the end).

    Rate = ``interactions_per_year`` × exp(-0.5 × satisfaction). Half of the unhappy customers
    who drop out complain in the 30 days before they go. Unhappy customers raise complaints and
    refunds three times as often, and get their issue resolved less often
    (P(resolved) = logistic(1 + 0.8 × satisfaction)).
    """
    n = len(cust)
    sat = cust["satisfaction"].to_numpy()
    lo = cust["signup_min"].to_numpy().astype(float)
    hi = np.where(np.isnan(dropout_min), n_days * MIN_PER_DAY, dropout_min)
    life_days = np.maximum(hi - lo, 0) / MIN_PER_DAY
    count = rng.poisson(params.interactions_per_year / 365 * life_days * np.exp(-0.5 * sat))
    owner = np.repeat(np.arange(n), count)
    when = lo[owner] + rng.random(len(owner)) * (hi[owner] - lo[owner])
    leaving = np.flatnonzero(~np.isnan(dropout_min) & (sat < 0) & (rng.random(n) < 0.5))
    last = dropout_min[leaving] - rng.integers(0, 30 * MIN_PER_DAY, len(leaving))
    owner = np.concatenate([owner, leaving])
    when = np.concatenate([when, np.maximum(last, lo[leaving])]).astype(np.int64)
    m = len(owner)

    topic_names = np.array([t[0] for t in V.TOPICS])
    w = np.tile([0.3, 0.12, 0.25, 0.1, 0.08, 0.15], (m, 1))
    unhappy = sat[owner] < -0.5
    for t in ("complaint", "refund"):
        w[unhappy, list(topic_names).index(t)] *= 3
    topic_i = _inverse_cdf(rng, w)
    topic_i[len(owner) - len(leaving):] = list(topic_names).index("complaint")
    channel = CHANNELS[_inverse_cdf(rng, np.tile([0.3, 0.2, 0.3, 0.2], (m, 1)))]
    direction = np.where(rng.random(m) < 0.9, "inbound", "outbound")
    dur = np.select(
        [channel == "phone", channel == "chat"],
        [rng.lognormal(np.log(240), 0.6, m), rng.lognormal(np.log(480), 0.5, m)],
        np.nan,
    )
    p_res = 1 / (1 + np.exp(-(1 + 0.8 * sat[owner] - (topic_names[topic_i] == "complaint"))))
    zh = cust["name_lang"].to_numpy()[owner] == "zh"
    text = np.where(zh, np.array([t[1] for t in V.TOPICS])[topic_i],
                    np.array([t[2] for t in V.TOPICS])[topic_i])
    out = pd.DataFrame({
        "customer_id": cust["customer_id"].to_numpy()[owner],
        "ts": start + pd.to_timedelta(when, unit="min"),
        "channel": channel,
        "direction": direction,
        "topic": topic_names[topic_i],
        "text": text,
        "duration_s": np.round(dur),
        "resolved": rng.random(m) < p_res,
        "_owner": owner,
    })
    out = out[out["ts"] < start + pd.Timedelta(days=n_days)]
    return out.sort_values(["ts", "customer_id"], kind="stable").reset_index(drop=True)

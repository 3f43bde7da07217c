"""Customers: who they are (names, places, contacts) and their hidden behaviour (λ, p, mood)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmine.demo import _vocab as V
from crmine.demo._params import DemoParams

COUNTRY_SHARES = {"China": 0.55, "United Kingdom": 0.27, "United States": 0.18}
CHINESE_NAME_SHARE = {"China": 0.85, "United Kingdom": 0.12, "United States": 0.12}


def _pick(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _unique_numbers(rng: np.random.Generator, n: int, modulus: int) -> np.ndarray:
    """n distinct numbers in [0, modulus): an affine bijection of 0..n-1, no collisions."""
    mult = 7_919_111  # odd and not a multiple of 5: coprime with every power of ten
    offset = int(rng.integers(modulus))
    return (np.arange(n, dtype=np.int64) * mult + offset) % modulus


def _names(rng: np.random.Generator, chinese: np.ndarray, male: np.ndarray) -> tuple:
    """Full names and the e-mail local part stem (pinyin or english)."""
    n = len(chinese)
    sur = rng.integers(len(V.CN_SURNAMES), size=n)
    g1 = rng.integers(len(V.CN_GIVEN), size=n)
    g2 = rng.integers(len(V.CN_GIVEN), size=n)
    two = rng.random(n) < 0.7
    sur_zh, sur_py = (np.array(x) for x in zip(*V.CN_SURNAMES, strict=True))
    giv_zh, giv_py = (np.array(x) for x in zip(*V.CN_GIVEN, strict=True))
    zh_name = pd.Series(sur_zh[sur]) + giv_zh[g1] + np.where(two, giv_zh[g2], "")
    zh_stem = pd.Series(giv_py[g1]) + np.where(two, giv_py[g2], "") + "." + sur_py[sur]

    first_m, first_f, last = (np.array(x) for x in (V.EN_FIRST_M, V.EN_FIRST_F, V.EN_LAST))
    fm = first_m[rng.integers(len(first_m), size=n)]
    ff = first_f[rng.integers(len(first_f), size=n)]
    first = np.where(male, fm, ff)
    ln = last[rng.integers(len(last), size=n)]
    en_name = pd.Series(first) + " " + ln
    en_stem = (pd.Series(first) + "." + ln).str.lower()
    return np.where(chinese, zh_name, en_name), np.where(chinese, zh_stem, en_stem)


def make_customers(
    n: int, rng: np.random.Generator, n_days: int, start: pd.Timestamp, params: DemoParams
) -> pd.DataFrame:
    """One row per real person, with canonical clean values and the latent behaviour.

    ``signup_t`` is in days since ``start``. λ ~ Gamma(r, rate α), p ~ Beta(a, b); the
    satisfaction score is N(0, 1) with correlation ``satisfaction_rho`` to -logit(p), and the
    acquisition channel leans towards "referral" for loyal customers (low p).
    """
    countries = np.array(list(COUNTRY_SHARES))
    country = countries[_pick(rng, n, np.array(list(COUNTRY_SHARES.values())))]
    chinese = rng.random(n) < pd.Series(country).map(CHINESE_NAME_SHARE).to_numpy()
    male = rng.random(n) < 0.5

    city = np.empty(n, dtype=object)
    region = np.empty(n, dtype=object)
    area = np.full(n, "", dtype=object)
    for name, places in (("China", V.CN_PLACES), ("United Kingdom", V.UK_PLACES),
                         ("United States", V.US_PLACES)):
        m = country == name
        k = _pick(rng, int(m.sum()), np.array([p[2] for p in places]))
        city[m] = np.array([p[0] for p in places])[k]
        region[m] = np.array([p[1] for p in places])[k]
        if name == "United States":
            area[m] = np.array([p[3] for p in places])[k]

    name, stem = _names(rng, chinese, male)
    # Distinct people should not share name + city, so that a name + city match means a
    # duplicate; a few redraws remove the clashes (the name space is large enough).
    for _ in range(20):
        clash = pd.DataFrame({"n": name, "c": city}).duplicated().to_numpy()
        if not clash.any():
            break
        new_name, new_stem = _names(rng, chinese[clash], male[clash])
        name[clash], stem[clash] = new_name, new_stem

    # E-mail: stem + a number unique per person, at a domain usual in the country.
    number = _unique_numbers(rng, n, 10**6) % 10**6
    domain = np.empty(n, dtype=object)
    for c, doms in V.EMAIL_DOMAINS.items():
        m = country == c
        domain[m] = np.array(doms)[rng.integers(len(doms), size=int(m.sum()))]
    email = pd.Series(stem) + pd.Series(number).astype(str) + "@" + domain

    phone, phone_kind = _phones(rng, country, area)

    signup_t = np.where(
        rng.random(n) < params.early_signup_share,
        rng.uniform(0, 30, n),
        rng.uniform(0, params.signup_span * n_days, n),
    )
    age = np.clip(rng.normal(36, 11, n), 18, 75)
    birth = (start - pd.to_timedelta(np.round(age * 365.25), unit="D")).normalize()

    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    logit = np.log(p / (1 - p))
    z = (logit - logit.mean()) / (logit.std() or 1.0)
    rho = params.satisfaction_rho
    satisfaction = -rho * z + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    # Loyal customers (low p) come more often through referrals.
    loyal = np.clip(-z, -2, 2)
    ch_w = np.ones((n, len(V.ACQUISITION_CHANNELS)))
    ch_w[:, V.ACQUISITION_CHANNELS.index("referral")] = np.exp(0.6 * loyal)
    ch_w[:, V.ACQUISITION_CHANNELS.index("store")] = np.exp(0.3 * loyal)
    cum = np.cumsum(ch_w / ch_w.sum(axis=1, keepdims=True), axis=1)
    channel = np.array(V.ACQUISITION_CHANNELS)[(rng.random((n, 1)) > cum).sum(axis=1)]

    return pd.DataFrame({
        "idx": np.arange(n),
        "customer_id": "KH" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(6),
        "name": name,
        "name_lang": np.where(chinese, "zh", "en"),
        "gender": np.where(male, "M", "F"),
        "birth_date": birth,
        "city": city,
        "region": region,
        "country": country,
        "phone": phone,
        "phone_kind": phone_kind,
        "email": email,
        "signup_t": signup_t,
        "channel": channel,
        "lam": lam,
        "p": p,
        "satisfaction": satisfaction,
        "never_buy": rng.random(n) < params.never_buy_share,
    })


def _phones(rng: np.random.Generator, country: np.ndarray, area: np.ndarray) -> tuple:
    """E.164 phone numbers, distinct per person, and their kind (for formatting later)."""
    n = len(country)
    digits = pd.Series(_unique_numbers(rng, n, 10**8)).astype(str).str.zfill(8)
    cn_pre = np.array(V.CN_MOBILE_PREFIXES)[rng.integers(len(V.CN_MOBILE_PREFIXES), size=n)]
    uk_pre = np.array(V.UK_MOBILE_PREFIXES)[rng.integers(len(V.UK_MOBILE_PREFIXES), size=n)]
    uk_mobile = rng.random(n) < 0.6
    us_exchange = pd.Series(rng.integers(2, 10, n)).astype(str) + digits.str[:2]
    us_exchange = us_exchange.where(us_exchange.str[1:] != "55", us_exchange.str[0] + "56")
    london_first = np.array(["3", "7", "8"])[rng.integers(3, size=n)]
    phone = np.select(
        [country == "China", (country == "United Kingdom") & uk_mobile,
         country == "United Kingdom"],
        [
            "+86" + cn_pre + digits,
            "+447" + uk_pre + digits.str[1:],
            "+4420" + london_first + digits.str[1:],
        ],
        default="+1" + area + us_exchange + digits.str[4:],
    )
    kind = np.select(
        [country == "China", (country == "United Kingdom") & uk_mobile,
         country == "United Kingdom"],
        ["cn_mobile", "uk_mobile", "uk_london"],
        default="us",
    )
    return phone, kind

"""Duplicate customers: the same person entered twice under a second id."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmine.demo import _vocab as V

MATCHES = np.array(["email", "phone", "name_city", "name_city_typo"])
MATCH_SHARES = (0.35, 0.35, 0.15, 0.15)
MIN_PER_DAY = 1440


def _typo(rng: np.random.Generator, name: np.ndarray, lang: np.ndarray) -> np.ndarray:
    """One edit: a Chinese name's last character changes; an English name loses one letter."""
    out = name.astype(object).copy()
    zh = lang == "zh"
    if zh.any():
        s = pd.Series(name[zh]).astype(str)
        given = np.array([g for g, _ in V.CN_GIVEN])
        last = s.str[-1].to_numpy()
        pick = rng.integers(len(given), size=len(s))
        new = np.where(given[pick] == last, given[(pick + 1) % len(given)], given[pick])
        out[zh] = (s.str[:-1] + new).to_numpy()
    en = np.flatnonzero(~zh)
    if len(en):
        s = pd.Series(name[en]).astype(str)
        space = s.str.find(" ").to_numpy()
        length = s.str.len().to_numpy()
        # Drop a letter of the surname, never its first one.
        cut = space + 2 + (rng.random(len(s)) * np.maximum(length - space - 2, 1)).astype(int)
        cut = np.minimum(cut, length - 1)
        res = s.to_numpy(dtype=object).copy()
        for c in np.unique(cut):  # one pass per cut position (names are short)
            m = cut == c
            res[m] = (s[m].str[:c] + s[m].str[c + 1:]).to_numpy()
        out[en] = res
    return out


def make_duplicates(
    rng: np.random.Generator, cust: pd.DataFrame, share: float, n_days: int
) -> pd.DataFrame:
    """Second records for ``share`` of the buyers, matched by e-mail, phone or name + city.

    The duplicate signs up 30-300 days after the original (and before the window ends). An
    e-mail duplicate repeats the e-mail (case may differ) without a phone; a phone duplicate
    repeats the phone (spelled differently) without an e-mail; a name + city duplicate has
    neither, and its name is the same up to case and spaces, or one edit away.
    Returns one row per duplicate: kept_idx, kept_id, duplicate_id, match, signup_min, name.
    """
    n = len(cust)
    buyers = np.flatnonzero(~cust["never_buy"].to_numpy())
    k = min(round(share * n), len(buyers))
    kept = np.sort(rng.choice(buyers, size=k, replace=False))
    match = MATCHES[rng.choice(len(MATCHES), size=k, p=MATCH_SHARES)]
    signup = cust["signup_min"].to_numpy()[kept] + rng.integers(30, 301, k) * MIN_PER_DAY
    latest = (n_days - 1) * MIN_PER_DAY
    signup = np.minimum(signup, latest)
    name = cust["name"].to_numpy()[kept].astype(object)
    lang = cust["name_lang"].to_numpy()[kept]
    typo = match == "name_city_typo"
    name[typo] = _typo(rng, name[typo], lang[typo])
    # A typo must not land on another person's name in the same city.
    taken = pd.MultiIndex.from_arrays([cust["name"], cust["city"]])
    clash = pd.MultiIndex.from_arrays([name, cust["city"].to_numpy()[kept]]).isin(taken) & typo
    name[clash] = cust["name"].to_numpy()[kept][clash]
    match[clash] = "name_city"
    ids = "KH" + pd.Series(np.arange(n + 1, n + k + 1)).astype(str).str.zfill(6)
    return pd.DataFrame({
        "kept_idx": kept,
        "kept_id": cust["customer_id"].to_numpy()[kept],
        "duplicate_id": ids.to_numpy(),
        "match": match,
        "signup_min": signup,
        "name": name,
    })


def reassign(
    rng: np.random.Generator, owner_idx: np.ndarray, minutes: np.ndarray, dups: pd.DataFrame,
    n: int, share: float = 0.6,
) -> np.ndarray:
    """Which events go under the duplicate id: ``share`` of those after it signed up.

    Returns the duplicate row index per event, or -1 to keep the original id.
    """
    dup_of = np.full(n + 1, -1)
    dup_of[dups["kept_idx"].to_numpy()] = np.arange(len(dups))
    d = dup_of[np.where(owner_idx >= 0, owner_idx, n)]
    signup = np.append(dups["signup_min"].to_numpy(), 0)[d]
    move = (d >= 0) & (minutes >= signup) & (rng.random(len(owner_idx)) < share)
    return np.where(move, d, -1)

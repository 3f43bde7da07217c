"""Injection of bad rows and exact duplicate rows into a raw export, recording where they went."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmine.demo._types import EXACT_DUPLICATE, NON_NUMERIC, UNPARSEABLE_DATE

BAD_DATES = ("not a date", "2024-13-45 10:00:00", "#######", "31/02/2024 10:00",
             "0000-00-00 00:00:00")
BAD_NUMBERS = ("two", "1O", "3 pcs?", "#VALUE!", "x")
REASONS = {"date": UNPARSEABLE_DATE, "number": NON_NUMERIC}


def inject(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    entity: str,
    key: str,
    corruptible: dict[str, str],
    n_bad: int,
    n_dup: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Insert corrupted copies and exact copies right after randomly chosen rows.

    ``corruptible`` maps a column to "date" or "number": each bad row is a copy of a real row
    with one of those columns replaced by an unparseable value. Returns the new frame and its
    issues (entity, row, key, issue, quarantine) with rows as positions in the new frame.
    """
    n = len(frame)
    if n == 0 or (n_bad == 0 and n_dup == 0):
        return frame.reset_index(drop=True), _issues([], [], [], entity)
    n_bad, n_dup = min(n_bad, n), min(n_dup, n)
    bad_src = rng.choice(n, size=n_bad, replace=False)
    dup_src = rng.choice(n, size=n_dup, replace=False)
    cols = list(corruptible)
    which = rng.integers(len(cols), size=n_bad) if cols else np.zeros(n_bad, int)

    # One take per column: every final row is a copy of some source row.
    order_key = np.concatenate([np.arange(n, dtype=float), bad_src + 0.25, dup_src + 0.5])
    source = np.concatenate([np.arange(n), bad_src, dup_src])
    tag = np.concatenate([np.zeros(n, int), np.ones(n_bad, int), np.full(n_dup, 2)])
    perm = np.argsort(order_key, kind="stable")
    out = frame.take(source[perm]).reset_index(drop=True)
    tag = tag[perm]
    pos_bad, pos_dup = np.flatnonzero(tag == 1), np.flatnonzero(tag == 2)
    # Bad rows appear in the order of their sources; their draws follow them there.
    which = which[np.argsort(bad_src, kind="stable")]
    reasons = np.empty(n_bad, dtype=object)
    for ci, col in enumerate(cols):
        m = which == ci
        pool = BAD_DATES if corruptible[col] == "date" else BAD_NUMBERS
        values = out[col].to_numpy(dtype=object)
        values[pos_bad[m]] = np.array(pool)[rng.integers(len(pool), size=int(m.sum()))]
        out[col] = pd.array(values, dtype="str")
        reasons[m] = REASONS[corruptible[col]]
    rows = np.concatenate([pos_bad, pos_dup])
    return out, _issues(
        rows,
        np.concatenate([reasons, np.full(n_dup, EXACT_DUPLICATE, dtype=object)]),
        out[key].to_numpy(dtype=object)[rows],
        entity,
    )


def _issues(rows, reasons, keys, entity: str, quarantine: bool = True) -> pd.DataFrame:
    return pd.DataFrame({
        "entity": entity,
        "row": np.asarray(rows, dtype=np.int64),
        "key": np.asarray(keys, dtype=object),
        "issue": np.asarray(reasons, dtype=object),
        "quarantine": quarantine,
    })


def flag_rows(rows: np.ndarray, keys: np.ndarray, entity: str, issue: str) -> pd.DataFrame:
    """Issues for rows that are loaded, not quarantined (e.g. a line without a customer)."""
    return _issues(rows, np.full(len(rows), issue, dtype=object), keys, entity, quarantine=False)

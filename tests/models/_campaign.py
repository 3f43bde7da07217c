"""A synthetic randomised campaign with known ground truth, shared by the campaign tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENTS = np.array(["north", "south", "east", "west"])
MOVED = "south"  # the only segment the contact moves
EFFECT = 0.25


def campaign(n: int, seed: int, *, control: bool = True) -> dict:
    """Customers of four regions; response rises with ``spend`` whatever the contact, and the
    contact adds EFFECT to the response rate in the ``south`` only, whose customers spend less. Half are held out (when
    ``control``), at random."""
    rng = np.random.default_rng(seed)
    region = SEGMENTS[rng.integers(0, 4, n)]
    # the moved customers spend less: a response model, which ranks big spenders first,
    # looks in the wrong place
    spend = rng.gamma(2.0, np.where(region == MOVED, 25.0, 60.0))
    visits = rng.poisson(3, n).astype(float)
    base = 1 / (1 + np.exp(-(-2.2 + 0.012 * spend)))
    treated = rng.random(n) < 0.5 if control else np.ones(n, bool)
    effect = np.where(region == MOVED, EFFECT, 0.0)
    p = np.clip(base + effect * treated, 0, 1)
    y = rng.random(n) < p
    X = pd.DataFrame({"region": region, "spend": spend, "visits": visits})
    return {"X": X, "y": y, "t": treated, "p": p, "effect": effect, "base": base,
            "id": np.arange(n)}  # fmt: skip


def shuffle(d: dict, rng: np.random.Generator) -> dict:
    p = rng.permutation(len(d["X"]))
    return {k: (v.iloc[p] if isinstance(v, pd.DataFrame) else v[p]) for k, v in d.items()}

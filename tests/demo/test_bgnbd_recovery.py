"""Purchases really follow BG/NBD: a reference fitter recovers the generating parameters."""

from __future__ import annotations

import pandas as pd
import pytest

from crmine.demo import DemoParams, generate


def test_lifetimes_recovers_r_alpha_a_b():
    lifetimes = pytest.importorskip("lifetimes")
    # Without seasonality or consumable re-buys the process is plain BG/NBD.
    params = DemoParams(peak_factor=1.0, cycle_share=0.0, never_buy_share=0.0)
    t = generate(4000, seed=2, params=params, dirty=False).truth
    o = t.orders[(t.orders["source"] == "bgnbd") & (t.orders["line_no"] == 0)]
    ts = o.groupby("customer_id")["order_ts"]
    first, last, n = ts.min(), ts.max(), ts.size()
    day = pd.Timedelta(days=1)
    fit = lifetimes.BetaGeoFitter().fit(n - 1, (last - first) / day,
                                        (pd.Timestamp(t.end) - first) / day)
    got = fit.params_
    for name, tol in (("r", 0.2), ("alpha", 0.2), ("a", 0.35), ("b", 0.35)):
        true = getattr(params, name)
        assert abs(got[name] - true) / true < tol, (name, got[name], true)

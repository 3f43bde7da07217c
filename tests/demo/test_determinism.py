"""Same seed, same data; another seed, other data."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from crmine.demo import DemoError, generate
from crmine.errors import CrmineError


def _frames(data):
    out = dict(data.frames())
    for f in dataclasses.fields(data.truth):
        value = getattr(data.truth, f.name)
        if isinstance(value, pd.DataFrame):
            out[f"truth.{f.name}"] = value
    return out


def test_same_seed_gives_identical_frames():
    a, b = generate(150, seed=3), generate(150, seed=3)
    fa, fb = _frames(a), _frames(b)
    assert fa.keys() == fb.keys()
    for name in fa:
        pd.testing.assert_frame_equal(fa[name], fb[name], obj=name)


def test_other_seed_gives_other_data():
    a, b = generate(150, seed=3), generate(150, seed=4)
    assert not a.orders.equals(b.orders)
    assert not a.customers.equals(b.customers)
    assert not a.truth.customers["lam"].equals(b.truth.customers["lam"])


@pytest.mark.parametrize("kwargs", [{"n_customers": 0}, {"n_customers": 10, "months": 0}])
def test_impossible_requests_are_user_errors(kwargs):
    with pytest.raises(DemoError) as err:
        generate(**kwargs)
    assert isinstance(err.value, CrmineError)
    assert "\n" not in str(err.value)

"""Small generated data sets shared by the demo tests (generated once per session)."""

from __future__ import annotations

import pytest

from crmine.demo import generate


@pytest.fixture(scope="session")
def dirty():
    return generate(600, seed=11)


@pytest.fixture(scope="session")
def clean():
    return generate(300, seed=5, dirty=False)

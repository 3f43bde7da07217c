"""Uplift metrics against hand-computed examples and their invariances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from crmine.evaluation import uplift as U

# six customers, best score first: (y, treated)
Y = np.array([1, 0, 1, 0, 1, 0])
T = np.array([1, 1, 0, 0, 1, 0])
S = np.array([6, 5, 4, 3, 2, 1], float)


def test_qini_curve_by_hand():
    # cumulative: N_t 1,2,2,2,3,3; N_c 0,0,1,2,2,3; Y_t 1,1,1,1,2,2; Y_c 0,0,1,1,1,1
    x, v = U.qini_curve(Y, T, S)
    np.testing.assert_allclose(x, np.arange(7) / 6)
    np.testing.assert_allclose(v * 6, [0, 1, 1, -1, 0, 0.5, 1])


def test_qini_coefficient_by_hand():
    # trapezoids of v*6: .5 + 1 + 0 - .5 + .25 + .75 = 2 → 2/36; random: (1/6)/2
    assert U.qini_coefficient(Y, T, S) == pytest.approx(2 / 36 - 1 / 12)


def test_uplift_curve_and_auuc_by_hand():
    _x, v = U.uplift_curve(Y, T, S)
    # rate_t - rate_c, times rows: 1·1, .5·2, (.5-1)·3, (.5-.5)·4, (2/3-.5)·5, (2/3-1/3)·6
    expected = [0, 1, 1, -1.5, 0, 5 / 6, 2]
    np.testing.assert_allclose(v * 6, expected)
    area = sum((a + b) / 2 for a, b in itertools.pairwise(expected)) / 36
    assert U.auuc(Y, T, S) == pytest.approx(area - (2 / 6) / 2)


def test_uplift_at_k_by_hand():
    # top half: treated rows (1, 0) → 0.5, control row (1) → 1
    assert U.uplift_at_k(Y, T, S, 0.5) == pytest.approx(-0.5)
    # everyone: 2/3 - 1/3
    assert U.uplift_at_k(Y, T, S, 1.0) == pytest.approx(1 / 3)
    assert np.isnan(U.uplift_at_k(Y, T, S, 1 / 6))  # no control at the top


def test_ties_are_one_block_and_a_constant_score_is_random():
    rng = np.random.default_rng(0)
    y, t = rng.random(500) < 0.3, rng.random(500) < 0.5
    flat = np.zeros(500)
    assert U.qini_coefficient(y, t, flat) == pytest.approx(0, abs=1e-12)
    assert U.auuc(y, t, flat) == pytest.approx(0, abs=1e-12)
    assert U.uplift_at_k(y, t, flat, 0.3) == pytest.approx(U.uplift_at_k(y, t, flat, 1.0))
    perm = rng.permutation(500)
    s = rng.integers(0, 5, 500).astype(float)
    assert U.qini_coefficient(y, t, s) == pytest.approx(U.qini_coefficient(y[perm], t[perm], s[perm]))


def test_a_ranking_by_the_true_effect_beats_random_and_its_reverse_loses():
    rng = np.random.default_rng(1)
    n = 20_000
    effect = rng.uniform(-0.1, 0.3, n)
    t = rng.random(n) < 0.5
    y = rng.random(n) < 0.2 + effect * t
    good = U.qini_coefficient(y, t, effect)
    assert good > 0.01 and U.qini_coefficient(y, t, -effect) < 0
    assert U.auuc(y, t, effect) > 0
    lo, hi = U.bootstrap_interval(U.qini_coefficient, y, t, effect, n_boot=50)
    assert lo < good < hi and lo > 0
    assert U.uplift_at_k(y, t, effect, 0.3) > U.uplift_at_k(y, t, effect, 1.0)


def test_the_paired_difference_separates_a_better_ranking_from_noise():
    rng = np.random.default_rng(2)
    n = 20_000
    effect = rng.uniform(-0.1, 0.3, n)
    t = rng.random(n) < 0.5
    y = rng.random(n) < 0.2 + effect * t
    noisy = effect + rng.normal(0, 0.3, n)
    lo, hi = U.bootstrap_difference(U.qini_coefficient, y, t, effect, noisy, n_boot=50)
    assert lo > 0
    lo, hi = U.bootstrap_difference(U.qini_coefficient, y, t, effect, effect, n_boot=20)
    assert lo == hi == 0

"""Numerical kernels for BG/NBD and Gamma-Gamma: clean float arrays in, arrays out.

Callers (``crmine.models.btyd``) validate inputs; nothing here checks shapes or signs.
Everything is in log space so that customers with hundreds of purchases and long
histories neither overflow nor underflow. The maths is documented in ``btyd``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1


def bgnbd_loglik(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer BG/NBD log-likelihood and its gradient w.r.t. (r, alpha, a, b).

    Returns ``(ll, grad)`` with ``ll.shape == x.shape`` and ``grad.shape == (4, len(x))``.
    """
    r, alpha, a, b = params
    repeat = x > 0
    xm1 = np.where(repeat, x - 1.0, 0.0)  # keeps b + x - 1 > 0 where the term is unused
    log_at = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    term1 = betaln(a, b + x) - (r + x) * log_at
    term2 = np.where(repeat, betaln(a + 1.0, b + xm1) - (r + x) * log_atx, -np.inf)
    lse = np.logaddexp(term1, term2)
    ll = base + lse
    w1 = np.exp(term1 - lse)  # posterior weight of "still alive at T"
    w2 = 1.0 - w1
    psi_abx = digamma(a + b + x)
    psi_ab = digamma(a + b)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w1 * log_at - w2 * log_atx
    d_alpha = r / alpha - (r + x) * (w1 / (alpha + T) + w2 / (alpha + t_x))
    d_a = (
        w1 * (digamma(a) - psi_abx)
        + w2 * (digamma(a + 1.0) - psi_abx)
        - (digamma(a) - psi_ab)
    )
    d_b = (
        w1 * (digamma(b + x) - psi_abx)
        + w2 * (digamma(b + xm1) - psi_abx)
        - (digamma(b) - psi_ab)
    )
    return ll, np.stack([d_r, d_alpha, d_a, d_b])


class BgnbdLikelihood:
    """Weighted total BG/NBD log-likelihood and gradient, fast for repeated evaluation.

    Special functions depend on x only and the logs on T or t_x only, so they are computed
    on the (few) distinct values and gathered; per row only a log-sum-exp remains.
    Identical to ``bgnbd_loglik(...)`` weighted and summed (tested).
    """

    def __init__(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray) -> None:
        self.xs, self.ix = np.unique(x, return_inverse=True)
        self.ts, self.itx = np.unique(t_x, return_inverse=True)
        self.Ts, self.iT = np.unique(T, return_inverse=True)
        self.w = w
        self.w_x = np.bincount(self.ix, weights=w, minlength=len(self.xs))
        self.total = float(w.sum())
        self.rep = self.xs > 0
        self.xm1 = np.where(self.rep, self.xs - 1.0, 0.0)

    def __call__(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = params
        xs, ix, w, w_x = self.xs, self.ix, self.w, self.w_x
        log_at = np.log(alpha + self.Ts)[self.iT]
        log_atx = np.log(alpha + self.ts)[self.itx]
        rx = (r + xs)[ix]
        term1 = betaln(a, b + xs)[ix] - rx * log_at
        term2 = np.where(self.rep, betaln(a + 1.0, b + self.xm1), -np.inf)[ix] - rx * log_atx
        lse = np.logaddexp(term1, term2)
        base = gammaln(r + xs) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
        value = float(w_x @ base + w @ lse)
        w1 = np.exp(term1 - lse)
        ww1, ww2 = w * w1, w * (1.0 - w1)
        psi_abx = digamma(a + b + xs)
        psi_ab = digamma(a + b)
        d_r = (w_x @ (digamma(r + xs) - digamma(r) + np.log(alpha))
               - ww1 @ log_at - ww2 @ log_atx)
        d_alpha = (self.total * r / alpha
                   - (ww1 * rx) @ (1.0 / (alpha + self.Ts))[self.iT]
                   - (ww2 * rx) @ (1.0 / (alpha + self.ts))[self.itx])
        # psi(a+1) - psi(a) = 1/a and psi(b+x) - psi(b+x-1) = 1/(b+x-1)
        d_a = w_x @ (digamma(a) - psi_abx) + ww2.sum() / a - self.total * (digamma(a) - psi_ab)
        d_b = (w_x @ (digamma(b + xs) - psi_abx) - ww2 @ (1.0 / (b + self.xm1))[ix]
               - self.total * (digamma(b) - psi_ab))
        return value, np.array([d_r, d_alpha, d_a, d_b])


def bgnbd_log_alive_odds(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """log of P(dead at T | data) / P(alive at T | data); -inf when x == 0."""
    r, alpha, a, b = params
    repeat = x > 0
    xm1 = np.where(repeat, x - 1.0, 0.0)
    odds = np.log(a) - np.log(b + xm1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(repeat, odds, -np.inf)


def bgnbd_p_alive(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    return expit(-bgnbd_log_alive_odds(params, x, t_x, T))


def bgnbd_expected_if_alive(
    params: np.ndarray, t: np.ndarray, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Expected purchases in (T, T + t] for a customer alive at T with x repeats.

    FHL (2005) eq. 10 without its P(alive) factor:
    ``(a+b+x-1)/(a-1) * [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)]``,
    ``z = t/(α+T+t)``. The Euler transformation
    ``2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)`` turns the bracket into
    ``1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``: the huge 2F1 and the tiny power
    cancel analytically, so no overflow for large x or z close to 1.
    """
    r, alpha, a, b = params
    z = t / (alpha + T + t)
    log1mz = np.log1p(-z)
    c = a + b + x - 1.0
    if abs(a - 1.0) < 1e-8:  # removable singularity a -> 1: limit of the expression
        # d/da [ (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z) ] at a = 1, by the series in (a-1)
        return c * _d_hyp_at_a1(b - r, c, z, log1mz)
    A, B = a + b - 1.0 - r, a - 1.0
    hyp = hyp2f1(A, B, c, z)
    bad = ~np.isfinite(hyp)
    if bad.any():  # scipy gives up for extreme parameters (degenerate fits): sum the series
        hyp[bad] = _hyp2f1_series(A, B, np.broadcast_to(c, z.shape)[bad], z[bad])
    g = np.exp((a - 1.0) * log1mz) * hyp
    return c / (a - 1.0) * (1.0 - g)


def _hyp2f1_series(
    A: float, B: float, c: np.ndarray, z: np.ndarray, n_terms: int = 20_000
) -> np.ndarray:
    """Gauss series Σ (A)_n (B)_n / ((c)_n n!) z^n, summed until the terms vanish."""
    total = np.ones_like(z)
    term = np.ones_like(z)
    for n in range(n_terms):
        term = term * ((A + n) * (B + n) / ((c + n) * (n + 1.0)) * z)
        total = total + term
        if np.all(np.abs(term) <= 1e-16 * np.abs(total)):
            break
    return total


def _d_hyp_at_a1(
    A: float, c: np.ndarray, z: np.ndarray, log1mz: np.ndarray, n_terms: int = 2000
) -> np.ndarray:
    """-(d/de)[(1-z)^e 2F1(A, e; c; z)] at e = 0, i.e. -log(1-z) - Σ (A)_n (n-1)! z^n/((c)_n n!)."""
    total = -log1mz
    term = np.ones_like(z)
    for n in range(1, n_terms + 1):
        term = term * (A + n - 1.0) / (c + n - 1.0) * z
        contrib = term / n
        total = total - contrib
        if np.all(np.abs(contrib) < 1e-16 * np.maximum(np.abs(total), 1e-300)):
            break
    return total


def gamma_gamma_loglik(
    params: np.ndarray, x: np.ndarray, m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend ``m`` over ``x`` purchases.

    Returns ``(ll, grad)``, gradient w.r.t. (p, q, v).
    """
    p, q, v = params
    px = p * x
    log_vxm = np.log(v + x * m)
    ll = (
        gammaln(px + q) - gammaln(px) - gammaln(q)
        + q * np.log(v) + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * log_vxm
    )
    psi_pxq = digamma(px + q)
    d_p = x * (psi_pxq - digamma(px) + np.log(m) + np.log(x) - log_vxm)
    d_q = psi_pxq - digamma(q) + np.log(v) - log_vxm
    d_v = q / v - (px + q) / (v + x * m)
    return ll, np.stack([d_p, d_q, d_v])


class GammaGammaLikelihood:
    """Weighted total Gamma-Gamma log-likelihood and gradient, special functions per distinct x.

    Identical to ``gamma_gamma_loglik(...)`` weighted and summed (tested).
    """

    def __init__(self, x: np.ndarray, m: np.ndarray, w: np.ndarray) -> None:
        self.xs, self.ix = np.unique(x, return_inverse=True)
        self.x, self.m, self.w = x, m, w
        self.w_x = np.bincount(self.ix, weights=w, minlength=len(self.xs))
        self.total = float(w.sum())
        self.wx = w * x
        log_m = np.log(m)
        self.s_xlogm = float(self.wx @ log_m)
        self.s_logm = float(w @ log_m)
        self.s_xlogx = float(self.wx @ np.log(x))

    def __call__(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, v = params
        pxs = p * self.xs
        log_vxm = np.log(v + self.x * self.m)
        value = (self.w_x @ (gammaln(pxs + q) - gammaln(pxs))
                 + self.total * (q * np.log(v) - gammaln(q))
                 + p * (self.s_xlogm + self.s_xlogx) - self.s_logm
                 - (p * self.wx + q * self.w) @ log_vxm)
        psi_pxq = digamma(pxs + q)
        d_p = (self.w_x @ (self.xs * (psi_pxq - digamma(pxs)))
               + self.s_xlogm + self.s_xlogx - self.wx @ log_vxm)
        d_q = self.w_x @ psi_pxq + self.total * (np.log(v) - digamma(q)) - self.w @ log_vxm
        d_v = self.total * q / v - (p * self.wx + q * self.w) @ (1.0 / (v + self.x * self.m))
        return float(value), np.array([d_p, d_q, d_v])

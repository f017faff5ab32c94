"""Closed forms of the synthetic expenditure model: lognormal FGT and the two-piece tilted poor part.

Model (README.md in this folder): per-capita monthly expenditure y of a household around the poverty line
z (GK): with probability P0 the household is poor; v = y / z then lies below the break r = e / z (e = the
calibrating extreme line) with probability q (the "deep" share) and in [r, 1) otherwise, with density
proportional to exp(k v) inside each piece. Non-poor: y ~ LN(mu_u, sigma_u) truncated to y >= z, with
mu_u = ln z - sigma_u * Phi^-1(P0). Everything here is vectorised numpy, no data.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = [
    "bisect_increasing",
    "deep_share_bounds",
    "lognormal_fgt",
    "model_cdf",
    "model_fgt",
    "poor_gap_moments",
    "poor_quantile",
    "solve_lognormal_sigma",
    "solve_tilt",
]


def lognormal_fgt(mu, sigma, z, alpha: int):
    """FGT(alpha) of LN(mu, sigma) at line z, alpha in {0, 1, 2} (proportions).

    With d = (ln z - mu)/sigma and E[y^k; y < z] = exp(k mu + k^2 sigma^2 / 2) Phi(d - k sigma):
    P0 = Phi(d); P1 = Phi(d) - e^{mu + sigma^2/2} Phi(d - sigma) / z;
    P2 = Phi(d) - 2 e^{mu + sigma^2/2} Phi(d - sigma) / z + e^{2 mu + 2 sigma^2} Phi(d - 2 sigma) / z^2.
    """
    mu, sigma, z = (np.asarray(a, dtype=float) for a in (mu, sigma, z))
    d = (np.log(z) - mu) / sigma
    p0 = ndtr(d)
    if alpha == 0:
        return p0
    m1 = np.exp(mu + sigma**2 / 2 - np.log(z)) * ndtr(d - sigma)
    if alpha == 1:
        return p0 - m1
    if alpha == 2:
        return p0 - 2 * m1 + np.exp(2 * mu + 2 * sigma**2 - 2 * np.log(z)) * ndtr(d - 2 * sigma)
    raise ValueError("alpha must be 0, 1 or 2")


def bisect_increasing(f, lo, hi, iters: int = 80):
    """Vectorised bisection for increasing f: returns x with f(x) ~ 0 elementwise (clipped to [lo, hi])."""
    lo = np.array(lo, dtype=float)
    hi = np.array(hi, dtype=float)
    for _ in range(iters):
        mid = (lo + hi) / 2
        up = f(mid) > 0
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    return (lo + hi) / 2


def solve_lognormal_sigma(p0, p1):
    """sigma of the lognormal with headcount p0 and poverty gap p1 (proportions); z cancels out."""
    p0, p1 = np.broadcast_arrays(np.asarray(p0, float), np.asarray(p1, float))
    d = ndtri(p0)
    # with mu = ln z - sigma d: P1 = p0 - exp(-sigma d + sigma^2/2) Phi(d - sigma), increasing in sigma
    return bisect_increasing(lambda s: p0 - np.exp(-s * d + s**2 / 2) * ndtr(d - s) - p1,
                             np.full(p0.shape, 1e-4), np.full(p0.shape, 5.0))


# Poor part: v = y / z in (0, 1) is split at the break r = e / z (e = the calibrating extreme line): a share q
# of the poor ("deep") lies in (0, r), the rest in [r, 1). Inside each piece v has density proportional to
# exp(k v) (one tilt k for both pieces). Given (r, q), the mean gap E[1 - v] falls strictly from
# q + (1 - q)(1 - r) (k -> -inf: deep poor at 0, the rest at e) to q (1 - r) (k -> +inf: deep poor at e, the
# rest at z), so any P1 / P0 strictly inside that bracket is met by exactly one k.
SHARE_MARGIN = 0.01  # keep q this fraction of its feasible width inside the bracket (k stays finite)


def _trunc_exp_moments(rho):
    """E[w], E[w^2] of w on [0, 1] with density proportional to exp(-rho w), rho >= 0."""
    rho = np.asarray(rho, float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(-rho)
        i0 = -np.expm1(-rho) / rho
        i1 = (i0 - e) / rho
        i2 = (2 * i1 - e) / rho
        big = (i1 / i0, i2 / i0)
    # series I_k = sum_j (-rho)^j / (j! (k + j + 1)) where the recursion above cancels (rho < 1)
    r = np.minimum(rho, 1.0)
    s = [np.zeros_like(r) for _ in range(3)]
    term = np.ones_like(r)
    for j in range(30):
        for k in range(3):
            s[k] = s[k] + term / (k + j + 1)
        term = term * (-r) / (j + 1)
    small = (s[1] / s[0], s[2] / s[0])
    return tuple(np.where(rho < 1.0, a, b) for a, b in zip(small, big, strict=True))


def _tilted_moments(lam):
    """E[x], E[x^2] of x on [0, 1] with density proportional to exp(lam x)."""
    lam = np.asarray(lam, float)
    w1, w2 = _trunc_exp_moments(np.abs(lam))
    # lam < 0: x itself is the truncated exponential; lam > 0: 1 - x is
    return np.where(lam < 0, w1, 1 - w1), np.where(lam < 0, w2, 1 - 2 * w1 + w2)


def _tilted_cdf(lam, u):
    """P(x < u) for x on [0, 1] with density proportional to exp(lam x)."""
    lam, u = np.broadcast_arrays(np.asarray(lam, float), np.clip(np.asarray(u, float), 0.0, 1.0))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        pos = np.exp(lam * (u - 1)) * np.expm1(-lam * u) / np.expm1(-lam)  # no overflow for lam >> 0
        neg = np.expm1(lam * u) / np.expm1(lam)
    return np.where(lam == 0, u, np.where(lam > 0, pos, neg))


def _tilted_quantile(lam, p):
    """Inverse of `_tilted_cdf` (p in [0, 1])."""
    lam, p = np.broadcast_arrays(np.asarray(lam, float), np.clip(np.asarray(p, float), 1e-300, 1.0))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        pos = 1 + np.log1p((1 - p) * np.expm1(-lam)) / lam
        neg = np.log1p(p * np.expm1(lam)) / lam
    return np.clip(np.where(lam == 0, p, np.where(lam > 0, pos, neg)), 0.0, 1.0)


def poor_gap_moments(q, k, r):
    """(E[1 - v], E[(1 - v)^2]) of the poor part with deep share q, tilt k and break r."""
    q, k, r = np.broadcast_arrays(*(np.asarray(a, float) for a in (q, k, r)))
    d1, d2 = _tilted_moments(k * r)  # deep piece: v = r x
    n1, n2 = _tilted_moments(k * (1 - r))  # near piece: v = r + (1 - r) x, gap = (1 - r)(1 - x)
    g1 = q * (1 - r * d1) + (1 - q) * (1 - r) * (1 - n1)
    g2 = q * (1 - 2 * r * d1 + r**2 * d2) + (1 - q) * (1 - r) ** 2 * (1 - 2 * n1 + n2)
    return g1, g2


def deep_share_bounds(gap, r, margin: float = SHARE_MARGIN):
    """Usable range [lo, hi] of the deep share q for mean gap `gap` (= P1/P0) and break r.

    Feasible (open) bracket: q (1 - r) < gap < q + (1 - q)(1 - r), i.e. max(0, (gap - 1 + r) / r) < q <
    min(1, gap / (1 - r)); `margin` of its width is kept off each end.
    """
    gap, r = np.broadcast_arrays(np.asarray(gap, float), np.asarray(r, float))
    a = np.maximum(0.0, (gap - (1 - r)) / r)
    b = np.minimum(1.0, gap / (1 - r))
    return a + margin * (b - a), b - margin * (b - a)


def solve_tilt(gap, q, r):
    """Tilt k with mean poor gap `gap` for deep share q and break r (q inside `deep_share_bounds`)."""
    gap, q, r = np.broadcast_arrays(*(np.asarray(a, float) for a in (gap, q, r)))
    # E[gap] falls in k; bisect on u with k = sinh(u) to cover |k| up to ~6e5
    u = bisect_increasing(lambda u: gap - poor_gap_moments(q, np.sinh(u), r)[0], np.full(gap.shape, -14.0),
                          np.full(gap.shape, 14.0), 100)
    return np.sinh(u)


def model_fgt(p0, q, k, r, alpha: int):
    """FGT(alpha) of the model at its own poverty line (proportions)."""
    p0 = np.asarray(p0, float)
    if alpha == 0:
        return p0
    if alpha not in (1, 2):
        raise ValueError("alpha must be 0, 1 or 2")
    return p0 * poor_gap_moments(q, k, r)[alpha - 1]


def poor_quantile(q, k, r, u):
    """v = y / z at quantile u of the poor part (deep piece for u < q)."""
    q, k, r, u = np.broadcast_arrays(*(np.asarray(a, float) for a in (q, k, r, u)))
    with np.errstate(invalid="ignore", divide="ignore"):
        deep = r * _tilted_quantile(k * r, u / q)
        near = r + (1 - r) * _tilted_quantile(k * (1 - r), (u - q) / (1 - q))
    return np.where(u < q, deep, near)


def model_cdf(x, z, p0, q, k, r, sigma_u):
    """P(y < x): poor part below z, LN(mu_u, sigma_u) truncated to y >= z above (mu_u puts mass P0 below z)."""
    x, z, p0, q, k, r, sigma_u = np.broadcast_arrays(*(np.asarray(a, float) for a in (x, z, p0, q, k, r, sigma_u)))
    v = np.clip(x / z, 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        deep = q * _tilted_cdf(k * r, v / r)
        near = q + (1 - q) * _tilted_cdf(k * (1 - r), (v - r) / (1 - r))
        mu_u = np.log(z) - sigma_u * ndtri(p0)
        upper = ndtr((np.log(np.maximum(x, z)) - mu_u) / sigma_u)
    return np.where(x < z, p0 * np.where(v < r, deep, near), upper)

"""Parametric bootstrap MSE of the published Fay-Herriot figures, benchmarking repeated in every replicate.

González-Manteiga, Lombardía, Molina, Morales & Santamaría (2008, J. Statist. Comput. Simul. 78) and Rao &
Molina (2015, sec. 6.2.4): from the fitted model draw B populations and samples,

    theta*_d = x_d' beta_hat + u*_d,  u*_d ~ N(0, sigma2_u_hat k_d),   y*_d = theta*_d + e*_d,  e*_d ~ N(0, D_d),

refit the model to (y*, X, D) with the same sigma2_u method, and score what is published in replicate b
against theta*: the EBLUP clipped to `bounds` and, when `groups` are given, that EBLUP ratio-benchmarked
to the bootstrap analogue of the province direct estimate (the `weights`-weighted mean of y* over the
group's areas: a province direct estimate is the population-weighted mean of its kab/kota direct
estimates). MSE* = mean over b of (published* - theta*)^2. It accounts for the estimation of beta and
sigma2_u, for the clipping and for benchmarking (the benchmarked figure's error includes the province
direct estimate's sampling error and the shift of every area of the province), which the analytic
Prasad-Rao MSE of the EBLUP does not. When the model holds and the EBLUP is far from the bounds, the
bootstrap MSE of the EBLUP agrees with Prasad-Rao (tests/estimation/test_bootstrap_mse.py).

The refits are vectorised over replicates: REML/ML/FH by batched Fisher scoring (`fay_herriot._fit_batch`),
the adjusted likelihoods (AMRL, AMPL, YL) by a batched bisection on log sigma2_u of the adjusted score
(`fit_adjusted_batch`), which finds the root bracketed between sigma2_u -> 0 (score +inf) and the first
grid point where the score is negative; when every rescaled sampling variance D/k is the same (the
workflow's effects proportional to D) every method has a closed form (`_equal_variance_fit`); `adjusted.fit_adjusted` (a grid and Brent per data set) keeps the
largest-likelihood root when there are several, which the tests check agree on typical data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from estimation.sae.adjusted import ADJUSTED_METHODS
from estimation.sae.fay_herriot import FayHerriotResult, _fit_batch, _gls

__all__ = ["BootstrapMSE", "bootstrap_mse", "fit_adjusted_batch"]


@dataclass(frozen=True)
class BootstrapMSE:
    """Bootstrap MSE per area (input order) of the clipped EBLUP and, with groups, of the benchmarked one."""

    mse_eblup: np.ndarray
    mse_benchmarked: np.ndarray  # equals mse_eblup when no groups were given
    B: int
    converged_share: float  # share of replicates whose sigma2_u refit converged
    method: str  # e.g. "parametric bootstrap B=200 (AMRL, benchmarking repeated)"


def _adjusted_score_batch(A: np.ndarray, Y: np.ndarray, X: np.ndarray, XX: np.ndarray, D: np.ndarray,
                          method: str) -> np.ndarray:
    """d/dA of the adjusted log-likelihood (`adjusted.adjusted_score`) for each row of Y at its own A."""
    p = X.shape[1]
    Vi = 1.0 / (A[:, None] + D)
    _, Q, res = _gls(Y, X, XX, Vi)
    Py = Vi * res
    if method == "AMPL":
        tr = Vi.sum(1)
    else:
        h = Q.reshape(-1, p * p) @ XX.T
        tr = Vi.sum(1) - (Vi * Vi * h).sum(1)
    if method == "YL":
        T = (A[:, None] / (A[:, None] + D)).sum(1)
        dT = (D / (A[:, None] + D) ** 2).sum(1)
        dlog = dT / ((1.0 + T * T) * np.arctan(T) * D.size)
    else:
        dlog = 1.0 / A
    return -0.5 * tr + 0.5 * (Py * Py).sum(1) + dlog


def fit_adjusted_batch(Y: np.ndarray, X: np.ndarray, D: np.ndarray, method: str, *, iterations: int = 48
                       ) -> tuple[np.ndarray, np.ndarray]:
    """sigma2_u of the adjusted likelihood `method` for each row of Y (B, m): (A, converged).

    Bisection on log A between 1e-10 mean(D) (where the score is positive: the 1/A term dominates) and the
    first of 10 max(var(y), mean D) x 10^j whose score is negative."""
    if method not in ADJUSTED_METHODS:
        raise ValueError(f"method must be one of {ADJUSTED_METHODS}, got {method!r}")
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    B, m = Y.shape
    p = X.shape[1]
    XX = (X[:, :, None] * X[:, None, :]).reshape(m, p * p)
    scale = float(np.mean(D))
    lo = np.full(B, np.log(1e-10 * scale))
    hi = np.log(10.0 * np.maximum(Y.var(axis=1), scale))
    ok = np.zeros(B, dtype=bool)
    for _ in range(12):  # extend hi until the score is negative (likelihood decreasing)
        s = _adjusted_score_batch(np.exp(hi), Y, X, XX, D, method)
        ok = s < 0
        if ok.all():
            break
        hi = np.where(ok, hi, hi + np.log(10.0))
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        pos = _adjusted_score_batch(np.exp(mid), Y, X, XX, D, method) > 0
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
    A = np.exp(0.5 * (lo + hi))
    return np.where(ok, A, np.nan), ok


def _equal_variance_fit(Y: np.ndarray, X: np.ndarray, c: float, method: str
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form sigma2_u and beta when every sampling variance equals c (V = (A + c) I, GLS = OLS).

    REML/FH: A = RSS/(m - p) - c, ML: RSS/m - c, truncated at 0; AMRL/AMPL: the positive root of the adjusted
    score 1/A - n/(2(A + c)) + RSS/(2(A + c)^2) = 0 (n = m - p, resp. m), i.e. of
    (2 - n) A^2 + (4c - n c + RSS) A + 2 c^2 = 0, whose roots have opposite signs."""
    m, p = X.shape
    beta = np.linalg.solve(X.T @ X, X.T @ Y.T).T  # normal equations: X was checked well-conditioned
    res = Y - beta @ X.T
    rss = (res * res).sum(axis=1)
    n = m if method in ("ML", "AMPL") else m - p
    if method in ("REML", "ML", "FH"):
        return np.maximum(rss / n - c, 0.0), beta
    a, b, cc = 2.0 - n, 4.0 * c - n * c + rss, 2.0 * c * c
    return (-b - np.sqrt(b * b - 4.0 * a * cc)) / (2.0 * a), beta


def _refit(Y: np.ndarray, X: np.ndarray, D: np.ndarray, method: str, start: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A, beta, converged) for each row of Y, homoscedastic model with shared X and D."""
    if method in ("REML", "ML", "FH", "AMRL", "AMPL") and np.ptp(D) <= 1e-12 * float(np.mean(D)):
        A, beta = _equal_variance_fit(Y, X, float(np.mean(D)), method)
        return A, beta, np.ones(Y.shape[0], dtype=bool)
    if method in ADJUSTED_METHODS:
        A, conv = fit_adjusted_batch(Y, X, D, method)
        A = np.where(conv, A, start)
        m, p = X.shape
        XX = (X[:, :, None] * X[:, None, :]).reshape(m, p * p)
        beta, _, _ = _gls(Y, X, XX, 1.0 / (A[:, None] + D))
        return A, beta, conv
    bf = _fit_batch(Y, X, D, method, start=np.full(Y.shape[0], start))
    return bf.sigma2_u, bf.beta, bf.converged


def _group_matrix(groups: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(G, m) weighted membership W (rows: groups) and the group index of every area."""
    labels, index = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    W = np.zeros((labels.size, index.size))
    W[index, np.arange(index.size)] = weights
    return W, index


def bootstrap_mse(fit: FayHerriotResult, *, B: int = 200, seed: int | None = 0, groups: object = None,
                  weights: object = None, bounds: tuple[float, float] | None = (0.0, 1.0)) -> BootstrapMSE:
    """Parametric bootstrap MSE of the published figures of `fit` (module docstring).

    groups, weights: benchmarking groups (provinces) and the area weights of the benchmark (population);
    bounds: the published EBLUP is clipped to them (None: not clipped). The bootstrap truth is the model's,
    not clipped. A group whose clipped EBLUPs all are 0 in a replicate stays unbenchmarked in it (factor 1),
    as `benchmark.ratio_benchmark(..., impossible="leave")` does.
    """
    if B < 2:
        raise ValueError("B must be >= 2")
    rng = np.random.default_rng(seed)
    X, D, m = fit.X, fit.sampling_variance, fit.m
    k = fit.effect_scale if fit.effect_scale.size == m else np.ones(m)
    rk = np.sqrt(k)
    synth = X @ fit.beta
    theta = synth + rng.normal(0.0, 1.0, size=(B, m)) * np.sqrt(fit.sigma2_u * k)
    y_star = theta + rng.normal(0.0, 1.0, size=(B, m)) * np.sqrt(D)
    # refit on the rescaled model (homoscedastic effects, sampling variance D / k), as `fay_herriot` does
    start = max(fit.sigma2_u, 1e-6 * float(np.mean(D / k)))
    A, beta, conv = _refit(y_star / rk, X / rk[:, None], D / k, fit.method, start)
    s = beta @ X.T
    gamma = A[:, None] * k / (A[:, None] * k + D)
    est = s + gamma * (y_star - s)
    if bounds is not None:
        est = np.clip(est, bounds[0], bounds[1])
    mse_eblup = np.mean((est - theta) ** 2, axis=0)
    mse_bench = mse_eblup
    label = f"parametric bootstrap B={B} ({fit.method})"
    if groups is not None:
        w = np.ones(m) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (m,) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("weights must be finite, >= 0, one per area")
        g = np.asarray(groups, dtype=object)
        if g.shape != (m,):
            raise ValueError(f"length mismatch: groups has shape {g.shape}, the fit has {m} areas")
        W, index = _group_matrix(g, w)
        wsum = W.sum(axis=1)
        target = np.maximum((y_star @ W.T) / wsum, 0.0)  # (B, G): bootstrap province direct estimates
        before = (est @ W.T) / wsum
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(before > 0, target / before, 1.0)
        bench = est * factor[:, index]
        mse_bench = np.mean((bench - theta) ** 2, axis=0)
        label = f"parametric bootstrap B={B} ({fit.method}, benchmarking repeated)"
    return BootstrapMSE(mse_eblup=mse_eblup, mse_benchmarked=mse_bench, B=B,
                        converged_share=float(np.mean(conv)), method=label)

"""Fay-Herriot on a proportion through the arcsine-square-root transform (as emdi `fh(...,
transformation = "arcsin")`).

theta* = asin(sqrt(p)) has sampling variance ~ 1/(4 n_eff) whatever p is, which stabilises
the variance of poverty rates near 0. The model is fitted on that scale; estimates are taken
back with sin(.)^2 after clipping to [0, pi/2] ("naive"), or as E[sin^2(theta)] under
theta ~ N(EBLUP*, g1*) integrated over [0, pi/2] ("bias_corrected", emdi's "bc", which
integrates over the same interval). Out-of-sample areas get the synthetic x'beta, naive.

MSE on the proportion scale: parametric bootstrap (Gonzalez-Manteiga et al. 2008, emdi's
`boot_arcsin_2`): B sets of true values sin^2(clip(x'beta + u)) and direct estimates
x'beta + u + e are drawn, the model is refitted for all replicates at once with the batched
fitter, and MSE = mean((estimate_b - true_b)^2). Alternatively the Jiang-Lahiri-Wan jackknife on
the transformed scale (in-sample only) taken back with the delta method.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from estimation.sae.fay_herriot import FayHerriotResult, _as_design, _fit_batch, fay_herriot

HALF_PI = np.pi / 2


def arcsine_transform(p: object) -> np.ndarray:
    """asin(sqrt(p)); p must lie in [0, 1]."""
    arr = np.asarray(p, dtype=float)
    if np.any(np.isnan(arr)) or np.any((arr < 0) | (arr > 1)):
        raise ValueError("the arcsine transform needs proportions in [0, 1] (no NaN)")
    return np.arcsin(np.sqrt(arr))


def arcsine_back(theta: object) -> np.ndarray:
    """Naive back-transform sin(clip(theta, 0, pi/2))^2."""
    return np.sin(np.clip(np.asarray(theta, dtype=float), 0.0, HALF_PI)) ** 2


def arcsine_back_bias_corrected(mean: object, var: object) -> np.ndarray:
    """Integral over [0, pi/2] of sin(x)^2 times the N(mean, var) density (closed form).

    With x = mu + s z: sin^2 = (1 - cos 2x)/2 and the cosine part is the real part of a normal
    integral of exp(2i s z), i.e. exp(2i mu - 2 s^2) [Phi(b - 2is) - Phi(a - 2is)].
    Where var is 0 it reduces to the naive back-transform.
    """
    mu = np.asarray(mean, dtype=float)
    v = np.broadcast_to(np.asarray(var, dtype=float), mu.shape)
    out = arcsine_back(mu).astype(float)
    pos = v > 0
    if np.any(pos):
        m_, s = mu[pos], np.sqrt(v[pos])
        a, b = (0.0 - m_) / s, (HALF_PI - m_) / s
        shift = 2j * s

        def phi(w: np.ndarray) -> np.ndarray:
            return 0.5 * special.erfc(-w / np.sqrt(2.0))

        mass = phi(b) - phi(a)
        cos_part = np.real(np.exp(2j * m_ - 2 * s * s) * (phi(b - shift) - phi(a - shift)))
        out[pos] = np.real(0.5 * mass - 0.5 * cos_part)
    return out


@dataclass(frozen=True)
class ArcsineFHResult:
    """Arcsine Fay-Herriot estimates for all areas (sampled and not), proportion scale."""

    estimate: np.ndarray
    mse: np.ndarray
    sampled: np.ndarray
    direct: np.ndarray
    direct_var: np.ndarray
    eblup_transformed: np.ndarray
    mse_transformed: np.ndarray  # analytic MSE on the transformed scale (nan-free for all areas)
    back_transform: str
    mse_method: str
    fit: FayHerriotResult = field(repr=False)
    bootstrap_converged: float = float("nan")  # share of replicates whose refit converged
    # jackknife only: areas whose Jiang-Lahiri-Wan value fell below g1 + g2 on the transformed scale (the MSE with
    # sigma2_u known, a lower bound by Kackar-Harville) and were floored there; the bias correction
    # -(m-1)/m sum(g1_l - g1) can exceed g1 and make the raw jackknife negative
    mse_floored: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, dtype=bool))

    @property
    def rse(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sqrt(self.mse) / np.abs(self.estimate)

    def to_frame(self, index: object = None) -> pd.DataFrame:
        """Columns: sampled, direct, direct_var, estimate, mse, rse, eblup_transformed, mse_transformed."""
        return pd.DataFrame({
            "sampled": self.sampled, "direct": self.direct, "direct_var": self.direct_var,
            "estimate": self.estimate, "mse": self.mse, "rse": self.rse,
            "eblup_transformed": self.eblup_transformed, "mse_transformed": self.mse_transformed,
        }, index=index)


def _back(theta: np.ndarray, g1: np.ndarray, how: str) -> np.ndarray:
    return arcsine_back(theta) if how == "naive" else arcsine_back_bias_corrected(theta, g1)


def _bootstrap_mse(fit: FayHerriotResult, X_all: np.ndarray, sampled: np.ndarray, how: str, B: int,
                   seed: int | None, tol: float, max_iter: int) -> tuple[np.ndarray, float]:
    rng = np.random.default_rng(seed)
    M = X_all.shape[0]
    D = fit.sampling_variance
    X = fit.X
    mu = X_all @ fit.beta
    theta = mu + rng.normal(0.0, np.sqrt(fit.sigma2_u), size=(B, M))
    true = arcsine_back(theta)
    y_star = theta[:, sampled] + rng.normal(0.0, np.sqrt(D), size=(B, D.size))
    bf = _fit_batch(y_star, X, D, fit.method, tol=tol, max_iter=max_iter,
                    start=np.full(B, max(fit.sigma2_u, 1e-6 * float(np.mean(D)))))
    A = bf.sigma2_u[:, None]
    synth = bf.beta @ X_all.T  # (B, M)
    est_t = synth.copy()
    gamma = A / (A + D)
    est_t[:, sampled] = synth[:, sampled] + gamma * (y_star - synth[:, sampled])
    g1 = np.zeros((B, M))
    g1[:, sampled] = gamma * D
    est = _back(est_t, g1, how)
    return np.mean((est - true) ** 2, axis=0), float(bf.converged.mean())


def _jackknife_mse_transformed(fit: FayHerriotResult, tol: float, max_iter: int) -> np.ndarray:
    """Jiang, Lahiri & Wan (2002) jackknife MSE on the transformed scale (as emdi's jiang_jackknife)."""
    m = fit.m
    D = fit.sampling_variance
    W = 1.0 - np.eye(m)  # row l drops area l
    Y = np.broadcast_to(fit.y, (m, m)).copy()
    bf = _fit_batch(Y, fit.X, D, fit.method, weights=W, tol=tol, max_iter=max_iter,
                    start=np.full(m, max(fit.sigma2_u, 1e-6 * float(np.mean(D)))))
    A_l = bf.sigma2_u[:, None]
    g1 = fit.g1
    g1_l = A_l * D / (A_l + D)
    # EBLUP of every area at sigma2_u_{-l}, beta re-estimated on all areas (as emdi does)
    Vi = 1.0 / (A_l + D)
    p = fit.X.shape[1]
    XX = (fit.X[:, :, None] * fit.X[:, None, :]).reshape(m, p * p)
    Q = np.linalg.inv((Vi @ XX).reshape(-1, p, p))
    beta = np.einsum("bij,bj->bi", Q, (Vi * fit.y) @ fit.X)
    synth = beta @ fit.X.T
    eblup_l = synth + (A_l / (A_l + D)) * (fit.y - synth)
    k = (m - 1) / m
    return g1 - k * np.sum(g1_l - g1, axis=0) + k * np.sum((eblup_l - fit.eblup) ** 2, axis=0)


def fay_herriot_arcsine(p: object, X: object, sampling_variance: object = None, *, n_eff: object = None,
                        sampled: object = None, method: str = "REML", back_transform: str = "naive",
                        mse: str = "bootstrap", B: int = 1000, seed: int | None = 2024,
                        tol: float = 1e-10, max_iter: int = 200,
                        fixed_sigma2_u: float | None = None) -> ArcsineFHResult:
    """Fay-Herriot on asin(sqrt(p)) with variance 1/(4 n_eff).

    p: direct proportions (M,), NaN allowed only where `sampled` is False; X: design (M, k) for all
    areas. Give either n_eff (effective sample sizes) or sampling_variance of p, from which
    n_eff = p(1-p)/var (needs 0 < p < 1; smooth zero variances with gvf first).
    sampled: boolean mask of areas with a sample (default: all). back_transform: "naive" or
    "bias_corrected". mse: "bootstrap" (parametric, B replicates, seeded), "jackknife" (in-sample
    only and where the EBLUP lies inside (0, pi/2), NaN elsewhere) or None.
    """
    if back_transform not in ("naive", "bias_corrected"):
        raise ValueError("back_transform must be 'naive' or 'bias_corrected'")
    if mse not in ("bootstrap", "jackknife", None):
        raise ValueError("mse must be 'bootstrap', 'jackknife' or None")
    p_arr = np.asarray(p, dtype=float)
    if p_arr.ndim != 1:
        raise ValueError("p must be one-dimensional")
    M = p_arr.size
    X_all = _as_design(X, M)
    smp = np.ones(M, dtype=bool) if sampled is None else np.asarray(sampled, dtype=bool)
    if smp.shape != (M,):
        raise ValueError(f"length mismatch: sampled has shape {smp.shape}, p has {M} areas")
    out_bad = ~smp & ~np.all(np.isfinite(X_all), axis=1)
    if out_bad.any():
        raise ValueError(f"{int(out_bad.sum())} area(s) have no sample and missing covariates")
    ps = p_arr[smp]
    if np.any(np.isnan(ps)):
        raise ValueError("p has NaN for sampled areas; mark areas without a sample with sampled=False")
    if np.any((ps < 0) | (ps > 1)):
        raise ValueError("p outside [0, 1]: the arcsine transform needs proportions")
    if (n_eff is None) == (sampling_variance is None):
        raise ValueError("give exactly one of sampling_variance and n_eff")
    if n_eff is not None:
        n = np.asarray(n_eff, dtype=float)
        if n.shape != (M,):
            raise ValueError(f"length mismatch: n_eff has shape {n.shape}, p has {M} areas")
        n = n[smp]
        if np.any(~np.isfinite(n)) or np.any(n <= 0):
            raise ValueError("n_eff must be finite and > 0 for sampled areas")
    else:
        var = np.asarray(sampling_variance, dtype=float)
        if var.shape != (M,):
            raise ValueError(f"length mismatch: sampling_variance has shape {var.shape}, p has {M} areas")
        var = var[smp]
        if np.any(np.isnan(var)) or np.any(var <= 0):
            raise ValueError("sampling_variance must be > 0 and not NaN for sampled areas")
        if np.any((ps <= 0) | (ps >= 1)):
            raise ValueError("n_eff = p(1-p)/var is undefined at p = 0 or 1: pass n_eff or smooth first")
        n = ps * (1 - ps) / var
    D = 1.0 / (4.0 * n)
    y_t = arcsine_transform(ps)
    fit = fay_herriot(y_t, X_all[smp], D, method, tol=tol, max_iter=max_iter, fixed_sigma2_u=fixed_sigma2_u)

    eblup_t = X_all @ fit.beta
    eblup_t[smp] = fit.eblup
    g1 = np.zeros(M)
    g1[smp] = fit.g1
    mse_t = np.empty(M)
    mse_t[smp] = fit.mse
    if (~smp).any():
        mse_t[~smp] = fit.predict(X_all[~smp])[1]
    estimate = _back(eblup_t, g1, back_transform)

    conv = float("nan")
    floored = np.zeros(M, dtype=bool)
    if mse == "bootstrap":
        if B < 2:
            raise ValueError("B must be >= 2")
        mse_p, conv = _bootstrap_mse(fit, X_all, smp, back_transform, B, seed, tol, max_iter)
    elif mse == "jackknife":
        jk_raw = _jackknife_mse_transformed(fit, tol, max_iter)
        floor = fit.g1 + fit.g2
        jk = np.maximum(jk_raw, floor)
        floored = np.zeros(M, dtype=bool)
        floored[smp] = jk_raw < floor
        mse_p = np.full(M, np.nan)
        # delta method; degenerate (slope 0) where the EBLUP leaves [0, pi/2]: NaN, use the bootstrap
        inside = (fit.eblup > 0) & (fit.eblup < HALF_PI)
        mse_p[smp] = np.where(inside, np.sin(2 * fit.eblup) ** 2 * jk, np.nan)
    else:
        mse_p = np.full(M, np.nan)
    direct_var = np.full(M, np.nan)
    direct_var[smp] = ps * (1 - ps) / n
    direct = np.where(smp, p_arr, np.nan)
    return ArcsineFHResult(estimate=estimate, mse=mse_p, sampled=smp, direct=direct, direct_var=direct_var,
                           eblup_transformed=eblup_t, mse_transformed=mse_t, back_transform=back_transform,
                           mse_method=str(mse), fit=fit, bootstrap_converged=conv, mse_floored=floored)

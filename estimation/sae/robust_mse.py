"""Area-specific (conditional) MSE of the Fay-Herriot EBLUP: an MSE that does not lean on the area-effect model.

The analytic MSE of `fay_herriot` (Prasad-Rao g1 + g2 + 2 g3) and the parametric bootstrap of `bootstrap` are
expectations under the model: they average over area effects u_d ~ N(0, sigma2_u k_d). When the model's
variance of u_d is wrong for an area (on the Susenas-like test bed the truth of the smallest kab/kota deviates
from the regression far more than sigma2_u k_d says), every model-based MSE is wrong for that area. The
estimator here targets instead the MSE given the area's true value theta_d, averaged over the sampling errors
only, which is what a design-based simulation (and a survey statistician) calls the MSE of a kab/kota
(Rivest & Vandal 2003; Datta, Kubokawa, Molina & Rao 2011, TEST 20, "Estimation of mean squared error of
model-based small area estimators"; Rao & Molina 2015, ch. 6, on conditional MSE). Like those estimators it
replaces the model expectation of the squared residual (sigma2_u k_d + D_d) by the observed (y_d - x_d' beta)^2.

Derivation (sigma2_u = A fixed). Write y = theta + e, e ~ (0, diag D) independent of theta, V_d = A k_d + D_d,
B_d = D_d / V_d, Q = (X' V^-1 X)^-1, beta_hat = Q X' V^-1 y (GLS), r_d = y_d - x_d' beta_hat, h_d = x_d' Q x_d,
c_dj = x_d' Q x_j / V_j. The EBLUP is theta_hat_d = y_d - B_d r_d, so

    theta_hat_d - theta_d = (1 - B_d) e_d + B_d sum_j c_dj e_j - B_d a_d,   a_d = theta_d - x_d' Q X' V^-1 theta,

and, for ANY fixed theta (no model for the area effects is used),

    MSE_d(theta) = E[(theta_hat_d - theta_d)^2 | theta]
                 = B_d^2 a_d^2 + (1 - B_d)^2 D_d + 2 (1 - B_d) B_d^2 h_d + B_d^2 sum_j c_dj^2 D_j,
    E[r_d^2 | theta] = a_d^2 + D_d - 2 c_dd D_d + sum_j c_dj^2 D_j,      c_dd D_d = B_d h_d.

Solving the second line for a_d^2 and substituting gives an estimator unbiased for MSE_d(theta) given theta:

    mse_d = D_d - 2 B_d D_d + B_d^2 r_d^2 + 2 g2_d,      g2_d = B_d^2 h_d (the Prasad-Rao g2).

Under the model (E r_d^2 = V_d - h_d) its expectation is g1_d + g2_d, the MSE with sigma2_u known. With A
estimated, a second-order expansion of the first three terms around A (their derivative in A has expectation
0; the curvature adds g3_d; the covariance of r_d^2 with A_hat, for REML Var(A_hat) times the derivative,
subtracts 2 g3_d) leaves their expectation at g1_d - g3_d, so

    mse_d = D_d - 2 B_d D_d + B_d^2 r_d^2 + 2 g2_d + 2 g3_d

is second-order unbiased for g1 + g2 + g3 under the model (checked by Monte Carlo in
tests/estimation/test_robust_mse.py) and unbiased for the conditional MSE given theta when A is fixed
(checked there too, on area effects that break the model).

Floor. mse_d is negative whenever B_d > 1/2 and r_d is small, since it uses one squared residual per area. The
conditional MSE itself is never below its sampling part, the value at a_d = 0 (theta_d on the fitted
regression surface):

    floor_d = (1 - B_d)^2 D_d + 2 (1 - B_d) B_d^2 h_d + B_d^2 x_d' Q (sum_j x_j x_j' D_j / V_j^2) Q x_d,

so `mse` is max(mse_d, floor_d) and `floored` says where the floor was taken; `mse_raw` keeps the formula's own
value. The estimator is per area and noisy (one squared residual), by construction: it is unbiased area by area,
not stable; sums over areas are what it estimates well.

The formula is derived here and checked by the tests (dense matrices, Monte Carlo); it follows those papers'
idea, and their published estimators may differ from it in the second-order terms.

On the Susenas-like test bed (docs/simulation.md, "A misspecification-robust MSE") neither this estimator nor
the local variant gives usable per-kab/kota intervals: with strong shrinkage (B_d near 1) the MSE ~ (1 - B_d) D_d
is a small difference of terms of size D_d, so one squared residual gives it a relative error of order one
(P0: coverage 0.71-0.77). The pipeline computes it only for the simulation (`workflow.fit_models(...,
robust_mse=True)`); it is not published.

Benchmarked figure (`benchmarked_mse`). The ratio-benchmarked figure b_d = theta_hat_d f_p differs from the EBLUP
by s_d = b_d - theta_hat_d, so E[(b_d - theta_d)^2 | theta] = MSE_d(theta) + E[s_d^2 | theta] + 2 E[(theta_hat_d -
theta_d) s_d | theta]. Following Steorts & Ghosh (2013, Statistica Sinica 23), whose MSE of a benchmarked EBLUP
is the EBLUP's plus the expected squared adjustment, the cross term is dropped and E[s_d^2 | theta] is estimated
by the observed s_d^2 (area-specific, like the rest): mse_bench_d = mse_d + s_d^2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from estimation.sae.fay_herriot import FayHerriotResult

__all__ = ["ConditionalMSE", "benchmarked_mse", "conditional_mse"]


@dataclass(frozen=True)
class ConditionalMSE:
    """Area-specific MSE of the (unclipped) EBLUP of a Fay-Herriot fit, per area in input order."""

    mse: np.ndarray  # max(mse_raw, floor): the estimate
    mse_raw: np.ndarray  # D - 2 B D + B^2 r^2 + 2 g2 + 2 g3, the formula's own value (can be negative)
    floor: np.ndarray  # the conditional MSE's sampling part (its value when theta_d lies on x_d' beta)
    floored: np.ndarray  # bool: mse_raw < floor, the floor was taken
    method: str


def conditional_mse(fit: FayHerriotResult, *, with_g3: bool = True, neighbours: int | None = None
                    ) -> ConditionalMSE:
    """Area-specific MSE of `fit`'s EBLUP (module docstring): unbiased for the MSE given the true area values.

    Works for homoscedastic and heteroscedastic (`effect_scale`) fits: everything is computed on the original
    scale with V_d = sigma2_u k_d + D_d. `with_g3=False` leaves out the 2 g3 term for the estimation of sigma2_u
    (the formula with sigma2_u known).

    `neighbours` (default None: the area-specific estimator) replaces r_d^2 by rho_d (V_d - h_d), rho_d the mean
    of r_j^2 / (V_j - h_j) over the `neighbours` areas nearest in log D (itself included; V_d - h_d is the
    model's E r_d^2): a local estimate of the residual variance as a function of the sampling variance. It is
    robust to a wrong variance function of the area effects in D (on the test bed their variance grows faster
    than D in the smallest kab/kota), not to one area's own deviation; it equals the model's g1 + g2 + 2 g3 when
    rho_d = 1, and is far less noisy than the area-specific estimator. Not from the literature: our
    compromise between the two, scored beside them in scripts/simulate_sae.py."""
    y, X, D = fit.y, fit.X, fit.sampling_variance
    m = y.size
    k = fit.effect_scale if fit.effect_scale.size == m else np.ones(m)
    A = float(fit.sigma2_u)
    V = A * k + D
    B = D / V
    Q = fit.cov_beta  # (X' V^-1 X)^-1 on the original scale (the rescaling leaves it unchanged)
    r = y - X @ fit.beta
    h = np.einsum("di,ij,dj->d", X, Q, X)
    g2 = B * B * h
    g3 = fit.g3 if with_g3 else np.zeros(m)
    r2 = r * r
    if neighbours is not None:
        if not 1 <= neighbours <= m:
            raise ValueError(f"neighbours must be between 1 and the number of areas {m}, got {neighbours}")
        expected = V - h  # the model's E r_d^2 (Var(y - X beta_hat) = V - X Q X')
        order = np.argsort(np.log(D), kind="stable")
        ratio = (r2 / expected)[order]
        csum = np.concatenate([[0.0], np.cumsum(ratio)])
        pos = np.arange(m)
        lo = np.clip(pos - neighbours // 2, 0, m - neighbours)
        rho = np.empty(m)
        rho[order] = (csum[lo + neighbours] - csum[lo]) / neighbours
        r2 = rho * expected
    raw = D - 2.0 * B * D + B * B * r2 + 2.0 * g2 + 2.0 * g3
    M = (X * (D / (V * V))[:, None]).T @ X  # sum_j x_j x_j' D_j / V_j^2
    QX = X @ Q
    spread = np.einsum("di,ij,dj->d", QX, M, QX)
    floor = (1.0 - B) ** 2 * D + 2.0 * (1.0 - B) * B * B * h + B * B * spread
    floored = raw < floor
    label = "area-specific conditional MSE (Rivest-Vandal / Datta-Kubokawa-Molina-Rao type" + (
        ", + 2 g3" if with_g3 else ", sigma2_u known") + (
        f", residuals smoothed over {neighbours} areas of similar D)" if neighbours is not None else ")")
    return ConditionalMSE(mse=np.where(floored, floor, raw), mse_raw=raw, floor=floor, floored=floored,
                          method=label)


def benchmarked_mse(eblup_mse: np.ndarray, eblup: np.ndarray, benchmarked: np.ndarray) -> np.ndarray:
    """Area-specific MSE of a benchmarked figure: the EBLUP's MSE plus the observed squared benchmarking
    adjustment (benchmarked - eblup)^2 (module docstring; Steorts & Ghosh 2013 without the cross term)."""
    e = np.asarray(eblup_mse, dtype=float)
    s = np.asarray(benchmarked, dtype=float) - np.asarray(eblup, dtype=float)
    if e.shape != s.shape:
        raise ValueError(f"length mismatch: eblup_mse has shape {e.shape}, the estimates {s.shape}")
    if not np.all(np.isfinite(e)) or np.any(e < 0):
        raise ValueError("eblup_mse must be finite and >= 0")
    return e + s * s

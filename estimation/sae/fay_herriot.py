"""Fay-Herriot area-level model: EBLUP and analytic MSE.

Model: y_d = x_d' beta + u_d + e_d, u_d ~ N(0, sigma2_u), e_d ~ N(0, D_d) with D_d known.
sigma2_u is fitted by Fisher scoring (REML, ML) or Newton on the Fay-Herriot moment equation (FH),
projected onto [0, inf) as R `sae::eblupFH` truncates. Every quantity is computed from diagonals
and p x p matrices: no m x m matrix is ever formed, so 514 areas cost microseconds per iteration.

The variance fitter is batched (B data sets sharing X and D at once) so that the parametric
bootstrap and the jackknife in `transforms` reuse it without a Python loop over replicates.

MSE (Rao & Molina 2015, ch. 6): g1 = gamma D, g2 = B^2 x'Qx with B = D/(sigma2_u + D),
g3 = B^2 Var(sigma2_u_hat)/(sigma2_u + D);
- REML: Prasad-Rao g1 + g2 + 2 g3 (REML is bias-free to second order);
- ML: Datta-Lahiri adds - b_ML B^2, b_ML = -tr(Q X'V^-2 X) / sum(V^-2);
- FH moments: Datta, Rao & Smith (2005): Var = 2m/(sum V^-1)^2 and
  b_FH = 2 (m sum V^-2 - (sum V^-1)^2) / (sum V^-1)^3, same as R `sae::mseFH`.
- Adjusted likelihoods "AMPL", "AMRL" (Li & Lahiri 2010) and "YL" (Yoshimori & Lahiri 2014): strictly
  positive sigma2_u; Li-Lahiri MSE (bias-corrected) for AMPL/AMRL, Prasad-Rao for YL. See `adjusted`.

Heteroscedastic area effects (`effect_scale`): u_d ~ N(0, sigma2_u k_d) with known k_d > 0 (k = 1 is the
model above). Dividing area d by sqrt(k_d) gives the homoscedastic model y/sqrt(k) = (X/sqrt(k)) beta + u' + e'
with u' ~ N(0, sigma2_u) and Var(e') = D/k, so the fit, the EBLUP and every MSE term are those of the
rescaled data multiplied back (EBLUP x sqrt(k), MSE x k): exact, not an approximation. The likelihoods gain
the Jacobian -0.5 sum(log k). With k_d proportional to D_d the shrinkage gamma is the same in every area.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from estimation.sae.adjusted import ADJUSTED_METHODS, adjusted_bias, fit_adjusted

MIN_RESIDUAL_DF = 2  # m - p: with one degree of freedom left, sigma2_u is a single squared residual
FEW_RESIDUAL_DF = 10  # below this, warn
MAX_CONDITION = 1e10  # of X with unit-norm columns; matrix_rank passes near-collinear columns far beyond it
METHODS = ("REML", "ML", "FH", *ADJUSTED_METHODS)
MSE_METHODS = ("prasad_rao", "datta_lahiri")


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _as_design(X: object, m: int | None = None, name: str = "X") -> np.ndarray:
    arr = np.asarray(X, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D design matrix, got {arr.ndim} dimensions")
    if m is not None and arr.shape[0] != m:
        raise ValueError(f"length mismatch: {name} has {arr.shape[0]} rows but y has {m} areas")
    return arr


def _check_inputs(y: object, X: object, sampling_variance: object) -> tuple[np.ndarray, ...]:
    y_arr = np.asarray(y, dtype=float)
    if y_arr.ndim != 1:
        raise ValueError("y must be one-dimensional (one direct estimate per area)")
    m = y_arr.size
    X_arr = _as_design(X, m)
    d_arr = np.asarray(sampling_variance, dtype=float)
    if d_arr.ndim != 1 or d_arr.size != m:
        raise ValueError(f"length mismatch: sampling_variance has shape {d_arr.shape}, y has {m} areas")
    if not np.all(np.isfinite(y_arr)):
        raise ValueError(f"y has {int(np.sum(~np.isfinite(y_arr)))} NaN/inf values; areas without a "
                         "direct estimate belong in predict(X_new), not in the fit")
    if np.any(np.isnan(d_arr)) or np.any(~np.isfinite(d_arr)):
        raise ValueError("sampling_variance has NaN/inf values")
    if np.any(d_arr < 0):
        raise ValueError(f"sampling_variance has {int(np.sum(d_arr < 0))} negative values")
    if np.any(d_arr == 0):
        raise ValueError(f"sampling_variance has {int(np.sum(d_arr == 0))} zero values (e.g. a direct "
                         "estimate of 0): smooth them first with gvf.smooth_sampling_variance")
    if not np.all(np.isfinite(X_arr)):
        raise ValueError("X has NaN/inf values")
    p = X_arr.shape[1]
    if m < p + MIN_RESIDUAL_DF:
        raise ValueError(f"need at least {MIN_RESIDUAL_DF} more areas than columns of X to estimate sigma2_u: "
                         f"{m} areas, {p} columns")
    rank = np.linalg.matrix_rank(X_arr)
    if rank < p:
        raise ValueError(f"X is rank-deficient (rank {rank} < {p} columns): drop collinear covariates")
    norms = np.linalg.norm(X_arr, axis=0)
    condition = np.linalg.cond(X_arr / np.where(norms > 0, norms, 1.0))
    if not condition < MAX_CONDITION:
        raise ValueError(f"X is ill-conditioned (condition number {condition:.3g} of the scaled columns, limit "
                         f"{MAX_CONDITION:.0e}): near-collinear covariates would give meaningless coefficients "
                         "and standard errors; drop or combine them")
    if m - p < FEW_RESIDUAL_DF:
        warnings.warn(f"only {m - p} degrees of freedom for sigma2_u ({m} areas, {p} columns of X): its estimate, "
                      "and every MSE built on it, is very uncertain", RuntimeWarning, stacklevel=3)
    return y_arr, X_arr, d_arr


# --------------------------------------------------------------------------------------------
# Batched estimation core (B data sets, shared X and D; optional 0/1 area weights for jackknife)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BatchFit:
    sigma2_u: np.ndarray  # (B,)
    beta: np.ndarray  # (B, p)
    Q: np.ndarray  # (B, p, p) = (X' V^-1 X)^-1
    converged: np.ndarray  # (B,) bool
    iterations: np.ndarray  # (B,) int


def _gls(Y: np.ndarray, X: np.ndarray, XX: np.ndarray, Vi: np.ndarray) -> tuple[np.ndarray, ...]:
    """GLS for B data sets: beta (B,p), Q (B,p,p), residuals (B,m). XX is (m, p*p) of x x'."""
    p = X.shape[1]
    Q = np.linalg.inv((Vi @ XX).reshape(-1, p, p))
    beta = np.einsum("bij,bj->bi", Q, (Vi * Y) @ X)
    return beta, Q, Y - beta @ X.T


def _fit_batch(Y: np.ndarray, X: np.ndarray, D: np.ndarray, method: str, *, weights: np.ndarray | None = None,
               tol: float = 1e-10, max_iter: int = 200, start: np.ndarray | None = None) -> _BatchFit:
    """Fit sigma2_u for each row of Y (B, m). weights (B, m) in {0, 1} drop areas (jackknife)."""
    B, m = Y.shape
    p = X.shape[1]
    if method in ADJUSTED_METHODS:  # scalar root search per data set (no batched Fisher scoring)
        return _fit_batch_adjusted(Y, X, D, method, weights, tol)
    XX = (X[:, :, None] * X[:, None, :]).reshape(m, p * p)
    W = np.ones((B, m)) if weights is None else np.asarray(weights, dtype=float)
    m_eff = W.sum(axis=1)
    dscale = float(np.mean(D))
    A = np.full(B, float(np.median(D))) if start is None else np.asarray(start, dtype=float).copy()
    converged = np.zeros(B, dtype=bool)
    iterations = np.zeros(B, dtype=int)
    for it in range(1, max_iter + 1):
        active = ~converged
        Vi = W[active] / (A[active, None] + D)
        _, Q, res = _gls(Y[active], X, XX, Vi)
        Vi2 = Vi * Vi
        if method == "ML":
            score = -0.5 * Vi.sum(1) + 0.5 * (Vi2 * res * res).sum(1)
            info = 0.5 * Vi2.sum(1)
        elif method == "REML":
            h = (XX @ Q.reshape(-1, p * p).T).T  # (B, m): x_d' Q x_d
            tr_p = Vi.sum(1) - (Vi2 * h).sum(1)
            M = (Vi2 @ XX).reshape(-1, p, p)  # X' V^-2 X
            QM = Q @ M
            tr_pp = Vi2.sum(1) - 2.0 * (Vi2 * Vi * h).sum(1) + np.einsum("bij,bji->b", QM, QM)
            Py = Vi * res
            score = -0.5 * tr_p + 0.5 * (Py * Py).sum(1)
            info = 0.5 * tr_pp
        else:  # FH moments: sum(res^2 / V) = m - p; d/dA of the left side is -sum(res^2 / V^2)
            score = (Vi * res * res).sum(1) - (m_eff[active] - p)
            info = (Vi2 * res * res).sum(1)
        a_old = A[active]
        a_new = np.maximum(a_old + score / info, 0.0)
        A[active] = a_new
        iterations[active] = it
        done = np.abs(a_new - a_old) <= tol * np.maximum(a_new, 1e-8 * dscale)
        idx = np.flatnonzero(active)
        converged[idx[done]] = True
        if converged.all():
            break
    Vi = W / (A[:, None] + D)
    beta, Q, _ = _gls(Y, X, XX, Vi)
    return _BatchFit(A, beta, Q, converged, iterations)


def _fit_batch_adjusted(Y: np.ndarray, X: np.ndarray, D: np.ndarray, method: str,
                        weights: np.ndarray | None, tol: float) -> _BatchFit:
    B, m = Y.shape
    p = X.shape[1]
    A = np.empty(B)
    beta = np.empty((B, p))
    Q = np.empty((B, p, p))
    conv = np.zeros(B, dtype=bool)
    its = np.zeros(B, dtype=int)
    for b in range(B):
        keep = np.ones(m, dtype=bool) if weights is None else np.asarray(weights[b]) > 0
        a, c, n = fit_adjusted(Y[b, keep], X[keep], D[keep], method, tol=max(tol, 1e-12))
        A[b], conv[b], its[b] = a, c, n
        if not np.isfinite(a):
            beta[b], Q[b] = np.nan, np.nan
            continue
        Vi = keep / (a + D)
        Q[b] = np.linalg.inv((X.T * Vi) @ X)
        beta[b] = Q[b] @ ((X.T * Vi) @ Y[b])
    return _BatchFit(A, beta, Q, conv, its)


# --------------------------------------------------------------------------------------------
# MSE
# --------------------------------------------------------------------------------------------


def _variance_terms(A: float, D: np.ndarray, X: np.ndarray, Q: np.ndarray, method: str) -> tuple[float, float]:
    """Asymptotic Var(sigma2_u_hat) and its bias b for the estimation method."""
    Vi = 1.0 / (A + D)
    s1, s2 = Vi.sum(), (Vi * Vi).sum()
    m = D.size
    if method == "FH":
        return 2.0 * m / s1**2, 2.0 * (m * s2 - s1**2) / s1**3
    var_a = 2.0 / s2
    if method in ADJUSTED_METHODS:
        return var_a, adjusted_bias(A, D, X, Q, method)
    if method == "ML":
        M = (X * (Vi * Vi)[:, None]).T @ X
        return var_a, -float(np.trace(Q @ M)) / s2
    return var_a, 0.0


def _default_mse(method: str) -> str:
    return "prasad_rao" if method in ("REML", "YL") else "datta_lahiri"


def _mse_label(method: str, mse: str) -> str:
    if mse == "prasad_rao" or method in ("REML", "YL"):
        return "prasad_rao"
    if method in ("AMPL", "AMRL"):
        return "li_lahiri"
    return "datta_rao_smith" if method == "FH" else "datta_lahiri"


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FayHerriotResult:
    """Fitted Fay-Herriot model; per-area arrays follow the input order.

    r2 / adj_r2 are emdi's: r2 = 1 - MSE/MST of the OLS fit (i.e. the OLS adjusted R²) and adj_r2
    the FH-adjusted R² of Lahiri & Suntornchost (2015). loglike/aic/bic follow R sae (ML likelihood
    at the fitted sigma2_u, p + 1 parameters). standardized_residuals = (y - EBLUP)/sqrt(D) (emdi).
    """

    beta: np.ndarray
    beta_se: np.ndarray
    sigma2_u: float
    gamma: np.ndarray
    eblup: np.ndarray
    mse: np.ndarray
    synthetic: np.ndarray
    converged: bool
    iterations: int
    method: str
    mse_method: str
    loglike: float
    aic: float
    bic: float
    r2: float
    adj_r2: float
    standardized_residuals: np.ndarray
    random_effects: np.ndarray
    y: np.ndarray = field(repr=False)
    X: np.ndarray = field(repr=False)
    sampling_variance: np.ndarray = field(repr=False)
    cov_beta: np.ndarray = field(repr=False)
    sigma2_u_var: float = field(repr=False)
    sigma2_u_bias: float = field(repr=False)
    g1: np.ndarray = field(repr=False)
    g2: np.ndarray = field(repr=False)
    g3: np.ndarray = field(repr=False)
    # The MSE formula's own value (what R sae / emdi report; a bias-corrected one can be negative) and where
    # `mse` was floored at g1 + g2, the MSE with sigma2_u known: by Kackar-Harville the EBLUP's MSE is at least
    # that, so a smaller value is an artefact of the second-order correction, never a published precision.
    mse_raw: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    mse_floored: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, dtype=bool))
    # k_d of Var(u_d) = sigma2_u k_d (all ones for the homoscedastic model); see the module docstring
    effect_scale: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))

    @property
    def m(self) -> int:
        return int(self.y.size)

    @property
    def rse(self) -> np.ndarray:
        """Relative standard error sqrt(MSE)/|EBLUP| (fraction; inf where the EBLUP is 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sqrt(self.mse) / np.abs(self.eblup)

    def predict(self, X_new: object, *, floor: bool = True, effect_scale: object = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Synthetic estimate x'beta and its MSE for areas without a sample.

        MSE = k (sigma2_u - b) + x'Var(beta)x, b the bias of sigma2_u_hat for bias-corrected estimators (the
        limit of the in-sample formula as D -> inf), k the new areas' `effect_scale` (default 1). With `floor`
        (default) the MSE is at least k sigma2_u + x'Var(beta)x, its value with sigma2_u known (see
        `mse_floored`); `floor=False` gives the formula's value, as R emdi reports it.
        """
        Xn = _as_design(X_new, name="X_new")
        if Xn.shape[1] != self.X.shape[1]:
            raise ValueError(f"X_new has {Xn.shape[1]} columns, the model has {self.X.shape[1]}")
        bad = ~np.all(np.isfinite(Xn), axis=1)
        if bad.any():
            raise ValueError(f"{int(bad.sum())} area(s) have no sample and missing covariates: "
                             "no estimate is possible for them")
        k = np.ones(Xn.shape[0]) if effect_scale is None else np.asarray(effect_scale, dtype=float)
        if k.shape != (Xn.shape[0],) or not np.all(np.isfinite(k)) or np.any(k <= 0):
            raise ValueError("effect_scale must be finite and > 0, one per row of X_new")
        h = np.einsum("di,ij,dj->d", Xn, self.cov_beta, Xn)
        bias = self.sigma2_u_bias if self.mse_method != "prasad_rao" else 0.0
        mse = k * (self.sigma2_u - bias) + h
        return Xn @ self.beta, np.maximum(mse, k * self.sigma2_u + h) if floor else mse

    def to_frame(self, index: object = None) -> pd.DataFrame:
        """One row per area: direct, direct_var, direct_rse, synthetic, eblup, mse, rse, gamma,
        random_effect, standardized_residual, g1, g2, g3, mse_floored."""
        with np.errstate(divide="ignore", invalid="ignore"):
            direct_rse = np.sqrt(self.sampling_variance) / np.abs(self.y)
        return pd.DataFrame({
            "direct": self.y, "direct_var": self.sampling_variance, "direct_rse": direct_rse,
            "synthetic": self.synthetic, "eblup": self.eblup, "mse": self.mse, "rse": self.rse,
            "gamma": self.gamma, "random_effect": self.random_effects,
            "standardized_residual": self.standardized_residuals,
            "g1": self.g1, "g2": self.g2, "g3": self.g3, "mse_floored": self.mse_floored,
        }, index=index)

    def coef_table(self, names: list[str] | None = None) -> pd.DataFrame:
        z = self.beta / self.beta_se
        return pd.DataFrame({"coef": self.beta, "std_err": self.beta_se, "z": z,
                             "p_value": 2 * stats.norm.sf(np.abs(z))},
                            index=names or [f"x{i}" for i in range(self.beta.size)])

    def summary(self, names: list[str] | None = None) -> str:
        """Text report in the spirit of emdi's summary(fh): fit, coefficients, R², normality."""
        from estimation.sae.diagnostics import normality_table, shrinkage_summary

        lines = [
            f"Fay-Herriot model  method={self.method}  MSE={self.mse_method}",
            (f"areas={self.m}  covariates={self.beta.size}  converged={self.converged}"
             f"  iterations={self.iterations}"),
            f"sigma2_u={self.sigma2_u:.6g}  (asymptotic s.e. {np.sqrt(self.sigma2_u_var):.3g})",
            (f"loglike={self.loglike:.4f}  AIC={self.aic:.4f}  BIC={self.bic:.4f}"
             f"  R2={self.r2:.4f}  adj.R2(FH)={self.adj_r2:.4f}"),
            "", "Coefficients:", self.coef_table(names).to_string(float_format=lambda v: f"{v:.6g}"),
            "", "Shrinkage factor gamma = sigma2_u/(sigma2_u + D):",
            shrinkage_summary(self).to_string(float_format=lambda v: f"{v:.4f}"),
            "", "Normality (emdi convention):",
            normality_table(self).to_string(float_format=lambda v: f"{v:.4f}"),
        ]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def _r2_emdi(y: np.ndarray, X: np.ndarray, D: np.ndarray) -> tuple[float, float]:
    """OLS R² and the FH-adjusted R² of Lahiri & Suntornchost (2015), as emdi reports them."""
    m, p = X.shape
    XtX_inv = np.linalg.inv(X.T @ X)
    resid = y - X @ (XtX_inv @ (X.T @ y))
    mse_ = float(resid @ resid) / (m - p)
    mst = float(np.sum((y - y.mean()) ** 2)) / (m - 1)
    r2 = 1.0 - mse_ / mst
    hii = np.einsum("di,ij,dj->d", X, XtX_inv, X)
    dw = float(np.sum((1 - hii) * D)) / (m - p)

    def log_hxb(s: float, d: float) -> float:  # log of 2s / (1 + exp(2d/s)), no overflow
        return float(np.log(2.0 * s) - np.logaddexp(0.0, 2.0 * d / s))

    return r2, 1.0 - float(np.exp(log_hxb(mse_, dw) - log_hxb(mst, float(D.mean()))))


def fay_herriot(y: object, X: object, sampling_variance: object, method: str = "REML", *,
                mse: str | None = None, tol: float = 1e-10, max_iter: int = 200,
                fixed_sigma2_u: float | None = None, effect_scale: object = None) -> FayHerriotResult:
    """Fit the Fay-Herriot model.

    y: direct estimates (m,); X: full design matrix (m, p), no intercept added;
    sampling_variance: known D_d > 0; method: "REML", "ML", "FH" (moments), or the strictly positive
    adjusted-likelihood estimators "AMPL", "AMRL" (Li & Lahiri 2010), "YL" (Yoshimori & Lahiri 2014).
    mse: "prasad_rao" (g1 + g2 + 2 g3) or "datta_lahiri" (adds the bias term of the
    sigma2_u estimator: Datta-Lahiri for ML, Datta-Rao-Smith for FH, Li-Lahiri for AMPL/AMRL, none for
    REML and YL);
    default is the second-order unbiased one for the method, as R `sae::mseFH`.
    fixed_sigma2_u: skip estimation and use this value (reproducing another package's fit).
    effect_scale: k_d > 0 of heteroscedastic area effects Var(u_d) = sigma2_u k_d (module docstring);
    default None, the homoscedastic model (k = 1).
    """
    if effect_scale is not None:
        return _fay_herriot_scaled(y, X, sampling_variance, method, effect_scale, mse=mse, tol=tol,
                                   max_iter=max_iter, fixed_sigma2_u=fixed_sigma2_u)
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if mse is None:
        mse = _default_mse(method)
    if mse not in MSE_METHODS:
        raise ValueError(f"mse must be one of {MSE_METHODS} or None, got {mse!r}")
    y_arr, X_arr, D = _check_inputs(y, X, sampling_variance)
    m, p = X_arr.shape

    if fixed_sigma2_u is None:
        fit = _fit_batch(y_arr[None, :], X_arr, D, method, tol=tol, max_iter=max_iter)
        A, converged, iterations = float(fit.sigma2_u[0]), bool(fit.converged[0]), int(fit.iterations[0])
        if not np.isfinite(A):
            raise ValueError(f"{method}: the adjusted likelihood has no interior maximum")
        if not converged:
            warnings.warn(f"{method}: sigma2_u did not converge in {max_iter} iterations (tolerance {tol:g}); the "
                          "result carries converged=False", RuntimeWarning, stacklevel=2)
    else:
        if not np.isfinite(fixed_sigma2_u) or fixed_sigma2_u < 0:
            raise ValueError("fixed_sigma2_u must be a finite value >= 0")
        A, converged, iterations = float(fixed_sigma2_u), True, 0

    V = A + D
    Vi = 1.0 / V
    Q = np.linalg.inv((X_arr * Vi[:, None]).T @ X_arr)
    beta = Q @ ((X_arr * Vi[:, None]).T @ y_arr)
    synthetic = X_arr @ beta
    res = y_arr - synthetic
    gamma = A / V
    Bd = D / V
    eblup = synthetic + gamma * res
    h = np.einsum("di,ij,dj->d", X_arr, Q, X_arr)
    var_a, bias = _variance_terms(A, D, X_arr, Q, method)
    g1 = gamma * D
    g2 = Bd * Bd * h
    g3 = Bd * Bd * var_a / V
    label = _mse_label(method, mse)
    mse_arr = g1 + g2 + 2.0 * g3
    if label != "prasad_rao":
        mse_arr = mse_arr - bias * Bd * Bd
    floored = mse_arr < g1 + g2

    # Log-likelihood as R sae reports it (ML likelihood at the fitted sigma2_u, for every method).
    loglike = -0.5 * float(np.sum(np.log(2 * np.pi * V) + res * res / V))
    r2, adj_r2 = _r2_emdi(y_arr, X_arr, D)
    return FayHerriotResult(
        beta=beta, beta_se=np.sqrt(np.diag(Q)), sigma2_u=A, gamma=gamma, eblup=eblup,
        mse=np.where(floored, g1 + g2, mse_arr), mse_raw=mse_arr, mse_floored=floored,
        synthetic=synthetic, converged=converged, iterations=iterations, method=method, mse_method=label,
        loglike=loglike, aic=-2 * loglike + 2 * (p + 1), bic=-2 * loglike + (p + 1) * np.log(m),
        r2=r2, adj_r2=adj_r2, standardized_residuals=(y_arr - eblup) / np.sqrt(D), random_effects=gamma * res,
        y=y_arr, X=X_arr, sampling_variance=D, cov_beta=Q, sigma2_u_var=var_a, sigma2_u_bias=bias,
        g1=g1, g2=g2, g3=g3, effect_scale=np.ones(m),
    )


def _fay_herriot_scaled(y: object, X: object, sampling_variance: object, method: str, effect_scale: object,
                        **kwargs: object) -> FayHerriotResult:
    """`fay_herriot` with Var(u_d) = sigma2_u k_d: the homoscedastic fit of the rescaled data, scaled back."""
    y_arr, X_arr, D = _check_inputs(y, X, sampling_variance)
    k = np.asarray(effect_scale, dtype=float)
    if k.shape != y_arr.shape:
        raise ValueError(f"length mismatch: effect_scale has shape {k.shape}, y has {y_arr.size} areas")
    if not np.all(np.isfinite(k)) or np.any(k <= 0):
        raise ValueError(f"effect_scale must be finite and > 0 (first offending area: "
                         f"{int(np.flatnonzero(~(np.isfinite(k) & (k > 0)))[0])})")
    rk = np.sqrt(k)
    f = fay_herriot(y_arr / rk, X_arr / rk[:, None], D / k, method, **kwargs)  # type: ignore[arg-type]
    m, p = X_arr.shape
    jac = -0.5 * float(np.sum(np.log(k)))  # density of y = density of y/sqrt(k) times prod k^-1/2
    loglike = f.loglike + jac
    r2, adj_r2 = _r2_emdi(y_arr, X_arr, D)
    return replace(
        f, eblup=f.eblup * rk, synthetic=X_arr @ f.beta, mse=f.mse * k, mse_raw=f.mse_raw * k,
        g1=f.g1 * k, g2=f.g2 * k, g3=f.g3 * k, random_effects=f.random_effects * rk, loglike=loglike,
        aic=-2 * loglike + 2 * (p + 1), bic=-2 * loglike + (p + 1) * np.log(m), r2=r2, adj_r2=adj_r2,
        y=y_arr, X=X_arr, sampling_variance=D, effect_scale=k,
    )

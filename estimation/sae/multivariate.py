"""Multivariate Fay-Herriot model (Benavent & Morales 2016): K indicators (or rounds) per area, fitted jointly.

Model, area d = 1..m: y_d = X_d beta + u_d + e_d, with y_d, u_d, e_d vectors of length K,
u_d ~ N(0, Sigma_u) and e_d ~ N(0, V_e,d), V_e,d the known design covariance matrix of the area's K direct
estimates (variances on the diagonal, the covariances between indicators or rounds off it). X_d is K x p:
row k holds indicator k's covariates in its own block of columns, so each indicator has its own
coefficients (`block_design`).

Sigma_u: "unstructured" (every variance and covariance, the general MFH of Benavent & Morales for K = 2;
for two rounds, random effects correlated over time) or "independent" (diagonal: K univariate
Fay-Herriot models when V_e,d is diagonal too). Fitted by REML with Fisher scoring on the elements of
Sigma_u; after each step Sigma_u is projected onto the positive semi-definite matrices (eigenvalues
floored at 0; for "independent", variances at 0, as the univariate fit truncates). `method="AMRL"`: the
adjusted REML of Li & Lahiri (2010) generalised as the REML likelihood times det(Sigma_u) (h(A) = A for
K = 1), maximised by BFGS on the log-Cholesky factor of Sigma_u, so Sigma_u stays positive definite.
`effect_scale` (m, K): heteroscedastic effects Var(u_d) = S_d Sigma_u S_d, S_d = diag(sqrt(k_d)), fitted as
the homoscedastic model of y_d / sqrt(k_d).

EBLUP: mu_d = X_d beta + Sigma_u V_d^-1 (y_d - X_d beta), V_d = Sigma_u + V_e,d.
MSE matrix (Prasad-Rao form, Das, Jiang & Rao 2004; Benavent & Morales 2016, section 4):
    G1_d = Sigma_u - Sigma_u V_d^-1 Sigma_u,
    G2_d = A_d X_d Q X_d' A_d',  A_d = V_e,d V_d^-1, Q = (sum_d X_d' V_d^-1 X_d)^-1,
    G3_d = sum_ab F^ab L_a,d V_d L_b,d',  L_a,d = A_d E_a V_d^-1,
    MSE_d = G1_d + G2_d + 2 G3_d,
where E_a = d Sigma_u / d theta_a and F^-1 the asymptotic covariance of theta_hat, taken as the inverse of
(1/2) sum_d tr(V_d^-1 E_a V_d^-1 E_b) -- the convention of `fay_herriot` for REML (Var = 2 / sum V^-2 when
K = 1), so that with independent effects and diagonal V_e the result is exactly the univariate one. The
MSE of a contrast c' mu_d (e.g. the change between two rounds, c = (-1, 1)) is c' MSE_d c: the cross term
of the two rounds is included.

No (mK) x (mK) matrix is formed: everything is sums over areas of K x K and p x p blocks.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from scipy.optimize import minimize

__all__ = ["MultivariateFHResult", "block_design", "multivariate_fay_herriot"]

Structure = Literal["unstructured", "independent"]
Method = Literal["REML", "AMRL"]


def block_design(designs: list[np.ndarray]) -> tuple[np.ndarray, list[slice]]:
    """Stack K design matrices (each m x p_k) into the (m, K, sum p_k) block design, and each one's columns."""
    mats = [np.asarray(x, dtype=float) for x in designs]
    m = mats[0].shape[0]
    if any(x.ndim != 2 or x.shape[0] != m for x in mats):
        raise ValueError("every design matrix must be 2-D with one row per area, the same areas")
    p = sum(x.shape[1] for x in mats)
    out = np.zeros((m, len(mats), p))
    slices, start = [], 0
    for k, x in enumerate(mats):
        out[:, k, start:start + x.shape[1]] = x
        slices.append(slice(start, start + x.shape[1]))
        start += x.shape[1]
    return out, slices


def _params(K: int, structure: Structure) -> list[tuple[int, int]]:
    if structure == "independent":
        return [(k, k) for k in range(K)]
    return [(a, b) for a in range(K) for b in range(a, K)]


def _derivative(K: int, a: int, b: int) -> np.ndarray:
    E = np.zeros((K, K))
    E[a, b] = E[b, a] = 1.0
    return E


@dataclass(frozen=True)
class MultivariateFHResult:
    """Fitted multivariate Fay-Herriot model; per-area arrays follow the input order (m, K[, K])."""

    beta: np.ndarray
    beta_se: np.ndarray
    sigma_u: np.ndarray  # (K, K)
    eblup: np.ndarray  # (m, K)
    mse: np.ndarray  # (m, K, K)
    synthetic: np.ndarray  # (m, K)
    converged: bool
    iterations: int
    structure: str
    loglike_reml: float
    g1: np.ndarray = field(repr=False)
    g2: np.ndarray = field(repr=False)
    g3: np.ndarray = field(repr=False)
    cov_beta: np.ndarray = field(repr=False)
    theta_cov: np.ndarray = field(repr=False)  # asymptotic covariance of the Sigma_u elements used in G3
    y: np.ndarray = field(repr=False)
    sampling_covariance: np.ndarray = field(repr=False)

    @property
    def random_effect_correlation(self) -> float:
        """Correlation of the first two indicators' random effects (NaN when a variance is 0)."""
        s = self.sigma_u
        d = np.sqrt(s[0, 0] * s[1, 1])
        return float(s[0, 1] / d) if d > 0 else float("nan")

    def contrast(self, c: object) -> tuple[np.ndarray, np.ndarray]:
        """c' EBLUP_d and its MSE c' MSE_d c per area (cross terms included)."""
        cv = np.asarray(c, dtype=float)
        return self.eblup @ cv, np.einsum("k,dkl,l->d", cv, self.mse, cv)


def _check(y: np.ndarray, Xb: np.ndarray, Ve: np.ndarray) -> None:
    m, K = y.shape
    if Xb.shape[:2] != (m, K) or Ve.shape != (m, K, K):
        raise ValueError(f"shapes: y {y.shape}, X {Xb.shape}, V_e {Ve.shape}; expected (m, K), (m, K, p), (m, K, K)")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(Xb)) and np.all(np.isfinite(Ve))):
        raise ValueError("y, X and V_e must be finite")
    if not np.allclose(Ve, np.swapaxes(Ve, 1, 2)):
        raise ValueError("V_e must be symmetric")
    eig = np.linalg.eigvalsh(Ve)
    bad = np.flatnonzero(eig.min(axis=1) <= 0)
    if bad.size:
        raise ValueError(f"V_e must be positive definite: area {int(bad[0])} (0-based) and {bad.size - 1} other(s) "
                         "are not (smooth the variances; a covariance larger than the variances allow?)")
    p = Xb.shape[2]
    if m * K < p + 2 * K:
        raise ValueError(f"too few areas: {m} areas x {K} indicators for {p} coefficients")
    rank = np.linalg.matrix_rank(np.linalg.qr(Xb.reshape(m * K, p), mode="r"))  # R of QR: a p x p SVD
    if rank < p:
        raise ValueError(f"the design is rank-deficient (rank {rank} < {p} columns)")


def multivariate_fay_herriot(y: object, X: object, sampling_covariance: object, *,
                             structure: Structure = "unstructured", tol: float = 1e-10, max_iter: int = 200,
                             start: object | None = None, effect_scale: object = None,
                             method: Method = "REML") -> MultivariateFHResult:
    """Fit the multivariate Fay-Herriot model by REML (module docstring).

    y: (m, K) direct estimates; X: the (m, K, p) block design (`block_design`) or a list of K (m, p_k)
    design matrices; sampling_covariance: (m, K, K) known design covariance of each area's direct estimates;
    structure: "unstructured" or "independent"; start: initial Sigma_u (K, K), default diagonal.
    method: "REML", or "AMRL" (adjusted REML: the REML likelihood times det(Sigma_u), Li & Lahiri's h(A) = A
    for K = 1, so Sigma_u stays positive definite; the MSE is the same Prasad-Rao form, as the pipeline's
    univariate default "AMRL:prasad_rao").
    effect_scale: (m, K) known k_dk > 0 of heteroscedastic area effects, Var(u_d) = S_d Sigma_u S_d with
    S_d = diag(sqrt(k_d)) (the multivariate form of `fay_herriot`'s effect_scale): fitted as the homoscedastic
    model of y_d / sqrt(k_d) (a per-area linear map: the same REML estimates; EBLUP and MSE mapped back
    exactly). `sigma_u` is then the matrix of the scaled effects.
    """
    y_arr = np.asarray(y, dtype=float)
    if y_arr.ndim != 2:
        raise ValueError("y must be (m, K)")
    Xb = block_design(list(X))[0] if isinstance(X, list | tuple) else np.asarray(X, dtype=float)
    Ve = np.asarray(sampling_covariance, dtype=float)
    _check(y_arr, Xb, Ve)
    if structure not in ("unstructured", "independent"):
        raise ValueError(f"structure must be 'unstructured' or 'independent', not {structure!r}")
    if method not in ("REML", "AMRL"):
        raise ValueError(f"method must be 'REML' or 'AMRL', not {method!r}")
    if effect_scale is None:
        return _fit(y_arr, Xb, Ve, structure, tol, max_iter, start, method)
    k = np.asarray(effect_scale, dtype=float)
    if k.shape != y_arr.shape or not np.all(np.isfinite(k)) or np.any(k <= 0):
        raise ValueError(f"effect_scale must be finite and > 0, shape {y_arr.shape}")
    sc = np.sqrt(k)
    outer = sc[:, :, None] * sc[:, None, :]
    fit = _fit(y_arr / sc, Xb / sc[:, :, None], Ve / outer, structure, tol, max_iter, start, method)
    return replace(fit, eblup=fit.eblup * sc, synthetic=fit.synthetic * sc, mse=fit.mse * outer,
                   g1=fit.g1 * outer, g2=fit.g2 * outer, g3=fit.g3 * outer, y=y_arr, sampling_covariance=Ve,
                   loglike_reml=fit.loglike_reml - float(np.log(sc).sum()))  # Jacobian of the map


def _fit(y_arr: np.ndarray, Xb: np.ndarray, Ve: np.ndarray, structure: Structure, tol: float, max_iter: int,
         start: object | None, method: Method = "REML") -> MultivariateFHResult:
    m, K = y_arr.shape
    p = Xb.shape[2]
    params = _params(K, structure)
    E = np.stack([_derivative(K, a, b) for a, b in params])  # (P, K, K)
    if start is None:
        su = np.diag(np.median(np.diagonal(Ve, axis1=1, axis2=2), axis=0))
    else:
        su = np.asarray(start, dtype=float).copy()
    theta = np.array([su[a, b] for a, b in params])
    scale = float(np.mean(np.diagonal(Ve, axis1=1, axis2=2)))
    converged, iterations = False, 0
    if method == "AMRL":
        su, converged, iterations = _fit_adjusted(y_arr, Xb, Ve, su, structure, tol, max_iter, E, params)
    Vi, Q, beta, r = _gls(su, Ve, Xb, y_arr)
    current = _reml_loglike(Vi, Q, r)
    for it in range(1, max_iter + 1):
        if method == "AMRL":
            break
        score, info = _reml_score_info(Vi, Q, Xb, r, E)
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:  # a singular information (a parameter the data cannot tell): least squares
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        iterations = it
        if not np.all(np.isfinite(step)):
            break  # converged stays False: warned below
        # Fisher step projected onto the PSD cone; halved while it lowers the REML likelihood (near the
        # cone's boundary a full projected step can overshoot and cycle)
        for _ in range(30):
            new = _project(theta + step, params, K, structure)
            Vi_n, Q_n, beta_n, r_n = _gls(_sigma(new, params, K), Ve, Xb, y_arr)
            value = _reml_loglike(Vi_n, Q_n, r_n)
            if value >= current - 1e-12 * abs(current):
                break
            step = step / 2.0
        else:  # no step raises the likelihood: a constrained maximum
            converged = True
            break
        done = np.max(np.abs(new - theta)) <= tol * max(np.max(np.abs(new)), 1e-8 * scale)
        # on the cone's boundary (the projection active) a step that no longer raises the likelihood is the end
        projected = not np.allclose(new, theta + step, rtol=0.0, atol=1e-12 * scale)
        done = done or (projected and value - current <= 1e-12 * abs(current))
        theta, current = new, value
        Vi, Q, beta, r = Vi_n, Q_n, beta_n, r_n
        su = _sigma(theta, params, K)
        if done:
            converged = True
            break
    if not converged:
        warnings.warn(f"multivariate Fay-Herriot: {method} did not converge in {max_iter} iterations (tolerance "
                      f"{tol:g}); the result carries converged=False", RuntimeWarning, stacklevel=2)
    Vi, Q, beta, r = _gls(su, Ve, Xb, y_arr)
    synthetic = np.einsum("dkp,p->dk", Xb, beta)
    gain = su @ Vi  # (m, K, K): Sigma_u V_d^-1
    eblup = synthetic + np.einsum("dkl,dl->dk", gain, r)
    g1 = su[None] - gain @ su[None]
    A = Ve @ Vi  # V_e V^-1 = I - Sigma_u V^-1
    AX = A @ Xb  # (m, K, p)
    g2 = (AX @ Q) @ np.swapaxes(AX, 1, 2)
    ViE = Vi[None] @ E[:, None]  # V^-1 E_a, (P, m, K, K)
    mse_info = 0.5 * np.einsum("adij,bdji->ab", ViE, ViE)
    theta_cov = np.linalg.inv(mse_info)
    L = (A[None] @ E[:, None]) @ Vi[None]  # (P, m, K, K)
    V = su[None] + Ve
    LV = L @ V[None]
    Lt = np.swapaxes(L, 2, 3)
    g3 = sum(theta_cov[a, b] * (LV[a] @ Lt[b]) for a in range(len(params)) for b in range(len(params)))
    mse = g1 + g2 + 2.0 * g3
    logdet = float(np.sum(np.linalg.slogdet(Vi)[1]))
    loglike = -0.5 * (-logdet + float(np.einsum("dk,dkl,dl->", r, Vi, r)) + np.linalg.slogdet(np.linalg.inv(Q))[1]
                      + (m * K - p) * np.log(2 * np.pi))
    return MultivariateFHResult(
        beta=beta, beta_se=np.sqrt(np.diag(Q)), sigma_u=su, eblup=eblup, mse=mse, synthetic=synthetic,
        converged=converged, iterations=iterations, structure=structure, loglike_reml=float(loglike),
        g1=g1, g2=g2, g3=g3, cov_beta=Q, theta_cov=theta_cov, y=y_arr, sampling_covariance=Ve)


def _sigma(theta: np.ndarray, params: list[tuple[int, int]], K: int) -> np.ndarray:
    s = np.zeros((K, K))
    for t, (a, b) in zip(theta, params, strict=True):
        s[a, b] = s[b, a] = t
    return s


def _project(theta: np.ndarray, params: list[tuple[int, int]], K: int, structure: Structure) -> np.ndarray:
    if structure == "independent":
        return np.maximum(theta, 0.0)
    w, v = np.linalg.eigh(_sigma(theta, params, K))
    s = (v * np.maximum(w, 0.0)) @ v.T
    return np.array([s[a, b] for a, b in params])


def _gls(su: np.ndarray, Ve: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    m, K, p = Xb.shape
    Vi = np.linalg.inv(su[None] + Ve)
    ViX = (Vi @ Xb).reshape(m * K, p)
    Xf = Xb.reshape(m * K, p)
    Q = np.linalg.inv(Xf.T @ ViX)
    beta = Q @ (ViX.T @ y.reshape(-1))
    r = y - (Xf @ beta).reshape(m, K)
    return Vi, Q, beta, r


def _fit_adjusted(y: np.ndarray, Xb: np.ndarray, Ve: np.ndarray, su: np.ndarray, structure: Structure, tol: float,
                  max_iter: int, E: np.ndarray, params: list[tuple[int, int]]) -> tuple[np.ndarray, bool, int]:
    """Adjusted REML (REML likelihood times det Sigma_u) by Fisher scoring on the Cholesky factor of Sigma_u,
    its diagonal on the log scale: Sigma_u = L L' stays positive definite and log det = 2 sum log L_ii exactly
    (no cancellation near a singular Sigma_u). Steps halved while they lower the adjusted likelihood."""
    K = su.shape[0]
    cells = [(i, j) for i in range(K) for j in range(i + 1)] if structure == "unstructured" else \
        [(i, i) for i in range(K)]
    L0 = np.linalg.cholesky(su)
    phi = np.array([np.log(L0[i, j]) if i == j else L0[i, j] for i, j in cells])

    def factor(phi: np.ndarray) -> np.ndarray:
        L = np.zeros((K, K))
        for v, (i, j) in zip(phi, cells, strict=True):
            L[i, j] = np.exp(np.clip(v, -300.0, 300.0)) if i == j else v
        return L

    def sigma(phi: np.ndarray) -> np.ndarray:
        L = factor(phi)
        return L @ L.T

    def jacobian(phi: np.ndarray) -> np.ndarray:  # d theta_a / d phi_c, theta the Sigma_u elements of `params`
        L = factor(phi)
        J = np.zeros((len(params), len(cells)))
        for c, (i, j) in enumerate(cells):
            Eij = np.zeros((K, K))
            Eij[i, j] = L[i, i] if i == j else 1.0  # d L / d phi_c
            dS = Eij @ L.T + L @ Eij.T
            J[:, c] = [dS[a, b] for a, b in params]
        return J

    logdet_grad = np.array([2.0 if i == j else 0.0 for i, j in cells])

    def value(phi: np.ndarray) -> tuple[float, tuple[np.ndarray, ...]]:
        pieces = _gls(sigma(phi), Ve, Xb, y)
        return _reml_loglike(pieces[0], pieces[1], pieces[3]) + float(logdet_grad @ phi), pieces

    def objective(phi: np.ndarray) -> tuple[float, np.ndarray]:
        """Minus the adjusted REML log-likelihood and its gradient J' s_theta + d log det / d phi."""
        try:
            val, (Vi, Q, _, r) = value(phi)
            score, _ = _reml_score_info(Vi, Q, Xb, r, E)
        except np.linalg.LinAlgError:  # a trial point of the line search far outside: reject it
            return np.inf, np.zeros_like(phi)
        if not np.isfinite(val):
            return np.inf, np.zeros_like(phi)
        return -val, -(jacobian(phi).T @ score + logdet_grad)

    # quasi-Newton: at the adjusted maximum the REML score is not 0 (it balances d log det), so Fisher scoring
    # on phi, which drops the curvature of theta(phi), would zig-zag
    res = minimize(objective, phi, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": max_iter})
    # BFGS stops on "precision loss" once the line search cannot resolve the objective: converged when the
    # gradient is then negligible against the log-likelihood's size
    done = bool(res.success) or float(np.max(np.abs(res.jac))) <= 1e-6 * (1.0 + abs(float(res.fun)))
    return sigma(res.x), done, int(res.nit)


def _reml_loglike(Vi: np.ndarray, Q: np.ndarray, r: np.ndarray) -> float:
    """REML log-likelihood without its constant: -(log|V| + log|X'V^-1X| + r'V^-1 r) / 2."""
    logdet_v = -float(np.sum(np.linalg.slogdet(Vi)[1]))
    logdet_x = -float(np.linalg.slogdet(Q)[1])
    return -0.5 * (logdet_v + logdet_x + float(np.einsum("dk,dkl,dl->", r, Vi, r)))


def _reml_score_info(Vi: np.ndarray, Q: np.ndarray, Xb: np.ndarray, r: np.ndarray,
                     E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """REML score and Fisher information of the Sigma_u elements, from per-area blocks:
    s_a = -tr(P V_a)/2 + y'P V_a P y/2, F_ab = tr(P V_a P V_b)/2 with P = V^-1 - V^-1 X Q X' V^-1."""
    ViE = Vi[None] @ E[:, None]  # V^-1 E_a, (P, m, K, K)
    ViEVi = ViE @ Vi[None]  # V^-1 E_a V^-1
    m, K, p = Xb.shape
    Xf = Xb.reshape(m * K, p)
    H = Xf.T @ (ViEVi @ Xb[None]).reshape(-1, m * K, p)  # X' V^-1 E_a V^-1 X, one batched product
    Pr = np.einsum("dkl,dl->dk", Vi, r)  # P y = V^-1 r
    tr_pv = np.einsum("adii->a", ViE) - np.einsum("pq,aqp->a", Q, H)
    quad = np.einsum("dk,akl,dl->a", Pr, E, Pr)
    score = -0.5 * tr_pv + 0.5 * quad
    t1 = np.einsum("adij,bdji->ab", ViE, ViE)
    XQX = (Xb @ Q) @ np.swapaxes(Xb, 1, 2)  # X_d Q X_d'
    # tr(Q X'V^-1 E_a V^-1 E_b V^-1 X) = sum_d tr(V^-1 E_a V^-1 E_b V^-1 X_d Q X_d')
    R = ViE @ (Vi @ XQX)[None]  # V^-1 E_b V^-1 X_d Q X_d' per area
    t2 = np.einsum("adij,bdji->ab", ViE, R)
    QH = np.einsum("pq,aqr->apr", Q, H)
    t3 = np.einsum("apr,brp->ab", QH, QH)
    info = 0.5 * (t1 - 2.0 * t2 + t3)
    return score, info

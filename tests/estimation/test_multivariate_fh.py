"""Multivariate Fay-Herriot (estimation/sae/multivariate.py) against independent computations.

1. Independent random effects and diagonal design covariances: exactly the univariate REML Fay-Herriot of
   estimation/sae/fay_herriot.py, indicator by indicator (sigma2_u, beta, EBLUP, g1, g2, g3, MSE).
2. Unstructured Sigma_u: the REML estimate maximises the REML log-likelihood written with dense (mK x mK)
   matrices (an independent implementation): its numerical gradient vanishes there, its Hessian is negative.
3. The MSE matrix: G1 and G2 from the dense BLUP formulas, G3 from numerical derivatives of the BLUP
   coefficients.
4. Simulated from the model: the MSE of the change between two rounds (cross term included) is unbiased
   and its intervals cover ~95%; dropping the cross term does not.
"""

from __future__ import annotations

import numpy as np
import pytest

from estimation.sae.fay_herriot import fay_herriot
from estimation.sae.multivariate import block_design, multivariate_fay_herriot


def _data(rng, m=120, rho_u=0.8, rho_e=0.4, s=(0.004, 0.003)):
    x1 = np.c_[np.ones(m), rng.normal(size=m), rng.normal(size=m)]
    x2 = np.c_[np.ones(m), x1[:, 1] + 0.3 * rng.normal(size=m)]
    su = np.array([[s[0], rho_u * np.sqrt(s[0] * s[1])], [rho_u * np.sqrt(s[0] * s[1]), s[1]]])
    d1, d2 = rng.uniform(0.001, 0.006, m), rng.uniform(0.001, 0.006, m)
    ve = np.zeros((m, 2, 2))
    ve[:, 0, 0], ve[:, 1, 1] = d1, d2
    ve[:, 0, 1] = ve[:, 1, 0] = rho_e * np.sqrt(d1 * d2)
    beta1, beta2 = np.array([0.15, 0.03, -0.02]), np.array([0.14, 0.025])
    mu = np.c_[x1 @ beta1, x2 @ beta2] + rng.multivariate_normal(np.zeros(2), su, size=m)
    return x1, x2, ve, su, mu


def _draw(rng, mu, ve):
    chol = np.linalg.cholesky(ve)
    return mu + np.einsum("dkl,dl->dk", chol, rng.standard_normal(mu.shape))


def test_independent_effects_and_diagonal_covariance_equal_two_univariate_fits():
    rng = np.random.default_rng(0)
    x1, x2, ve, _, mu = _data(rng, rho_e=0.0)
    y = _draw(rng, mu, ve)
    fit = multivariate_fay_herriot(y, [x1, x2], ve, structure="independent", tol=1e-13)
    _, cols = block_design([x1, x2])
    for k, x in enumerate((x1, x2)):
        uni = fay_herriot(y[:, k], x, ve[:, k, k], "REML", tol=1e-13)
        assert fit.sigma_u[k, k] == pytest.approx(uni.sigma2_u, rel=1e-9)
        np.testing.assert_allclose(fit.beta[cols[k]], uni.beta, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(fit.eblup[:, k], uni.eblup, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(fit.g1[:, k, k], uni.g1, rtol=1e-8)
        np.testing.assert_allclose(fit.g2[:, k, k], uni.g2, rtol=1e-8)
        np.testing.assert_allclose(fit.g3[:, k, k], uni.g3, rtol=1e-8)
        np.testing.assert_allclose(fit.mse[:, k, k], uni.mse, rtol=1e-8)
    assert fit.sigma_u[0, 1] == 0 and np.all(fit.mse[:, 0, 1] == 0)
    # heteroscedastic effects Var(u_dk) = sigma2_k k_dk: the univariate fits with the same effect_scale
    k = np.c_[ve[:, 0, 0], ve[:, 1, 1]] / np.exp(np.log(np.c_[ve[:, 0, 0], ve[:, 1, 1]]).mean(axis=0))
    het = multivariate_fay_herriot(y, [x1, x2], ve, structure="independent", tol=1e-13, effect_scale=k)
    for kk, x in enumerate((x1, x2)):
        uni = fay_herriot(y[:, kk], x, ve[:, kk, kk], "REML", tol=1e-13, effect_scale=k[:, kk])
        assert het.sigma_u[kk, kk] == pytest.approx(uni.sigma2_u, rel=1e-9)
        np.testing.assert_allclose(het.eblup[:, kk], uni.eblup, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(het.mse[:, kk, kk], uni.mse, rtol=1e-8)
    # adjusted REML (h = det Sigma_u): Li-Lahiri's AMRL of each indicator, with the Prasad-Rao MSE
    adj = multivariate_fay_herriot(y, [x1, x2], ve, structure="independent", tol=1e-13, method="AMRL")
    for kk, x in enumerate((x1, x2)):
        uni = fay_herriot(y[:, kk], x, ve[:, kk, kk], "AMRL", mse="prasad_rao", tol=1e-13)
        assert adj.sigma_u[kk, kk] == pytest.approx(uni.sigma2_u, rel=1e-7)
        np.testing.assert_allclose(adj.eblup[:, kk], uni.eblup, rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(adj.mse[:, kk, kk], uni.mse, rtol=1e-6)


def _dense_reml_loglike(theta, y, Xb, ve):
    """REML log-likelihood with dense matrices: -1/2 [log|V| + log|X'V^-1X| + y'Py] (constants dropped)."""
    s11, s22, s12 = theta
    su = np.array([[s11, s12], [s12, s22]])
    m, K, p = Xb.shape
    V = np.zeros((m * K, m * K))
    for d in range(m):
        V[d * K:(d + 1) * K, d * K:(d + 1) * K] = su + ve[d]
    X = Xb.reshape(m * K, p)
    yy = y.reshape(-1)
    sign, logdet = np.linalg.slogdet(V)
    if sign <= 0:
        return -np.inf
    Vi = np.linalg.inv(V)
    XtViX = X.T @ Vi @ X
    P = Vi - Vi @ X @ np.linalg.solve(XtViX, X.T @ Vi)
    return -0.5 * (logdet + np.linalg.slogdet(XtViX)[1] + yy @ P @ yy)


def test_unstructured_reml_maximises_the_dense_reml_likelihood():
    rng = np.random.default_rng(1)
    x1, x2, ve, _, mu = _data(rng, m=60)  # REML maximum inside the PSD cone (m=40: on its boundary)
    y = _draw(rng, mu, ve)
    fit = multivariate_fay_herriot(y, [x1, x2], ve, tol=1e-12)
    Xb, _ = block_design([x1, x2])
    theta = np.array([fit.sigma_u[0, 0], fit.sigma_u[1, 1], fit.sigma_u[0, 1]])
    # the dense likelihood's numerical gradient vanishes at the estimate and its Hessian is negative definite
    f = lambda t: _dense_reml_loglike(t, y, Xb, ve)
    h = 1e-6
    steps = np.eye(3) * h
    grad = np.array([(f(theta + e) - f(theta - e)) / (2 * h) for e in steps])
    hess = np.array([[(f(theta + a + b) - f(theta + a - b) - f(theta - a + b) + f(theta - a - b)) / (4 * h * h)
                      for b in steps] for a in steps])
    assert np.all(np.linalg.eigvalsh(hess) < 0)
    assert np.abs(grad).max() < 1e-4 * np.abs(np.diag(hess)).min() * np.abs(theta).max()
    # the REML log-likelihood it reports differs from the dense one only by the constant
    const = -0.5 * (y.size - Xb.shape[2]) * np.log(2 * np.pi)
    assert fit.loglike_reml == pytest.approx(_dense_reml_loglike(theta, y, Xb, ve) + const, rel=1e-10)


def test_mse_terms_against_dense_formulas_and_numerical_derivatives():
    rng = np.random.default_rng(2)
    x1, x2, ve, _, mu = _data(rng, m=30)
    y = _draw(rng, mu, ve)
    fit = multivariate_fay_herriot(y, [x1, x2], ve)
    Xb, _ = block_design([x1, x2])
    m, K, p = Xb.shape
    su = fit.sigma_u
    X = Xb.reshape(m * K, p)
    V = np.zeros((m * K, m * K))
    for d in range(m):
        V[d * K:(d + 1) * K, d * K:(d + 1) * K] = su + ve[d]
    Vi = np.linalg.inv(V)
    G = np.kron(np.eye(m), su)
    Q = np.linalg.inv(X.T @ Vi @ X)
    for d in (0, 7, 29):
        rows = slice(d * K, (d + 1) * K)
        # the BLUP of mu_d = X_d beta + (G V^-1)_d (y - X beta): g1 = G - G V^-1 G, g2 = (X_d - b_d X) Q (.)'
        b = (G @ Vi)[rows]
        g1 = su - b @ G[:, rows]
        aa = Xb[d] - b @ X
        np.testing.assert_allclose(fit.g1[d], g1, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(fit.g2[d], aa @ Q @ aa.T, rtol=1e-8, atol=1e-14)

        def coef(theta, d=d):
            s = np.array([[theta[0], theta[2]], [theta[2], theta[1]]])
            return s @ np.linalg.inv(s + ve[d])

        theta = np.array([su[0, 0], su[1, 1], su[0, 1]])
        h = 1e-7
        derivs = []
        for a in range(3):
            e = np.zeros(3)
            e[a] = h
            derivs.append((coef(theta + e) - coef(theta - e)) / (2 * h))
        # fit.theta_cov is ordered (s11, s12, s22)
        order = [0, 2, 1]
        cov_t = fit.theta_cov[np.ix_(order, order)]
        g3 = sum(cov_t[a, c] * derivs[a] @ (su + ve[d]) @ derivs[c].T for a in range(3) for c in range(3))
        np.testing.assert_allclose(fit.g3[d], g3, rtol=1e-5, atol=1e-14)


def test_change_mse_with_cross_term_is_honest_on_simulated_data():
    """Fixed areas, 150 data sets from the model (random effects correlated 0.8 over the two rounds, design
    correlation 0.4): the change's MSE summed over areas matches the Monte Carlo MSE; without the cross term it
    is far too large."""
    rng = np.random.default_rng(3)
    x1, x2, ve, su, _ = _data(rng, m=150)
    Xb, _ = block_design([x1, x2])
    beta = np.r_[0.15, 0.03, -0.02, 0.14, 0.025]
    err, est_mse, naive, covered = [], [], [], []
    for _ in range(150):
        mu = np.einsum("dkp,p->dk", Xb, beta) + rng.multivariate_normal(np.zeros(2), su, size=len(x1))
        fit = multivariate_fay_herriot(_draw(rng, mu, ve), Xb, ve)
        change, mse = fit.contrast([-1.0, 1.0])
        truth = mu[:, 1] - mu[:, 0]
        err.append((change - truth) ** 2)
        est_mse.append(mse)
        naive.append(fit.mse[:, 0, 0] + fit.mse[:, 1, 1])
        covered.append(np.abs(change - truth) <= 1.96 * np.sqrt(mse))
    ratio = np.mean(est_mse) / np.mean(err)
    assert ratio == pytest.approx(1.0, abs=0.1)
    assert np.mean(naive) / np.mean(err) > 1.5
    assert 0.93 <= np.mean(covered) <= 0.97


def test_refuses_bad_covariances():
    rng = np.random.default_rng(4)
    x1, x2, ve, _, mu = _data(rng, m=40)
    bad = ve.copy()
    bad[3, 0, 1] = bad[3, 1, 0] = 2 * np.sqrt(bad[3, 0, 0] * bad[3, 1, 1])
    with pytest.raises(ValueError, match="area 3"):
        multivariate_fay_herriot(mu, [x1, x2], bad)
    with pytest.raises(ValueError, match="finite"):
        multivariate_fay_herriot(np.where(np.arange(80).reshape(40, 2) == 5, np.nan, mu), [x1, x2], ve)


def test_joint_p0_and_extreme_keeps_order_and_gains_on_extreme():
    """P0 and extreme poverty (about a tenth of P0, effects correlated 0.9) from 60 data sets: the joint EBLUP
    of extreme poverty is more accurate than the univariate one, its MSE is honest, and extreme <= P0 always."""
    from estimation.sae.joint import joint_poverty

    rng = np.random.default_rng(6)
    m = 200
    X = np.c_[np.ones(m), rng.normal(size=m)]
    su = np.array([[4e-4, 0.9 * np.sqrt(4e-4 * 2e-5)], [0.9 * np.sqrt(4e-4 * 2e-5), 2e-5]])
    d0, de = rng.uniform(2e-4, 1.2e-3, m), rng.uniform(2e-5, 1.5e-4, m)
    ve = np.zeros((m, 2, 2))
    ve[:, 0, 0], ve[:, 1, 1] = d0, de
    ve[:, 0, 1] = ve[:, 1, 0] = 0.5 * np.sqrt(d0 * de)
    err_joint, err_uni, mse_joint = [], [], []
    for _ in range(60):
        mu = np.c_[X @ [0.12, 0.03], X @ [0.012, 0.004]] + rng.multivariate_normal(np.zeros(2), su, size=m)
        y = _draw(rng, mu, ve)
        frame, fit = joint_poverty(y[:, 0], y[:, 1], X, d0, de, 0.5, effects="constant", method="REML")
        assert (frame["extreme"] <= frame["p0"]).all()
        uni = fay_herriot(y[:, 1], X, de, "REML")
        err_joint.append((fit.eblup[:, 1] - mu[:, 1]) ** 2)
        err_uni.append((uni.eblup - mu[:, 1]) ** 2)
        mse_joint.append(fit.mse[:, 1, 1])
    assert np.mean(err_joint) < 0.9 * np.mean(err_uni)
    assert np.mean(mse_joint) / np.mean(err_joint) == pytest.approx(1.0, abs=0.15)

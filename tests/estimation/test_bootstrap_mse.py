"""Heteroscedastic Fay-Herriot (effect_scale) and the parametric bootstrap MSE of the published figures.

Oracles: (1) a dense implementation (m x m V = sigma2_u K + D, REML and AMRL by scipy on the restricted
likelihood, BLUP and its MSE with sigma2_u known from the dense matrices); (2) `adjusted.fit_adjusted` (grid +
Brent per data set) for the batched bisection; (3) when data are generated from the model, the bootstrap MSE
of the EBLUP agrees with the Prasad-Rao MSE, and the published interval (benchmarked figure +- 1.96 sqrt of its
bootstrap MSE) covers the model's truth at the nominal rate, with Monte Carlo MSE equal to the bootstrap's.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from estimation.sae import fay_herriot
from estimation.sae.adjusted import fit_adjusted
from estimation.sae.benchmark import ratio_benchmark
from estimation.sae.bootstrap import _equal_variance_fit, bootstrap_mse, fit_adjusted_batch
from estimation.sae.fay_herriot import _fit_batch

Z95 = 1.959963984540054


def _data(seed: int, m: int = 60, sigma2: float = 0.5, proportional: bool = True):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(m), rng.normal(size=(m, 2))])
    D = rng.uniform(0.2, 2.0, m)
    k = D / np.exp(np.mean(np.log(D))) if proportional else np.ones(m)
    theta = X @ [1.0, 0.5, -0.3] + rng.normal(size=m) * np.sqrt(sigma2 * k)
    return theta + rng.normal(size=m) * np.sqrt(D), X, D, k, theta


# ------------------------------------------------------------------------------------------ dense oracle
def _dense_reml(A: float, y, X, D, k, adjusted: bool) -> float:
    V = np.diag(A * k + D)
    Vi = np.linalg.inv(V)
    XtViX = X.T @ Vi @ X
    P = Vi - Vi @ X @ np.linalg.solve(XtViX, X.T @ Vi)
    ll = -0.5 * np.linalg.slogdet(V)[1] - 0.5 * np.linalg.slogdet(XtViX)[1] - 0.5 * y @ P @ y
    return float(ll + (np.log(A) if adjusted else 0.0))


def _dense_fit(y, X, D, k, adjusted: bool) -> float:
    r = minimize_scalar(lambda t: -_dense_reml(np.exp(t), y, X, D, k, adjusted), bounds=(-12, 4), method="bounded",
                        options={"xatol": 1e-10})
    return float(np.exp(r.x))


def _dense_blup(A: float, y, X, D, k):
    """BLUP and its MSE with sigma2_u known, from the dense m x m matrices."""
    G = np.diag(A * k)
    Vi = np.linalg.inv(G + np.diag(D))
    Q = np.linalg.inv(X.T @ Vi @ X)
    beta = Q @ X.T @ Vi @ y
    blup = X @ beta + G @ Vi @ (y - X @ beta)
    L = X - G @ Vi @ X
    mse = np.diag(G - G @ Vi @ G) + np.einsum("di,ij,dj->d", L, Q, L)
    return blup, mse


@pytest.mark.parametrize("method", ["REML", "AMRL"])
def test_heteroscedastic_fit_matches_dense_oracle(method):
    y, X, D, k, _ = _data(3)
    r = fay_herriot(y, X, D, method, effect_scale=k)
    A = _dense_fit(y, X, D, k, adjusted=method == "AMRL")
    assert r.sigma2_u == pytest.approx(A, rel=1e-6)
    blup, mse_known = _dense_blup(r.sigma2_u, y, X, D, k)
    np.testing.assert_allclose(r.eblup, blup, rtol=1e-10)
    np.testing.assert_allclose(r.g1 + r.g2, mse_known, rtol=1e-10)
    assert np.all(r.mse >= (r.g1 + r.g2) * (1 - 1e-12))  # floored in the rescaled model, then times k
    # gamma is the same in every area when k is proportional to D
    np.testing.assert_allclose(r.gamma, r.gamma[0], rtol=1e-12)
    # the likelihood carries the Jacobian: ML log-likelihood of y, dense
    V = r.sigma2_u * k + D
    res = y - X @ r.beta
    assert r.loglike == pytest.approx(-0.5 * float(np.sum(np.log(2 * np.pi * V) + res**2 / V)), rel=1e-12)


def test_unit_effect_scale_is_the_homoscedastic_model():
    y, X, D, _, _ = _data(4, proportional=False)
    a = fay_herriot(y, X, D, "AMRL")
    b = fay_herriot(y, X, D, "AMRL", effect_scale=np.ones(y.size))
    for name in ("sigma2_u", "eblup", "mse", "g1", "g2", "g3", "loglike", "beta", "gamma"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    # out of sample: k (sigma2_u - b) + x'Var(beta)x, floored at k sigma2_u + x'Var(beta)x
    k_new = np.array([0.5, 2.0])
    _, mse_new = b.predict(X[:2], effect_scale=k_new)
    h = np.einsum("di,ij,dj->d", X[:2], b.cov_beta, X[:2])
    np.testing.assert_allclose(mse_new, np.maximum(k_new * (b.sigma2_u - b.sigma2_u_bias) + h,
                                                   k_new * b.sigma2_u + h))


@pytest.mark.parametrize("bad", [np.zeros(60), np.full(60, np.nan), -np.ones(60), np.ones(59)])
def test_effect_scale_refuses_bad_values(bad):
    y, X, D, _, _ = _data(5)
    with pytest.raises(ValueError, match="effect_scale"):
        fay_herriot(y, X, D, "REML", effect_scale=bad)


@pytest.mark.parametrize("method", ["AMRL", "AMPL", "YL"])
def test_batched_adjusted_fit_equals_single_fits(method):
    rng = np.random.default_rng(8)
    m = 80
    X = np.column_stack([np.ones(m), rng.normal(size=(m, 3))])
    D = rng.uniform(0.3, 1.5, m)
    Y = X @ [2, 1, -0.5, 0.3] + rng.normal(0, np.sqrt(0.4), (6, m)) + rng.normal(size=(6, m)) * np.sqrt(D)
    A, ok = fit_adjusted_batch(Y, X, D, method)
    assert ok.all()
    np.testing.assert_allclose(A, [fit_adjusted(y, X, D, method)[0] for y in Y], rtol=1e-9)


@pytest.mark.parametrize("method", ["REML", "ML", "FH", "AMRL", "AMPL"])
def test_equal_variance_closed_form(method):
    rng = np.random.default_rng(9)
    m = 50
    X = np.column_stack([np.ones(m), rng.normal(size=(m, 2))])
    D = np.full(m, 0.7)
    Y = X @ [1, 1, 1] + rng.normal(0, 0.6, (5, m)) + rng.normal(0, np.sqrt(0.7), (5, m))
    A, _ = _equal_variance_fit(Y, X, 0.7, method)
    want = fit_adjusted_batch(Y, X, D, method)[0] if method.startswith("AM") else _fit_batch(Y, X, D, method).sigma2_u
    np.testing.assert_allclose(A, want, rtol=1e-9)


@pytest.mark.parametrize("proportional", [False, True])
def test_bootstrap_mse_agrees_with_prasad_rao_when_the_model_holds(proportional):
    """Far from the clipping bounds, the bootstrap MSE of the EBLUP estimates what Prasad-Rao does."""
    y, X, D, k, _ = _data(11, m=200, proportional=proportional)
    # homoscedastic: REML (batched Fisher scoring); proportional: AMRL (closed-form refits)
    fit = fay_herriot(y, X, D, "AMRL" if proportional else "REML", mse="prasad_rao",
                      effect_scale=k if proportional else None)
    boot = bootstrap_mse(fit, B=2000, seed=1, bounds=None)
    ratio = boot.mse_eblup / fit.mse
    assert abs(np.mean(ratio) - 1) < 0.03
    assert np.all(np.abs(ratio - 1) < 0.2)  # per area: Monte Carlo error of B = 2000 (sd ~ sqrt(2/B) = 3%)
    assert boot.converged_share == 1.0


def test_benchmarked_interval_covers_at_the_nominal_rate_under_the_model():
    """Data from the (proportional) model, 12 groups: the interval benchmarked +- 1.96 sqrt(bootstrap MSE of the
    benchmarked figure) covers the truth ~95%, and the bootstrap MSE equals the Monte Carlo MSE of the
    benchmarked figure (sum over areas), where the EBLUP's own MSE understates it. REML: its sigma2_u is
    unbiased to second order, so the plug-in bootstrap is too (AMRL's O(1/m) upward bias makes its bootstrap
    MSE ~9% larger at m = 120, measured)."""
    rng = np.random.default_rng(12)
    m, reps = 120, 100
    X = np.column_stack([np.ones(m), rng.normal(size=(m, 2))])
    D = rng.uniform(0.2, 2.0, m)
    k = D / np.exp(np.mean(np.log(D)))
    groups = np.repeat(np.arange(12), m // 12)
    w = rng.uniform(1, 5, m)
    mu = X @ [5.0, 0.5, -0.3]
    covered, err2, est_boot, est_eblup = [], [], [], []
    t0 = time.perf_counter()
    for r in range(reps):
        theta = mu + rng.normal(size=m) * np.sqrt(0.5 * k)
        y = theta + rng.normal(size=m) * np.sqrt(D)
        fit = fay_herriot(y, X, D, "REML", effect_scale=k)
        target = {g: float(np.sum(w[groups == g] * y[groups == g]) / np.sum(w[groups == g])) for g in range(12)}
        bench, _, _ = ratio_benchmark(fit.eblup, w, groups, target)
        boot = bootstrap_mse(fit, B=100, seed=r, groups=groups, weights=w, bounds=None)
        covered.append(np.abs(bench - theta) <= Z95 * np.sqrt(boot.mse_benchmarked))
        err2.append((bench - theta) ** 2)
        est_boot.append(boot.mse_benchmarked)
        est_eblup.append(fit.mse)
    assert time.perf_counter() - t0 < 15
    coverage = np.mean(covered)
    assert 0.93 < coverage < 0.97
    actual = np.sum(np.mean(err2, axis=0))
    assert np.sum(np.mean(est_boot, axis=0)) / actual == pytest.approx(1.0, abs=0.06)
    assert np.sum(np.mean(est_eblup, axis=0)) / actual < 0.95  # benchmarking adds error the EBLUP's MSE misses


def test_bootstrap_refuses_and_labels():
    y, X, D, k, _ = _data(13)
    fit = fay_herriot(y, X, D, "REML", effect_scale=k)
    with pytest.raises(ValueError, match="B must be"):
        bootstrap_mse(fit, B=1)
    with pytest.raises(ValueError, match="weights"):
        bootstrap_mse(fit, B=10, groups=np.zeros(y.size), weights=-np.ones(y.size))
    boot = bootstrap_mse(fit, B=10, seed=0, groups=np.zeros(y.size))
    assert "benchmarking repeated" in boot.method and np.all(boot.mse_benchmarked > 0)
    # seeded: the same seed gives the same MSE
    np.testing.assert_array_equal(boot.mse_eblup, bootstrap_mse(fit, B=10, seed=0).mse_eblup)


def test_bootstrap_time_on_514_areas():
    """The pipeline's size: 514 areas, B = 200, proportional effects (closed-form refits): well under a second."""
    y, X, D, k, _ = _data(14, m=514)
    fit = fay_herriot(y, X, D, "AMRL", mse="prasad_rao", effect_scale=k)
    t0 = time.perf_counter()
    bootstrap_mse(fit, B=200, seed=0, groups=np.arange(514) // 14, weights=np.ones(514))
    assert time.perf_counter() - t0 < 2.0


@pytest.mark.parametrize("method", ["AMRL", "AMPL"])
def test_adjusted_mse_never_negative_with_heteroscedastic_effects(method):
    """Li-Lahiri's bias-corrected MSE subtracts b B^2; with a small sigma2_u it falls below g1 + g2 (and below 0):
    in and out of sample, with effect_scale too, the published MSE is floored there and says so."""
    y, X, D, k, _ = _data(15, m=40, sigma2=0.005)
    r = fay_herriot(y, X, D, method, effect_scale=k)
    assert r.mse_floored.any() and np.all(r.mse > 0)
    np.testing.assert_allclose(r.mse[r.mse_floored], (r.g1 + r.g2)[r.mse_floored])
    assert np.all(r.mse_raw[r.mse_floored] < (r.g1 + r.g2)[r.mse_floored])
    k_new = np.array([0.3, 1.0, 3.0])
    _, floored = r.predict(X[:3], effect_scale=k_new)
    _, raw = r.predict(X[:3], effect_scale=k_new, floor=False)
    h = np.einsum("di,ij,dj->d", X[:3], r.cov_beta, X[:3])
    assert np.all(raw < floored) and np.allclose(floored, k_new * r.sigma2_u + h) and np.all(floored > 0)

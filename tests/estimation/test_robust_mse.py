"""The area-specific (conditional) MSE of `estimation.sae.robust_mse`.

Oracles, none of which uses the library's formula: (1) dense m x m matrices: with sigma2_u fixed the EBLUP is
L y, so its exact MSE given the true values theta is ((L - I) theta)^2 + diag(L D L'), and the exact expectation
of the estimator over the sampling errors is a quadratic form; on area effects that break the model (heavy
tails, a few areas far off the regression, heteroscedastic) the estimator's expectation equals the exact
conditional MSE; (2) Monte Carlo under the model with sigma2_u estimated: the summed estimator matches the
summed actual MSE, like Prasad-Rao; (3) a brute-force loop for the local (neighbours) variant.
"""

from __future__ import annotations

import numpy as np
import pytest

from estimation.sae import fay_herriot
from estimation.sae.robust_mse import benchmarked_mse, conditional_mse


def _design(seed: int, m: int = 40):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(m), rng.normal(size=(m, 2))])
    D = rng.uniform(0.2, 2.0, m)
    k = D / np.exp(np.mean(np.log(D)))
    return rng, X, D, k


def _misspecified_theta(rng, X, m):
    """True values far from any Fay-Herriot model: t(3) effects, five areas 4x further off."""
    u = rng.standard_t(3, size=m) * np.where(np.arange(m) < 5, 4.0, 1.0)
    return X @ [1.0, 0.5, -0.3] + u


def _dense(A, X, D, k):
    """(L, H, B, Q) of the EBLUP L y with sigma2_u = A known, from m x m matrices."""
    V = A * k + D
    Vi = np.diag(1.0 / V)
    Q = np.linalg.inv(X.T @ Vi @ X)
    H = X @ Q @ X.T @ Vi  # X beta_hat = H y
    B = D / V
    L = np.eye(len(D)) - np.diag(B) @ (np.eye(len(D)) - H)  # EBLUP = y - B (y - X beta_hat)
    return L, H, B, Q


@pytest.mark.parametrize("proportional", [True, False])
def test_unbiased_for_the_conditional_mse_on_effects_that_break_the_model(proportional):
    rng, X, D, k = _design(1)
    k = k if proportional else np.ones_like(D)
    m, A = len(D), 0.5
    theta = _misspecified_theta(rng, X, m)
    L, H, B, Q = _dense(A, X, D, k)
    I = np.eye(m)
    exact = ((L - I) @ theta) ** 2 + np.diag(L @ np.diag(D) @ L.T)  # MSE given theta, over the sampling errors
    # the estimator, written from the paper's ingredients on dense matrices: D - 2BD + B^2 r^2 + 2 B^2 x'Qx
    g2 = B * B * np.einsum("di,ij,dj->d", X, Q, X)
    R = I - H  # r = R y
    expected_r2 = (R @ theta) ** 2 + np.diag(R @ np.diag(D) @ R.T)
    np.testing.assert_allclose(D - 2 * B * D + B * B * expected_r2 + 2 * g2, exact, rtol=1e-10)
    # the library on draws of y, against the dense formula draw by draw
    for _ in range(3):
        y = theta + rng.normal(size=m) * np.sqrt(D)
        fit = fay_herriot(y, X, D, "REML", fixed_sigma2_u=A, effect_scale=k if proportional else None)
        c = conditional_mse(fit, with_g3=False)
        np.testing.assert_allclose(fit.eblup, L @ y, rtol=1e-10)
        np.testing.assert_allclose(c.mse_raw, D - 2 * B * D + B * B * (R @ y) ** 2 + 2 * g2, rtol=1e-9, atol=1e-12)
        # the floor is the conditional MSE's sampling part diag(L D L'), its value at theta on the regression
        np.testing.assert_allclose(c.floor, np.diag(L @ np.diag(D) @ L.T), rtol=1e-10)
        assert np.all(c.floor <= exact + 1e-12)
        np.testing.assert_array_equal(c.floored, c.mse_raw < c.floor)
        np.testing.assert_allclose(c.mse, np.maximum(c.mse_raw, c.floor), rtol=0, atol=0)
        assert (c.mse > 0).all()
    # the model-based MSE misses it: Prasad-Rao's g1 + g2 is the same for any theta
    pr = fit.g1 + fit.g2
    assert np.max(exact / pr) > 5


def test_monte_carlo_unbiased_under_the_model_with_sigma2_u_estimated():
    rng, X, D, k = _design(2, m=60)
    m = len(D)
    err, raw, pr, g3 = [], [], [], []
    for _ in range(300):
        theta = X @ [1.0, 0.5, -0.3] + rng.normal(size=m) * np.sqrt(0.5 * k)
        y = theta + rng.normal(size=m) * np.sqrt(D)
        fit = fay_herriot(y, X, D, "REML", effect_scale=k)
        c = conditional_mse(fit)
        err.append((fit.eblup - theta) ** 2)
        raw.append(c.mse_raw)
        pr.append(fit.mse)
        g3.append(fit.g3)
    actual = np.mean(err, axis=0).sum()
    assert np.mean(raw, axis=0).sum() / actual == pytest.approx(1.0, abs=0.08)
    assert np.mean(pr, axis=0).sum() / actual == pytest.approx(1.0, abs=0.08)  # the reference estimator agrees
    # without the 2 g3 term for the estimation of sigma2_u the formula is lower by exactly that
    np.testing.assert_allclose(conditional_mse(fit, with_g3=False).mse_raw, c.mse_raw - 2 * fit.g3, rtol=1e-12)
    assert np.mean(g3, axis=0).sum() > 0.01 * actual  # and the term is not negligible here


def test_neighbours_variant_against_a_brute_force_window():
    rng, X, D, k = _design(3, m=30)
    m = len(D)
    theta = _misspecified_theta(rng, X, m)
    y = theta + rng.normal(size=m) * np.sqrt(D)
    fit = fay_herriot(y, X, D, "AMRL", mse="prasad_rao", effect_scale=k)
    A, Q = fit.sigma2_u, fit.cov_beta
    V = A * k + D
    B = D / V
    h = np.array([X[d] @ Q @ X[d] for d in range(m)])
    r = y - X @ fit.beta
    ratio = r * r / (V - h)
    order = list(np.argsort(np.log(D), kind="stable"))
    for K in (1, 5, 10, m):
        rho = np.empty(m)
        for d in range(m):
            i = order.index(d)
            start = min(max(i - K // 2, 0), m - K)
            rho[d] = np.mean([ratio[order[j]] for j in range(start, start + K)])
        want = D - 2 * B * D + B * B * rho * (V - h) + 2 * B * B * h + 2 * fit.g3
        c = conditional_mse(fit, neighbours=K)
        np.testing.assert_allclose(c.mse_raw, want, rtol=1e-9)
    np.testing.assert_allclose(conditional_mse(fit, neighbours=1).mse_raw, conditional_mse(fit).mse_raw, rtol=1e-12)
    # with rho = 1 the formula is the Prasad-Rao MSE g1 + g2 + 2 g3 (a model-conforming residual variance)
    np.testing.assert_allclose(D - 2 * B * D + B * B * (V - h) + 2 * B * B * h + 2 * fit.g3,
                               fit.g1 + fit.g2 + 2 * fit.g3, rtol=1e-10)
    with pytest.raises(ValueError, match="neighbours"):
        conditional_mse(fit, neighbours=0)
    with pytest.raises(ValueError, match="neighbours"):
        conditional_mse(fit, neighbours=m + 1)


def test_benchmarked_mse_adds_the_squared_adjustment():
    e, b, mse = np.array([0.10, 0.20, 0.0]), np.array([0.12, 0.17, 0.0]), np.array([1e-4, 4e-4, 1e-6])
    np.testing.assert_allclose(benchmarked_mse(mse, e, b), mse + np.array([0.02, -0.03, 0.0]) ** 2, rtol=1e-12)
    with pytest.raises(ValueError, match="length"):
        benchmarked_mse(mse[:2], e, b)
    with pytest.raises(ValueError, match=">= 0"):
        benchmarked_mse(-mse, e, b)


def test_workflow_columns_are_the_library_estimators_and_are_not_published_by_default():
    """`fit_models(..., robust_mse=True)` (what scripts/simulate_sae.py scores) carries exactly the library's
    area-specific MSEs of its own fit; the default frame (what the pipeline publishes) does not carry them."""
    import pandas as pd

    from estimation.sae.workflow import SyntheticYear, fit_models

    rng = np.random.default_rng(5)
    codes = np.array([3100 + 100 * (i // 12) + i % 12 + 1 for i in range(60)])  # 5 provinces of 12 kab/kota
    areas = pd.DataFrame({"bps_code": codes.astype(str), "prov_code": codes // 100,
                          "prov_label": (codes // 100).astype(str), "population": rng.uniform(1e5, 2e6, 60)},
                         index=codes)
    X = pd.DataFrame({"intercept": 1.0, "x1": rng.normal(size=60)}, index=codes)
    n = rng.integers(80, 600, 60).astype(float)
    kab, prov = [], []
    for ind, level in (("p0", 0.10), ("extreme", 0.02)):
        p = np.clip(level + 0.3 * level * X["x1"].to_numpy() + rng.normal(0, 0.2 * level, 60), 1e-3, 0.9)
        y = np.clip(p + rng.normal(size=60) * np.sqrt(2 * p * (1 - p) / n), 0, 1)
        kab.append(pd.DataFrame({"indicator": ind, "estimate": y, "se": np.sqrt(2 * y * (1 - y) / n),
                                 "n_households": n}, index=codes))
        w = areas["population"].to_numpy()
        prov.append(pd.DataFrame({"indicator": ind, "estimate": pd.Series(y * w).groupby(codes // 100).sum()
                                  / pd.Series(w).groupby(codes // 100).sum()}))
    syn = SyntheticYear(2024, "usd215_2017ppp", areas, pd.DataFrame(), pd.Series(dtype=float), pd.DataFrame(),
                        pd.DataFrame())
    direct_kab, direct_prov = pd.concat(kab), pd.concat(prov)
    model, _ = fit_models(syn, direct_kab, direct_prov, X, B=20, robust_mse=True)
    plain, _ = fit_models(syn, direct_kab, direct_prov, X, B=20)
    extra = {"mse_conditional", "mse_conditional_floored", "mse_local", "mse_benchmarked_conditional",
             "mse_benchmarked_local"}
    assert extra <= set(model.columns) and not extra & set(plain.columns)
    pd.testing.assert_frame_equal(model.drop(columns=sorted(extra)), plain)
    for ind in ("p0", "extreme"):
        m = model[model["indicator"] == ind]
        D = m["direct_var_smoothed"].to_numpy()
        fit = fay_herriot(m["direct"].to_numpy(), X.to_numpy(), D, "AMRL", mse="prasad_rao",
                          effect_scale=D / np.exp(np.mean(np.log(D))))
        c, local = conditional_mse(fit), conditional_mse(fit, neighbours=6)
        np.testing.assert_allclose(m["mse_eblup_model"], fit.mse, rtol=1e-9)
        np.testing.assert_allclose(m["mse_conditional"], c.mse, rtol=1e-9)
        np.testing.assert_array_equal(m["mse_conditional_floored"], c.floored)
        np.testing.assert_allclose(m["mse_local"], local.mse, rtol=1e-9)
        shift2 = (m["benchmarked"] - m["eblup"]).to_numpy() ** 2
        assert shift2.max() > 0  # benchmarking moved the figures
        np.testing.assert_allclose(m["mse_benchmarked_conditional"], c.mse + shift2, rtol=1e-9)
        np.testing.assert_allclose(m["mse_benchmarked_local"], local.mse + shift2, rtol=1e-9)

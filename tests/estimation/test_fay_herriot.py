"""Fay-Herriot EBLUP and MSE against R sae (milk data: published, and derived values labelled as such) and
samplics (514 generated areas)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estimation.sae import fay_herriot

DATA = Path(__file__).resolve().parents[1] / "data"
# R sae stops at a relative change of 1e-4 in sigma2_u (PRECISION): the published values sit that far from the
# exact optimum, which moves EBLUPs by up to 1e-6 here.
SAE_STOP_ATOL = 2e-6


@pytest.fixture(scope="module")
def milk() -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    d = pd.read_csv(DATA / "milk.csv")
    X = np.column_stack([np.ones(len(d))] + [(d.MajorArea == k).to_numpy(float) for k in (2, 3, 4)])
    expected = json.loads((DATA / "milk_expected.json").read_text())
    return d.yi.to_numpy(), X, (d.SD**2).to_numpy(), expected


PUBLISHED = {"REML": ("beta", "beta_std_error", "eblup", "mse_prasad_rao"),
             "ML": ("beta", "beta_std_error", "eblup", "mse_prasad_rao"), "FH": ("eblup", "mse_prasad_rao")}
ATTRIBUTE = {"beta": "beta", "beta_std_error": "beta_se", "eblup": "eblup", "mse_prasad_rao": "mse"}


@pytest.mark.parametrize("method", ["REML", "ML", "FH"])
def test_milk_published_r_sae_at_its_own_variance(milk, method):
    """At the variance where R sae stops (re-derived: tests/data/derive_references.py) the published R sae
    output is reproduced to one unit in its last published decimal."""
    y, X, D, expected = milk
    r = fay_herriot(y, X, D, method, fixed_sigma2_u=expected["derived"][method]["sigma2_u_rsae"])
    for key in PUBLISHED[method]:
        pub = expected[method][key]
        np.testing.assert_allclose(getattr(r, ATTRIBUTE[key]), pub["value"], rtol=0,
                                   atol=10.0 ** -pub["published_decimals"], err_msg=key)


@pytest.mark.parametrize("method", ["REML", "ML", "FH"])
def test_milk_exact_fit(milk, method):
    y, X, D, expected = milk
    r = fay_herriot(y, X, D, method)
    assert r.converged
    derived = expected["derived"][method]
    np.testing.assert_allclose(r.sigma2_u, derived["sigma2_u_exact_optimum"], rtol=1e-8)
    if method == "REML":  # published: samplics' documented fit (tol 1e-8)
        np.testing.assert_allclose(r.sigma2_u, expected["REML"]["sigma2_u"]["samplics_docs"]["re_std_squared"],
                                   rtol=1e-7)
    for key in PUBLISHED[method]:  # the published values, as far as sae's stopping rule leaves them
        np.testing.assert_allclose(getattr(r, ATTRIBUTE[key]), expected[method][key]["value"], rtol=0,
                                   atol=SAE_STOP_ATOL, err_msg=key)


@pytest.mark.parametrize("method", ["REML", "ML", "FH"])
def test_milk_derived_goodness_and_fh_coefficients(milk, method):
    """Locally derived (not published) values: R sae's loglike/AIC/BIC/KIC convention and FH beta/SE, at the
    variance where sae stops."""
    y, X, D, expected = milk
    derived = expected["derived"][method]
    r = fay_herriot(y, X, D, method, fixed_sigma2_u=derived["sigma2_u_rsae"])
    g = derived["goodness_Rsae_convention"]
    np.testing.assert_allclose([r.loglike, r.aic, r.bic], [g["loglike"], g["AIC"], g["BIC"]], rtol=1e-10)
    if method == "FH":
        np.testing.assert_allclose(r.beta, derived["beta"], rtol=1e-10)
        np.testing.assert_allclose(r.beta_se, derived["beta_std_error"], rtol=1e-10)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_milk15_matches_r_sae_msefh_via_emdi(milk, method):
    """R sae::mseFH output on the first 15 areas, published at full precision by emdi (its benchmark)."""
    y, X, D, _ = milk
    ref = pd.read_csv(DATA / f"emdi_fh_{method.lower()}_sae.csv")
    sigma2_u = float(ref["variance"].iloc[0])
    fixed = fay_herriot(y[:15], X[:15, :3], D[:15], method, fixed_sigma2_u=sigma2_u)
    np.testing.assert_allclose(fixed.eblup, ref["EBLUP"], rtol=1e-12)
    np.testing.assert_allclose(fixed.mse, ref["MSE"], rtol=1e-12)
    free = fay_herriot(y[:15], X[:15, :3], D[:15], method)
    np.testing.assert_allclose(free.sigma2_u, sigma2_u, rtol=1e-4)  # sae's PRECISION
    np.testing.assert_allclose(free.eblup, ref["EBLUP"], atol=1e-5)


def test_mse_choice_and_labels(milk):
    y, X, D, _ = milk
    ml = fay_herriot(y, X, D, "ML")
    ml_pr = fay_herriot(y, X, D, "ML", mse="prasad_rao")
    assert ml.mse_method == "datta_lahiri" and ml_pr.mse_method == "prasad_rao"
    assert ml.sigma2_u_bias < 0  # ML underestimates sigma2_u, so the DL MSE is larger
    assert np.all(ml.mse > ml_pr.mse)
    assert fay_herriot(y, X, D, "FH").mse_method == "datta_rao_smith"
    reml = fay_herriot(y, X, D, "REML")
    np.testing.assert_allclose(reml.mse, fay_herriot(y, X, D, "REML", mse="datta_lahiri").mse)
    np.testing.assert_allclose(reml.mse, reml.g1 + reml.g2 + 2 * reml.g3)


def test_eblup_identities_and_frame(milk):
    y, X, D, _ = milk
    r = fay_herriot(y, X, D)
    np.testing.assert_allclose(r.eblup, r.gamma * y + (1 - r.gamma) * r.synthetic)
    np.testing.assert_allclose(r.gamma, r.sigma2_u / (r.sigma2_u + D))
    f = r.to_frame()
    assert list(f.columns[:7]) == ["direct", "direct_var", "direct_rse", "synthetic", "eblup", "mse", "rse"]
    assert len(f) == len(y)
    text = r.summary()
    assert "sigma2_u" in text and "shapiro_w" in text and "Coefficients" in text
    assert 0 < r.r2 < 1 and 0 < r.adj_r2 <= 1


def test_predict_out_of_sample(milk):
    y, X, D, _ = milk
    r = fay_herriot(y, X, D, "REML")
    synth, mse = r.predict(X[:2])
    np.testing.assert_allclose(synth, r.synthetic[:2])
    h = np.einsum("di,ij,dj->d", X[:2], r.cov_beta, X[:2])
    np.testing.assert_allclose(mse, r.sigma2_u + h)
    # the out-of-sample MSE is the D -> inf limit of the in-sample one
    huge = fay_herriot(np.r_[y, 1.0], np.vstack([X, X[:1]]), np.r_[D, 1e12], "ML")
    _, mse_ml = huge.predict(X[:1])
    np.testing.assert_allclose(huge.mse[-1], mse_ml[0], rtol=1e-6)
    with pytest.raises(ValueError, match="no sample and missing covariates"):
        r.predict(np.array([[1.0, np.nan, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="columns"):
        r.predict(X[:, :2])


def test_sigma2_truncated_at_zero():
    rng = np.random.default_rng(3)
    m = 60
    X = np.column_stack([np.ones(m), rng.normal(size=m)])
    D = np.full(m, 1.0)
    y = X @ [1.0, 2.0] + rng.normal(0, 0.3, m)  # less spread than D alone: no area effect
    for method in ("REML", "ML", "FH"):
        r = fay_herriot(y, X, D, method)
        assert r.sigma2_u == 0.0 and r.converged
        np.testing.assert_allclose(r.eblup, r.synthetic)


def _generated(m=514, seed=514):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, 2))
    X = np.column_stack([np.ones(m), x])
    D = rng.uniform(0.3, 1.5, m)
    y = X @ [2.0, 1.0, -0.5] + rng.normal(0, np.sqrt(0.8), m) + rng.normal(0, np.sqrt(D))
    return y, X, x, D


@pytest.mark.parametrize("method", ["REML", "FH"])
def test_agrees_with_samplics_514_areas(method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from samplics.sae import EblupAreaModel
        from samplics.utils.types import FitMethod

        y, X, x, D = _generated()
        area = np.arange(y.size)
        mod = EblupAreaModel(method=FitMethod(method))
        mod.fit(yhat=y, X=x, area=area, error_std=np.sqrt(D), intercept=True, tol=1e-10, maxiter=200)
        mod.predict(X=x, area=area, intercept=True)
    r = fay_herriot(y, X, D, method)
    np.testing.assert_allclose(r.sigma2_u, mod.re_std**2, rtol=1e-8)
    np.testing.assert_allclose(r.beta, np.asarray(mod.fixed_effects), atol=1e-9)
    np.testing.assert_allclose(r.eblup, [mod.area_est[a] for a in area], atol=1e-9)
    np.testing.assert_allclose(r.mse, [mod.area_mse[a] for a in area], rtol=1e-8)


def test_fixed_sigma2_u(milk):
    y, X, D, _ = milk
    r = fay_herriot(y, X, D, fixed_sigma2_u=0.02)
    assert r.sigma2_u == 0.02 and r.iterations == 0
    with pytest.raises(ValueError):
        fay_herriot(y, X, D, fixed_sigma2_u=-1.0)


class TestBadInput:
    def setup_method(self):
        self.y, self.X, _, self.D = _generated(m=30, seed=1)

    def test_negative_variance(self):
        D = self.D.copy()
        D[3] = -0.1
        with pytest.raises(ValueError, match="negative"):
            fay_herriot(self.y, self.X, D)

    def test_nan_variance(self):
        D = self.D.copy()
        D[0] = np.nan
        with pytest.raises(ValueError, match="NaN"):
            fay_herriot(self.y, self.X, D)

    def test_zero_variance_points_to_gvf(self):
        D = self.D.copy()
        D[0] = 0.0
        with pytest.raises(ValueError, match="gvf"):
            fay_herriot(self.y, self.X, D)

    def test_nan_y(self):
        y = self.y.copy()
        y[5] = np.nan
        with pytest.raises(ValueError, match="NaN"):
            fay_herriot(y, self.X, self.D)

    def test_rank_deficient(self):
        X = np.column_stack([self.X, self.X[:, 1] * 2])
        with pytest.raises(ValueError, match="rank-deficient"):
            fay_herriot(self.y, X, self.D)

    def test_length_mismatch(self):
        with pytest.raises(ValueError, match="length mismatch"):
            fay_herriot(self.y, self.X[:-1], self.D)
        with pytest.raises(ValueError, match="length mismatch"):
            fay_herriot(self.y, self.X, self.D[:-1])

    def test_nan_covariate_and_bad_method(self):
        X = self.X.copy()
        X[2, 1] = np.nan
        with pytest.raises(ValueError, match="X has NaN"):
            fay_herriot(self.y, X, self.D)
        with pytest.raises(ValueError, match="method"):
            fay_herriot(self.y, self.X, self.D, method="OLS")
        with pytest.raises(ValueError, match="mse"):
            fay_herriot(self.y, self.X, self.D, mse="bootstrap")


# ---- mutation-check additions ------------------------------------------------------------------------------

def _dense_one_step(y: np.ndarray, X: np.ndarray, D: np.ndarray, method: str) -> float:
    """One scoring step for sigma2_u from the fitter's start A0 = median(D), written with dense m x m
    matrices (Rao & Molina 2015, sec. 6.1): REML/ML Fisher scoring, FH Newton on sum(res^2 / V) = m - p."""
    A0 = float(np.median(D))
    Vi = np.diag(1 / (A0 + D))
    P = Vi - Vi @ X @ np.linalg.inv(X.T @ Vi @ X) @ X.T @ Vi
    if method == "REML":
        score, info = -0.5 * np.trace(P) + 0.5 * y @ P @ P @ y, 0.5 * np.trace(P @ P)
    else:
        res = np.linalg.inv(Vi) @ P @ y  # y - X beta_GLS
        if method == "ML":
            score, info = -0.5 * np.trace(Vi) + 0.5 * res @ Vi @ Vi @ res, 0.5 * np.trace(Vi @ Vi)
        else:
            score = res @ Vi @ res - (y.size - X.shape[1])
            info = res @ Vi @ Vi @ res
    return max(A0 + score / info, 0.0)


@pytest.mark.parametrize("method", ["REML", "ML", "FH"])
def test_one_scoring_step_equals_dense_formula(milk, method):
    y, X, D, _ = milk
    r = fay_herriot(y, X, D, method, max_iter=1)
    assert r.iterations == 1 and not r.converged
    np.testing.assert_allclose(r.sigma2_u, _dense_one_step(y, X, D, method), rtol=1e-10)


def test_batched_fit_equals_single_fits(milk):
    from estimation.sae.fay_herriot import _fit_batch

    y, X, D, _ = milk
    for method in ("REML", "ML", "FH"):
        bf = _fit_batch(np.vstack([y, y[::-1]]), X, D, method)
        single = [fay_herriot(v, X, D, method) for v in (y, y[::-1])]
        np.testing.assert_allclose(bf.sigma2_u, [s.sigma2_u for s in single], rtol=1e-12)
        np.testing.assert_allclose(bf.beta, [s.beta for s in single], rtol=1e-10)


def test_tolerance_and_fixed_variance_options(milk):
    y, X, D, _ = milk
    assert fay_herriot(y, X, D, tol=0.5).iterations < fay_herriot(y, X, D, tol=1e-12).iterations
    zero = fay_herriot(y, X, D, fixed_sigma2_u=0.0)  # sigma2_u = 0 is a valid fixed value: the synthetic fit
    assert zero.converged and zero.iterations == 0
    np.testing.assert_allclose(zero.eblup, zero.synthetic, rtol=1e-14)


def test_result_columns_residuals_and_labels(milk):
    y, X, D, _ = milk
    r = fay_herriot(y, X, D, "REML")
    np.testing.assert_allclose(r.standardized_residuals, (y - r.eblup) / np.sqrt(D), rtol=1e-12)
    np.testing.assert_allclose(r.random_effects, r.eblup - r.synthetic, rtol=1e-9, atol=1e-15)
    f = r.to_frame(index=np.arange(100, 143))
    assert list(f.columns) == ["direct", "direct_var", "direct_rse", "synthetic", "eblup", "mse", "rse", "gamma",
                               "random_effect", "standardized_residual", "g1", "g2", "g3", "mse_floored"]
    assert f.index[0] == 100
    np.testing.assert_allclose(f["direct_rse"], np.sqrt(D) / np.abs(y), rtol=1e-14)
    np.testing.assert_allclose(f[["gamma", "random_effect", "standardized_residual", "g1", "g2", "g3"]],
                               np.column_stack([r.gamma, r.random_effects, r.standardized_residuals, r.g1, r.g2,
                                                r.g3]), rtol=1e-14)
    # the coefficient table: z = coef / s.e., two-sided normal p = erfc(|z| / sqrt 2)
    from math import erfc, sqrt

    t = r.coef_table(["intercept", "a2", "a3", "a4"])
    assert list(t.columns) == ["coef", "std_err", "z", "p_value"] and list(t.index) == ["intercept", "a2", "a3", "a4"]
    np.testing.assert_allclose(t["z"], r.beta / r.beta_se, rtol=1e-14)
    np.testing.assert_allclose(t["p_value"], [erfc(abs(z) / sqrt(2)) for z in r.beta / r.beta_se], rtol=1e-12)
    assert list(r.coef_table().index) == ["x0", "x1", "x2", "x3"]
    # REML's sigma2_u is second-order unbiased (b = 0); REML and YL keep the Prasad-Rao label whatever is asked
    assert r.sigma2_u_bias == 0.0
    assert fay_herriot(y, X, D, "REML", mse="datta_lahiri").mse_method == "prasad_rao"
    assert fay_herriot(y, X, D, "YL", mse="datta_lahiri").mse_method == "prasad_rao"
    # a Prasad-Rao MSE out of sample carries no bias term, even for ML (whose b is not 0)
    ml = fay_herriot(y, X, D, "ML", mse="prasad_rao")
    h = np.einsum("di,ij,dj->d", X[:2], ml.cov_beta, X[:2])
    np.testing.assert_allclose(ml.predict(X[:2])[1], ml.sigma2_u + h, rtol=1e-12)


def test_one_dimensional_design_and_more_bad_input(milk):
    y, X, D, _ = milk
    ones = fay_herriot(y, np.ones(y.size), D)  # a 1-D X is one column (here the intercept-only model)
    np.testing.assert_allclose(ones.eblup, fay_herriot(y, np.ones((y.size, 1)), D).eblup, rtol=1e-14)
    with pytest.raises(ValueError, match="sampling_variance has NaN/inf"):
        fay_herriot(y, X, np.r_[np.inf, D[1:]])
    with pytest.raises(ValueError, match="more areas than columns of X"):
        fay_herriot(y[:4], X[:4], D[:4])


def _design(m: int, seed: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(m), rng.normal(size=m), rng.normal(size=m)])
    D = rng.uniform(0.5, 1.5, m)
    return X @ np.array([1.0, 0.5, -0.3]) + rng.normal(0, 1.2, m), X, D


def test_near_collinear_covariates_are_refused():
    """A column equal to another up to 1e-12 passes matrix_rank and used to return NaN standard errors with
    only a numpy warning."""
    y, X, D = _design(60)
    near = np.column_stack([X, X[:, 1] + 1e-12 * np.random.default_rng(1).normal(size=60)])
    assert np.linalg.matrix_rank(near) == near.shape[1]  # the rank check alone lets it through
    with pytest.raises(ValueError, match="ill-conditioned"):
        fay_herriot(y, near, D)
    noisy = X[:, 1] + 0.3 * np.random.default_rng(2).normal(size=60)
    fay_herriot(y, np.column_stack([X, noisy]), D)  # correlated, not collinear: fits


def test_too_few_areas_are_refused_and_few_are_warned():
    y, X, D = _design(4)  # m = p + 1: sigma2_u would be one squared residual
    with pytest.raises(ValueError, match="at least 2 more areas"):
        fay_herriot(y, X, D)
    y, X, D = _design(8)
    with pytest.warns(RuntimeWarning, match="only 5 degrees of freedom"):
        fay_herriot(y, X, D)
    y, X, D = _design(60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fay_herriot(y, X, D)


def test_non_convergence_is_said():
    y, X, D = _design(60)
    with pytest.warns(RuntimeWarning, match="did not converge in 1 iterations"):
        r = fay_herriot(y, X, D, "REML", max_iter=1)
    assert r.converged is False

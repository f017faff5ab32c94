"""GVF smoothing, ratio benchmarking, publishability flags, diagnostics and R²."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from estimation.sae import fay_herriot
from estimation.sae.benchmark import ratio_benchmark, unbenchmarkable_groups
from estimation.sae.diagnostics import normality_table, shrinkage_summary
from estimation.sae.gvf import smooth_sampling_variance
from estimation.sae.publishability import flag_rse, relative_standard_error

# ---- GVF -------------------------------------------------------------------------------------

def test_gvf_proportion_recovers_design_effect():
    rng = np.random.default_rng(10)
    m, deff = 400, 2.0
    p_true = rng.uniform(0.05, 0.35, m)
    n = rng.integers(3, 300, m).astype(float)
    true_var = deff * p_true * (1 - p_true) / n
    # direct variances: unbiased but noisy (chi-square with 10 df), some areas with p_hat = 0
    var = true_var * rng.chisquare(10, m) / 10
    p_hat = np.clip(p_true + rng.normal(0, np.sqrt(true_var)), 0, 1)
    p_hat[:20] = 0.0
    var[:20] = 0.0
    r = smooth_sampling_variance(p_hat, var, n, p_model=p_true)
    assert abs(r.params["deff"] - deff) / deff < 0.05
    assert not r.reliable[:20].any() and np.all(r.variance > 0)
    np.testing.assert_allclose(r.variance[:20], r.smoothed[:20])
    np.testing.assert_allclose(r.smoothed, r.params["deff"] * p_true * (1 - p_true) / n)
    # the smoothed variances are closer to the truth than the direct ones
    err_s = np.median(np.abs(np.log(r.smoothed[20:] / true_var[20:])))
    err_d = np.median(np.abs(np.log(var[20:] / true_var[20:])))
    assert err_s < err_d / 3
    assert np.all(smooth_sampling_variance(p_hat, var, n, replace="all").variance > 0)


def test_gvf_loglinear_recovers_coefficients():
    rng = np.random.default_rng(11)
    m = 500
    n = rng.integers(5, 500, m).astype(float)
    y = rng.uniform(100, 5000, m)
    var = np.exp(1.0 - 1.0 * np.log(n) + 1.5 * np.log(y) + rng.normal(0, 0.3, m))
    r = smooth_sampling_variance(y, var, n, kind="loglinear")
    assert abs(r.params["b_log_n"] + 1.0) < 0.05 and abs(r.params["c_log_y"] - 1.5) < 0.05
    assert abs(r.params["smearing"] - np.exp(0.3**2 / 2)) < 0.02  # E exp(N(0, s^2)) = exp(s^2/2)
    assert list(r.to_frame().columns) == ["reliable", "smoothed", "variance"]


def test_gvf_bad_input():
    with pytest.raises(ValueError, match="equal length"):
        smooth_sampling_variance([0.1, 0.2], [0.01], [10, 10])
    with pytest.raises(ValueError, match="negative"):
        smooth_sampling_variance([0.1, 0.2, 0.3], [0.01, -0.01, 0.02], [10, 10, 10])
    with pytest.raises(ValueError, match="n must be"):
        smooth_sampling_variance([0.1, 0.2, 0.3], [0.01, 0.01, 0.02], [10, 0, 10])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        smooth_sampling_variance([0.1, 1.2, 0.3], [0.01, 0.01, 0.02], [10, 10, 10])


# ---- benchmarking ----------------------------------------------------------------------------

def test_ratio_benchmark_hits_targets():
    est = np.array([0.10, 0.20, 0.30, 0.05, 0.15])
    w = np.array([100.0, 200.0, 100.0, 50.0, 150.0])
    groups = np.array(["A", "A", "A", "B", "B"])
    targets = {"A": 0.22, "B": 0.10}
    bench, factors, disc = ratio_benchmark(est, w, groups, targets)
    for g, t in targets.items():
        sel = groups == g
        assert np.isclose(np.sum(w[sel] * bench[sel]) / np.sum(w[sel]), t)
        assert np.allclose(factors[sel], factors[sel][0])  # one factor per group
    np.testing.assert_allclose(disc["A"], (10 + 40 + 30) / 400 - 0.22)
    np.testing.assert_allclose(bench / est, factors)
    tot, _, _ = ratio_benchmark(est, w, groups, pd.Series({"A": 100.0, "B": 20.0}), target_kind="total")
    assert np.isclose(np.sum(w[:3] * tot[:3]), 100.0)


def test_ratio_benchmark_bad_input():
    with pytest.raises(ValueError, match="no target"):
        ratio_benchmark([0.1, 0.2], [1, 1], ["A", "B"], {"A": 0.1})
    with pytest.raises(ValueError, match="weights"):
        ratio_benchmark([0.1, 0.2], [1, -1], ["A", "A"], {"A": 0.1})
    with pytest.raises(ValueError, match="NaN"):
        ratio_benchmark([np.nan, 0.2], [1, 1], ["A", "A"], {"A": 0.1})
    with pytest.raises(ValueError, match="zero"):
        ratio_benchmark([0.0, 0.0], [1, 1], ["A", "A"], {"A": 0.1})


# ---- publishability --------------------------------------------------------------------------

def test_flag_rse_thresholds_and_languages():
    rse = np.array([0.10, 0.25, 0.2501, 0.50, 0.51, np.inf, np.nan])
    assert list(flag_rse(rse)) == ["publish", "publish", "caution", "caution", "suppress", "suppress", "suppress"]
    assert list(flag_rse(rse, lang="id")) == ["layak", "layak", "hati-hati", "hati-hati", "tidak layak",
                                                "tidak layak", "tidak layak"]
    assert list(flag_rse([20, 30, 60], percent=True)) == ["publish", "caution", "suppress"]
    np.testing.assert_allclose(relative_standard_error([0.2, 0.0], [0.0016, 0.01]), [0.2, np.inf])
    with pytest.raises(ValueError):
        flag_rse([-0.1])
    with pytest.raises(ValueError):
        flag_rse([0.1], lang="fr")


# ---- diagnostics and R² ----------------------------------------------------------------------

def _fit():
    rng = np.random.default_rng(5)
    m = 80
    X = np.column_stack([np.ones(m), rng.normal(size=m)])
    D = rng.uniform(0.2, 1.0, m)
    y = X @ [1.0, 0.7] + rng.normal(0, 0.6, m) + rng.normal(0, np.sqrt(D))
    return fay_herriot(y, X, D), y, X, D


def test_normality_table_matches_scipy():
    r, *_ = _fit()
    t = normality_table(r)
    res = r.standardized_residuals
    assert np.isclose(t.loc["standardized_residuals", "shapiro_w"], stats.shapiro(res).statistic)
    assert np.isclose(t.loc["standardized_residuals", "skewness"], stats.skew(res))
    assert np.isclose(t.loc["standardized_residuals", "kurtosis"], stats.kurtosis(res, fisher=False))
    assert np.isclose(t.loc["random_effects", "shapiro_p"], stats.shapiro(r.random_effects).pvalue)
    s = shrinkage_summary(r)
    assert np.isclose(s.loc["gamma", "median"], np.median(r.gamma))


def test_r2_matches_ols_and_adjusted_formula():
    import statsmodels.api as sm  # here, not at the top: ~5 s of import on each xdist worker's collection

    r, y, X, D = _fit()
    ols = sm.OLS(y, X).fit()
    assert np.isclose(r.r2, ols.rsquared_adj)  # emdi's "R2" is 1 - MSE/MST, i.e. OLS adjusted R²
    m, p = X.shape
    H = X @ np.linalg.inv(X.T @ X) @ X.T
    mse_, mst = ols.ssr / (m - p), np.var(y, ddof=1)
    dw = np.sum((1 - np.diag(H)) * D) / (m - p)
    adj = 1 - (2 * mse_ / (1 + np.exp(2 * dw / mse_))) / (2 * mst / (1 + np.exp(2 * D.mean() / mst)))
    assert np.isclose(r.adj_r2, adj)


# ---- mutation-check additions: GVF reliability rules, benchmark edge cases, publication boundaries ---------

# Seven areas, one per rule of reliability: only 0 and 2 are reliable (2 sits at min_n = 2).
GVF_Y = np.array([0.2, 0.1, 0.5, 1.0, 0.3, 0.0, 0.4])
GVF_V = np.array([0.004, 0.0, 0.01, 0.002, 0.006, 0.001, np.nan])  # 1: var 0; 6: var missing
GVF_N = np.array([40.0, 10.0, 2.0, 5.0, 1.0, 20.0, 30.0])  # 4: n = 1 < min_n; 3: p = 1; 5: p = 0


def test_gvf_proportion_by_hand():
    reliable = np.array([True, False, True, False, False, False, False])
    p = (40 * 0.2 + 2 * 0.5) / 42  # n-weighted mean of the reliable estimates: 3/14
    base = p * (1 - p) / GVF_N
    deff = (0.004 + 0.01) / (base[0] + base[2])  # ratio of totals over the reliable areas
    r = smooth_sampling_variance(GVF_Y, GVF_V, GVF_N)
    assert r.kind == "proportion"
    np.testing.assert_array_equal(r.reliable, reliable)
    assert r.params["deff"] == pytest.approx(deff, rel=1e-13)
    np.testing.assert_allclose(r.smoothed, deff * base, rtol=1e-13)
    np.testing.assert_allclose(r.variance, np.where(reliable, GVF_V, deff * base), rtol=1e-13)
    np.testing.assert_allclose(smooth_sampling_variance(GVF_Y, GVF_V, GVF_N, replace="all").variance,
                               deff * base, rtol=1e-13)
    assert list(r.to_frame(index=list("abcdefg")).index) == list("abcdefg")
    with pytest.raises(ValueError, match="fewer than 2 reliable"):  # min_n = 3 leaves area 0 alone
        smooth_sampling_variance(GVF_Y, GVF_V, GVF_N, min_n=3)


@pytest.mark.parametrize("bad", [0.0, 1.0, np.nan])
def test_gvf_p_model_must_lie_strictly_inside_the_unit_interval(bad):
    p_model = np.full(GVF_Y.size, 0.3)
    p_model[1] = bad
    with pytest.raises(ValueError, match="p_model must be"):
        smooth_sampling_variance(GVF_Y, GVF_V, GVF_N, p_model=p_model)
    with pytest.raises(ValueError, match="p_model must be"):
        smooth_sampling_variance(GVF_Y, GVF_V, GVF_N, p_model=np.full(3, 0.3))
    with pytest.raises(ValueError, match="n must be"):
        smooth_sampling_variance(GVF_Y, GVF_V, np.r_[np.inf, GVF_N[1:]])


def test_gvf_loglinear_against_statsmodels_ols():
    import statsmodels.api as sm

    y = np.array([0.5, 2.0, 3.0, 5.0, 8.0, 0.8])
    v = np.array([0.3, 0.2, 0.5, 0.4, 0.9, 0.0])  # the last area (var 0) is smoothed, not fitted
    n = np.array([10.0, 40.0, 25.0, 60.0, 15.0, 30.0])
    Z = sm.add_constant(np.column_stack([np.log(n), np.log(y)]))
    ols = sm.OLS(np.log(v[:5]), Z[:5]).fit()
    smear = np.mean(np.exp(ols.resid))  # Duan's smearing factor
    r = smooth_sampling_variance(y, v, n, kind="loglinear")
    np.testing.assert_array_equal(r.reliable, [True] * 5 + [False])
    want = {"a": ols.params[0], "b_log_n": ols.params[1], "c_log_y": ols.params[2], "smearing": smear}
    assert r.params.keys() == want.keys()
    np.testing.assert_allclose([r.params[k] for k in want], list(want.values()), rtol=1e-10)
    np.testing.assert_allclose(r.smoothed, smear * np.exp(Z @ ols.params), rtol=1e-10)
    np.testing.assert_allclose(r.variance, np.r_[v[:5], r.smoothed[5]], rtol=1e-12)
    with pytest.raises(ValueError, match="needs direct estimates > 0"):  # an estimate of 0 has no log
        smooth_sampling_variance(np.r_[y[:5], 0.0], np.r_[v[:5], 0.1], n, kind="loglinear")
    with pytest.raises(ValueError, match="too few reliable areas"):  # 3 areas for 3 coefficients
        smooth_sampling_variance(y[:3], v[:3], n[:3], kind="loglinear")


def test_ratio_benchmark_shares_zero_weights_and_discrepancy_by_group():
    est = np.array([0.1, 0.3, 0.2, 0.4])
    w = np.array([0.5, 0.5, 0.0, 1.0])  # population shares (sum 1 in A); an area of weight 0 in B
    bench, factors, disc = ratio_benchmark(est, w, ["A", "A", "B", "B"], {"A": 0.25, "B": 0.2, "C": 0.9})
    # A: mean 0.2 -> factor 1.25; B: mean 0.4 (the zero-weight area does not count) -> factor 0.5
    np.testing.assert_allclose(factors, [1.25, 1.25, 0.5, 0.5], rtol=1e-14)
    np.testing.assert_allclose(bench, [0.125, 0.375, 0.1, 0.2], rtol=1e-14)
    assert disc.name == "discrepancy" and list(disc.index) == ["A", "B"]  # not the target-only group C
    np.testing.assert_allclose(disc.to_numpy(), [-0.05, 0.2], rtol=1e-13)
    with pytest.raises(ValueError, match="weights must be finite"):
        ratio_benchmark([0.1, 0.2], [1.0, np.inf], ["A", "A"], {"A": 0.1})
    with pytest.raises(ValueError, match="equal length"):
        ratio_benchmark([0.1, 0.2], [1.0, 1.0, 1.0], ["A", "A"], {"A": 0.1})


def test_publication_boundaries_and_zero_mse():
    np.testing.assert_array_equal(relative_standard_error([0.2], [0.0]), [0.0])  # MSE 0 is allowed
    with pytest.raises(ValueError, match="mse has negative values"):
        relative_standard_error([0.2], [-0.01])
    assert list(flag_rse([0.0])) == ["publish"]  # RSE 0 is allowed
    assert list(flag_rse([25.0, 25.01, 50.0, 50.01], percent=True)) == ["publish", "caution", "caution",
                                                                           "suppress"]


def test_diagnostics_small_and_constant_inputs_and_shrinkage_quantiles():
    from types import SimpleNamespace

    flat = SimpleNamespace(gamma=np.array([0.2, 0.5, 0.9, 0.4]), standardized_residuals=np.full(4, 0.3),
                           random_effects=np.zeros(4))
    assert normality_table(flat).isna().all().all()  # constant series: no moments, no Shapiro-Wilk
    three = SimpleNamespace(gamma=np.array([0.2, 0.5, 0.9]), standardized_residuals=np.array([0.1, -0.4, 1.2]),
                            random_effects=np.array([0.3, 0.1, -0.2]))
    t = normality_table(three)
    sw = stats.shapiro(three.standardized_residuals)  # three values are enough for Shapiro-Wilk
    assert t.loc["standardized_residuals", "shapiro_w"] == pytest.approx(sw.statistic, rel=1e-12)
    two = SimpleNamespace(gamma=np.array([0.2, 0.5]), standardized_residuals=np.array([0.1, -0.4]),
                          random_effects=np.array([0.3, 0.1]))
    assert normality_table(two)[["shapiro_w", "shapiro_p"]].isna().all().all()
    s = shrinkage_summary(flat)
    assert list(s.columns) == ["min", "q1", "median", "mean", "q3", "max"] and list(s.index) == ["gamma"]
    np.testing.assert_allclose(s.iloc[0], [0.2, 0.35, 0.45, 0.5, 0.6, 0.9], rtol=1e-14)  # type 7 quantiles


def test_mse_gain_is_mse_over_direct_variance():
    from estimation.sae.diagnostics import mse_gain

    r, _, _, D = _fit()
    g = mse_gain(r)
    assert list(g.columns) == ["direct_var", "mse", "efficiency"]
    np.testing.assert_allclose(g.to_numpy(), np.column_stack([D, r.mse, r.mse / D]), rtol=1e-14)


def test_benchmarking_leaves_only_the_group_it_cannot_move():
    """One province whose estimates are all 0 used to switch benchmarking off for every province."""
    est = np.array([0.0, 0.0, 0.10, 0.30, 0.20])
    w = np.array([1.0, 2.0, 1.0, 1.0, 2.0])
    groups = np.array(["A", "A", "B", "B", "B"])
    targets = {"A": 0.05, "B": 0.25}
    assert unbenchmarkable_groups(est, w, groups) == ["A"]
    with pytest.raises(ValueError, match=r"\['A'\]"):
        ratio_benchmark(est, w, groups, targets)
    bench, factors, disc = ratio_benchmark(est, w, groups, targets, impossible="leave")
    np.testing.assert_array_equal(bench[:2], [0.0, 0.0])
    assert factors[0] == factors[1] == 1.0
    np.testing.assert_allclose(np.average(bench[2:], weights=w[2:]), 0.25)  # B still hits its target
    np.testing.assert_allclose(disc["A"], -0.05)

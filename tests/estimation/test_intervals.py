"""Wilson and Clopper-Pearson intervals of a proportion (`estimation.survey.intervals`)."""

from __future__ import annotations

import numpy as np
import pytest

from estimation.survey.intervals import proportion_ci


@pytest.mark.parametrize("how, sm", [("wilson", "wilson"), ("clopper_pearson", "beta")])
def test_proportion_ci_matches_statsmodels(how, sm):
    from statsmodels.stats.proportion import proportion_confint

    count = np.array([0, 1, 7, 50, 120])
    nobs = np.array([40, 55, 300, 120, 120])
    lo, hi = proportion_ci(count / nobs, nobs, how)
    want_lo, want_hi = proportion_confint(count, nobs, alpha=0.05, method=sm)
    np.testing.assert_allclose(lo, want_lo, atol=1e-12)
    np.testing.assert_allclose(hi, want_hi, atol=1e-12)


def test_proportion_ci_ends_and_unknown_interval():
    lo, hi = proportion_ci(np.array([0.0, 1.0]), np.array([50.0, 50.0]), "wilson")
    assert lo[0] == 0.0 and hi[0] > 0 and hi[1] == 1.0 and lo[1] < 1
    with pytest.raises(ValueError, match="unknown interval"):
        proportion_ci(np.array([0.5]), np.array([10.0]), "wald")


def test_wilson_ends_exact_where_round_off_would_move_them():
    # at n = 7 the formula's centre - half at p = 0 is +3e-18, at n = 10 centre + half at p = 1 is 1 - 1e-16:
    # the interval must still start at exactly 0 and end at exactly 1 (Wilson 1927: the bound at x = 0 is 0)
    lo, hi = proportion_ci(np.array([0.0, 1.0]), np.array([7.0, 10.0]), "wilson")
    assert lo[0] == 0.0 and hi[1] == 1.0


@pytest.mark.parametrize("how", ["wilson", "clopper_pearson"])
def test_proportion_ci_clips_estimates_outside_the_unit_interval(how):
    # a rate a hair outside [0, 1] (round-off upstream) gets the interval of 0 or 1, not a NaN or a wider one
    lo, hi = proportion_ci(np.array([-0.1, 1.1]), np.array([40.0, 40.0]), how)
    want_lo, want_hi = proportion_ci(np.array([0.0, 1.0]), np.array([40.0, 40.0]), how)
    np.testing.assert_array_equal(lo, want_lo)
    np.testing.assert_array_equal(hi, want_hi)


def test_clopper_pearson_fractional_counts_solve_the_incomplete_beta_equations():
    """x = p n_eff is fractional (n_eff = n / deff) and can be below 1 or within 1 of n_eff. Independent of
    beta.ppf: the bounds are the roots of I_lo(x, n - x + 1) = 0.025 and I_hi(x + 1, n - x) = 0.975."""
    from scipy.optimize import brentq
    from scipy.special import betainc

    n = np.array([50.0, 50.0, 37.5])
    x = np.array([0.5, 49.5, 0.25])
    lo, hi = proportion_ci(x / n, n, "clopper_pearson")
    for i in range(n.size):
        want_lo = brentq(lambda t, i=i: betainc(x[i], n[i] - x[i] + 1, t) - 0.025, 1e-300, 1 - 1e-15, xtol=1e-15)
        want_hi = brentq(lambda t, i=i: betainc(x[i] + 1, n[i] - x[i], t) - 0.975, 1e-15, 1 - 1e-16, xtol=1e-15)
        assert lo[i] == pytest.approx(want_lo, rel=1e-9, abs=1e-15)
        assert hi[i] == pytest.approx(want_hi, rel=1e-9, abs=1e-15)


def test_wilson_bounds_stay_in_the_unit_interval_next_to_the_ends():
    # centre - half is -1e-18 at p = 1e-17, n = 8, and centre + half is 1 + 2e-16 at p = 1 - 2^-53, n = 7:
    # the clip keeps 0 <= low and high <= 1 where round-off alone would step outside
    lo, hi = proportion_ci(np.array([1e-17, 1 - 2.0**-53]), np.array([8.0, 7.0]), "wilson")
    assert lo[0] >= 0.0 and hi[1] <= 1.0
    assert np.all(lo <= hi)

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

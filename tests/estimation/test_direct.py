"""Direct FGT estimators: R sae published P0, samplics Taylor SEs, and a hand-computed design."""

from __future__ import annotations

import json
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estimation.survey.direct import direct_fgt, direct_poverty, fgt_values

DATA = Path(__file__).resolve().parents[1] / "data"


def _samplics(param: str, y, w, strata, psu, domain):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam

        est = TaylorEstimator(getattr(PopParam, param))
        est.estimate(y=y, samp_weight=w, stratum=strata, psu=psu, domain=domain)
    return pd.Series(est.point_est), pd.Series(est.stderror)


def _cluster_data(seed: int = 7):
    rng = np.random.default_rng(seed)
    n_strata, n_psu, m = 15, 5, 8
    strata = np.repeat(np.arange(n_strata), n_psu * m)
    psu = np.tile(np.repeat(np.arange(n_psu), m), n_strata)  # ids reused across strata: nesting needed
    n = strata.size
    psu_effect = np.repeat(rng.normal(0, 0.3, n_strata * n_psu), m)
    y = np.exp(12.5 + psu_effect + rng.normal(0, 0.5, n))
    w = rng.uniform(50, 300, n)
    domain = rng.choice(["a", "b", "c", "d"], n)
    line = np.where(strata % 2 == 0, 250_000.0, 280_000.0)  # per-unit lines
    return y, line, w, domain, strata, psu


def test_sae_published_direct_p0_with_known_domain_size():
    inc = pd.read_csv(DATA / "incomedata.csv")
    size = pd.read_csv(DATA / "sizeprov.csv").set_index("provlab")["Nd"]
    expected = json.loads((DATA / "incomedata_p0_direct_expected.json").read_text())["provinces"]
    out = direct_fgt(inc["income"], 6557.143, inc["weight"], inc["provlab"], population_size=size,
                     negative_y=True)
    published = pd.Series({k: v["DIR_pct"] / 100 for k, v in expected.items()})
    assert len(published) == 52
    np.testing.assert_allclose(out.loc[published.index, "estimate"], published, atol=1e-8)
    # Hájek (the default) differs, as the reference warns (Alava 36.40 vs 25.50)
    hajek = direct_fgt(inc["income"], 6557.143, inc["weight"], inc["provlab"], negative_y=True)
    assert hajek.loc["Alava", "estimate"] == pytest.approx(0.3640, abs=5e-4)


def test_known_size_se_equals_samplics_total_over_nd():
    inc = pd.read_csv(DATA / "incomedata.csv")
    size = pd.read_csv(DATA / "sizeprov.csv").set_index("provlab")["Nd"]
    g = (inc["income"] < 6557.143).astype(float).to_numpy()
    _, se_tot = _samplics("total", g, inc["weight"].to_numpy(), None, None, inc["provlab"].to_numpy())
    out = direct_fgt(inc["income"], 6557.143, inc["weight"], inc["provlab"], population_size=size,
                     negative_y=True)
    np.testing.assert_allclose(out["se"], (se_tot / size).loc[out.index], rtol=1e-9)


def _fgt_by_hand(y: np.ndarray, line: np.ndarray, alpha: int) -> np.ndarray:
    """I(y < z) ((z - y) / z)^alpha written out here, so that samplics gets variables the module under test
    did not compute."""
    return np.array([((z - v) / z) ** alpha if v < z else 0.0 for v, z in zip(y, line, strict=True)])


@pytest.mark.parametrize("alpha", [0, 1, 2])
def test_matches_samplics_domain_mean_stratified_cluster(alpha):
    y, line, w, domain, strata, psu = _cluster_data()
    g = _fgt_by_hand(y, line, alpha)
    np.testing.assert_allclose(fgt_values(y, line, alpha), g, rtol=1e-15)
    # samplics needs globally unique PSU ids; ours nests them in strata itself
    point, se = _samplics("mean", g, w, strata, strata * 100 + psu, domain)
    out = direct_fgt(y, line, w, domain, strata, psu, alpha=alpha)
    np.testing.assert_allclose(out["estimate"], point.loc[out.index], rtol=1e-12)
    np.testing.assert_allclose(out["se"], se.loc[out.index], rtol=1e-9)


def test_poverty_totals_match_samplics_and_household_size_gives_person_index():
    y, line, w, domain, strata, psu = _cluster_data(11)
    size = np.random.default_rng(3).integers(1, 8, y.size)
    out = direct_poverty(y, line, w, domain, strata, psu, household_size=size)
    poor = (y < line).astype(float)
    _, se_hh = _samplics("total", poor, w, strata, strata * 100 + psu, domain)
    pt_p, se_p = _samplics("total", poor, w * size, strata, strata * 100 + psu, domain)
    pt_mean, se_mean = _samplics("mean", poor, w * size, strata, strata * 100 + psu, domain)
    np.testing.assert_allclose(out["poor_households_se"], se_hh.loc[out.index], rtol=1e-9)
    np.testing.assert_allclose(out["poor_persons"], pt_p.loc[out.index], rtol=1e-12)
    np.testing.assert_allclose(out["poor_persons_se"], se_p.loc[out.index], rtol=1e-9)
    np.testing.assert_allclose(out["estimate"], pt_mean.loc[out.index], rtol=1e-12)
    np.testing.assert_allclose(out["se"], se_mean.loc[out.index], rtol=1e-9)
    np.testing.assert_allclose(out["cv"], 100 * out["se"] / out["estimate"])
    np.testing.assert_allclose(out["ci_high"] - out["ci_low"], 2 * 1.959963985 * out["se"], rtol=1e-8)
    assert (out["n_households"] == pd.Series(domain).value_counts().loc[out.index]).all()
    assert (out["n_persons"] == pd.Series(size).groupby(domain).sum().loc[out.index]).all()


def test_hand_computed_example():
    # stratum A: PSU1 {(y=1,w=2),(y=3,w=2)}, PSU2 {(5,4)}; stratum B: PSU3 {(1,1)}, PSU4 {(6,3)}; z = 4
    y = np.array([1, 3, 5, 1, 6.0])
    w = np.array([2, 2, 4, 1, 3.0])
    strata = np.array(["A", "A", "A", "B", "B"])
    psu = np.array([1, 1, 2, 1, 2])  # PSU ids repeat across strata
    out = direct_poverty(y, 4.0, w, np.zeros(5), strata, psu)
    # P0 = 5/12; scores w(g - 5/12)/12 = [14, 14, -20, 7, -15]/144; PSU totals A: 28, -20; B: 7, -15
    # V = [2 (24^2 + 24^2) + 2 (11^2 + 11^2)] / 144^2 = 2788 / 20736
    assert out["estimate"].iloc[0] == pytest.approx(5 / 12)
    assert out["se"].iloc[0] == pytest.approx(np.sqrt(2788 / 20736))
    # deff: weighted s2 = sum w (g - p)^2 / sum w * n/(n-1) = (5/12)(7/12)(5/4); v_srs = s2/5 (1 - 5/12)
    v_srs = (5 / 12) * (7 / 12) * 1.25 / 5 * (7 / 12)
    assert out["deff"].iloc[0] == pytest.approx(2788 / 20736 / v_srs)
    # poor households total 5: PSU totals A: 4, 0; B: 1, 0 -> V = 2 (2^2 + 2^2) + 2 (0.5^2 * 2) = 17
    assert out["poor_households"].iloc[0] == pytest.approx(5.0)
    assert out["poor_households_se"].iloc[0] == pytest.approx(np.sqrt(17.0))
    # strict inequality: y equal to the line is not poor
    assert direct_fgt([4.0, 3.0], 4.0, [1, 1], [0, 0])["estimate"].iloc[0] == 0.5
    # P1 by hand: gaps (3/4, 1/4, 0, 3/4, 0) weighted -> (1.5 + 0.5 + 0.75) / 12
    p1 = direct_fgt(y, 4.0, w, np.zeros(5), strata, psu, alpha=1)
    assert p1["estimate"].iloc[0] == pytest.approx(2.75 / 12)


# Five households, line z = 100: y = 25, 50, 100 (at the line: not poor), 150, 80; normalised gaps
# (z - y)/z = 3/4, 1/2, 0, 0, 1/5. Household weights 2, 1, 3, 1, 3 (sum 10); sizes 1, 2, 1, 3, 2.
HAND_Y = np.array([25.0, 50.0, 100.0, 150.0, 80.0])
HAND_W = np.array([2.0, 1.0, 3.0, 1.0, 3.0])
HAND_SIZE = np.array([1, 2, 1, 3, 2])
HAND_HOUSEHOLDS = {  # households as units: weights 2, 1, 3, 1, 3
    0: Fraction(2 + 1 + 3, 10),  # P0 = 6/10
    1: Fraction(2, 10) * Fraction(3, 4) + Fraction(1, 10) * Fraction(1, 2) + Fraction(3, 10) * Fraction(1, 5),
    2: Fraction(2, 10) * Fraction(9, 16) + Fraction(1, 10) * Fraction(1, 4) + Fraction(3, 10) * Fraction(1, 25),
}
HAND_PERSONS = {  # persons: weights w x size = 2, 2, 3, 3, 6 (sum 16)
    0: Fraction(2 + 2 + 6, 16),
    1: Fraction(2, 16) * Fraction(3, 4) + Fraction(2, 16) * Fraction(1, 2) + Fraction(6, 16) * Fraction(1, 5),
    2: Fraction(2, 16) * Fraction(9, 16) + Fraction(2, 16) * Fraction(1, 4) + Fraction(6, 16) * Fraction(1, 25),
}


def test_hand_fractions_are_what_they_say():
    # the sums above, reduced: a typo in a fraction would show here
    assert [HAND_HOUSEHOLDS[a] for a in (0, 1, 2)] == [Fraction(3, 5), Fraction(13, 50), Fraction(299, 2000)]
    assert [HAND_PERSONS[a] for a in (0, 1, 2)] == [Fraction(5, 8), Fraction(37, 160), Fraction(373, 3200)]


@pytest.mark.parametrize("alpha", [0, 1, 2])
def test_hand_computed_fgt_each_order(alpha):
    dom = np.zeros(5)
    households = direct_fgt(HAND_Y, 100.0, HAND_W, dom, alpha=alpha)["estimate"].iloc[0]
    assert households == pytest.approx(float(HAND_HOUSEHOLDS[alpha]), rel=1e-14)
    persons = direct_poverty(HAND_Y, 100.0, HAND_W, dom, alpha=alpha, household_size=HAND_SIZE).iloc[0]
    assert persons["estimate"] == pytest.approx(float(HAND_PERSONS[alpha]), rel=1e-14)
    # the counts do not depend on alpha: households 1, 2, 5 are poor
    assert persons["poor_households"] == 2 + 1 + 3 and persons["poor_persons"] == 2 + 2 + 6
    assert persons["n_households"] == 5 and persons["n_persons"] == 9


def test_hand_computed_fgt_by_domain_and_unit_values():
    # two domains: {25, 50, 100} and {150, 80}; per-unit lines 100 except a line of 200 for y = 150 (gap 1/4)
    line = np.array([100.0, 100.0, 100.0, 200.0, 100.0])
    dom = np.array(["a", "a", "a", "b", "b"])
    for alpha, a_want, b_want in [
        (0, Fraction(3, 6), Fraction(4, 4)),
        (1, Fraction(2 * 3, 4 * 6) + Fraction(1, 2 * 6), Fraction(1, 4 * 4) + Fraction(3, 5 * 4)),
        (2, Fraction(2 * 9, 16 * 6) + Fraction(1, 4 * 6), Fraction(1, 16 * 4) + Fraction(3, 25 * 4)),
    ]:
        out = direct_fgt(HAND_Y, line, HAND_W, dom, alpha=alpha)["estimate"]
        assert out["a"] == pytest.approx(float(a_want), rel=1e-14), alpha
        assert out["b"] == pytest.approx(float(b_want), rel=1e-14), alpha
    np.testing.assert_allclose(fgt_values(HAND_Y, 100.0, 2), [9 / 16, 1 / 4, 0.0, 0.0, 1 / 25], rtol=1e-15)
    np.testing.assert_array_equal(fgt_values(HAND_Y, 100.0, 0), [1.0, 1.0, 0.0, 0.0, 1.0])


def test_domain_uses_whole_design_not_subset():
    y, line, w, domain, strata, psu = _cluster_data(5)
    full = direct_fgt(y, line, w, domain, strata, psu).loc["a"]
    keep = domain == "a"
    subset = direct_fgt(y[keep], line[keep], w[keep], domain[keep], strata[keep], psu[keep]).loc["a"]
    assert full["estimate"] == pytest.approx(subset["estimate"])
    # same point estimate, different SE: zeros outside the domain change the PSU-total spread
    assert abs(full["se"] - subset["se"]) > 1e-6


def test_lonely_psu_options():
    y = np.array([1, 3, 5, 1, 6.0, 2.0])
    w = np.array([2, 2, 4, 1, 3.0, 5.0])
    strata = np.array(["A", "A", "A", "B", "B", "C"])
    psu = np.array([1, 1, 2, 1, 2, 1])
    dom = np.zeros(6)
    with pytest.raises(ValueError, match="single PSU"):
        direct_fgt(y, 4.0, w, dom, strata, psu, lonely_psu="fail")
    p = 10 / 17
    u = w * ((y < 4) - p) / 17
    tot = {"A": [u[0] + u[1], u[2]], "B": [u[3], u[4]]}
    v_ok = sum(2 * ((a - (a + b) / 2) ** 2 + (b - (a + b) / 2) ** 2) for a, b in tot.values())
    cert = direct_fgt(y, 4.0, w, dom, strata, psu, lonely_psu="certainty")["se"].iloc[0]
    adj = direct_fgt(y, 4.0, w, dom, strata, psu, lonely_psu="adjust")["se"].iloc[0]
    rem = direct_fgt(y, 4.0, w, dom, strata, psu, lonely_psu="remove")["se"].iloc[0]
    avg = direct_fgt(y, 4.0, w, dom, strata, psu, lonely_psu="average")["se"].iloc[0]
    assert cert == pytest.approx(np.sqrt(v_ok))
    assert adj == pytest.approx(np.sqrt(v_ok + u[5] ** 2))  # R survey "adjust": centred at 0
    assert rem == pytest.approx(np.sqrt(v_ok))  # R survey 4.1 "remove": no rescaling
    assert avg == pytest.approx(np.sqrt(v_ok * 3 / 2))  # R survey "average": rescaled by 3 strata / 2
    with pytest.raises(ValueError, match="lonely_psu must be one of"):
        direct_fgt(y, 4.0, w, dom, strata, psu, lonely_psu="drop")


def test_population_size_missing_domain_raises():
    with pytest.raises(ValueError, match="population_size"):
        direct_fgt([1.0, 2.0], 3.0, [1, 1], ["a", "b"], population_size={"a": 10})


# The stratified hand design of test_hand_computed_example: P0 = 5/12, V = 2788/20736.
STRAT_Y = np.array([1, 3, 5, 1, 6.0])
STRAT_W = np.array([2, 2, 4, 1, 3.0])
STRAT = np.array(["A", "A", "A", "B", "B"])
STRAT_PSU = np.array([1, 1, 2, 1, 2])


def test_poverty_table_columns_by_hand():
    out = direct_poverty(STRAT_Y, 4.0, STRAT_W, np.zeros(5), STRAT, STRAT_PSU)
    assert list(out.columns) == ["estimate", "se", "cv", "ci_low", "ci_high", "deff", "n_households", "n_persons",
                                 "poor_persons", "poor_persons_se", "poor_households", "poor_households_se"]
    assert out.index.name == "domain"
    row = out.iloc[0]
    p, se = 5 / 12, np.sqrt(2788 / 20736)
    assert row["cv"] == pytest.approx(100 * se / p, rel=1e-14)  # percent
    # default 95%: z = 1.959963984540054; 90%: z = 1.6448536269514722 (normal quantiles)
    assert row["ci_low"] == pytest.approx(p - 1.959963984540054 * se, rel=1e-14)
    assert row["ci_high"] == pytest.approx(p + 1.959963984540054 * se, rel=1e-14)
    ninety = direct_poverty(STRAT_Y, 4.0, STRAT_W, np.zeros(5), STRAT, STRAT_PSU, confidence=0.90).iloc[0]
    assert ninety["ci_low"] == pytest.approx(p - 1.6448536269514722 * se, rel=1e-14)
    assert ninety["ci_high"] == pytest.approx(p + 1.6448536269514722 * se, rel=1e-14)
    assert out["n_households"].dtype == np.int64 and row["n_households"] == 5
    assert np.isnan(row["n_persons"])  # no household sizes: units are persons, no person count
    # a domain with no poor unit: estimate 0, its CV and deff undefined (NaN, still a float column)
    zero = direct_poverty([50.0, 150.0, 200.0], 100.0, [1.0, 2.0, 3.0], ["a", "b", "b"])
    assert zero.loc["b", "estimate"] == 0.0 and np.isnan(zero.loc["b", "cv"]) and zero["cv"].dtype == float


def test_known_domain_sizes_by_hand():
    """HT total / N_d with N_a = 12, N_b = 8 on the five households, each its own PSU (no strata): linearised
    scores u_i = w_i g_i 1(i in d) / N_d over all 5 units, V = 5/4 sum (u_i - mean u)^2.
    a: u = (2, 1, 0, 0, 0)/12, mean 1/20: V = 5/4 (49 + 4 + 27)/3600 = 1/36; b: u = (0, 0, 0, 0, 3/8), mean 3/40:
    V = 5/4 (36 + 144)/1600 = 9/64."""
    dom = np.array(["a", "a", "a", "b", "b"])
    want = pd.DataFrame({"estimate": [3 / 12, 3 / 8], "se": [1 / 6, 3 / 8]}, index=["a", "b"])
    fgt = direct_fgt(HAND_Y, 100.0, HAND_W, dom, population_size={"a": 12, "b": 8})  # a Mapping
    table = direct_poverty(HAND_Y, 100.0, HAND_W, dom, population_size=pd.Series({"b": 8, "a": 12}))
    for out in (fgt, table):
        np.testing.assert_allclose(out[["estimate", "se"]].to_numpy(), want.to_numpy(), rtol=1e-14)


def test_domains_sorted_and_weights_scale_free():
    dom = np.array(["b", "b", "c", "a", "a"])
    out = direct_fgt(HAND_Y, 100.0, HAND_W, dom)
    assert list(out.index) == ["a", "b", "c"] and out.index.name == "domain"
    # Hájek estimate and SE do not depend on the scale of the weights (here weight sums below 1)
    small = direct_fgt(HAND_Y, 100.0, HAND_W / 1000, dom)
    np.testing.assert_allclose(small.to_numpy(), out.to_numpy(), rtol=1e-12)
    # the default FGT order is the headcount
    np.testing.assert_array_equal(fgt_values(HAND_Y, 100.0), [1.0, 1.0, 0.0, 0.0, 1.0])


def test_zero_weights_allowed_and_bad_design_inputs_raise():
    assert direct_fgt([1.0, 3.0], 2.0, [0.0, 1.0], [0, 0])["estimate"].iloc[0] == 0.0
    assert direct_fgt([1.0, 3.0], 2.0, [1.0, 0.0], [0, 0])["estimate"].iloc[0] == 1.0
    zero_domain = direct_fgt([1.0, 3.0], 2.0, [0.0, 1.0], ["a", "b"])  # a domain whose weights are all 0
    assert np.isnan(zero_domain.loc["a", "estimate"]) and zero_domain.loc["b", "estimate"] == 0.0
    for bad in ([1.0, -1.0], [1.0, np.inf], [np.nan, 1.0]):
        with pytest.raises(ValueError, match=r"weights: .* at position \d \(0-based\) of 2.*expected a finite"):
            direct_fgt([1.0, 3.0], 2.0, bad, [0, 0])


def test_bad_expenditure_or_line_raises_naming_the_position():
    """A NaN expenditure or line used to count as "not poor" and stay in the denominator (P0 biased down)."""
    w, dom = [1.0, 1.0, 1.0], [0, 0, 0]
    for y, line, what in (([1.0, np.nan, 3.0], 2.0, r"expenditure: .*nan.* at position 1 "),
                          ([1.0, -5.0, 3.0], 2.0, r"expenditure: .*-5.0.* at position 1 "),
                          ([1.0, 2.0, np.inf], 2.0, r"expenditure: .*inf.* at position 2 "),
                          ([1.0, 2.0, 3.0], [2.0, np.nan, 2.0], r"poverty line: .*nan.* at position 1 "),
                          ([1.0, 2.0, 3.0], 0.0, r"poverty line: .*0.0.* at position 0 ")):
        with pytest.raises(ValueError, match=what):
            direct_fgt(y, line, w, dom)
        with pytest.raises(ValueError, match=what):
            direct_poverty(y, line, w, dom)
    # incomes may be negative (R sae's incomedata) when the caller says so; NaN never
    assert direct_fgt([1.0, -5.0, 3.0], 2.0, w, dom, negative_y=True)["estimate"].iloc[0] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=r"income: .*nan.* at position 0 "):
        direct_fgt([np.nan, -5.0, 3.0], 2.0, w, dom, negative_y=True)
    with pytest.raises(ValueError, match="domain has missing values"):
        direct_fgt([1.0, 3.0], 2.0, [1.0, 1.0], ["a", None])
    with pytest.raises(ValueError, match="strata / psu have missing values"):
        direct_fgt([1.0, 3.0], 2.0, [1.0, 1.0], [0, 0], strata=[np.nan, 1.0])
    with pytest.raises(ValueError, match="strata / psu have missing values"):  # a missing PSU id, found by mutmut
        direct_fgt([1.0, 3.0, 4.0], 2.0, [1.0, 1.0, 1.0], [0, 0, 0], strata=[1, 1, 2], psu=[np.nan, 1, 2])


def test_negative_incomes_only_on_request():
    y = np.array([-50.0, 25.0, 150.0])  # an income below 0 (R sae's incomedata has some): poor, gap > 1
    with pytest.raises(ValueError, match="expenditure"):
        fgt_values(y, 100.0)  # the default: expenditure, which cannot be negative
    np.testing.assert_allclose(fgt_values(y, 100.0, 1, negative_y=True), [1.5, 0.75, 0.0], rtol=1e-15)
    table = direct_poverty(y, 100.0, [1.0, 1.0, 2.0], [0, 0, 0], alpha=1, negative_y=True)
    assert table["estimate"].iloc[0] == pytest.approx((1.5 + 0.75) / 4, rel=1e-14)

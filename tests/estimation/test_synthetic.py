"""Synthetic population and sample: closed forms by simulation, calibration to BPS, design properties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri

from estimation.sources import extreme_targets, kabkota_panel
from estimation.survey.direct import direct_fgt
from estimation.synthetic.calibration import calibrate_panel, derive_poverty_lines
from estimation.synthetic.distribution import (
    deep_share_bounds,
    lognormal_fgt,
    model_cdf,
    model_fgt,
    poor_gap_moments,
    poor_quantile,
    solve_lognormal_sigma,
    solve_tilt,
)
from estimation.synthetic.population import (
    POPULATION_COLUMNS,
    generate_population,
    iter_population,
    population_truth,
)
from estimation.synthetic.sample import (
    _sort_by_block_then_key,
    allocate_blocks,
    draw_sample,
    expected_households,
)

RAW = Path(__file__).resolve().parents[2] / "data" / "raw" / "bps"


def _panel() -> pd.DataFrame:
    """2023 as published (P0, P1, GK); 2022/2024/2025 with P0 shifted, P1 and (2022/2024) GK unpublished."""
    raw = pd.read_csv(RAW / "kemiskinan_kabkota_2023_p0_p1_p2_gk.csv")
    p23 = pd.DataFrame({
        "bps_code": raw["bps_code"], "prov_code": raw["bps_code"] // 100, "year": 2023, "p0": raw["p0_persen"],
        "p1": raw["p1"], "poverty_line_rp": raw["garis_kemiskinan_rp"].astype(float),
        "population_thousand": raw["jumlah_penduduk_miskin_ribu"] / raw["p0_persen"] * 100,
    })
    frames = [p23]
    for year, f in [(2022, 1.04), (2024, 0.97), (2025, 0.9)]:
        q = p23.assign(year=year, p0=p23["p0"] * f, p1=np.nan)
        q["poverty_line_rp"] = p23["poverty_line_rp"] * 1.1 if year == 2025 else np.nan
        frames.append(q)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def calibrated():
    return calibrate_panel(_panel(), extreme_targets(RAW.parent))


def test_lognormal_closed_forms_by_simulation():
    rng = np.random.default_rng(0)
    mu, sigma, z = 13.4, 0.5, 550_000.0
    y = np.exp(mu + sigma * rng.standard_normal(2_000_000))
    gap = np.where(y < z, (z - y) / z, 0)
    for alpha in (0, 1, 2):
        sim = np.mean(np.where(y < z, gap**alpha, 0))
        assert lognormal_fgt(mu, sigma, z, alpha) == pytest.approx(sim, rel=5e-3)
    p0, p1 = lognormal_fgt(mu, sigma, z, 0), lognormal_fgt(mu, sigma, z, 1)
    assert solve_lognormal_sigma(p0, p1) == pytest.approx(sigma, rel=1e-8)


# (q, k, r): deep share, tilt, break; k spans the series branch (|k r| < 1), both signs and near-degeneracy
POOR_PARAMS = [(0.12, 7.5, 0.66), (0.3, -4.0, 0.66), (0.05, 1e-9, 0.5), (0.5, -0.7, 0.2), (0.02, 60.0, 0.9),
               (0.4, -300.0, 0.66), (0.9, 2500.0, 0.3), (0.2, 0.0, 0.66)]


def _quad_poor(q, k, r, f, upper: float = 1.0):
    """E[f(v) 1{v < upper}] of the poor part by adaptive quadrature of its density (independent of the closed
    forms)."""
    from scipy.integrate import quad

    def piece(a, b):
        # density exp(k (v - peak)) / normaliser on [a, b], with the peak at the heavier end (no overflow)
        peak = b if k > 0 else a
        pts = [p for p in (peak - np.sign(k) * min(b - a, 1 / max(abs(k), 1e-9)),) if a < p < b]
        dens = lambda v: np.exp(k * (v - peak))
        opts = {"points": pts or None, "limit": 200, "epsabs": 0, "epsrel": 1e-12}
        top = min(b, upper)
        num = quad(lambda v: f(v) * dens(v), a, top, **opts)[0] if top > a else 0.0
        return num / quad(dens, a, b, **opts)[0]

    return q * piece(0.0, r) + (1 - q) * piece(r, 1.0)


@pytest.mark.parametrize(("q", "k", "r"), POOR_PARAMS)
def test_poor_part_closed_forms_match_quadrature(q, k, r):
    for alpha in (1, 2):
        want = _quad_poor(q, k, r, lambda v, a=alpha: (1 - v) ** a)
        assert model_fgt(1.0, q, k, r, alpha) == pytest.approx(want, rel=1e-8)
        assert model_fgt(0.2, q, k, r, alpha) == pytest.approx(0.2 * want, rel=1e-8)
    z = 500_000.0
    for x in (0.1, r, 0.5 * r, r + 0.5 * (1 - r), 0.999):
        want = _quad_poor(q, k, r, lambda v: 1.0, upper=x)
        assert model_cdf(x * z, z, 0.2, q, k, r, 0.5) == pytest.approx(0.2 * want, rel=1e-8, abs=1e-15)
    assert model_cdf(r * z, z, 0.2, q, k, r, 0.5) == pytest.approx(0.2 * q, rel=1e-12)  # the extreme rate
    # the quantile used by the generator inverts the CDF
    u = np.array([1e-9, 0.01, q / 2, q, (1 + q) / 2, 0.99, 1 - 1e-9])
    v = poor_quantile(q, k, r, u)
    assert np.isfinite(v).all() and (v >= 0).all() and (v <= 1).all() and (np.diff(v) >= 0).all()
    np.testing.assert_allclose(model_cdf(v * z, z, 1.0, q, k, r, 0.5), u, rtol=1e-6, atol=1e-9)


def test_poor_part_simulation_and_lognormal_non_poor_part():
    q, k, r, z, p0, sigma_u = 0.15, 6.0, 0.66, 500_000.0, 0.12, 0.4
    rng = np.random.default_rng(1)
    v = poor_quantile(q, k, r, rng.random(2_000_000))
    assert np.mean(v < r) == pytest.approx(q, rel=5e-3)
    for alpha in (1, 2):
        assert model_fgt(1.0, q, k, r, alpha) == pytest.approx(np.mean((1 - v) ** alpha), rel=3e-3)
    # above z: the lognormal with mass P0 below z
    mu_u = np.log(z) - sigma_u * ndtri(p0)
    for x in (600_000.0, 900_000.0):
        assert model_cdf(x, z, p0, q, k, r, sigma_u) == pytest.approx(lognormal_fgt(mu_u, sigma_u, x, 0), rel=1e-12)


def test_deep_share_bracket_and_tilt_solution():
    rng = np.random.default_rng(2)
    gap, r = rng.uniform(0.03, 0.45, 200), rng.uniform(0.3, 0.9, 200)
    a, b = np.maximum(0, (gap - (1 - r)) / r), np.minimum(1, gap / (1 - r))
    # the bracket ends are the mean gaps of the degenerate limits (k -> -inf / +inf)
    # (where the bound is not 0 or 1), and they bracket the gap otherwise
    hi_lim, lo_lim = poor_gap_moments(b, 1e7, r)[0], poor_gap_moments(a, -1e7, r)[0]
    assert (b < 1).sum() > 50 and (a > 0).sum() > 10
    np.testing.assert_allclose(hi_lim[b < 1], gap[b < 1], rtol=1e-5)
    np.testing.assert_allclose(lo_lim[a > 0], gap[a > 0], rtol=1e-5)
    assert (hi_lim <= gap + 1e-6).all() and (lo_lim >= gap - 1e-6).all()
    lo, hi = deep_share_bounds(gap, r)
    assert (lo > a).all() and (hi < b).all() and (lo < hi).all()
    for q in (lo, (lo + hi) / 2, hi):
        k = solve_tilt(gap, q, r)
        np.testing.assert_allclose(poor_gap_moments(q, k, r)[0], gap, rtol=1e-10)
    # the mean gap falls in k, so the solution is unique
    ks = np.sinh(np.linspace(-10, 10, 201))
    g = poor_gap_moments(0.2, ks, 0.66)[0]
    assert (np.diff(g) < 0).all()


def test_derived_poverty_lines_are_flagged_and_scaled():
    out, national = derive_poverty_lines(_panel())
    assert set(out.loc[out["year"].isin([2022, 2024]), "poverty_line_source"]) == {"derived"}
    assert set(out.loc[out["year"].isin([2023, 2025]), "poverty_line_source"]) == {"published"}
    assert out["poverty_line_rp"].notna().all()
    growth = (national[2025] / national[2023]) ** 0.5
    assert national[2024] == pytest.approx(national[2025] / growth)  # nearest published year 2025, tie -> later
    assert national[2022] == pytest.approx(national[2023] / growth)
    k = out[(out["bps_code"] == 3517)].set_index("year")["poverty_line_rp"]
    assert k[2022] == pytest.approx(k[2023] * national[2022] / national[2023])


def test_calibration_hits_p0_p1_and_extreme_targets(calibrated):
    cal, report = calibrated
    # (model_p0 is P0 by construction, model_fgt(p0, ..., 0) = p0: nothing to test there. The P0 of the generated
    # microdata is checked against the published P0 in test_generated_population_matches_closed_forms_...)
    has = cal["p1"].notna()
    np.testing.assert_allclose(cal.loc[has, "model_p1"], cal.loc[has, "p1"], rtol=1e-9)
    # P2 is not calibrated: at the calibrated (q, k, r) of the extreme rows it must equal the quadrature of the
    # model density, independent of the closed forms
    for r in _extreme_rows(cal).itertuples():
        want = r.p0 * _quad_poor(r.deep_share, r.tilt, r.break_ratio, lambda v: (1 - v) ** 2)
        assert cal.loc[r.Index, "model_p2"] == pytest.approx(want, rel=1e-8), r.bps_code
    assert set(cal.loc[has, "sigma_source"]) == {"p1"} and set(cal.loc[~has, "sigma_source"]) == {"reference"}
    nat = report[report["level"] == "national"].set_index(["year", "definition"])
    # rounds without P1 are matched; 2024 under both definitions (the 2.15 Rupiah line is derived from it)
    for key in [(2022, "usd190_2011ppp"), (2024, "usd190_2011ppp"), (2024, "usd215_2017ppp"),
                (2025, "usd215_2017ppp")]:
        assert nat.loc[key, "achieved_pct"] == pytest.approx(nat.loc[key, "target_pct"], abs=0.01)
    assert nat.loc[(2023, "usd190_2011ppp"), "national_extreme_line_rp"] == pytest.approx(351_957.4)
    # 2023 (P0 and P1 pinned): the deep share moves the extreme rate over P0 x [q_lo, q_hi] with P1 exact
    assert nat.loc[(2023, "usd190_2011ppp"), "achieved_pct"] == pytest.approx(1.12, abs=0.02)
    prov = report[(report["level"] == "province") & (report["year"] == 2023)]
    assert len(prov) == 21  # 20 provinces + pre-split Papua Barat
    assert ((prov["achieved_pct"] - prov["target_pct"]).abs() < 0.01).all()
    # the rate at the calibrating (break) line is P0 x deep share, and q stays inside its feasible bracket
    c23 = cal[cal["year"] == 2023]
    np.testing.assert_allclose(c23["extreme_rate_usd190_2011ppp"], c23["p0"] * c23["deep_share"], rtol=1e-9)
    np.testing.assert_allclose(c23["break_ratio"], c23["extreme_line_usd190_2011ppp"] / c23["poverty_line_rp"])
    g, r = c23["p1"] / c23["p0"], c23["break_ratio"]
    assert (c23["deep_share"] > np.maximum(0, (g - 1 + r) / r)).all() and (c23["deep_share"] < g / (1 - r)).all()
    prov22 = report[(report["level"] == "province") & (report["year"] == 2022)]
    np.testing.assert_allclose(prov22["achieved_pct"], prov22["target_pct"], atol=0.01)
    assert set(cal["tail_calibration"]) <= {"province", "national", "none"}
    assert cal["extreme_line_usd215_2017ppp"].notna().all()
    # every definition is carried, capped at GK, and the adjusted USD 1.90 line is GK x national ratio
    for name in ("usd190_2011ppp", "usd215_2017ppp", "usd190_2011ppp_flat"):
        assert (cal[f"extreme_line_{name}"] <= cal["poverty_line_rp"]).all()
        assert (cal[f"extreme_rate_{name}"] <= cal["p0"] + 1e-9).all()
    ratio = cal["extreme_line_usd190_2011ppp"] / cal["poverty_line_rp"]
    assert (ratio.groupby(cal["year"]).std() < 1e-12).all()
    assert not cal["line_capped_usd190_2011ppp"].any() and not cal["line_capped_usd215_2017ppp"].any()


def test_population_is_deterministic_and_in_susenas_layout(calibrated):
    cal, _ = calibrated
    codes = [3517, 3578, 9471]
    a = generate_population(cal, 2023, scale=0.01, seed=3, bps_codes=codes)
    b = pd.concat(list(iter_population(cal, 2023, scale=0.01, seed=3, bps_codes=[3578])))
    pd.testing.assert_frame_equal(a[a["bps_code"] == 3578].reset_index(drop=True), b.reset_index(drop=True))
    assert list(a.columns) == POPULATION_COLUMNS
    assert set(a["R105"]) <= {1, 2} and a["R102"].between(1, 99).all() and (a["R301"] >= 1).all()
    assert (a.groupby("block_id")["R105"].nunique() == 1).all()
    c = generate_population(cal, 2023, scale=0.01, seed=4, bps_codes=codes)
    assert not a["KAPITA"].equals(c["KAPITA"])
    pop_k = cal[cal["year"] == 2023].set_index("bps_code").loc[codes, "population_thousand"] * 10
    persons = a.groupby("bps_code")["R301"].sum()
    np.testing.assert_allclose(persons, pop_k, rtol=0.05)
    with pytest.raises(MemoryError):
        generate_population(cal, 2023, scale=1.0, max_households=1000)


def test_population_truth_close_to_calibration(calibrated):
    cal, _ = calibrated
    codes = [3201, 3517, 3578, 1101]
    pop = generate_population(cal, 2023, scale=0.05, seed=0, bps_codes=codes)
    lines = cal[cal["year"] == 2023].set_index("bps_code")
    truth = population_truth(pop, lines[["poverty_line_rp", "extreme_line_usd190_2011ppp"]])
    ref = lines.loc[truth.index]
    assert (truth["p0"] - ref["p0"]).abs().max() < 0.6
    assert (truth["p1"] - ref["p1"]).abs().max() < 0.3
    assert (truth["extreme_rate_usd190_2011ppp"] - ref["extreme_rate_usd190_2011ppp"]).abs().max() < 0.5
    assert (truth["poor_persons"] <= truth["n_persons"]).all()


def test_sample_design_weights_and_unbiasedness(calibrated):
    cal, _ = calibrated
    codes = [3517, 3578, 7101]
    pop = generate_population(cal, 2023, scale=0.02, seed=1, bps_codes=codes)
    hh = expected_households(cal, 2023, 0.02).loc[codes]
    alloc = allocate_blocks(hh, total_households=1500)
    assert alloc.sum() == 150
    s1 = draw_sample(pop, alloc, seed=9)
    pd.testing.assert_frame_equal(s1, draw_sample(pop, alloc, seed=9))
    assert (s1.groupby("psu").size() <= 10).all()
    assert (s1.groupby("stratum")["psu"].nunique() >= 2).all()
    np.testing.assert_allclose(s1["WEIND"], s1["WERT"] * s1["R301"])
    np.testing.assert_allclose(s1["WERT"].sum(), len(pop), rtol=0.05)
    lines = cal[cal["year"] == 2023].set_index("bps_code")["poverty_line_rp"]
    truth = population_truth(pop, lines.to_frame())["p0"] / 100
    ests = []
    for rep in range(40):
        s = draw_sample(pop, alloc, seed=100 + rep)
        ests.append(direct_fgt(s["KAPITA"], s["bps_code"].map(lines), s["WEIND"], s["bps_code"],
                               s["stratum"], s["psu"])["estimate"])
    ests = pd.concat(ests, axis=1)
    z = (ests.mean(axis=1) - truth) / (ests.std(axis=1) / np.sqrt(ests.shape[1]))
    assert (z.abs() < 4).all(), z
    # weighted household totals are unbiased for the population count
    totals = [draw_sample(pop, alloc, seed=500 + r)["WERT"].sum() for r in range(10)]
    assert np.mean(totals) == pytest.approx(len(pop), rel=0.01)


def test_vectorised_population_is_order_and_chunk_free_with_per_code_scales(calibrated):
    cal, _ = calibrated
    codes = [1101, 3517, 3578, 7101, 9471]
    scales = {c: 0.004 + 0.002 * i for i, c in enumerate(codes)}
    whole = generate_population(cal, 2023, scale=pd.Series(scales), seed=2, bps_codes=codes)
    assert list(whole.columns) == POPULATION_COLUMNS and (np.diff(whole["bps_code"]) >= 0).all()
    chunks = list(iter_population(cal, 2023, scale=scales, seed=2, bps_codes=codes, chunk_households=2000))
    assert len(chunks) > 2
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    for c in codes:  # each kab/kota equals its own single-kab/kota generation at a scalar scale
        alone = generate_population(cal, 2023, scale=scales[c], seed=2, bps_codes=[c])
        pd.testing.assert_frame_equal(whole[whole["bps_code"] == c].reset_index(drop=True), alone)
        hh = whole[whole["bps_code"] == c]
        assert hh["household_id"].is_unique and (hh["household_id"] // 10_000_000 == c).all()
        assert (hh.groupby("block_id")["R105"].nunique() == 1).all()
        assert (hh["R105"].diff().fillna(0) >= 0).all()  # urban first
    with pytest.raises(ValueError, match="scale mapping"):
        generate_population(cal, 2023, scale={3517: 0.01}, bps_codes=[3517, 3578])


def test_sample_streamed_or_reordered_kabkota_equals_one_frame(calibrated):
    cal, _ = calibrated
    codes = [1101, 3517, 3578, 7101]
    pop = generate_population(cal, 2023, scale=0.01, seed=1, bps_codes=codes)
    alloc = allocate_blocks(expected_households(cal, 2023, 0.01).loc[codes], total_households=1200)
    ref = draw_sample(pop, alloc, seed=4)
    streamed = draw_sample(iter_population(cal, 2023, scale=0.01, seed=1, bps_codes=codes, chunk_households=3000),
                           alloc, seed=4)
    pd.testing.assert_frame_equal(streamed, ref)
    # kab/kota in another row order (households of each in the same order): same draws per kab/kota
    reordered = pd.concat([pop[pop["bps_code"] == c] for c in codes[::-1]])
    pd.testing.assert_frame_equal(draw_sample(reordered, alloc, seed=4), ref)
    # kab/kota outside the allocation are skipped
    pd.testing.assert_frame_equal(draw_sample(pop, alloc.drop(1101), seed=4), ref[ref["bps_code"] != 1101]
                                  .reset_index(drop=True))
    # households shuffled within the frame: still a valid design (blocks regrouped, not assumed contiguous)
    shuffled = pop.sample(frac=1.0, random_state=0)
    s = draw_sample(shuffled, alloc, seed=4)
    assert (s.groupby("psu").size() <= 10).all() and (s.groupby("psu")["R105"].nunique() == 1).all()
    assert s.groupby("bps_code")["psu"].nunique().sum() == ref.groupby("bps_code")["psu"].nunique().sum()
    np.testing.assert_allclose(s["WERT"].sum(), len(pop), rtol=0.1)


def test_sort_by_block_then_key_equals_lexsort():
    rng = np.random.default_rng(0)
    block = np.sort(rng.integers(0, 50_000, 20_000))
    key = rng.random(block.size)
    np.testing.assert_array_equal(_sort_by_block_then_key(block, key), np.lexsort((key, block)))
    shuffled = rng.permutation(block)  # unsorted block ids
    np.testing.assert_array_equal(_sort_by_block_then_key(shuffled, key), np.lexsort((key, shuffled)))
    # keys closer than the float resolution at a large block rank: the fast path must not be trusted
    block = np.r_[np.arange(40_000), 40_000, 40_000]
    key = np.r_[rng.random(40_000), 0.5 + 2e-16, 0.5]
    np.testing.assert_array_equal(_sort_by_block_then_key(block, key), np.lexsort((key, block)))


# ---------------------------------------------------------------------------------------------- generator
def _extreme_rows(cal: pd.DataFrame) -> pd.DataFrame:
    """Calibrated 2023 rows at the extremes: lowest/highest tilt, deep share and mean gap of the poor."""
    c = cal[cal["year"] == 2023]
    picks = {c["tilt"].idxmin(), c["tilt"].idxmax(), c["deep_share"].idxmin(), c["deep_share"].idxmax(),
             c["gap_ratio"].idxmax()}
    rows = c.loc[sorted(picks)].copy()
    rows["population_thousand"] = 570.0  # 150,000 households at scale 1
    return rows


def _weighted_rate(x, w):
    """Person-weighted mean of household values x and its iid (conservative: uniforms are stratified) SE."""
    r = np.sum(w * x) / np.sum(w)
    return r, np.sqrt(np.sum(w**2 * (x - r) ** 2)) / np.sum(w)


def test_generated_population_matches_closed_forms_for_extreme_rows(calibrated):
    cal, _ = calibrated
    rows = _extreme_rows(cal)
    assert rows["tilt"].min() < 0 and rows["tilt"].max() > 20
    pop = generate_population(rows, 2023, scale=1.0, seed=11)
    assert np.isfinite(pop["KAPITA"]).all() and (pop["KAPITA"] > 0).all()
    for code, hh in pop.groupby("bps_code"):
        r = rows.set_index("bps_code").loc[code]
        y, w, z = hh["KAPITA"].to_numpy(), hh["R301"].to_numpy(float), r["poverty_line_rp"]
        gap = np.where(y < z, 1 - y / z, 0.0)
        p0 = r["p0"] / 100
        checks = [
            ((y < z).astype(float), p0),
            (gap, model_fgt(p0, r["deep_share"], r["tilt"], r["break_ratio"], 1)),
            (gap**2, model_fgt(p0, r["deep_share"], r["tilt"], r["break_ratio"], 2)),
            ((y < r["extreme_line_usd190_2011ppp"]).astype(float), r["extreme_rate_usd190_2011ppp"] / 100),
        ]
        for x, want in checks:
            got, se = _weighted_rate(x, w)
            assert abs(got - want) < 4 * se + 2e-5, (code, got, want, se)


def test_generated_national_2023_extreme_rate_equals_calibration(calibrated):
    cal, report = calibrated
    achieved = report[(report["year"] == 2023) & (report["level"] == "national")]["achieved_pct"].iloc[0]
    lines = cal[cal["year"] == 2023].set_index("bps_code")["extreme_line_usd190_2011ppp"]
    pop = generate_population(cal, 2023, scale=0.01, seed=0)
    persons = pop["R301"].to_numpy(float)
    rate = 100 * np.sum(persons * (pop["KAPITA"] < pop["bps_code"].map(lines))) / persons.sum()
    assert rate == pytest.approx(achieved, abs=0.05)


# ---------------------------------------------------------------------------------------------- real panel
@pytest.fixture(scope="module")
def real_calibrated():
    """The validated kab/kota panel of data/raw, 2022-2025, calibrated as estimation.sae.workflow does."""
    kab = kabkota_panel(RAW.parent)
    cols = ["bps_code", "prov_code", "year", "p0", "p1", "poverty_line_rp", "population_thousand"]
    p = kab[kab["year"].between(2022, 2025) & kab["p0"].notna() & (kab["population_thousand"] > 0)][cols]
    p = p.astype({"bps_code": int, "prov_code": int}).reset_index(drop=True)
    return calibrate_panel(p, extreme_targets(RAW.parent))


def test_real_panel_extreme_rate_never_above_p0(real_calibrated):
    cal, report = real_calibrated
    assert set(cal["year"]) == {2022, 2023, 2024, 2025} and (cal.groupby("year").size() == 514).all()
    for name in ("usd190_2011ppp", "usd215_2017ppp", "usd190_2011ppp_flat"):
        assert cal[f"extreme_rate_{name}"].notna().all()
        assert (cal[f"extreme_rate_{name}"] <= cal["p0"] + 1e-9).all(), name
        assert (cal[f"extreme_line_{name}"] <= cal["poverty_line_rp"]).all(), name
    # the flat line sits above the GK of low-GK kab/kota (Buton Selatan, Minahasa, ...): capped and flagged
    flat_capped = cal["line_capped_usd190_2011ppp_flat"]
    assert flat_capped.groupby(cal["year"]).sum().min() >= 5
    capped = cal[flat_capped]
    np.testing.assert_allclose(capped["extreme_rate_usd190_2011ppp_flat"], capped["p0"], rtol=1e-9)
    assert not cal["line_capped_usd190_2011ppp"].any()
    # national rounds met; 2022 provinces met
    nat = report[report["level"] == "national"].set_index(["year", "definition"])
    for key in [(2022, "usd190_2011ppp"), (2024, "usd190_2011ppp"), (2024, "usd215_2017ppp"),
                (2025, "usd215_2017ppp")]:
        assert nat.loc[key, "achieved_pct"] == pytest.approx(nat.loc[key, "target_pct"], abs=0.01)
    prov22 = report[(report["level"] == "province") & (report["year"] == 2022)]
    np.testing.assert_allclose(prov22["achieved_pct"], prov22["target_pct"], atol=0.01)


def test_real_panel_generated_population_extreme_rate_never_above_p0(real_calibrated):
    cal, _ = real_calibrated
    defs = ["usd190_2011ppp", "usd215_2017ppp", "usd190_2011ppp_flat"]
    for year in (2022, 2023):
        lines = cal[cal["year"] == year].set_index("bps_code")
        pop = generate_population(cal, year, scale=0.002, seed=5)
        truth = population_truth(pop, lines[["poverty_line_rp"] + [f"extreme_line_{d}" for d in defs]])
        assert len(truth) == 514
        for d in defs:
            assert (truth[f"extreme_rate_{d}"] <= truth["p0"]).all(), (year, d)

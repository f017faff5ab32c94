"""Per-year small-area workflow (`estimation.sae.workflow`) on the real kab/kota panel (synthetic Susenas
drawn from it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estimation.sae.workflow import anchor_years, estimate_year

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
CASES = [(2024, "usd215_2017ppp"), (2023, "usd190_2011ppp")]


@pytest.fixture(scope="module")
def inputs():
    from estimation.sources import dapoer_covariate_table, extreme_targets, kabkota_panel

    return kabkota_panel(RAW), dapoer_covariate_table(RAW), extreme_targets(RAW)


@pytest.fixture(scope="module")
def results(inputs):
    kab, cov, targets = inputs
    return {case: estimate_year(kab, case[0], targets, line_definition=case[1], seed=7, covariates=cov)
            for case in CASES}


def test_anchor_years_are_the_years_with_published_gk_or_p1(inputs):
    kab = inputs[0]
    assert anchor_years(kab) == [2023, 2024, 2025]  # GK 2023-2025, P1 2023 in data/raw
    assert anchor_years(kab.assign(p1=float("nan"))) == [2023, 2024, 2025]
    assert anchor_years(kab.assign(poverty_line_rp=float("nan"))) == [2023]


@pytest.mark.parametrize("case", CASES)
def test_complete_and_valid(results, case):
    r = results[case]
    for frame in (r.truth, r.direct, r.model):
        assert (frame["year"] == case[0]).all() and (frame["line_definition"] == case[1]).all()
    assert r.truth["bps_code"].nunique() == 514
    for ind in ("p0", "extreme"):
        assert (r.direct["indicator"] == ind).sum() == 514 and (r.model["indicator"] == ind).sum() == 514
    for col in ("estimate", "ci_low", "ci_high"):
        assert r.direct[col].between(0, 1).all()
    for col in ("eblup", "benchmarked", "synthetic", "ci_low", "ci_high"):
        assert r.model[col].between(0, 1).all(), col
    assert r.truth[["true_p0", "true_extreme_rate"]].stack().between(0, 1).all()
    assert (r.model["mse"] > 0).all() and (r.model["direct_var_smoothed"] > 0).all()
    assert r.fit["converged"].all() and len(r.fit) == 2
    assert set(r.model["flag"]) <= {"publish", "caution", "suppress"}
    assert np.allclose(r.model["persons"], r.model["benchmarked"] * r.truth.set_index("bps_code")
                       .loc[r.model["bps_code"], "population"].to_numpy())


@pytest.mark.parametrize("case", CASES)
def test_eblup_between_direct_and_synthetic(results, case):
    m = results[case].model
    lo = np.minimum(m["direct"], m["synthetic"]) - 1e-12
    hi = np.maximum(m["direct"], m["synthetic"]) + 1e-12
    assert ((m["eblup"] >= lo) & (m["eblup"] <= hi)).all()
    assert m["gamma"].between(0, 1).all()


@pytest.mark.parametrize("case", CASES)
def test_benchmark_matches_province_direct(results, case):
    r = results[case]
    m = r.model.merge(r.truth[["bps_code", "population"]], on="bps_code")
    agg = (m.assign(w=m["benchmarked"] * m["population"]).groupby(["indicator", "prov_code"])[["w", "population"]]
           .sum())
    got = agg["w"] / agg["population"]
    want = r.province_direct.set_index(["indicator", "prov_code"])["estimate"].reindex(got.index)
    assert np.allclose(got, want, rtol=1e-9, atol=1e-12)
    assert (r.fit["benchmark_max_abs_discrepancy"] >= 0).all()


@pytest.mark.parametrize("case", CASES)
def test_model_more_precise_than_direct_for_extreme(results, case):
    r = results[case]
    # Compare where the direct CV is finite (a zero direct estimate has an infinite CV, which would make
    # the comparison pass trivially), area by area.
    d = r.direct[r.direct["indicator"] == "extreme"].set_index("bps_code")["cv"]
    m = r.model[r.model["indicator"] == "extreme"].set_index("bps_code")["rse"]
    finite = np.isfinite(d) & (d > 0)
    assert finite.sum() > 100
    assert np.median(m[finite]) < np.median(d[finite])


@pytest.mark.parametrize("case", CASES)
def test_direct_national_extreme_near_calibrated_target(results, case):
    r = results[case]
    d = r.direct[r.direct["indicator"] == "extreme"].merge(r.truth[["bps_code", "population"]], on="bps_code")
    w = d["population"] / d["population"].sum()
    rate, se = float((w * d["estimate"]).sum()), float(np.sqrt((w**2 * d["se"] ** 2).sum()))
    rep = r.calibration
    row = rep[(rep["year"] == case[0]) & (rep["definition"] == case[1]) & (rep["level"] == "national")].iloc[0]
    assert abs(row["achieved_pct"] - row["target_pct"]) < 0.05
    assert abs(100 * rate - row["target_pct"]) < 4 * 100 * se + 0.05
    assert 0 < se < 0.002


def test_deterministic_with_seed(inputs, results):
    kab, cov, targets = inputs
    again = estimate_year(kab, 2024, targets, line_definition="usd215_2017ppp", seed=7, covariates=cov)
    first = results[(2024, "usd215_2017ppp")]
    pd.testing.assert_frame_equal(again.model, first.model)
    pd.testing.assert_frame_equal(again.direct, first.direct)
    other = estimate_year(kab, 2024, targets, line_definition="usd215_2017ppp", seed=8, covariates=cov)
    assert not np.allclose(other.direct["estimate"], first.direct["estimate"])


def test_default_variance_is_strictly_positive_and_direct_ci_does_not_collapse(results):
    r = results[(2024, "usd215_2017ppp")]
    assert (r.fit["sigma2_u"] > 0).all()
    assert r.fit["method"].str.startswith("AMRL").all() and (r.fit["mse_method"] == "prasad_rao").all()
    d = r.direct[r.direct["indicator"] == "extreme"]
    zero = d["estimate"] == 0
    assert zero.any() and (d.loc[zero, "ci_high"] > 0).all() and (d.loc[zero, "ci_low"] == 0).all()
    assert ((d["ci_low"] <= d["estimate"]) & (d["estimate"] <= d["ci_high"])).all()

"""Extreme-poverty line definitions against data/raw and the kab/kota spatial adjustment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estimation.poverty_lines import (
    DEFINITIONS,
    definitions_for_period,
    get_definition,
    kabkota_extreme_lines,
    national_extreme_line_rp,
    spatial_extreme_lines,
)

RAW = Path(__file__).resolve().parents[2] / "data" / "raw" / "bps"
LABEL_TO_NAME = {"USD 1.90 2011 PPP": "usd190_2011ppp", "USD 2.15 2017 PPP with spatial deflator": "usd215_2017ppp"}


def test_definitions_agree_with_raw_national_file():
    raw = pd.read_csv(RAW / "kemiskinan_ekstrem_nasional_2021_2025.csv")
    for row in raw.itertuples():
        d = DEFINITIONS[LABEL_TO_NAME[row.line_definition]]
        assert d.label == row.line_definition
        assert d.national_rate_pct_by_period[row.period] == pytest.approx(row.extreme_poverty_rate_pct)
        if not np.isnan(row.line_rp_per_capita_month):
            assert d.national_line_rp_by_year[row.year] == pytest.approx(row.line_rp_per_capita_month)
    n_rates = sum(len(d.national_rate_pct_by_period) for d in DEFINITIONS.values())
    assert n_rates == len(raw)
    assert definitions_for_period("2024-03") == ["usd190_2011ppp", "usd215_2017ppp"]
    # both published definitions are adjusted between kab/kota; the flat USD 1.90 line is comparison only
    assert DEFINITIONS["usd190_2011ppp"].spatial_deflator and DEFINITIONS["usd215_2017ppp"].spatial_deflator
    flat = DEFINITIONS["usd190_2011ppp_flat"]
    assert flat.comparison_only and not flat.spatial_deflator and not flat.national_rate_pct_by_period
    assert flat.national_line_rp_by_year == DEFINITIONS["usd190_2011ppp"].national_line_rp_by_year
    assert [n for n, d in DEFINITIONS.items() if not d.comparison_only] == ["usd190_2011ppp", "usd215_2017ppp"]


def test_national_line_published_and_derived():
    assert national_extreme_line_rp("usd190_2011ppp", 2023) == (351_957.4, "published")
    value, source = national_extreme_line_rp("usd190_2011ppp", 2024, {2023: 550_000.0, 2024: 583_000.0})
    assert value == pytest.approx(351_957.4 * 583 / 550)
    assert source.startswith("derived")
    with pytest.raises(ValueError, match="national poverty lines"):
        national_extreme_line_rp("usd190_2011ppp", 2024)
    with pytest.raises(ValueError, match="no Rupiah line"):
        national_extreme_line_rp("usd215_2017ppp", 2024)
    d = get_definition("usd215_2017ppp").with_national_line(2024, 420_000)
    assert national_extreme_line_rp(d, 2024) == (420_000.0, "published")
    with pytest.raises(KeyError, match="unknown"):
        get_definition("usd3")


def test_kabkota_lines_spatial_deflator_and_flat_line():
    gk = pd.Series({3517: 514_170.0, 9471: 800_000.0, 3578: 600_000.0})
    # USD 1.90: the national Rupiah line x GK_kabkota / GK_national
    adj = kabkota_extreme_lines(gk, 550_000.0, "usd190_2011ppp", 2023)
    np.testing.assert_allclose(adj["extreme_line_rp"], 351_957.4 * gk.to_numpy() / 550_000)
    np.testing.assert_allclose(adj["spatial_deflator"], gk.to_numpy() / 550_000)
    assert (adj["definition"] == "usd190_2011ppp").all() and (adj["line_source"] == "published").all()
    assert not adj["line_capped"].any()
    flat = kabkota_extreme_lines(gk, 550_000.0, "usd190_2011ppp_flat", 2023)
    assert (flat["extreme_line_rp"] == 351_957.4).all() and (flat["definition"] == "usd190_2011ppp_flat").all()
    defl = kabkota_extreme_lines(gk, 550_000.0, "usd215_2017ppp", 2024, national_extreme_line_rp=400_000)
    np.testing.assert_allclose(defl["extreme_line_rp"], 400_000 * gk.to_numpy() / 550_000)
    np.testing.assert_allclose(defl["spatial_deflator"], gk.to_numpy() / 550_000)
    assert list(defl["bps_code"]) == [3517, 9471, 3578]
    assert (defl["definition"] == "usd215_2017ppp").all() and (defl["line_source"] == "given").all()
    # a year without a published Rupiah value is derived from the anchor by the national GK ratio
    derived = kabkota_extreme_lines(gk, 580_000.0, "usd190_2011ppp", 2024, national_poverty_lines={2023: 550_000})
    np.testing.assert_allclose(derived["extreme_line_rp"], 351_957.4 * 580 / 550 * gk.to_numpy() / 580_000)
    assert derived["line_source"].str.startswith("derived").all()


# 2023 GK of the lowest kab/kota and two others (data/raw/bps/kemiskinan_kabkota_2023_p0_p1_p2_gk.csv)
REAL_2023 = {"Buton Selatan": 290_203.0, "Minahasa": 338_802.0}


def test_real_2023_lines_never_exceed_the_poverty_line():
    raw = pd.read_csv(RAW / "kemiskinan_kabkota_2023_p0_p1_p2_gk.csv")
    gk = raw.set_index("bps_code")["garis_kemiskinan_rp"].astype(float)
    assert gk.min() == REAL_2023["Buton Selatan"] and REAL_2023["Minahasa"] in set(gk)
    pop = raw.set_index("bps_code")["jumlah_penduduk_miskin_ribu"] / raw.set_index("bps_code")["p0_persen"]
    national_gk = float((gk * pop).sum() / pop.sum())  # population-weighted, as estimation.synthetic does
    for name in DEFINITIONS:
        lines = kabkota_extreme_lines(gk, national_gk, name, 2023, national_extreme_line_rp=351_957.4)
        assert (lines["extreme_line_rp"] <= lines["poverty_line_rp"]).all(), name
        assert (lines["line_capped"] == (lines["extreme_line_uncapped_rp"] > lines["poverty_line_rp"])).all()
    flat = kabkota_extreme_lines(gk, national_gk, "usd190_2011ppp_flat", 2023)
    # the flat line is above the GK of these kab/kota: capped there, and flagged
    low = flat[flat["poverty_line_rp"] < 351_957.4]
    assert len(low) >= 2 and low["line_capped"].all() and (low["extreme_line_rp"] == low["poverty_line_rp"]).all()
    assert not flat.loc[flat["poverty_line_rp"] >= 351_957.4, "line_capped"].any()
    adj = kabkota_extreme_lines(gk, national_gk, "usd190_2011ppp", 2023)
    assert not adj["line_capped"].any()  # the national line is below the national GK
    np.testing.assert_allclose(adj["extreme_line_rp"] / adj["poverty_line_rp"], 351_957.4 / national_gk)
    # population-weighted mean of the adjusted kab/kota lines is the national Rupiah line
    w = pop.loc[adj["bps_code"]].to_numpy()
    assert np.sum(adj["extreme_line_rp"] * w) / w.sum() == pytest.approx(351_957.4)


def test_cap_applies_to_deflated_definitions_too():
    gk = np.array([300_000.0, 500_000.0, 700_000.0])
    line, deflator, capped = spatial_extreme_lines(gk, 500_000.0, "usd215_2017ppp", 600_000.0)
    np.testing.assert_allclose(deflator, gk / 500_000)
    np.testing.assert_allclose(line, gk)  # 600,000 x GK / 500,000 > GK everywhere: capped at GK
    assert capped.all()
    with pytest.raises(ValueError, match="positive"):
        spatial_extreme_lines(gk, 0.0, "usd190_2011ppp", 351_957.4)

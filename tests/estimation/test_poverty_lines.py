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
    assert not DEFINITIONS["usd190_2011ppp"].spatial_deflator and DEFINITIONS["usd215_2017ppp"].spatial_deflator


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
    flat = kabkota_extreme_lines(gk, 550_000.0, "usd190_2011ppp", 2023)
    assert (flat["extreme_line_rp"] == 351_957.4).all()
    assert (flat["definition"] == "usd190_2011ppp").all() and (flat["line_source"] == "published").all()
    defl = kabkota_extreme_lines(gk, 550_000.0, "usd215_2017ppp", 2024, national_extreme_line_rp=400_000)
    np.testing.assert_allclose(defl["extreme_line_rp"], 400_000 * gk.to_numpy() / 550_000)
    np.testing.assert_allclose(defl["spatial_deflator"], gk.to_numpy() / 550_000)
    assert list(defl["bps_code"]) == [3517, 9471, 3578]
    assert (defl["definition"] == "usd215_2017ppp").all() and (defl["line_source"] == "given").all()
    # a year without a published Rupiah value is derived from the anchor by the national GK ratio
    derived = kabkota_extreme_lines(gk, 580_000.0, "usd190_2011ppp", 2024, national_poverty_lines={2023: 550_000})
    np.testing.assert_allclose(derived["extreme_line_rp"], 351_957.4 * 580 / 550)
    assert derived["line_source"].str.startswith("derived").all()

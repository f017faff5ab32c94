"""Year-over-year changes on the real panels (Jombang 2023 -> 2024 as quoted by its Bappeda)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from estimation.deltas import (
    KABKOTA_DELTA_COLUMNS,
    PROVINCE_DELTA_COLUMNS,
    year_over_year_kabkota,
    year_over_year_province,
)
from estimation.panel import build_kabkota_panel, build_province_panel
from estimation.parsers.bps_daerah import parse_province_daerah_rows
from estimation.parsers.bps_table import parse_bps_statistics_table
from estimation.parsers.catalog import REGION_LIST_FILE
from estimation.parsers.region_list import read_region_list

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
P0 = "bps/p0_kabkota_2004_2025.csv"
POOR = "bps/penduduk_miskin_ribu_kabkota_2004_2025.csv"
DAERAH = {"p0": "bps/p0_prov_daerah_rows_jatim_indonesia.csv",
          "poor_thousand": "bps/penduduk_miskin_prov_daerah_row_indonesia.csv"}


@pytest.fixture(scope="module")
def panels():
    reference = read_region_list(RAW / REGION_LIST_FILE)
    p0 = parse_bps_statistics_table(RAW / P0, P0, "p0").cells
    poor = parse_bps_statistics_table(RAW / POOR, POOR, "poor_thousand").cells
    daerah = [parse_province_daerah_rows(RAW / f, f, v).cells for v, f in DAERAH.items()]
    return (build_kabkota_panel(p0, poor, reference),
            build_province_panel(p0, poor, reference, daerah_cells=daerah))


def test_jombang_2024(panels):
    deltas = year_over_year_kabkota(*panels)
    assert list(deltas.columns) == KABKOTA_DELTA_COLUMNS
    row = deltas[(deltas["bps_code"] == "3517") & (deltas["year"] == 2024)].iloc[0]
    assert row["year_prev"] == 2023
    assert (row["p0_prev"], row["p0"], row["delta_p0_pp"]) == (9.15, 8.6, -0.55)
    assert (row["poor_thousand_prev"], row["poor_thousand"]) == (117.36, 110.57)
    assert row["delta_poor_persons"] == -6790
    assert (row["prov_p0_prev"], row["prov_p0"], row["prov_delta_p0_pp"]) == (10.35, 9.79, -0.56)
    assert (row["indonesia_p0_prev"], row["indonesia_p0"]) == (9.36, 9.03)
    assert str(deltas["delta_poor_persons"].dtype) == "Int64"


def test_every_kabkota_year_pair(panels):
    deltas = year_over_year_kabkota(*panels)
    assert not deltas.duplicated(["bps_code", "year"]).any()
    assert (deltas["year"] - deltas["year_prev"] == 1).all()
    assert (deltas[deltas["year"] == 2025]["delta_p0_pp"].notna()).sum() == 514
    # a kab/kota with no figure before it was formed has no delta, but is not invented
    pidie_jaya = deltas[deltas["bps_code"] == "1118"]
    assert pidie_jaya["year"].min() == 2007 and pd.isna(pidie_jaya.iloc[0]["delta_p0_pp"])
    assert pidie_jaya.iloc[0]["p0"] == 35.0


def test_deltas_are_exact_differences(panels):
    deltas = year_over_year_kabkota(*panels).dropna(subset=["delta_p0_pp"])
    assert ((deltas["p0"] - deltas["p0_prev"]).round(2) == deltas["delta_p0_pp"]).all()
    both = deltas.dropna(subset=["poor_thousand", "poor_thousand_prev"])
    persons = ((both["poor_thousand"] - both["poor_thousand_prev"]) * 1000).round().astype("int64")
    assert (persons == both["delta_poor_persons"].astype("int64")).all()


def test_province_deltas(panels):
    deltas = year_over_year_province(panels[1])
    assert list(deltas.columns) == PROVINCE_DELTA_COLUMNS
    jatim = deltas[(deltas["bps_code"] == "3500") & (deltas["year"] == 2024)].iloc[0]
    assert (jatim["p0_prev"], jatim["p0"], jatim["delta_p0_pp"]) == (10.35, 9.79, -0.56)
    assert jatim["delta_poor_persons"] == round((3982.69 - 4188.81) * 1000) == -206120
    indonesia = deltas[(deltas["bps_code"] == "0000") & (deltas["year"] == 2024)].iloc[0]
    assert (indonesia["delta_p0_pp"], indonesia["delta_poor_persons"]) == (-0.33, -679350)

"""Kab/kota and province panels built from the real BPS files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from estimation.cells import as_cells
from estimation.panel import PANEL_COLUMNS, build_kabkota_panel, build_province_panel, source_conflicts
from estimation.parsers.bps_daerah import parse_province_daerah_rows
from estimation.parsers.bps_table import parse_bps_statistics_table
from estimation.parsers.catalog import REGION_LIST_FILE
from estimation.parsers.region_list import read_region_list
from estimation.parsers.webapi import parse_bps_webapi

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
P0 = "bps/p0_kabkota_2004_2025.csv"
POOR = "bps/penduduk_miskin_ribu_kabkota_2004_2025.csv"
DAERAH = {"p0": "bps/p0_prov_daerah_rows_jatim_indonesia.csv",
          "poor_thousand": "bps/penduduk_miskin_prov_daerah_row_indonesia.csv"}
WEBAPI = "bps/webapi_var624_garis_kemiskinan_kabkota_2025.json"


@pytest.fixture(scope="module")
def inputs():
    reference = read_region_list(RAW / REGION_LIST_FILE)
    p0 = parse_bps_statistics_table(RAW / P0, P0, "p0").cells
    poor = parse_bps_statistics_table(RAW / POOR, POOR, "poor_thousand").cells
    daerah = [parse_province_daerah_rows(RAW / f, f, v).cells for v, f in DAERAH.items()]
    return reference, p0, poor, daerah


@pytest.fixture(scope="module")
def kab(inputs):
    reference, p0, poor, _ = inputs
    return build_kabkota_panel(p0, poor, reference)


@pytest.fixture(scope="module")
def prov(inputs):
    reference, p0, poor, daerah = inputs
    return build_province_panel(p0, poor, reference, daerah_cells=daerah)


def _row(panel: pd.DataFrame, code: str, year: int) -> pd.Series:
    rows = panel[(panel["bps_code"] == code) & (panel["year"] == year)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_kabkota_panel_shape(kab):
    assert list(kab.columns) == PANEL_COLUMNS
    assert not kab.duplicated(["bps_code", "year"]).any()
    assert sorted(kab["year"].unique()) == list(range(2004, 2026))
    for year in range(2020, 2026):
        this_year = kab[kab["year"] == year]
        assert len(this_year) == 514
        assert this_year["p0"].notna().sum() == 514 and this_year["poor_thousand"].notna().sum() == 514
    assert kab["bps_code"].str.fullmatch(r"\d{4}").all() and kab["prov_code"].str.fullmatch(r"\d{2}").all()


def test_jombang(kab):
    r23, r24 = _row(kab, "3517", 2023), _row(kab, "3517", 2024)
    assert (r23["name"], r23["prov_code"], r23["prov_name"]) == ("Jombang", "35", "JAWA TIMUR")
    assert r23["p0"] == 9.15 and r23["poor_thousand"] == 117.36
    assert r24["p0"] == 8.6 and r24["p0"] == round(8.6, 2) and r24["poor_thousand"] == 110.57
    assert r24["population_thousand"] == round(110.57 / 8.6 * 100, 2) == 1285.70
    assert r24["source_files"] == f"{P0};{POOR}"
    assert pd.isna(r24["poverty_line_rp"]) and pd.isna(r24["note"])


def test_reference_name_and_missing(kab):
    assert _row(kab, "5107", 2024)["name"] == "Karang Asem"  # 2025 reference name, published "Karangasem"
    pidie_jaya = _row(kab, "1118", 2004)
    assert pd.isna(pidie_jaya["p0"]) and pd.isna(pidie_jaya["population_thousand"])
    assert pd.isna(pidie_jaya["source_files"])


def test_nduga_note(kab):
    assert _row(kab, "9701", 2015)["note"].startswith("Tidak ada data Susenas Maret 2015 di Kabupaten Nduga")
    assert kab["note"].notna().sum() == 1  # same note from both files, kept once


def test_province_panel(prov):
    assert list(prov.columns) == PANEL_COLUMNS
    assert set(prov["level"]) == {"provinsi", "indonesia"}
    assert prov["bps_code"].nunique() == 39
    jatim23, jatim24 = _row(prov, "3500", 2023), _row(prov, "3500", 2024)
    assert (jatim23["p0"], jatim24["p0"]) == (10.35, 9.79)
    assert jatim24["poor_thousand"] == 3982.69
    ind23, ind24 = _row(prov, "0000", 2023), _row(prov, "0000", 2024)
    assert (ind23["p0"], ind24["p0"]) == (9.36, 9.03)
    assert ind24["poor_thousand"] == 25219.2
    assert ind24["source_files"] == ";".join(sorted(DAERAH.values()))
    assert ind24["name"] == "INDONESIA" and pd.isna(ind24["prov_code"])
    # the new Papua provinces have figures from 2024 only
    assert pd.isna(_row(prov, "9700", 2023)["p0"]) and _row(prov, "9700", 2024)["p0"] == 32.97


def test_statistics_table_wins_over_daerah_rows(inputs, prov):
    reference, p0, poor, daerah = inputs
    conflicts = source_conflicts(p0, poor, reference, daerah_cells=daerah)
    assert (conflicts["kept_source"] == P0).all() and (conflicts["other_source"] == DAERAH["p0"]).all()
    for r in conflicts.itertuples():
        assert _row(prov, r.bps_code, r.year)["p0"] == r.kept_value


def test_extra_cells_fill_and_conflict(inputs):
    reference, p0, poor, _ = inputs
    extra = as_cells(pd.DataFrame([
        {"source_file": "x/a.csv", "source_row": 7, "source_column": "p0", "region_name": "Kab. Jombang",
         "province_name": "JAWA TIMUR", "is_province_row": False, "year": 2024, "variable": "p0",
         "value_text": "8.70", "value": 8.7, "status": "ok"},
        {"source_file": "x/a.csv", "source_row": 7, "source_column": "gk", "region_name": "Kab. Jombang",
         "province_name": "JAWA TIMUR", "is_province_row": False, "year": 2024, "variable": "poverty_line_rp",
         "value_text": "514170", "value": 514170.0, "status": "ok"},
        {"source_file": "x/a.csv", "source_row": 8, "source_column": "p0", "region_name": "Kota Kediri",
         "province_name": "JAWA TIMUR", "is_province_row": False, "year": 2024, "variable": "p0",
         "value_text": "6.51", "value": 6.5100000001, "status": "ok"},  # agrees once rounded
    ]))
    panel = build_kabkota_panel(p0, poor, reference, extra_cells=[extra])
    jombang = _row(panel, "3517", 2024)
    assert jombang["p0"] == 8.6 and jombang["poverty_line_rp"] == 514170.0
    assert jombang["source_files"] == f"{P0};{POOR};x/a.csv"
    conflicts = source_conflicts(p0, poor, reference, extra_cells=[extra])
    assert conflicts[["bps_code", "year", "variable", "kept_value", "other_value", "other_source",
                      "other_row", "difference"]].values.tolist() == [
        ["3517", 2024, "p0", 8.6, 8.7, "x/a.csv", 7, 0.1]]


def test_webapi_poverty_line_2025(inputs):
    reference, p0, poor, _ = inputs
    webapi = parse_bps_webapi(RAW / WEBAPI, WEBAPI, "poverty_line_rp").cells
    panel = build_kabkota_panel(p0, poor, reference, extra_cells=[webapi])
    assert _row(panel, "3517", 2025)["poverty_line_rp"] == 532053.0
    lines = panel.loc[panel["year"] == 2025, "poverty_line_rp"]
    assert lines.notna().sum() == 514 and (lines == lines.round()).all()
    assert source_conflicts(p0, poor, reference, extra_cells=[webapi]).empty

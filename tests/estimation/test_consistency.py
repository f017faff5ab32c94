"""Kab/kota sums against provinces and figures quoted by news pages, on the real files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from estimation.consistency import COMPARISON_COLUMNS, province_sum_comparison, split_provinces
from estimation.crosscheck import compare_quoted_figures
from estimation.panel import build_kabkota_panel, build_province_panel
from estimation.parsers.bps_daerah import parse_province_daerah_rows
from estimation.parsers.bps_table import parse_bps_statistics_table
from estimation.parsers.catalog import QUOTED_FIGURES_FILE, REGION_LIST_FILE
from estimation.parsers.quoted_figures import parse_quoted_figures
from estimation.parsers.region_list import read_region_list

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
P0 = "bps/p0_kabkota_2004_2025.csv"
POOR = "bps/penduduk_miskin_ribu_kabkota_2004_2025.csv"
DAERAH = {"p0": "bps/p0_prov_daerah_rows_jatim_indonesia.csv",
          "poor_thousand": "bps/penduduk_miskin_prov_daerah_row_indonesia.csv"}


@pytest.fixture(scope="module")
def reference():
    return read_region_list(RAW / REGION_LIST_FILE)


@pytest.fixture(scope="module")
def panels(reference):
    p0 = parse_bps_statistics_table(RAW / P0, P0, "p0").cells
    poor = parse_bps_statistics_table(RAW / POOR, POOR, "poor_thousand").cells
    daerah = [parse_province_daerah_rows(RAW / f, f, v).cells for v, f in DAERAH.items()]
    return (build_kabkota_panel(p0, poor, reference),
            build_province_panel(p0, poor, reference, daerah_cells=daerah))


@pytest.fixture(scope="module")
def comparison(panels, reference):
    return province_sum_comparison(*panels, reference=reference)


def _row(frame: pd.DataFrame, prov_code: str, year: int) -> pd.Series:
    rows = frame[(frame["prov_code"] == prov_code) & (frame["year"] == year)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_jawa_timur_2024(comparison):
    assert list(comparison.columns) == COMPARISON_COLUMNS
    row = _row(comparison, "35", 2024)
    assert (row["kab_sum"], row["prov_value"], row["difference"]) == (3982.73, 3982.69, 0.04)
    assert row["tolerance"] == pytest.approx(0.195)  # 0.005 x (38 kab/kota + 1 province figure)
    assert row["within_tolerance"] and not row["exempt"]


def test_papua_split_exempt(comparison, reference, panels):
    prov = panels[1]
    assert split_provinces(reference) == ({"91", "94"}, {"92", "95", "96", "97"})
    papua = comparison[comparison["prov_code"].isin(["91", "94"])]
    before, after = papua[papua["year"] < 2024], papua[papua["year"] >= 2024]
    published = prov[prov["bps_code"].isin(["9100", "9400"]) & (prov["year"] < 2024) & prov["poor_thousand"].notna()]
    assert len(before) == len(published) == 38  # Papua 2004-2023, Papua Barat 2006-2023
    assert before["exempt"].all() and not before["within_tolerance"].any()
    assert before["exempt_reason"].str.contains("2022 Papua split").all()
    assert len(after) == 4 and after["within_tolerance"].all() and not after["exempt"].any()
    new = comparison[comparison["prov_code"].isin(["92", "95", "96", "97"])]
    assert sorted(new["year"].unique()) == [2024, 2025] and new["within_tolerance"].all()
    # without a reference the same split is assumed
    assert split_provinces() == split_provinces(reference)


def test_only_real_inconsistency_is_flagged(comparison):
    outside = comparison[~comparison["within_tolerance"] & ~comparison["exempt_reason"].str.contains(
        "Papua split|incomplete", na=False)]
    assert outside[["prov_code", "year", "kab_sum", "prov_value"]].values.tolist() == [
        ["34", 2006, 652.0, 648.7]]
    # documented as a BPS inconsistency: exempt from the blocking check, with its reason
    assert outside["exempt"].all() and outside["exempt_reason"].str.contains("BPS tables disagree").all()
    assert comparison[~comparison["within_tolerance"] & ~comparison["exempt"]].empty
    modern = comparison[(comparison["year"] >= 2015) & ~comparison["exempt"]]
    assert modern["difference"].abs().max() <= 0.06  # what the real tables show
    # every province-year from 2017 (all count rows published), less Papua/Papua Barat before 2024
    per_year = modern.groupby("year").size()
    assert per_year.loc[2017:2023].eq(34 - 2).all() and per_year.loc[2024:2025].eq(38).all()
    incomplete = comparison[comparison["exempt_reason"].str.startswith("incomplete", na=False)]
    assert set(zip(incomplete["prov_code"], incomplete["year"], strict=True)) >= {("14", 2004), ("53", 2014)}


def test_fixed_tolerance(panels):
    strict = province_sum_comparison(*panels, tolerance=0.01)
    assert not _row(strict, "35", 2024)["within_tolerance"]
    assert (strict["tolerance"] == 0.01).all()


def test_news_crosscheck(panels):
    news = parse_quoted_figures(RAW / QUOTED_FIGURES_FILE, QUOTED_FIGURES_FILE)
    result = compare_quoted_figures(news, *panels)
    assert len(news) == 93
    assert len(result) == (news["p0"] != "").sum() + (news["n_poor_thousand"] != "").sum() == 117
    assert result["published"].notna().all()
    assert result["agrees"].sum() == 112
    wrong = result[~result["agrees"]]
    assert wrong[["bps_code", "year", "variable", "quoted", "published"]].values.tolist() == [
        ["3524", 2021, "p0", 13.38, 13.86],
        ["3521", 2022, "p0", 13.0, 14.15], ["3521", 2022, "poor_thousand", 116.47, 119.02],
        ["3521", 2025, "p0", 11.82, 13.62], ["3521", 2025, "poor_thousand", 114.5, 114.9]]
    assert wrong["source_url"].str.contains("solopos.com|buserjatim.com").all()
    # rounded quotes agree at their own precision: "3983" thousand, "25220" (25,22 juta)
    jatim = result[(result["bps_code"] == "3500") & (result["variable"] == "poor_thousand")].iloc[0]
    indonesia = result[(result["bps_code"] == "0000") & (result["variable"] == "poor_thousand")].iloc[0]
    assert (jatim["quoted"], jatim["published"], jatim["agrees"]) == (3983.0, 3982.69, True)
    assert (indonesia["quoted"], indonesia["published"], indonesia["agrees"]) == (25220.0, 25219.2, True)


def test_crosscheck_accepts_a_frame(panels):
    frame = pd.DataFrame({"bps_code": ["3517", "3517"], "name": ["Jombang", "Jombang"], "year": [2023, 2023],
                          "p0": ["9.5", "9.15"], "n_poor_thousand": ["", ""],
                          "source_url_or_repo_path": ["a", "b"]})
    result = compare_quoted_figures(frame, *panels)
    assert result["agrees"].tolist() == [False, True]  # Jombang 2023 quoted as 9.5% vs BPS 9.15

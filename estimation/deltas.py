"""Year-over-year changes of the published figures (percentage points and persons).

Deltas are computed from the rounded published figures, as a reader of the BPS tables would: Jombang
2023 -> 2024 is 9.15 -> 8.60 = -0.55 pp and 117.36 -> 110.57 thousand = -6,790 persons.
"""

from __future__ import annotations

import pandas as pd

from estimation.regions import INDONESIA_CODE

KABKOTA_DELTA_COLUMNS = [
    "bps_code", "name", "prov_code", "prov_name", "year", "year_prev", "p0_prev", "p0", "delta_p0_pp",
    "poor_thousand_prev", "poor_thousand", "delta_poor_persons", "prov_p0_prev", "prov_p0",
    "prov_delta_p0_pp", "indonesia_p0_prev", "indonesia_p0",
]
PROVINCE_DELTA_COLUMNS = [
    "bps_code", "name", "level", "prov_code", "prov_name", "year", "year_prev", "p0_prev", "p0",
    "delta_p0_pp", "poor_thousand_prev", "poor_thousand", "delta_poor_persons", "indonesia_p0_prev",
    "indonesia_p0",
]


def _pairs(panel: pd.DataFrame) -> pd.DataFrame:
    """Each region-year joined to the same region's previous calendar year; rows with no figure in either
    year are left out."""
    current = panel.copy()
    current["year_prev"] = current["year"] - 1
    previous = panel[["bps_code", "year", "p0", "poor_thousand"]].rename(
        columns={"year": "year_prev", "p0": "p0_prev", "poor_thousand": "poor_thousand_prev"})
    out = current.merge(previous, on=["bps_code", "year_prev"], how="inner")
    has_any = out[["p0", "p0_prev", "poor_thousand", "poor_thousand_prev"]].notna().any(axis=1)
    out = out[has_any].copy()
    out["delta_p0_pp"] = (out["p0"] - out["p0_prev"]).round(2)
    persons = ((out["poor_thousand"] - out["poor_thousand_prev"]) * 1000).round()
    out["delta_poor_persons"] = persons.astype("Float64").astype("Int64")
    return out


def _indonesia(prov_panel: pd.DataFrame) -> pd.DataFrame:
    national = prov_panel.loc[prov_panel["bps_code"] == INDONESIA_CODE, ["year", "p0"]]
    return national.rename(columns={"p0": "indonesia_p0"}).assign(
        indonesia_p0_prev=lambda f: f["year"].map(dict(zip(f["year"] + 1, f["indonesia_p0"], strict=True))))


def year_over_year_kabkota(kab_panel: pd.DataFrame, prov_panel: pd.DataFrame) -> pd.DataFrame:
    """Kab/kota changes from the previous year, with the province's and Indonesia's figures beside them."""
    out = _pairs(kab_panel)
    province = prov_panel.loc[prov_panel["level"] == "provinsi", ["prov_code", "year", "p0"]]
    province = province.rename(columns={"p0": "prov_p0"})
    out = out.merge(province, on=["prov_code", "year"], how="left")
    out = out.merge(province.rename(columns={"year": "year_prev", "prov_p0": "prov_p0_prev"}),
                    on=["prov_code", "year_prev"], how="left")
    out["prov_delta_p0_pp"] = (out["prov_p0"] - out["prov_p0_prev"]).round(2)
    out = out.merge(_indonesia(prov_panel), on="year", how="left")
    return out[KABKOTA_DELTA_COLUMNS].sort_values(["bps_code", "year"]).reset_index(drop=True)


def year_over_year_province(prov_panel: pd.DataFrame) -> pd.DataFrame:
    """Province (and Indonesia) changes from the previous year, with Indonesia's figures beside them."""
    out = _pairs(prov_panel).merge(_indonesia(prov_panel), on="year", how="left")
    return out[PROVINCE_DELTA_COLUMNS].sort_values(["bps_code", "year"]).reset_index(drop=True)

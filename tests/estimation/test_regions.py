"""Matching published region names to 2025 BPS codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from estimation.cells import as_cells
from estimation.parsers.bps_table import parse_bps_statistics_table
from estimation.parsers.catalog import REGION_LIST_FILE
from estimation.parsers.region_list import read_region_list
from estimation.regions import match_region_names, unmatched_names

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
FILES = {"p0": "bps/p0_kabkota_2004_2025.csv", "poor_thousand": "bps/penduduk_miskin_ribu_kabkota_2004_2025.csv"}


@pytest.fixture(scope="module")
def reference():
    return read_region_list(RAW / REGION_LIST_FILE)


def _cells(rows: list[tuple], source_file: str = "test.csv") -> pd.DataFrame:
    """Cells from (region_name, province_name, is_province_row[, region_code]) tuples, one row each."""
    frame = pd.DataFrame([{
        "source_file": source_file, "source_row": i + 3, "source_column": "2024", "region_name": r[0],
        "province_name": r[1], "is_province_row": r[2], "region_code": r[3] if len(r) > 3 else None,
        "year": 2024, "variable": "p0", "value": 1.0, "status": "ok",
    } for i, r in enumerate(rows)])
    return as_cells(frame)


def _codes(reference, rows) -> list:
    matched = match_region_names(_cells(rows), reference)
    return [None if pd.isna(c) else c for c in matched["bps_code"]]


def test_reference(reference):
    assert len(reference) == 552
    assert (reference["level"] == "provinsi").sum() == 38
    assert reference["level"].isin(["kabupaten", "kota"]).sum() == 514
    assert reference["bps_code"].str.fullmatch(r"\d{4}").all()
    assert reference["prov_code"].str.fullmatch(r"\d{2}").all()
    jombang = reference.set_index("bps_code").loc["3517"]
    assert (jombang["name"], jombang["prov_name"], jombang["topo_id"]) == ("Jombang", "JAWA TIMUR", "35-17")
    assert reference.set_index("bps_code").loc["9701", "bps_code_pre2022"] == "9429"
    assert str(reference["population_2019_dapoer"].dtype) == "Int64"


@pytest.mark.parametrize("variable", list(FILES))
def test_all_names_of_both_exports_match(reference, variable):
    cells = parse_bps_statistics_table(RAW / FILES[variable], FILES[variable], variable).cells
    matched = match_region_names(cells, reference)
    assert unmatched_names(matched).empty
    rows = matched.drop_duplicates("source_row")
    assert len(rows) == 552 and rows["bps_code"].nunique() == 552
    assert set(rows["bps_code"]) == set(reference["bps_code"])
    jombang = rows[rows["region_name"] == "Jombang"].iloc[0]
    assert (jombang["bps_code"], jombang["match_method"]) == ("3517", "exact")
    assert set(rows["match_method"]) == {"exact", "variant"}


@pytest.mark.parametrize(("name", "province", "code"), [
    ("Toba", "SUMATERA UTARA", "1206"), ("Toba Samosir", "SUMATERA UTARA", "1206"),
    ("Mempawah", "KALIMANTAN BARAT", "6104"), ("Pontianak", "KALIMANTAN BARAT", "6104"),
    ("Pasangkayu", "SULAWESI BARAT", "7605"), ("Mamuju Utara", "SULAWESI BARAT", "7605"),
    ("Kepulauan Tanimbar", "MALUKU", "8101"), ("Maluku Tenggara Barat", "MALUKU", "8101"),
    ("Kotabaru", "KALIMANTAN SELATAN", "6302"), ("Kota Baru", "KALIMANTAN SELATAN", "6302"),
    ("Pasir", "KALIMANTAN TIMUR", "6401"), ("Paser", "KALIMANTAN TIMUR", "6401"),
    ("Karang Asem", "BALI", "5107"), ("Karangasem", "BALI", "5107"),
    ("Mahakam Hulu", "KALIMANTAN TIMUR", "6411"), ("Mahakam Ulu", "KALIMANTAN TIMUR", "6411"),
])
def test_name_variants(reference, name, province, code):
    assert _codes(reference, [(name, province, False)]) == [code]
    assert _codes(reference, [(name, None, False)]) == [code]  # no province given: still unique


def test_kota_pontianak_is_not_mempawah(reference):
    assert _codes(reference, [("Kota Pontianak", "KALIMANTAN BARAT", False)]) == ["6171"]


def test_normalisation_and_kota(reference):
    rows = [("Kediri", "JAWA TIMUR", False), ("Kota Kediri", "JAWA TIMUR", False),
            ("Kab. Jombang", "JAWA TIMUR", False), ("KABUPATEN  JOMBANG", "Jawa Timur", False),
            ("kota  kediri", "jawa timur", False), ("Kediri (Kota)", "JAWA TIMUR", False),
            ("INDONESIA", None, True), ("JAWA TIMUR", "JAWA TIMUR", True), ("Jawa Timur", None, None)]
    matched = match_region_names(_cells(rows), reference)
    assert matched["bps_code"].tolist() == ["3506", "3571", "3517", "3517", "3571", "3571", "0000", "3500", "3500"]
    assert matched["match_method"].tolist()[:4] == ["exact", "exact", "normalised", "normalised"]


def test_papua_split(reference):
    # listed under the pre-2022 province, under the 2025 one, by 2025 code and by pre-2022 code
    rows = [("Nduga", "PAPUA", False), ("Nduga", "PAPUA PEGUNUNGAN", False), ("Sorong", "PAPUA BARAT", False),
            ("x", None, False, "9429"), ("x", None, False, "9701"), ("x", None, False, "9108"),
            ("Mimika", "PAPUA TENGAH", False)]
    assert _codes(reference, rows) == ["9701", "9701", "9202", "9701", "9701", "9201", "9601"]


def test_same_name_in_two_provinces(reference):
    twin = reference[reference["bps_code"] == "3517"].assign(bps_code="3399", bps_code_pre2022="3399",
                                                             prov_code="33", prov_name="JAWA TENGAH")
    ref2 = pd.concat([reference, twin], ignore_index=True)
    rows = [("Jombang", "JAWA TIMUR", False), ("Jombang", "JAWA TENGAH", False), ("Jombang", None, False)]
    matched = match_region_names(_cells(rows), ref2)
    assert matched["bps_code"].tolist()[:2] == ["3517", "3399"]
    assert pd.isna(matched["bps_code"].iloc[2]) and matched["match_method"].iloc[2] == "ambiguous"


def test_unknown_and_misplaced_names_are_reported(reference):
    rows = [("Jombang", "JAWA TIMUR", False), ("Antah Berantah", "JAWA TIMUR", False),
            ("Jombang", "ACEH", False), ("", "ACEH", False)]
    matched = match_region_names(_cells(rows, "bps/x.csv"), reference)
    assert len(matched) == 4  # nothing dropped
    report = unmatched_names(matched)
    assert report[["source_file", "source_row", "region_name", "province_name"]].values.tolist() == [
        ["bps/x.csv", 4, "Antah Berantah", "JAWA TIMUR"], ["bps/x.csv", 5, "Jombang", "ACEH"],
        ["bps/x.csv", 6, "", "ACEH"]]
    assert report["match_method"].tolist() == ["unmatched", "province_mismatch", "unmatched"]
    assert report["source_column"].tolist() == ["2024"] * 3

"""Parsers for the published formats other than the statistics-table export, on the real files and on
broken copies."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from estimation.cells import CELL_COLUMNS, CELL_STATUSES
from estimation.parsers.bps_daerah import column_position, parse_province_daerah_rows
from estimation.parsers.catalog import RAW_SOURCES, parse_source
from estimation.parsers.delimited import parse_delimited_table, parse_number
from estimation.parsers.json_records import parse_named_records
from estimation.parsers.webapi import parse_bps_webapi

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
BPS = RAW / "bps"


def one(cells: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=cells.index)
    for column, value in where.items():
        mask &= cells[column] == value
    found = cells[mask.fillna(False)]
    assert len(found) == 1, f"{where}: {len(found)} rows"
    return found.iloc[0]


def assert_cell_layout(cells: pd.DataFrame) -> None:
    assert list(cells.columns) == list(CELL_COLUMNS)
    assert {c: str(t) for c, t in cells.dtypes.items()} == CELL_COLUMNS
    assert set(cells["status"].unique()) <= set(CELL_STATUSES)
    assert cells.loc[cells["status"] != "ok", "value"].isna().all()
    assert cells.loc[cells["status"] == "ok", "value"].notna().all()


# --- parse_number ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "decimal", "value", "status"),
    [
        ("18,98", ",", 18.98, "ok"),
        ("8.97", ",", 8.97, "ok"),  # the authors' occasional decimal point in a decimal-comma file
        ("1.234,56", ",", 1234.56, "ok"),
        ("1.234.567", ",", 1234567.0, "ok"),
        ("7148", ",", 7148.0, "ok"),
        ("1,2,3", ",", math.nan, "invalid"),
        ("1,234.56", ".", 1234.56, "ok"),
        ("1,234", ".", 1234.0, "ok"),
        ("8,97", ".", math.nan, "invalid"),
        ("1.2.3", ".", math.nan, "invalid"),
        (" -7.54 ", ".", -7.54, "ok"),
        ("1e-05", ".", 1e-05, "ok"),
        ("12a", ".", math.nan, "invalid"),
        ("9,1x", ",", math.nan, "invalid"),
        ("-", ".", math.nan, "missing"),
        ("NA", ".", math.nan, "missing"),
        ("", ",", math.nan, "missing"),
        (None, ",", math.nan, "missing"),
    ],
)
def test_parse_number(text, decimal, value, status):
    got_value, got_status, _ = parse_number(text, decimal)
    assert got_status == status
    assert (math.isnan(got_value) and math.isnan(value)) or got_value == pytest.approx(value, abs=0)


def test_parse_number_ambiguous_point_is_decimal_with_note():
    value, status, note = parse_number("1.234", ",")
    assert (value, status) == (1.234, "ok")  # never silently 1234
    assert note and "ambiguous" in note


# --- WebAPI ----------------------------------------------------------------------------------------------

WEBAPI = "bps/webapi_var624_garis_kemiskinan_kabkota_2025.json"


def test_webapi_real_file():
    table = parse_bps_webapi(RAW / WEBAPI, WEBAPI, "poverty_line_rp")
    cells = table.cells
    assert_cell_layout(cells)
    assert len(cells) == 552 and (cells["status"] == "ok").all()
    assert cells["is_province_row"].sum() == 38
    assert (cells["year"] == 2025).all() and (cells["source_file"] == WEBAPI).all()
    assert sorted(cells["source_row"]) == list(range(1, 553))
    jombang = one(cells, region_code="3517")
    assert (jombang["region_name"], jombang["province_name"], jombang["value"]) == ("Jombang", "JAWA TIMUR",
                                                                                     532053.0)
    assert jombang["value_text"] == "532053" and jombang["source_column"] == "351762401250"
    aceh = one(cells, region_code="1100")
    assert aceh["region_name"] == "ACEH" and bool(aceh["is_province_row"])
    assert not cells["region_name"].str.contains("<").any()
    # the province block a kab/kota sits in agrees with its code prefix
    kab = cells[~cells["is_province_row"]]
    province_code = dict(zip(cells.loc[cells["is_province_row"], "region_name"],
                             cells.loc[cells["is_province_row"], "region_code"], strict=True))
    assert (kab["province_name"].map(province_code).str[:2] == kab["region_code"].str[:2]).all()
    assert table.title == "Garis Kemiskinan Menurut Kabupaten/Kota"
    assert "unit: Rupiah/kapita/bulan" in table.notes
    assert any("Nduga" in n and "<p>" not in n for n in table.notes)


def _webapi_doc(datacontent: dict) -> dict:
    return {
        "var": [{"val": 624, "label": "GK", "unit": "Rp"}],
        "turvar": [{"val": 0, "label": "Tidak ada"}],
        # widths differ: "11" (a 2-digit code) and "1101"
        "vervar": [{"val": 11, "label": "<b>ACEH</b>"}, {"val": 1101, "label": " Simeulue "}],
        "tahun": [{"val": 124, "label": "2024"}, {"val": 125, "label": "2025"}],
        "turtahun": [{"val": 0, "label": "Tahun"}],
        "datacontent": datacontent,
    }


def test_webapi_variable_widths_bad_cell_and_absent_combination(tmp_path):
    doc = _webapi_doc({"1162401250": 100, "110162401240": "5x3", "110162401250": 300, "99962401250": 7})
    path = tmp_path / "w.json"
    path.write_text(json.dumps(doc))
    cells = parse_bps_webapi(path, "bps/w.json", "poverty_line_rp").cells
    assert_cell_layout(cells)
    ok = one(cells, region_code="11", year=2025)
    assert ok["value"] == 100 and ok["region_name"] == "ACEH" and ok["source_row"] == 1
    bad = one(cells, source_column="110162401240")
    assert (bad["status"], bad["source_row"], bad["value_text"], bad["year"]) == ("invalid", 2, "5x3", 2024)
    assert one(cells, region_code="1101", year=2025)["region_name"] == "Simeulue"
    undecodable = one(cells, source_column="99962401250")
    assert undecodable["status"] == "invalid" and "99962401250" in undecodable["note"]
    absent = one(cells, region_code="11", year=2024)  # declared, not in datacontent
    assert absent["status"] == "missing" and pd.isna(absent["source_row"])
    assert len(cells) == 5


# --- JSON records ----------------------------------------------------------------------------------------

BYNAME = "bps/garis_kemiskinan_kabkota_2024_byname.json"


def test_named_records_real_file():
    cells = parse_named_records(RAW / BYNAME, BYNAME, "poverty_line_rp", 2024, "nama_wilayah",
                                "garis_kemiskinan").cells
    assert_cell_layout(cells)
    assert len(cells) == 517 and (cells["status"] == "ok").all()
    provinces = cells[cells["is_province_row"]]
    assert sorted(provinces["region_name"]) == ["JAMBI", "KALIMANTAN BARAT", "KEPULAUAN RIAU",
                                                "SUMATERA SELATAN"]
    assert list(provinces["source_row"]) == [88, 100, 150, 318]
    jombang = one(cells, region_name="Jombang")
    assert (jombang["value"], jombang["year"], jombang["source_column"]) == (514170.0, 2024, "garis_kemiskinan")
    assert "Kota Parepare" not in set(cells["region_name"])


def test_named_records_broken_copy(tmp_path):
    records = json.loads((RAW / BYNAME).read_text())
    records[4]["garis_kemiskinan"] = "55794O"  # letter O for a zero
    records[6]["garis_kemiskinan"] = None
    path = tmp_path / "b.json"
    path.write_text(json.dumps(records))
    cells = parse_named_records(path, "bps/b.json", "poverty_line_rp", 2024, "nama_wilayah",
                                "garis_kemiskinan").cells
    bad = cells[cells["status"] == "invalid"]
    assert list(bad["source_row"]) == [5] and list(bad["source_column"]) == ["garis_kemiskinan"]
    assert bad.iloc[0]["value_text"] == "55794O" and bad.iloc[0]["region_name"] == "Aceh Timur"
    assert list(cells.loc[cells["status"] == "missing", "source_row"]) == [7]


# --- delimited -------------------------------------------------------------------------------------------

def _export_p0(year: int) -> dict[tuple[str, str], float]:
    """(province, kab/kota) -> P0 of one year, read straight from the BPS export with the csv module."""
    lines = list(csv.reader((BPS / "p0_kabkota_2004_2025.csv").open(encoding="utf-8-sig")))
    column = [f.strip() for f in lines[1]].index(str(year))
    out, province = {}, None
    for fields in lines[2:]:
        name = fields[0].strip() if fields else ""
        if not name or name.startswith("Catatan") or len(fields) <= column:
            continue
        if name.isupper():
            province = name
        elif fields[column].strip() not in {"", "-"}:
            out[(province, name)] = float(fields[column])
    return out


def test_klasifikasi_2021_decimal_comma_and_points():
    cells = parse_source("klasifikasi_2021", RAW).cells
    assert_cell_layout(cells)
    assert len(cells) == 514 * 8 and (cells["status"] == "ok").all()
    assert (cells["year"] == 2021).all() and cells["region_code"].isna().all()
    simeulue = one(cells, region_name="Simeulue", variable="p0")
    assert (simeulue["value_text"], simeulue["value"], simeulue["source_row"]) == ("18,98", 18.98, 2)
    assert simeulue["province_name"] == "ACEH"
    assert simeulue["source_column"] == "Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)"
    kuantan = one(cells, region_name="Kuantan Singingi", variable="p0")  # decimal point in a comma file
    assert (kuantan["value_text"], kuantan["value"], kuantan["source_row"]) == ("8.97", 8.97, 77)
    rls = one(cells, region_name="Kota Batu", variable="mean_years_schooling")
    assert (rls["value_text"], rls["value"]) == ("9.31", 9.31)
    assert one(cells, region_name="Jombang", variable="p0")["value"] == 10.0
    assert one(cells, region_name="Simeulue", variable="adj_expenditure_thousand_rp")["value"] == 7148.0
    # P0 equals the BPS export wherever the names agree (SOURCES.md): catches any decimal misreading
    export = _export_p0(2021)
    p0 = cells[cells["variable"] == "p0"]
    matched = [(v, export[(p, n)]) for p, n, v in zip(p0["province_name"], p0["region_name"], p0["value"],
                                                     strict=True) if (p, n) in export]
    assert len(matched) >= 480
    assert all(a == pytest.approx(b, abs=1e-9) for a, b in matched)


def test_kabkota_2023():
    cells = parse_source("kabkota_2023_p0_p1_p2_gk", RAW).cells
    assert_cell_layout(cells)
    assert len(cells) == 514 * 5 and (cells["status"] == "ok").all() and (cells["year"] == 2023).all()
    jombang = cells[cells["region_code"] == "3517"].set_index("variable")["value"].to_dict()
    assert jombang == {"poor_thousand": 117.36, "p0": 9.15, "p1": 1.15, "p2": 0.24, "poverty_line_rp": 488754.0}
    wide = cells.pivot(index="region_code", columns="variable", values="value")
    assert (wide["p2"] <= wide["p1"]).all() and (wide["p1"] <= wide["p0"]).all()
    assert wide["poor_thousand"].sum() == pytest.approx(25898.9, abs=0.1)
    assert one(cells, region_code="3517", variable="p0")["detail"] == "name_bps2025=Jombang; bps_code_pre2022=3517"


def test_jateng_year_column():
    cells = parse_source("jateng_2020_2025", RAW).cells
    assert_cell_layout(cells)
    assert len(cells) == 210 * 6 and (cells["status"] == "ok").all()
    assert sorted(cells["year"].unique()) == list(range(2020, 2026))
    cilacap = one(cells, region_code="3301", year=2020, variable="p0")
    assert (cilacap["value"], cilacap["source_row"], cilacap["region_name"]) == (11.46, 2, "Kabupaten Cilacap")
    export = _export_p0(2023)
    assert one(cells, region_code="3301", year=2023, variable="p0")["value"] == export[("JAWA TENGAH", "Cilacap")]


def test_dapoer_2019():
    cells = parse_source("dapoer_2019", RAW).cells
    assert_cell_layout(cells)
    assert len(cells) == 514 * 13
    assert (cells["status"] == "missing").sum() == 12 and (cells["value_text"] == "NA").sum() == 12
    jombang = one(cells, region_code="ID.JI.JO", variable="p0")
    assert (jombang["value"], jombang["province_name"], jombang["detail"]) == (9.22, "Jawa Timur",
                                                                              "district_type=regency")
    assert one(cells, region_code="ID.JI.JO", variable="latitude")["value"] < 0


def test_extreme_national_detail_and_duplicate_round():
    cells = parse_source("extreme_national", RAW).cells
    assert_cell_layout(cells)
    assert len(cells) == 7 * 3 and (cells["region_name"] == "INDONESIA").all() and cells["is_province_row"].all()
    march_2024 = cells[(cells["year"] == 2024) & (cells["variable"] == "extreme_rate_pct")
                       & cells["detail"].str.startswith("period=2024-03")]
    assert sorted(march_2024["value"]) == [0.83, 1.26]
    revised = one(cells, variable="extreme_rate_pct", value=1.26)
    assert revised["detail"] == ("period=2024-03; line=USD 2.15 2017 PPP with spatial deflator; "
                                 "note=revised series (published July 2025); source_url="
                                 "https://tirto.id/penduduk-miskin-ekstrem-capai-238-juta-orang-di-maret-2025-heTl")
    assert revised["source_row"] == 6
    assert one(cells, variable="extreme_poor_million", year=2025)["value"] == 2.38
    assert (cells.loc[(cells["variable"] == "extreme_poor_million") & (cells["year"] == 2022), "status"]
            == "missing").all()
    assert one(cells, variable="extreme_line_rp", status="ok")["value"] == 351957.4


def test_extreme_province():
    cells = parse_source("extreme_province_2023", RAW).cells
    assert_cell_layout(cells)
    assert len(cells) == 24 and (cells["status"] == "ok").all() and cells["is_province_row"].all()
    indonesia = one(cells, region_code="00")
    assert (indonesia["region_name"], indonesia["value"], indonesia["year"]) == ("INDONESIA", 1.12, 2023)
    assert indonesia["detail"].startswith("period=Maret; source_url=https://finance.detik.com/")
    assert sorted(cells["year"].unique()) == [2022, 2023]


def test_delimited_broken_copy(tmp_path):
    lines = (BPS / "klasifikasi_kemiskinan_kabkota_2021.csv").read_text(encoding="utf-8").splitlines()
    fields = lines[9].split(";")  # file line 10
    fields[5] = "7x,28"  # life expectancy
    lines[9] = ";".join(fields)
    lines[11] = ";".join(lines[11].split(";")[:4])  # file line 12 cut short after the schooling column
    path = tmp_path / "k.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    kwargs = RAW_SOURCES["klasifikasi_2021"].kwargs
    cells = parse_delimited_table(path, "bps/k.csv", **kwargs).cells
    assert_cell_layout(cells)
    bad = cells[cells["status"] == "invalid"]
    letter = bad[bad["source_row"] == 10]
    assert list(letter["source_column"]) == ["Umur Harapan Hidup (Tahun)"]
    assert letter.iloc[0]["value_text"] == "7x,28" and letter.iloc[0]["variable"] == "life_expectancy"
    short = bad[bad["source_row"] == 12]
    assert len(short) == 6 and short["note"].str.contains("ragged").all()
    assert len(bad) == 7 and len(cells) == 514 * 8


def test_delimited_missing_header_column_fails_loudly(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("name,p0\nA,1.5\n")
    with pytest.raises(ValueError, match=r"bps/x\.csv.*'P0'"):
        parse_delimited_table(path, "bps/x.csv", region_column="name", value_columns={"P0": "p0"}, year=2020)


# --- Provinsi dan Daerah rows ----------------------------------------------------------------------------

P0_DAERAH = "bps/p0_prov_daerah_rows_jatim_indonesia.csv"
POOR_DAERAH = "bps/penduduk_miskin_prov_daerah_row_indonesia.csv"


def _figure(cells, region, year, detail):
    return one(cells, region_name=region, year=year, detail=detail)


def test_daerah_p0_truths():
    cells = parse_province_daerah_rows(RAW / P0_DAERAH, P0_DAERAH, "p0").cells
    assert_cell_layout(cells)
    assert len(cells) == 2 * 180 and cells["is_province_row"].all()
    truths = {("JAWA TIMUR", 2024, "total;maret"): 9.79, ("JAWA TIMUR", 2023, "total;maret"): 10.35,
              ("INDONESIA", 2024, "total;maret"): 9.03, ("INDONESIA", 2023, "total;maret"): 9.36,
              ("INDONESIA", 2025, "total;maret"): 8.47, ("INDONESIA", 2024, "total;september"): 8.57,
              ("INDONESIA", 2007, "total;tahunan"): 16.58, ("INDONESIA", 2024, "perkotaan;maret"): 7.09,
              ("INDONESIA", 2024, "perdesaan;maret"): 11.79}
    for (region, year, detail), value in truths.items():
        assert _figure(cells, region, year, detail)["value"] == value, (region, year, detail)
    jatim = _figure(cells, "JAWA TIMUR", 2024, "total;maret")
    assert (jatim["source_row"], jatim["source_column"]) == (1, "col173")
    assert column_position("total", "maret", 2024) == 173
    assert _figure(cells, "INDONESIA", 2023, "total;september")["status"] == "missing"
    assert cells["note"].isna().all()


def test_daerah_poor_count_garbled_years_flagged():
    cells = parse_province_daerah_rows(RAW / POOR_DAERAH, POOR_DAERAH, "poor_thousand").cells
    assert len(cells) == 180
    assert _figure(cells, "INDONESIA", 2024, "total;maret")["value"] == 25219.2
    flagged = cells[cells["note"].notna()]
    assert sorted(flagged["year"].unique()) == list(range(2007, 2014)) and len(flagged) == 7 * 9
    assert flagged["note"].str.contains("garbled").all()
    garbled = _figure(cells, "INDONESIA", 2007, "total;september")
    assert garbled["value"] == 28553.93 and garbled["status"] == "ok"  # kept as published, not fixed


def test_daerah_changed_layout_and_bad_cell(tmp_path):
    text = (RAW / P0_DAERAH).read_text()
    first, second = text.splitlines()[:2]
    fields = second.split(",")
    fields[172] = "9.O3"  # INDONESIA total March 2024, letter O
    path = tmp_path / "d.csv"
    path.write_text(first + "\n" + ",".join(fields) + "\n")
    cells = parse_province_daerah_rows(path, "bps/d.csv", "p0").cells
    bad = cells[cells["status"] == "invalid"]
    assert len(bad) == 1
    assert (bad.iloc[0]["source_row"], bad.iloc[0]["source_column"], bad.iloc[0]["value_text"]) == (2, "col173",
                                                                                                  "9.O3")
    path.write_text(first + ",-,-,-\n")
    with pytest.raises(ValueError, match=r"bps/d\.csv line 1: 184 fields"):
        parse_province_daerah_rows(path, "bps/d.csv", "p0")


# --- catalogue -------------------------------------------------------------------------------------------

def test_catalog_covers_every_bps_file_once():
    paths = [entry.path for entry in RAW_SOURCES.values()]
    assert len(paths) == len(set(paths))
    assert sorted(paths) == sorted(f"bps/{p.name}" for p in BPS.iterdir() if p.is_file())
    for name, entry in RAW_SOURCES.items():
        assert name == entry.name and name.isidentifier() and name == name.lower()
        assert entry.variables and entry.description


@pytest.mark.parametrize("name", sorted(RAW_SOURCES))
def test_parse_source_every_entry(name):
    entry = RAW_SOURCES[name]
    table = parse_source(name, RAW)
    cells = table.cells
    assert_cell_layout(cells)
    assert len(cells) > 0 and (cells["source_file"] == entry.path).all()
    assert set(cells["variable"].unique()) <= set(entry.variables)
    assert (cells["status"] == "ok").sum() > 0 and (cells["status"] != "invalid").all()
    assert cells["source_column"].notna().all() and cells["year"].notna().all()


def test_parse_source_unknown_name():
    with pytest.raises(KeyError, match="unknown raw source"):
        parse_source("nope", RAW)

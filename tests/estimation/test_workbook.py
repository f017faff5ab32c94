"""The reader outputs (`estimation/publishing`): the Excel workbook read back with openpyxl (an implementation
independent of XlsxWriter, which writes it) and the Indonesian-Excel CSVs read back with pandas, DuckDB and
Python's csv module, on small frames. The workbook written from the real panels (built by the parsers from
data/raw) is checked in `test_dictionary.py`, which materialises the report assets on them once.

Writer timing (README/report): `PYTHONPATH=. .venv/bin/python -m pytest tests/estimation/test_workbook.py -q
-p no:cacheprovider --durations=5` shows the real-panel fixture's time; the writer choice is explained in
`estimation/publishing/workbook.py`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from estimation.deltas import year_over_year_kabkota, year_over_year_province
from estimation.dictionary import column_info
from estimation.publishing import (
    CSV_FOLDER,
    publish_for_readers,
    reader_tables,
    workbook_name,
)
from estimation.publishing.csv_id import BOM, csv_id_text, read_csv_id, strip_formula, write_csv_id
from estimation.publishing.views import ReaderTable, published_decimals
from estimation.publishing.workbook import FIRST_DATA_ROW, NOTES_SHEET, long_digit_runs, write_workbook
from estimation.sae.publishability import FLAG_LABELS_ID

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
pytestmark = pytest.mark.xdist_group("workbook")  # the module's fixtures are computed on one worker (loadgroup)


# ------------------------------------------------------------------------------------------------ small frames
def _panels() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    figures = {  # code: (name, {year: (p0, poor_thousand, gk)})
        "3517": ("Jombang", {2014: (10.8, 133.7, None), 2015: (10.79, 134.23, None), 2023: (9.15, 117.36, 514170.0),
                             2024: (8.6, 110.57, 534000.0)}),
        "3578": ("Kota Surabaya", {2014: (5.79, 164.4, None), 2015: (5.82, 165.72, None),
                                   2023: (4.65, 136.37, 712000.0), 2024: (3.96, 116.3, 735500.0)}),
    }
    for code, (name, years) in figures.items():
        for year, (p0, poor, gk) in years.items():
            rows.append({"bps_code": code, "name": name, "level": "kota" if name.startswith("Kota") else "kabupaten",
                         "prov_code": "35", "prov_name": "JAWA TIMUR", "year": year, "p0": p0, "poor_thousand": poor,
                         "population_thousand": poor / p0 * 100, "poverty_line_rp": gk,
                         "p1": 1.23 if year == 2023 else None, "p2": 0.31 if year == 2023 else None,
                         "source_files": "bps/x.csv", "note": "Catatan BPS tahun 2015" if (code, year) == (
                             "3517", 2015) else None})
    kab = pd.DataFrame(rows)
    prov_rows = []
    for code, name, level, p0s in (("3500", "JAWA TIMUR", "provinsi", {2014: 12.28, 2015: 12.34, 2023: 10.35,
                                                                           2024: 9.79}),
                                   ("0000", "INDONESIA", "indonesia", {2014: 11.25, 2015: 11.22, 2023: 9.36,
                                                                        2024: 9.03})):
        for year, p0 in p0s.items():
            prov_rows.append({"bps_code": code, "name": name, "level": level,
                              "prov_code": "35" if code == "3500" else None,
                              "prov_name": name if code == "3500" else None, "year": year, "p0": p0,
                              "poor_thousand": 4748.42 if code == "3500" and year == 2015 else None,
                              "population_thousand": None, "poverty_line_rp": None, "p1": None, "p2": None,
                              "source_files": None, "note": None})
    return kab, pd.DataFrame(prov_rows)


def _estimates() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    codes = ["3517", "3578"]
    sae = pd.DataFrame({
        "bps_code": codes * 2, "prov_code": "35", "year": [2024, 2024, 2023, 2023], "line_definition":
        ["usd215_2017ppp"] * 2 + ["usd190_2011ppp"] * 2, "indicator": "extreme",
        "direct": [0.0068, 0.0, 0.0101, 0.002], "direct_var_smoothed": 1e-6, "synthetic": 0.008,
        "eblup": [0.00812345, 0.0031, 0.0123, 0.0019], "mse": 2e-6, "rse": [0.175, 0.61, 0.3, np.inf],
        "ci_low": [0.0053, 0.0, 0.005, 0.0], "ci_high": [0.0109, 0.007, 0.02, 0.004], "gamma": 0.4,
        "standardized_residual": 0.1, "benchmarked": [0.00798, 0.0030, 0.012, 0.0018], "benchmark_factor": 0.98,
        "persons": [10430.0, 8600.0, 15600.0, 5200.0], "flag": ["publish", "suppress", "caution", "suppress"],
        "in_sample": True})
    pd0 = sae[["bps_code", "prov_code", "year", "line_definition", "indicator"]].copy()
    p0 = sae.assign(indicator="p0", eblup=0.0860, rse=0.05, flag="publish")
    direct = pd0.assign(estimate=[0.0068, 0.0, 0.0101, 0.002], se=0.002, cv=[0.343, np.inf, 0.2, 0.5],
                        ci_low=0.001, ci_high=0.02, deff=1.3, n_households=300, persons=9000.0,
                        flag=["caution", "suppress", "publish", "caution"])
    names = pd.DataFrame({"bps_code": codes, "name": ["Jombang", "Kota Surabaya"]})
    return pd.concat([sae, p0], ignore_index=True), direct, names


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    kab, prov = _panels()
    dk, dp = year_over_year_kabkota(kab, prov), year_over_year_province(prov)
    sae, direct, names = _estimates()
    out = tmp_path_factory.mktemp("small")
    paths = publish_for_readers(out, kabkota_panel=kab, province_panel=prov, kabkota_deltas=dk,
                                province_deltas=dp, sae=sae, direct=direct, names=names,
                                footnotes=["Definisi : Bagian dari populasi penduduk ..."],
                                provenance={"run_id": "run-1", "code_version": "abc123",
                                            "sources_sha256": {"bps/p0.csv": "12345678" * 8}})
    return {"kab": kab, "prov": prov, "dk": dk, "dp": dp, "sae": sae, "direct": direct, "paths": paths,
            "wb": load_workbook(paths[0]), "tables": reader_tables(kab, prov, dk, dp, sae, direct, names)}


def _sheet_frame(ws, first_column: int = 1) -> tuple[list[str], list[list]]:
    header = [c.value for c in ws[5]]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=FIRST_DATA_ROW)]
    return header, rows


def test_workbook_named_by_last_year_and_sheets_per_level_and_family(small):
    assert Path(small["paths"][0]).name == "Kemiskinan_Kabupaten_Kota_2024.xlsx" == workbook_name(small["kab"])
    names = small["wb"].sheetnames
    for level in ("KabKota", "Provinsi", "Indonesia"):
        assert f"P0 {level}" in names and f"Perubahan P0 {level}" in names
    assert {"Penduduk Miskin KabKota", "GK KabKota", "P1 KabKota", "P2 KabKota", "Miskin Ekstrem KabKota"} <= set(names)
    assert "GK Provinsi" not in names  # no province poverty line in the input: no empty sheet
    assert names[-1] == NOTES_SHEET


def test_codes_are_text_and_indonesia_stays_0000(small):
    wb = small["wb"]
    cell = wb["P0 Indonesia"].cell(FIRST_DATA_ROW, 1)
    assert cell.value == "0000" and cell.data_type == "s" and cell.number_format == "@"
    kab_codes = [c.value for c in wb["P0 KabKota"]["A"][FIRST_DATA_ROW - 1:]]
    assert kab_codes == ["3517", "3578"]
    assert all(c.data_type == "s" for c in wb["Miskin Ekstrem KabKota"]["A"][FIRST_DATA_ROW - 1:])


def test_header_rows_title_unit_source_labels_from_the_dictionary(small):
    ws = small["wb"]["P0 KabKota"]
    assert ws["A1"].value == "Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen), 2014–2024"
    assert ws["A1"].font.b
    assert ws["A2"].value == "Satuan: persen"
    assert ws["A3"].value == f"Sumber: {column_info('p0').source}"
    assert ws["A4"].value is None
    assert [c.value for c in ws[5]] == ["Kode wilayah", "Kabupaten/Kota", "Provinsi", "2014", "2015", "2023", "2024"]
    assert [c.value for c in ws[6]][3:] == ["persen"] * 4
    changes = small["wb"]["Perubahan P0 KabKota"]
    assert [c.value for c in changes[5]][3:] == ["2014–2015", "2023–2024"]  # consecutive years only
    assert changes["D6"].value == "poin persen"
    assert changes["A1"].value.endswith("(Poin Persen), 2015–2024")


def test_frozen_header_rows_and_region_columns(small):
    wb = small["wb"]
    assert wb["P0 KabKota"].freeze_panes == "D7"  # code, name, province
    assert wb["P0 Provinsi"].freeze_panes == "C7"
    assert wb["Miskin Ekstrem KabKota"].freeze_panes == "C7"


def test_number_formats_give_the_published_decimals(small):
    wb = small["wb"]
    p0 = wb["P0 KabKota"]
    assert {c.number_format for c in p0[FIRST_DATA_ROW][3:]} == {"#,##0.00"}
    poor = wb["Penduduk Miskin KabKota"]
    header = [c.value for c in poor[5]]
    formats = {header[c.column - 1]: c.number_format for c in poor[FIRST_DATA_ROW][3:]}
    assert formats == {"2014": "#,##0.0", "2015": "#,##0.00", "2023": "#,##0.00", "2024": "#,##0.00"}
    assert {c.number_format for c in wb["GK KabKota"][FIRST_DATA_ROW][3:]} == {"#,##0"}
    assert {c.number_format for c in wb["Perubahan Miskin KabKota"][FIRST_DATA_ROW][3:]} == {"#,##0"}


def test_numbers_equal_the_input_frames(small):
    wb, kab, dk = small["wb"], small["kab"], small["dk"]
    for sheet, frame, value in (("P0 KabKota", kab, "p0"), ("Penduduk Miskin KabKota", kab, "poor_thousand"),
                                ("GK KabKota", kab, "poverty_line_rp"), ("P1 KabKota", kab, "p1"),
                                ("Perubahan P0 KabKota", dk, "delta_p0_pp"),
                                ("Perubahan Miskin KabKota", dk, "delta_poor_persons")):
        header, rows = _sheet_frame(wb[sheet])
        read = {(r[0], int(str(year)[-4:])): v for r in rows for year, v in zip(header[3:], r[3:], strict=True)
                if v is not None}
        expected = {(c, int(y)): float(v) for c, y, v in frame[["bps_code", "year", value]].itertuples(index=False)
                    if pd.notna(v)}
        assert read == expected, sheet
    p0_indonesia = wb["P0 Indonesia"]
    assert [c.value for c in p0_indonesia[FIRST_DATA_ROW]] == ["0000", "INDONESIA", 11.25, 11.22, 9.36, 9.03]


def test_estimates_in_percent_with_flags_in_bahasa(small):
    ws = small["wb"]["Miskin Ekstrem KabKota"]
    header, rows = _sheet_frame(ws)
    assert header[:4] == ["Kode wilayah", "Kabupaten/Kota", "Tahun", "Garis kemiskinan ekstrem"]
    records = [dict(zip(header, r, strict=True)) for r in rows]
    jombang = next(r for r in records if r["Kode wilayah"] == "3517" and r["Tahun"] == "2024")
    assert jombang[column_info("eblup").label] == 0.81  # 0.00812345 -> 0.81 %
    assert jombang[column_info("rse").label] == 17.5
    assert jombang["CV estimasi langsung"] == 34.3
    assert jombang["Jumlah penduduk miskin ekstrem (estimasi)"] == 10430
    assert jombang["Kelayakan publikasi"] == "layak"
    assert jombang["Garis kemiskinan ekstrem"] == "USD 2,15 PPP 2017 dengan deflator spasial"
    surabaya = next(r for r in records if r["Kode wilayah"] == "3578" and r["Tahun"] == "2024")
    assert surabaya["CV estimasi langsung"] is None  # zero direct estimate: CV undefined, an empty cell
    assert surabaya["Kelayakan publikasi"] == "tidak layak"
    assert {r["Kelayakan publikasi"] for r in records} <= set(FLAG_LABELS_ID.values())
    assert len(records) == 4  # the extreme indicator only, both years
    sae = small["sae"][small["sae"]["indicator"] == "extreme"].set_index(["bps_code", "year"])
    for record in records:
        row = sae.loc[(record["Kode wilayah"], int(record["Tahun"]))]
        for column in ("direct", "eblup", "rse", "ci_low", "ci_high", "benchmarked"):
            expected = round(float(row[column]) * 100, 2) if np.isfinite(row[column]) else None
            assert record[column_info(column, "estimates_sae").label] == expected, (record, column)
        assert record["Kelayakan publikasi"] == FLAG_LABELS_ID[row["flag"]]
    units = [c.value for c in ws[6]]
    assert units[header.index(column_info("eblup").label)] == "persen"


def test_notes_sheet_disclaimer_footnotes_conventions(small):
    text = "\n".join(str(c.value) for c in small["wb"][NOTES_SHEET]["A"] if c.value)
    assert "SINTETIS" in text and "BUKAN angka resmi BPS" in text
    assert "Definisi : Bagian dari populasi penduduk" in text
    assert "Jombang (3517), 2015: Catatan BPS tahun 2015" in text
    assert "satu desimal sebelumnya" in text and "Miskin Ekstrem KabKota" in text
    assert "Versi kode (commit git): abc123" in text and "ID run Dagster: run-1" in text
    assert f"Berkas sumber data/raw/bps/p0.csv: SHA-256 {' '.join(['12345678'] * 8)}" in text


def test_no_16_digit_number_in_the_xlsx_xml(small):
    assert long_digit_runs(small["paths"][0]) == []
    with zipfile.ZipFile(small["paths"][0]) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".xml"))
    assert not re.search(rb"\d{16}", xml)
    assert b"<v>0.81</v>" in xml  # the EBLUP in percent, not 0.8100000000000001


def test_the_scan_finds_planted_runs_and_plain_xlsxwriter_would_write_noise(tmp_path):
    import xlsxwriter

    path = tmp_path / "noise.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("a")
    planted = "3517" + "0" * 11 + "1"  # 16 digits, made up (no real NIK in the code)
    ws.write_number(0, 0, 0.81)
    ws.write_string(1, 0, planted)
    wb.close()
    runs = long_digit_runs(path)
    assert any(r.endswith(": 81" + "0" * 13 + "1") for r in runs)  # 0.81 written as 0.8100000000000001
    assert any(r.endswith(f": {planted}") for r in runs)


def test_numbers_keep_their_value_in_shortest_form(tmp_path):
    values = [0.81, -0.07, 0.94, 1e-05, 37168.3, 1234567.0, 0.0]  # 0.94 is written 0.9399999999999999 by .16G
    table = ReaderTable(key="t", sheet="t", title="t", unit="", source="", frame=pd.DataFrame({
        "bps_code": ["0000"] * len(values), "v": values}), labels={"bps_code": "Kode", "v": "v"},
        units={}, decimals={"v": 2})
    path = write_workbook(tmp_path / "t.xlsx", [table])
    assert long_digit_runs(path) == []
    with zipfile.ZipFile(path) as archive:
        assert b"<v>0.81</v>" in archive.read("xl/worksheets/sheet1.xml")
    read = [c.value for c in load_workbook(path)["t"]["B"][FIRST_DATA_ROW - 1:]]
    assert read == values  # the same doubles


def test_identity_columns_refused():
    kab, prov = _panels()
    with pytest.raises(ValueError, match="identity"):
        reader_tables(kab.assign(nik="3517" + "0" * 11 + "1"), prov, kab.iloc[:0], prov.iloc[:0])  # made up


def test_published_decimals():
    assert published_decimals(pd.Series([24.3, 26.6, None]), 2) == 1
    assert published_decimals(pd.Series([17.62, 24.3]), 2) == 2
    assert published_decimals(pd.Series([514170.0, 534000.0]), 2) == 0
    assert published_decimals(pd.Series([0.123]), 2) == 2  # capped
    assert published_decimals(pd.Series([37168.3, 28553.93]), 2) == 2


# ------------------------------------------------------------------------------------------- Indonesian CSVs
def test_indonesian_csv_bom_separator_decimal_comma_and_code_text(small):
    path = Path(small["paths"][0]).parent / CSV_FOLDER / "p0_indonesia.csv"
    raw = path.read_bytes()
    assert raw.startswith(BOM.encode("utf-8"))
    text = raw.decode("utf-8-sig")
    assert text.split("\r\n")[0] == "Kode wilayah;Nama wilayah;2014;2015;2023;2024"
    assert text.split("\r\n")[1] == '"=""0000""";INDONESIA;11,25;11,22;9,36;9,03'
    poor = (path.parent / "penduduk_miskin_kabkota.csv").read_bytes().decode("utf-8-sig").split("\r\n")
    assert poor[1].split(";")[3:] == ["133,7", "134,23", "117,36", "110,57"]  # 2014 with one decimal, as published


def test_indonesian_csvs_read_back_equal_the_tables(small):
    by_key = {t.key: t for t in small["tables"]}
    folder = Path(small["paths"][0]).parent / CSV_FOLDER
    assert {p.stem for p in folder.glob("*.csv")} == {*by_key, "kamus_data"}
    for key, table in by_key.items():
        codes = [table.labels[c] for c in table.frame.columns if c in table.text_columns]
        back = pd.read_csv(folder / f"{key}.csv", sep=";", decimal=",", converters=dict.fromkeys(codes,
                                                                                               strip_formula))
        expected = table.frame.set_axis(table.header, axis=1)
        assert list(back.columns) == list(expected.columns), key
        for column in expected.columns:
            if column in codes or not pd.api.types.is_numeric_dtype(expected[column]):
                assert back[column].astype(str).tolist() == expected[column].astype(str).tolist(), (key, column)
            else:
                np.testing.assert_array_equal(back[column].to_numpy(float), expected[column].to_numpy(float),
                                              err_msg=f"{key} {column}")


def test_csv_code_styles_as_readers_see_them(tmp_path):
    frame = pd.DataFrame({"bps_code": ["0000", "3517"], "name": ["INDONESIA", "Jombang; Jawa Timur"],
                          "p0": [9.03, 8.6], "persons": pd.array([10430, None], dtype="Int64")})
    formula = write_csv_id(tmp_path / "f.csv", frame, decimals={"p0": 2})
    quoted = write_csv_id(tmp_path / "q.csv", frame, decimals={"p0": 2}, code_style="quoted")
    assert formula.read_text(encoding="utf-8-sig").splitlines()[1] == '"=""0000""";INDONESIA;9,03;10430'
    assert quoted.read_text(encoding="utf-8-sig").splitlines()[1] == '"0000";INDONESIA;9,03;10430'
    # pandas: the formula is read literally; plain quotes do not keep a code as text without dtype=str
    assert pd.read_csv(formula, sep=";", decimal=",")["bps_code"].tolist() == ['="0000"', '="3517"']
    assert pd.read_csv(quoted, sep=";", decimal=",")["bps_code"].tolist() == [0, 3517]
    assert pd.read_csv(quoted, sep=";", decimal=",", dtype={"bps_code": str})["bps_code"].tolist() == ["0000",
                                                                                                       "3517"]
    # Python's csv module: quotes are removed, the text kept
    rows = list(csv.reader(io.StringIO(quoted.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[1][0] == "0000" and rows[2][1] == "Jombang; Jawa Timur"
    # DuckDB's sniffer: the formula literally
    import duckdb

    sniffed = duckdb.sql(f"select * from read_csv('{formula}', delim=';', decimal_separator=',')").df()
    assert sniffed.iloc[0, 0] == '="0000"' and sniffed["p0"].tolist() == [9.03, 8.6]
    # the project's reader gives the frame back
    back = read_csv_id(formula, text_columns=["bps_code"])
    assert back["bps_code"].tolist() == ["0000", "3517"] and back["p0"].tolist() == [9.03, 8.6]
    assert back["name"].tolist() == frame["name"].tolist()
    assert back["persons"].iloc[0] == 10430 and pd.isna(back["persons"].iloc[1])


def test_csv_id_text_without_codes_and_missing_values():
    text = csv_id_text(pd.DataFrame({"x": [1.5, np.nan], "y": ["a", None]}), decimals={"x": 1})
    assert text == "x;y\r\n1,5;a\r\n;\r\n"


def test_reader_outputs_are_one_publication_set(tmp_path, monkeypatch):
    """The workbook and the CSVs switch together; other files of the folder stay; a failed run changes nothing."""
    from estimation import publishing

    kab, prov = _panels()
    dk, dp = year_over_year_kabkota(kab, prov), year_over_year_province(prov)
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "p0_kabkota_panel.csv").write_text("machine-readable table\n")
    first = publish_for_readers(folder, kabkota_panel=kab, province_panel=prov, kabkota_deltas=dk, province_deltas=dp)
    assert folder.is_symlink()
    assert first[0] == folder / "Kemiskinan_Kabupaten_Kota_2024.xlsx"
    assert all(p.exists() and folder in p.parents for p in first)
    assert (folder / "p0_kabkota_panel.csv").read_text() == "machine-readable table\n"
    before = {p: p.read_bytes() for p in first}

    def broken(*args, **kwargs):  # the workbook is written, then the CSVs fail
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(publishing, "write_reader_csvs", broken)
        with pytest.raises(RuntimeError, match="disk full"):
            publish_for_readers(folder, kabkota_panel=kab.assign(p0=kab["p0"] + 1), province_panel=prov,
                                kabkota_deltas=dk, province_deltas=dp)
    assert {p: p.read_bytes() for p in first} == before  # neither the workbook nor a CSV changed
    second = publish_for_readers(folder, kabkota_panel=kab[kab["year"] < 2024], province_panel=prov,
                                 kabkota_deltas=dk, province_deltas=dp)
    assert second[0].name == "Kemiskinan_Kabupaten_Kota_2023.xlsx" and first[0].exists()  # the older one is kept

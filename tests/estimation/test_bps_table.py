"""The BPS statistics-table parser on the real exports and on damaged copies of them."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from estimation.cells import CELL_COLUMNS
from estimation.parsers.bps_table import parse_bps_statistics_table, structure_problems

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
P0 = "bps/p0_kabkota_2004_2025.csv"
POOR = "bps/penduduk_miskin_ribu_kabkota_2004_2025.csv"


@pytest.fixture(scope="module")
def p0():
    return parse_bps_statistics_table(RAW / P0, P0, "p0")


@pytest.fixture(scope="module")
def poor():
    return parse_bps_statistics_table(RAW / POOR, POOR, "poor_thousand")


def _line_of(path: Path, name: str) -> int:
    """1-based line of the row for `name`, found independently of the parser."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.split(",")[0] == name:
            return number
    raise AssertionError(name)


@pytest.mark.parametrize("fixture", ["p0", "poor"])
def test_layout_and_counts(fixture, request):
    table = request.getfixturevalue(fixture)
    cells = table.cells
    assert list(cells.columns) == list(CELL_COLUMNS)
    rows = cells.drop_duplicates("source_row")
    assert int(rows["is_province_row"].sum()) == 38
    assert int((~rows["is_province_row"]).sum()) == 514
    assert sorted(cells["year"].unique()) == list(range(2004, 2026))
    assert len(cells) == 552 * 22
    assert set(cells["status"]) <= {"ok", "missing"}
    assert structure_problems(cells).empty


def test_title_and_definition_note(p0, poor):
    assert p0.title == "Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)"
    assert poor.title == "Jumlah Penduduk Miskin (Ribu Jiwa) Menurut Kabupaten/Kota"
    assert len(p0.notes) == 1 and p0.notes[0].startswith("Definisi : Bagian dari populasi penduduk")
    assert poor.notes == []  # its only footnote concerns a figure
    assert not any("<" in n for n in p0.notes)


def test_jombang_2023(p0, poor):
    line = _line_of(RAW / P0, "Jombang")
    assert line == 261
    for table, value in ((p0, 9.15), (poor, 117.36)):
        cell = table.cells[(table.cells["region_name"] == "Jombang") & (table.cells["year"] == 2023)].iloc[0]
        assert cell["source_row"] == line
        assert cell["source_column"] == "2023"
        assert cell["value"] == value
        assert cell["status"] == "ok"
        assert cell["province_name"] == "JAWA TIMUR"
        assert not cell["is_province_row"]
    jatim = p0.cells[(p0.cells["region_name"] == "JAWA TIMUR") & (p0.cells["year"] == 2024)].iloc[0]
    assert jatim["is_province_row"] and jatim["value"] == 9.79 and jatim["province_name"] == "JAWA TIMUR"


def test_dash_is_missing(p0):
    cell = p0.cells[(p0.cells["region_name"] == "Pidie Jaya") & (p0.cells["year"] == 2004)].iloc[0]
    assert cell["status"] == "missing" and cell["value_text"] == "-" and pd.isna(cell["value"])


def test_nduga_2015_note(p0, poor):
    for table in (p0, poor):
        noted = table.cells[table.cells["note"].notna()]
        assert noted[["region_name", "year"]].values.tolist() == [["Nduga", 2015]]
        note = noted["note"].iloc[0]
        assert note.startswith("Tidak ada data Susenas Maret 2015 di Kabupaten Nduga, Provinsi Papua.")
        assert note.endswith("memakai angka tahun 2014") and "<" not in note


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _rows() -> list[list[str]]:
    with (RAW / P0).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_letter_in_cell_is_invalid(tmp_path):
    rows = _rows()
    rows[260][20] = "9.1S"  # Jombang 2023
    _write(tmp_path / "broken.csv", rows)
    cells = parse_bps_statistics_table(tmp_path / "broken.csv", "bps/broken.csv", "p0").cells
    bad = cells[cells["status"] == "invalid"]
    assert len(bad) == 1 and bad.iloc[0]["region_name"] == "Jombang" and pd.isna(bad.iloc[0]["value"])
    problems = structure_problems(cells)
    assert problems[["source_file", "source_row", "source_column"]].values.tolist() == [
        ["bps/broken.csv", 261, "2023"]]
    assert "9.1S" in problems.iloc[0]["problem"]


def test_missing_year_column(tmp_path):
    rows = [r[:20] + r[21:] if len(r) > 21 else r for r in _rows()]  # drop the 2023 column
    _write(tmp_path / "no2023.csv", rows)
    cells = parse_bps_statistics_table(tmp_path / "no2023.csv", "bps/no2023.csv", "p0").cells
    problems = structure_problems(cells)
    assert problems.to_dict("records") == [{
        "source_file": "bps/no2023.csv", "source_row": 2, "source_column": "2023",
        "problem": "year column 2023 missing between 2022 and 2024 (header row 2)"}]
    jombang = cells[(cells["region_name"] == "Jombang") & (cells["year"] == 2024)]
    assert jombang["value"].tolist() == [8.6]  # the other columns keep their years


def test_duplicated_and_non_numeric_year_headers(tmp_path):
    rows = _rows()
    rows[1][21] = "2023"  # 2024 header mistyped as 2023
    rows[1][4] = "2OO7"  # letters O in a year (field 5 = 2007)
    _write(tmp_path / "headers.csv", rows)
    cells = parse_bps_statistics_table(tmp_path / "headers.csv", "bps/headers.csv", "p0").cells
    problems = structure_problems(cells).set_index("source_column")["problem"].to_dict()
    assert problems["2OO7"] == "column header '2OO7' is not a year"
    assert problems["2023"] == "year 2023 appears in 2 columns (header row 2)"
    assert "year column 2007 missing between 2006 and 2008 (header row 2)" in problems.values()
    assert problems.get("2024") == "year column 2024 missing between 2023 and 2025 (header row 2)"


def test_ragged_row(tmp_path):
    rows = _rows()
    rows[260] = rows[260][:-1]  # Jombang loses its 2025 field
    _write(tmp_path / "ragged.csv", rows)
    cells = parse_bps_statistics_table(tmp_path / "ragged.csv", "bps/ragged.csv", "p0").cells
    problems = structure_problems(cells)
    assert problems[["source_row", "source_column"]].values.tolist() == [[261, "2025"]]
    assert "ragged row: 22 fields, header has 23" in problems.iloc[0]["problem"]


def test_footnote_attached_generically(tmp_path):
    rows = [
        ["Provinsi/Kabupaten/Kota", "Judul", "", ""],
        ["", "2020", "2021", "2022"],
        ["JAWA TIMUR", "11.09", "11.4", "10.38"],
        ["Kediri", "11.4", "11.64", "11.01"],
        ["Kota Kediri", "7.69", "7.75", "7.1"],
        ["", "", "", ""],
        ["Catatan", "<p>Angka <i>Kota Kediri</i> tahun 2021 bersifat sementara.</p><br/>Sumber: Susenas", "",
         ""],
    ]
    _write(tmp_path / "t.csv", rows)
    table = parse_bps_statistics_table(tmp_path / "t.csv", "t.csv", "p0")
    noted = table.cells[table.cells["note"].notna()]
    assert noted[["region_name", "year"]].values.tolist() == [["Kota Kediri", 2021]]
    assert noted["note"].iloc[0] == "Angka Kota Kediri tahun 2021 bersifat sementara."
    assert table.notes == ["Sumber: Susenas"]

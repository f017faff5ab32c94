"""Every column of every table the whole-graph run publishes has a data-dictionary entry, and the workbook
the run writes from the real panels is as BPS publishes it (read from the session's whole-graph run)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from estimation.dictionary import PUBLISHED_TABLES, column_info, undocumented

# The tests of the whole-graph run share it on one xdist worker (`make test`); the registry tables come from
# the session's registry layer run, on the worker that has it.
GOOD_RUN = pytest.mark.xdist_group("good_run")
REGISTRY_TABLES = ("registry_aggregates", "registry_year_over_year", "registry_desil1_share", "padu_padan_summary",
                   "padu_padan_progress")


def _csv_columns(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


@pytest.fixture(scope="module")
def published(good_run):
    """The tables folder of the whole-graph run and its check results."""
    data_dir, result, _ = good_run
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    return data_dir / "outputs" / "tables", checks


@GOOD_RUN
def test_every_column_of_every_published_table_has_an_entry(published):
    tables, _ = published
    written = {p.stem: _csv_columns(p) for p in tables.glob("*.csv")}
    assert set(written) == set(PUBLISHED_TABLES) - set(REGISTRY_TABLES)
    missing = {name: undocumented(columns, name) for name, columns in written.items()}
    assert {name: cols for name, cols in missing.items() if cols} == {}


@pytest.mark.xdist_group("registry")  # the session's registry layer run (tests/conftest.py)
def test_every_column_of_every_registry_table_has_an_entry(registry_layer):
    tables = registry_layer.paths.tables()
    written = {name: _csv_columns(tables / f"{name}.csv") for name in REGISTRY_TABLES}
    missing = {name: undocumented(columns, name) for name, columns in written.items()}
    assert {name: cols for name, cols in missing.items() if cols} == {}
    assert set(REGISTRY_TABLES) <= set(PUBLISHED_TABLES)


@GOOD_RUN
def test_the_workbook_asset_and_its_checks(published):
    tables, checks = published
    reports = {key: passed for key, passed in checks.items()
               if key[0] in ("published_tables", "published_estimates", "published_workbook")}
    assert {rule for asset, rule in reports if asset == "published_workbook"} == {
        "files_written", "no_identity_columns", "no_16_digit_numbers", "one_workbook"}
    assert all(reports.values())
    assert (tables / "Kemiskinan_Kabupaten_Kota_2025.xlsx").stat().st_size > 0
    csvs = {p.stem for p in (tables / "excel_id").glob("*.csv")}
    assert {"p0_kabkota", "miskin_ekstrem_kabkota", "kamus_data"} <= csvs


@GOOD_RUN
def test_workbook_header_labels_come_from_the_dictionary(published):
    from openpyxl import load_workbook

    tables, _ = published
    wb = load_workbook(tables / "Kemiskinan_Kabupaten_Kota_2025.xlsx", read_only=True)
    labels = [c.value for c in next(wb["Miskin Ekstrem KabKota"].iter_rows(min_row=5, max_row=5))]
    wb.close()
    for column in ("eblup", "rse", "benchmarked", "ci_low"):
        assert column_info(column, "estimates_sae").label in labels


@GOOD_RUN
def test_workbook_from_the_real_panels(published):
    """The workbook the asset writes from the real validated panels: codes, published decimals, footnotes."""
    from openpyxl import load_workbook

    from estimation.publishing import reader_manifest
    from estimation.publishing.workbook import FIRST_DATA_ROW, NOTES_SHEET

    tables, _ = published
    path = tables / "Kemiskinan_Kabupaten_Kota_2025.xlsx"
    wb = load_workbook(path, read_only=True)
    p0 = wb["P0 KabKota"]
    header = [c.value for c in next(p0.iter_rows(min_row=5, max_row=5))]
    rows = list(p0.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
    assert len(rows) == 514 and all(isinstance(r[0], str) and len(r[0]) == 4 for r in rows)
    assert header[3] == "2004" and header[-1] == "2025"
    jombang = next(r for r in rows if r[0] == "3517")
    assert jombang[header.index("2023")] == 9.15 and jombang[header.index("2024")] == 8.6
    poor = wb["Penduduk Miskin KabKota"]
    poor_header = [c.value for c in next(poor.iter_rows(min_row=5, max_row=5))]
    formats = {poor_header[c.column - 1]: c.number_format
               for c in next(poor.iter_rows(min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW))[3:]}
    assert formats["2014"] == "#,##0.0" and formats["2015"] == "#,##0.00"  # as in BPS's table
    indonesia = next(wb["P0 Indonesia"].iter_rows(min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW, values_only=True))
    assert indonesia[0] == "0000"
    notes = "\n".join(str(r[0]) for r in wb[NOTES_SHEET].iter_rows(values_only=True) if r[0])
    assert "Nduga" in notes and "Definisi" in notes and "SINTETIS" in notes
    extreme = list(wb["Miskin Ekstrem KabKota"].iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
    years = pd.read_csv(tables / "estimates_sae.csv", usecols=["year"])["year"].nunique()
    assert len(extreme) == 514 * years and {r[-2] for r in extreme} <= {"layak", "hati-hati", "tidak layak"}
    assert {r[-1] for r in extreme} == {"Sampel sintetis (bukan angka resmi)"}  # the synthetic mark on every row
    wb.close()
    files = reader_manifest([path, *sorted((tables / "excel_id").glob("*.csv"))])
    assert (files["long_digit_runs"] == 0).all() and not files["has_identity_column"].any()

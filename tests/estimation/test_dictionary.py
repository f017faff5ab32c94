"""The data dictionary (`estimation/dictionary.py`) covers every column of every published table.

The columns are collected from what the code writes, not from a list: the report assets `published_tables`,
`published_estimates` and `published_workbook` are materialised on the real validated panels (built by the
parsers from data/raw) and on direct and small-area estimates from a small synthetic sample, and the headers
of the CSVs they write are read; the registry tables are read from the registry layer's run (shared session
fixture). A new column without an entry fails here, naming the table and the column.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from estimation.dictionary import (
    COLUMNS,
    PUBLISHED_TABLES,
    TABLE_COLUMNS,
    column_descriptions,
    column_info,
    dictionary_frame,
    undocumented,
)

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
# Tests that share a fixture carry one xdist_group each (`make test` runs --dist loadgroup): the report
# assets' run on one worker, the registry layer's run with the registry tests (a module-level mark would add a
# second group to the registry test and move it away from them).
REGISTRY_TABLES = ("registry_aggregates", "registry_year_over_year", "registry_desil1_share", "padu_padan_summary",
                   "padu_padan_progress")


def _csv_columns(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The report assets materialised on stand-ins for their inputs: the tables folder they write."""
    from dagster import asset, materialize

    from assets.reports.tables import published_estimates, published_tables
    from assets.reports.workbook import published_workbook
    from assets.resources import ProjectPaths
    from estimation.deltas import year_over_year_kabkota, year_over_year_province
    from estimation.sae.workflow import estimate_year
    from estimation.sources import (
        dapoer_covariate_table,
        extreme_targets,
        kabkota_panel,
        province_panel,
        region_reference,
    )

    kab, prov, ref = kabkota_panel(RAW), province_panel(RAW), region_reference(RAW)
    # a small sample (20,000 households, 5 bootstrap replicates): the columns do not depend on its size
    est = estimate_year(kab, 2024, extreme_targets(RAW), line_definition="usd215_2017ppp", n_households=20_000,
                        bootstrap_replicates=5, covariates=dapoer_covariate_table(RAW), seed=3)
    frames = {"region_reference": ref, "p0_kabkota_validated": kab, "p0_province_validated": prov,
              "p0_deltas_kabkota": year_over_year_kabkota(kab, prov), "p0_deltas_province": year_over_year_province(prov),
              "direct_estimates": est.direct, "sae_estimates": est.model, "sae_fit": est.fit}

    def stand_in(name: str, frame: pd.DataFrame):
        @asset(name=name)
        def _stub() -> pd.DataFrame:
            return frame

        return _stub

    data = tmp_path_factory.mktemp("published")
    paths = ProjectPaths(raw_dir=str(RAW), outputs_dir=str(data / "outputs"), restricted_dir=str(data / "restricted"),
                         storage_dir=str(data / "storage"))
    result = materialize([*(stand_in(n, f) for n, f in frames.items()), published_tables, published_estimates,
                          published_workbook], resources={"paths": paths})
    assert result.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    return paths.tables(), checks


@pytest.mark.xdist_group("dictionary")  # one worker materialises `published`
def test_every_column_of_every_published_table_has_an_entry(published):
    tables, _ = published
    written = {p.stem: _csv_columns(p) for p in tables.glob("*.csv")}
    expected = {"p0_kabkota_panel", "p0_province_panel", "p0_deltas_kabkota", "p0_deltas_province",
                "estimates_direct", "estimates_sae", "estimates_sae_fit"}
    assert set(written) == expected and expected <= set(PUBLISHED_TABLES)
    missing = {name: undocumented(columns, name) for name, columns in written.items()}
    assert {name: cols for name, cols in missing.items() if cols} == {}


@pytest.mark.xdist_group("registry")  # the registry layer's run is shared with the registry tests
def test_every_column_of_every_registry_table_has_an_entry(registry_layer):
    tables = registry_layer.paths.tables()
    written = {name: _csv_columns(tables / f"{name}.csv") for name in REGISTRY_TABLES}
    missing = {name: undocumented(columns, name) for name, columns in written.items()}
    assert {name: cols for name, cols in missing.items() if cols} == {}
    assert set(REGISTRY_TABLES) <= set(PUBLISHED_TABLES)


@pytest.mark.xdist_group("dictionary")  # one worker materialises `published`
def test_the_workbook_asset_and_its_checks(published):
    tables, checks = published
    assert checks == {("published_workbook", rule): True for rule in ("files_written", "no_identity_columns",
                                                                      "no_16_digit_numbers", "one_workbook")} | {
        key: True for key in checks if key[0] != "published_workbook"}
    assert (tables / "Kemiskinan_Kabupaten_Kota_2025.xlsx").stat().st_size > 0
    csvs = {p.stem for p in (tables / "excel_id").glob("*.csv")}
    assert {"p0_kabkota", "miskin_ekstrem_kabkota", "kamus_data"} <= csvs


@pytest.mark.xdist_group("dictionary")  # one worker materialises `published`
def test_workbook_header_labels_come_from_the_dictionary(published):
    from openpyxl import load_workbook

    tables, _ = published
    wb = load_workbook(tables / "Kemiskinan_Kabupaten_Kota_2025.xlsx", read_only=True)
    labels = [c.value for c in next(wb["Miskin Ekstrem KabKota"].iter_rows(min_row=5, max_row=5))]
    wb.close()
    for column in ("eblup", "rse", "benchmarked", "ci_low"):
        assert column_info(column, "estimates_sae").label in labels


def test_a_new_column_without_an_entry_is_reported():
    assert undocumented(["p0", "p0_new_indicator", "individuals_desil_7"]) == ["p0_new_indicator"]
    with pytest.raises(KeyError, match="p0_new_indicator"):
        column_info("p0_new_indicator")


def test_entries_have_label_meaning_and_source():
    for name, entry in [*COLUMNS.items(), *((f"{t}.{c}", e) for (t, c), e in TABLE_COLUMNS.items())]:
        assert entry.label and entry.meaning and entry.source, name
        assert entry.percent_factor in (1.0, 100.0), name
    # rates readers see are in percent: proportions carry the factor, percentages do not
    assert column_info("eblup").percent_factor == 100.0 and column_info("eblup").display_unit == "persen"
    assert column_info("p0").percent_factor == 1.0 and column_info("p0").unit == "persen"
    assert column_info("poverty_line_rp").decimals == 0 and column_info("poor_thousand").unit == "ribu jiwa"


def test_table_specific_meanings():
    assert column_info("persons", "padu_padan_summary").meaning != column_info("persons", "estimates_sae").meaning
    assert column_info("persons").source == column_info("persons", "estimates_direct").source


def test_column_descriptions_for_dagster_schemas():
    described = column_descriptions(["bps_code", "p0", "families_desil_3"])
    assert list(described) == ["bps_code", "p0", "families_desil_3"]
    assert "Persentase penduduk miskin (P0)" in described["p0"] and "persen" in described["p0"]
    assert "decile 3" in described["families_desil_3"]
    assert set(column_descriptions()) == set(COLUMNS)
    assert {row["column"] for row in dictionary_frame()} >= set(COLUMNS)


@pytest.mark.xdist_group("dictionary")
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
    assert len(extreme) == 514 and {r[-1] for r in extreme} <= {"layak", "hati-hati", "tidak layak"}
    wb.close()
    files = reader_manifest([path, *sorted((tables / "excel_id").glob("*.csv"))])
    assert (files["long_digit_runs"] == 0).all() and not files["has_identity_column"].any()

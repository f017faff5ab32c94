"""The extract folder (manifest, demo generation and its reuse, owner-only permissions) and the ingestion of
a whole folder (one report row per file, desil range)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from estimation.registry import extracts
from estimation.registry.aggregate import bps_populations
from estimation.registry.extracts import (
    ENTRY_FIELDS,
    MANIFEST,
    demo_persons,
    extract_files,
    generator_fingerprint,
    prepare_demo_extracts,
    read_manifest,
)
from estimation.registry.generator import (
    DEMO_SCENARIO,
    JOMBANG_CASE,
    SK_BAD_BIRTH_DATES,
    generate_p3ke_extract,
)
from estimation.registry.ingest_folder import ingest_extracts
from estimation.registry.pseudonym import key_from_env
from estimation.registry.restricted import restrict

# Shares the session's registry demo extracts and layer run: one xdist worker runs these modules (`make test`).
pytestmark = pytest.mark.xdist_group("registry")

DEMO_MANIFEST = [  # key, kind, kabkota_code, year, snapshot_date of the files the demo writes, in order
    ("p3ke_3517_2024", "p3ke", "3517", 2024, "2024-03-14"),
    ("sk_jombang_2024", "sk", "3517", 2024, ""),
    ("intervensi_jombang_2024", "intervensi", "3517", 2024, ""),
    ("p3ke_3602_2023", "p3ke", "3602", 2023, "2023-12-31"),
    ("p3ke_3602_2024", "p3ke", "3602", 2024, "2024-03-14"),
    ("p3ke_3576_2022", "p3ke", "3576", 2022, "2022-12-31"),
    ("p3ke_3576_2023", "p3ke", "3576", 2023, "2023-12-31"),
    ("p3ke_6271_2023", "p3ke", "6271", 2023, "2023-12-31"),
    ("p3ke_6271_2024", "p3ke", "6271", 2024, "2024-03-14"),
    ("dtsen_6271_2025Q2", "dtsen", "6271", 2025, "2025-06-30"),
]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_demo_manifest_entries_and_permissions(registry_demo) -> None:
    entries = read_manifest(registry_demo.folder)
    assert [tuple(e[f] for f in ("key", "kind", "kabkota_code", "year", "snapshot_date")) for e in entries] == \
        DEMO_MANIFEST
    assert all(tuple(e) == ENTRY_FIELDS for e in entries)
    assert all(e["source"] == e["kind"] for e in entries)
    assert entries[1]["file"] == "sk_bupati_miskin_ekstrem_3517_2024.csv"
    assert sorted({e["year"] for e in entries}) == list(DEMO_SCENARIO.years)
    assert set(DEMO_SCENARIO.kabkota) == {e["kabkota_code"] for e in entries}
    files = extract_files(entries, registry_demo.folder)
    assert (files["bytes"] > 0).all() and list(files.columns) == [*ENTRY_FIELDS, "bytes"]
    # identifying files: owner only, the restricted root included
    assert _mode(registry_demo.folder) == _mode(registry_demo.restricted) == 0o700
    assert all(_mode(p) == 0o600 for p in registry_demo.folder.iterdir())


def test_planted_list_rows_are_what_the_scenario_says(registry_demo) -> None:
    """The scenario's record of the SK list rows it planted, checked on the raw files with plain text
    operations (not the code under test): absent persons are not in the P3KE extract, the others are."""
    sc = registry_demo.scenario
    raw = pd.read_csv(sc.files["sk_jombang_2024"], dtype=str, keep_default_na=False)
    nik = raw["NIK"].str.replace(r"[\s']", "", regex=True)
    extract = pacsv.read_csv(sc.files["p3ke_3517_2024"], convert_options=pacsv.ConvertOptions(
        include_columns=["NIK"], column_types={"NIK": pa.string()})).column("NIK").to_pylist()
    in_extract = nik.isin({x.replace("'", "").replace(" ", "") for x in extract})
    errors = sc.list_errors
    kind = pd.Series("matched", index=raw.index)
    kind.iloc[errors["list_row"].to_numpy() - 2] = errors["error"].to_numpy()  # CSV line 2 = first row
    assert len(raw) == JOMBANG_CASE["sk_list"] + len(errors) and set(kind) == {
        "matched", "not_found", "invalid_nik_not_found", "invalid"}  # no duplicate: it would block padu padan
    absent = kind.isin(["not_found", "invalid_nik_not_found"])
    sixteen = nik.str.fullmatch(r"\d{16}")
    assert not sixteen[kind == "invalid"].any() and sixteen[kind != "invalid"].all()
    assert not in_extract[absent].any() and in_extract[kind.isin(["matched", "duplicate"])].all()
    assert nik[kind == "matched"].is_unique and nik[kind == "duplicate"].isin(set(nik[kind == "matched"])).all()
    assert nik[kind != "invalid"].nunique() == JOMBANG_CASE["sk_list"] + absent.sum()
    # the absent persons whose listed NIK has an impossible birth date are exactly the generator's typo'd dates
    assert sorted(nik[kind == "invalid_nik_not_found"].str.slice(6, 12)) == sorted(SK_BAD_BIRTH_DATES)


def test_demo_extracts_reused_when_nothing_changed(registry_demo) -> None:
    entries, reused = prepare_demo_extracts(registry_demo.folder, registry_demo.populations,
                                            demo_persons(registry_demo.households))
    assert reused and entries == read_manifest(registry_demo.folder)


def test_demo_extracts_regenerated_when_an_input_or_a_file_changes(tmp_path: Path, monkeypatch) -> None:
    calls = []

    def fake_generate(folder, populations, persons, scenario=DEMO_SCENARIO):
        calls.append(len(persons))
        folder = restrict(folder)
        (folder / "p3ke_3517_2024.csv").write_text("NIK\n")
        entry = {"key": "p3ke_3517_2024", "kind": "p3ke", "file": "p3ke_3517_2024.csv", "source": "p3ke",
                 "kabkota_code": "3517", "year": 2024, "snapshot_date": "2024-03-14"}
        fingerprint = generator_fingerprint(populations, persons, scenario.seed)
        (folder / MANIFEST).write_text(json.dumps({"fingerprint": fingerprint, "files": [entry]}))

    monkeypatch.setattr(extracts, "generate_demo_extracts", fake_generate)
    folder = tmp_path / "restricted" / "extracts"
    pops = pd.DataFrame({"bps_code": ["3576"], "year": [2022], "population_thousand": [139.9]})
    persons = pd.DataFrame({"bps_code": ["3517"] * 3, "expenditure_per_capita": [1e6, 2e6, 3e6]})
    assert prepare_demo_extracts(folder, pops, persons)[1] is False
    entries, reused = prepare_demo_extracts(folder, pops, persons)
    assert reused and entries[0]["file"] == "p3ke_3517_2024.csv" and calls == [3]
    assert prepare_demo_extracts(folder, pops, persons.iloc[:2])[1] is False  # other persons
    assert prepare_demo_extracts(folder, pops.assign(population_thousand=140.0), persons.iloc[:2])[1] is False
    (folder / "p3ke_3517_2024.csv").unlink()  # a file of the previous generation is gone
    assert prepare_demo_extracts(folder, pops.assign(population_thousand=140.0), persons.iloc[:2])[1] is False
    assert calls == [3, 2, 2, 2]
    assert _mode(folder) == _mode(folder.parent) == 0o700


def test_demo_persons_are_the_demo_households_in_order() -> None:
    households = pd.DataFrame({"bps_code": ["3602", "3578", "3517", "3602"], "year": 2024,
                               "KAPITA": [1.0e6, 2.0e6, 3.0e6, 4.0e6]})
    persons = demo_persons(households)
    assert persons.to_dict("list") == {"bps_code": ["3602", "3517", "3602"],
                                       "expenditure_per_capita": [1.0e6, 3.0e6, 4.0e6]}


def test_bps_populations_of_the_registry_years() -> None:
    panel = pd.DataFrame({"bps_code": ["3576", "3517", "3517", "3517"], "year": [2024, 2024, 2019, 2023],
                          "population_thousand": [141.2, 1_351.2, 1_300.0, None], "p0": 1.0})
    assert bps_populations(panel, [2023, 2024]).to_dict("list") == {
        "bps_code": ["3517", "3576"], "year": [2024, 2024], "population_thousand": [1_351.2, 141.2]}
    assert bps_populations(panel)["year"].tolist() == [2019, 2024, 2024]  # all years; no missing population


def test_ingest_extracts_one_row_per_snapshot(tmp_path: Path) -> None:
    folder = tmp_path / "extracts"
    generate_p3ke_extract(folder / "p3ke_3517_2024.csv", "3517", 3_000, year=2024)
    small = generate_p3ke_extract(folder / "p3ke_3602_2023.csv", "3602", 400, year=2023, dirty=False)
    raw = pd.read_csv(small, dtype=str)
    raw.loc[0, "Desil"] = "7"  # P3KE desil is 1-4
    raw.to_csv(small, index=False)
    (folder / "sk.csv").write_text("NIK\n")
    entries = [
        {"key": "p3ke_3602_2023", "kind": "p3ke", "file": "p3ke_3602_2023.csv", "source": "p3ke",
         "kabkota_code": "3602", "year": 2023, "snapshot_date": "2023-12-31"},
        {"key": "sk_x", "kind": "sk", "file": "sk.csv", "source": "sk", "kabkota_code": "3517", "year": 2024,
         "snapshot_date": ""},
        {"key": "p3ke_3517_2024", "kind": "p3ke", "file": "p3ke_3517_2024.csv", "source": "p3ke",
         "kabkota_code": "3517", "year": 2024, "snapshot_date": "2024-03-14"},
    ]
    key, source = key_from_env(demo=True)
    # one worker process (the layer's run ingests its eight extracts on two): the rows do not depend on it
    reports = ingest_extracts(extract_files(entries, folder), folder, tmp_path / "ingested", key, source, workers=1)
    assert reports["key"].tolist() == ["p3ke_3517_2024", "p3ke_3602_2023"]  # sorted; the SK list is not a snapshot
    assert list(reports.columns) == ["key", "source", "source_file", "kabkota_code", "year", "snapshot_date", "rows", "duplicates",
                                     "nik_valid", "nik_valid_rate", "nik_invalid_by_status", "first_invalid_rows",
                                     "desil_out_of_range", "desil_out_of_range_rows", "key_mode", "path"]
    jombang, lebak = reports.iloc[0], reports.iloc[1]
    assert lebak["rows"] == len(raw) > 300 and lebak["duplicates"] == 0 and lebak["desil_out_of_range"] == 1
    assert json.loads(lebak["desil_out_of_range_rows"]) == [{"row": 2, "desil": 7}]  # line 2: the first data row
    assert jombang["rows"] - jombang["duplicates"] == 3_000 and jombang["desil_out_of_range"] == 0
    assert json.loads(jombang["desil_out_of_range_rows"]) == []
    assert jombang["nik_valid"] / jombang["rows"] == pytest.approx(jombang["nik_valid_rate"])
    assert 0.9 < jombang["nik_valid_rate"] < 1.0  # the dirty extract has mangled and moved NIKs
    invalid = json.loads(jombang["first_invalid_rows"])
    assert invalid and all(1 <= len(rows) <= 5 for rows in invalid.values())
    assert sum(json.loads(jombang["nik_invalid_by_status"]).values()) == jombang["rows"] - jombang["nik_valid"]
    assert set(reports["key_mode"]) == {"demo"} and all(Path(p).exists() for p in reports["path"])

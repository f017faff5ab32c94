"""The registry layer materialised on its own (dagster.materialize) on the demo scenario: the field-note
numbers come out of the published tables exactly, in demo key mode, every check passes, identities stay in
the restricted folder and no side file is left between assets."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pandas as pd
import pytest
from dagster import AssetKey

from estimation.registry.generator import DEMO_SCENARIO

# Shares the session's registry demo extracts and layer run: one xdist worker runs these modules (`make test`).
pytestmark = pytest.mark.xdist_group("registry")

SIXTEEN = re.compile(r"(?<!\d)\d{16}(?!\d)")
TABLES = ("registry_aggregates", "registry_year_over_year", "registry_desil1_share", "padu_padan_summary",
          "padu_padan_progress")


@pytest.fixture(scope="module")
def layer(registry_layer):
    return registry_layer.result, registry_layer.data, registry_layer.paths, registry_layer.demo


def _metadata(result, asset: str) -> dict:
    event = next(e for e in result.get_asset_materialization_events() if e.asset_key == AssetKey(asset))
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_every_asset_and_check(layer) -> None:
    from pipelines.definitions import defs

    result, _, _, _ = layer
    assert result.success
    registry_job = {key.to_user_string() for key in defs.resolve_job_def("registry_job").asset_layer.executable_asset_keys}
    # The profiles read the registry, so they run in its job; they are materialised by tests/pipeline/test_profiles.py.
    layer_assets = registry_job - {"kabkota_profiles"}
    assert {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()} >= layer_assets == {
        "registry_extracts", "registry_ingested", "registry_aggregates", "registry_year_over_year",
        "registry_desil1_share", "padu_padan_summary", "padu_padan_progress", "published_registry_tables"}
    checks = result.get_asset_check_evaluations()
    # every check passes but one warning: the demo decree list's unreadable NIKs and NIKs with an impossible
    # birth date, listed by row
    assert len(checks) == 24 and [c.check_name for c in checks if not c.passed] == ["nik_valid_on_list"]
    warning = next(c for c in checks if not c.passed)
    _, _, _, demo = layer
    unreadable = demo.scenario.list_errors.query("nik_status != 'valid'")
    assert warning.severity.value == "WARN" and warning.metadata["unexpected_count"].value == len(unreadable)
    message = warning.description
    first = int(unreadable["list_row"].min())
    assert "\n" not in message and f"file sk_bupati_miskin_ekstrem_3517_2024.csv, row {first}, column 'NIK'" in message
    assert not SIXTEEN.search(message)
    assert {c.asset_key.to_user_string() for c in checks if c.check_name in ("counts_nonnegative",
                                                                             "categories_add_up")} == {
        "padu_padan_summary", "padu_padan_progress"}


def _planted(demo) -> tuple[int, int, int, int]:
    """(not found, absent with an impossible NIK, duplicate rows, unreadable NIKs) planted in the Jombang SK
    list, from the generator's record."""
    n = demo.scenario.list_error_counts("sk_jombang_2024")
    planted = n["not_found"], n["invalid_nik_not_found"], n["duplicate_rows"], n["invalid_nik"]
    assert min(planted[:2] + planted[3:]) > 0 and planted[2] == 0  # a duplicated NIK would block padu padan
    return planted


def test_field_note_numbers_published(layer) -> None:
    _, _, paths, demo = layer
    k, v, d, i = _planted(demo)
    tables = paths.tables()
    summary = pd.read_csv(tables / "padu_padan_summary.csv", dtype={"kabkota_code": str})
    jombang = summary.set_index("kabkota_code").loc["3517"]
    assert (jombang["found"], jombang["left_desil1"], jombang["still_desil1"]) == (7_408, 5_567, 1_841)
    assert (jombang["not_found"], jombang["invalid_nik_not_found"], jombang["duplicate_rows_on_list"],
            jombang["invalid_nik_on_list"]) == (k, v, d, i)
    assert (jombang["persons"], jombang["list_rows"]) == (7_408 + k + v, 7_408 + k + v + d + i)
    assert (jombang["optimal"], jombang["not_optimal"]) == (1_752, 89)
    assert (jombang["not_optimal_alive"], jombang["not_optimal_deceased"]) == (78, 11)
    assert jombang["key_mode"] == "demo"
    aggregates = pd.read_csv(tables / "registry_aggregates.csv", dtype={"kabkota_code": str})
    p3ke = aggregates.set_index(["source", "kabkota_code", "year"])
    assert p3ke.loc[("p3ke", "3517", 2024), "individuals"] == 654_220
    assert set(aggregates["key_mode"]) == {"demo"}
    yoy = pd.read_csv(tables / "registry_year_over_year.csv", dtype={"kabkota_code": str})
    lebak = yoy.set_index(["source", "kabkota_code"]).loc[("p3ke", "3602")]
    assert (lebak["extreme_families_from"], lebak["extreme_families_to"], lebak["extreme_families_change"]) == (
        6_043, 5_698, -345)
    mojokerto = yoy.set_index(["source", "kabkota_code"]).loc[("p3ke", "3576")]
    assert (mojokerto["year_from"], mojokerto["year_to"]) == (2022, 2023)
    assert (mojokerto["extreme_rate_pct_from"], mojokerto["extreme_rate_pct_to"]) == (1.10, 0.00)
    progress = pd.read_csv(tables / "padu_padan_progress.csv", dtype={"kabkota_code": str})
    assert progress["persons"].sum() == 7_408 + k + v and progress["still_desil1"].sum() == 1_841
    assert (progress["tidak_ditemukan"].sum(), progress["nik_tidak_valid"].sum()) == (k, v)
    assert set(progress["period"]) == {f"{DEMO_SCENARIO.reporting_period} 3517"}
    for name in TABLES:
        provenance = (tables / f"{name}.provenance.json").read_text()
        assert '"key_mode": "demo"' in provenance and "demo: generated extracts" in provenance


def test_metadata_counts_only(layer) -> None:
    result, _, _, demo = layer
    extracts = _metadata(result, "registry_extracts")
    assert extracts["mode"] == "demo" and extracts["files"] == 10
    assert extracts["reused_previous_generation"] is True  # generated by the session fixture, same inputs
    assert _metadata(result, "registry_ingested")["key_mode"] == "demo"
    summary = _metadata(result, "padu_padan_summary")
    assert (summary["on_list"], summary["left_desil1"], summary["still_desil1"]) == (7_408 + sum(_planted(demo)),
                                                                                     5_567, 1_841)
    worklists = sorted((demo.restricted / "worklists").iterdir())
    assert summary["worklist_files"] == len(worklists) > 0
    rows = summary["worklists"].splitlines()[2:]
    assert sum(int(line.split("|")[3]) for line in rows) == 1_841
    assert {line.split("|")[2].strip() for line in rows} == {p.name for p in worklists}


def test_identities_stay_restricted(layer) -> None:
    result, data, _, demo = layer
    worklists = demo.restricted / "worklists"
    assert stat.S_IMODE(worklists.stat().st_mode) == stat.S_IMODE(demo.restricted.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in worklists.iterdir())
    # no side files between assets: the registry storage holds the pseudonymised Parquet only
    assert [p.name for p in (data / "storage" / "registry").iterdir()] == ["ingested"]
    niks = pd.read_csv(demo.folder / "sk_bupati_miskin_ekstrem_3517_2024.csv", dtype=str)["NIK"]
    niks = {n for n in niks.dropna().str.replace(r"[\s']", "", regex=True) if SIXTEEN.fullmatch(n)}
    assert len(niks) == 7_408 + sum(_planted(demo)[:2])  # the matched persons and the absent ones
    files = [p for p in data.rglob("*") if p.suffix in (".csv", ".json")]
    # the published tables and their provenance, and the rows of the one warning (row numbers, no NIK)
    assert len(files) == 11 and [p.name for p in files if p.name.endswith(".failing_rows.csv")] == [
        "nik_valid_on_list.failing_rows.csv"]
    texts = [p.read_text() for p in files]
    ingested = data / "storage" / "registry" / "ingested"  # scanned with every identity by the library tests
    for path in (p for p in data.rglob("*.parquet") if ingested not in p.parents):  # asset values, published
        frame = pd.read_parquet(path)
        texts += ["\n".join(frame[c].dropna().astype(str)) for c in frame.columns
                  if pd.api.types.is_string_dtype(frame[c])]
    leaked = {n for text in texts for n in SIXTEEN.findall(text)} & niks
    events = "\n".join(str(e) for e in result.all_events)
    assert leaked == set() and not set(SIXTEEN.findall(events)) & niks
    assert all(set(SIXTEEN.findall(p.read_text())) & niks for p in worklists.iterdir())  # the BNBA lists do


def test_published_files_written(layer) -> None:
    _, _, paths, _ = layer
    names = sorted(p.name for p in Path(paths.tables()).iterdir())
    assert names == sorted(f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet", "provenance.json"))


def test_real_extracts_refused_under_the_demo_key_and_set_once(registry_demo, tmp_path, monkeypatch) -> None:
    """A folder of real extracts (its manifest is not the generator's) is one setting of the paths resource for
    the whole layer, and is never pseudonymised with the public demo key."""
    import json
    import shutil

    from dagster import materialize

    from assets.registry import registry_assets
    from assets.resources import ProjectPaths, PseudonymKey
    from pipelines.io_manager import ParquetIOManager
    from tests.conftest import _upstream

    real = tmp_path / "real"
    real.mkdir()
    entry = next(e for e in json.loads((registry_demo.folder / "manifest.json").read_text())["files"]
                 if e["key"] == "p3ke_3576_2022")
    shutil.copy(registry_demo.folder / str(entry["file"]), real / str(entry["file"]))
    (real / "manifest.json").write_text(json.dumps({"files": [entry]}))  # as an office writes it: no fingerprint
    paths = ProjectPaths(raw_dir=str(tmp_path / "raw"), outputs_dir=str(tmp_path / "outputs"),
                         restricted_dir=str(tmp_path / "restricted"), storage_dir=str(tmp_path / "storage"),
                         registry_extracts_dir=str(real))
    panel, households = _upstream(registry_demo.panel, registry_demo.households)
    extracts, ingested = (next(a for a in registry_assets if a.key == AssetKey(name))
                          for name in ("registry_extracts", "registry_ingested"))

    def resources(mode: str) -> dict:
        return {"io_manager": ParquetIOManager(base_dir=str(tmp_path / "storage")), "paths": paths,
                "pseudonym_key": PseudonymKey(mode=mode)}

    # the upstream households partition, stored once for both runs
    assert materialize([households], resources=resources("demo"),
                       partition_key=str(DEMO_SCENARIO.synthetic_year)).success

    def run(mode: str):
        return materialize([panel, households, extracts, ingested], resources=resources(mode), raise_on_error=False,
                           selection=[AssetKey("p0_kabkota_validated"), extracts.key, ingested.key])

    refused = run("demo")
    failure = next(e for e in refused.all_events if e.is_step_failure)
    assert failure.step_key == "registry_ingested"
    error = failure.event_specific_data.error.to_string()
    assert "are real" in error and "P3KE_PSEUDONYM_KEY" in error
    assert _metadata(refused, "registry_extracts")["mode"] == "real"
    assert not (tmp_path / "storage" / "registry").exists()  # nothing was pseudonymised
    monkeypatch.setenv("P3KE_PSEUDONYM_KEY", "a-real-key-from-the-office-vault-0123")
    accepted = run("env")
    assert accepted.success and _metadata(accepted, "registry_ingested")["key_mode"] == "env"


def test_every_column_of_the_registry_assets_has_a_description(layer) -> None:
    """As for the whole-graph run (tests/pipeline/test_full_run.py): the UI's column schemas are described."""
    result, _, _, _ = layer
    undescribed, tables = set(), 0
    for event in result.get_asset_materialization_events():
        schema = event.materialization.metadata.get("dagster/column_schema")
        if schema is not None:
            tables += 1
            undescribed |= {f"{event.asset_key.to_user_string()}.{c.name}" for c in schema.value.columns
                            if not c.description}
    assert tables >= 8 and sorted(undescribed) == []

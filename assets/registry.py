"""Registry layer: P3KE / DTSEN extracts -> pseudonymised ingestion -> aggregates, padu padan, worklists.

Identities (NIK, KK number, name, address) exist only in the extracts as received and in the verification
worklists for camat, both under the restricted folder (0700 folder, 0600 files). Everything an asset
returns, logs or records as metadata is counts, codes and keyed pseudonyms (HMAC-SHA256).
"""

import hashlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
from dagster import AssetExecutionContext, Config, MetadataValue, Output, asset

from assets.resources import ProjectPaths, PseudonymKey
from assets.settings import PROJECT_ROOT
from checks.dagster_checks import check_specs, evaluate
from checks.suites.registry import (
    aggregates_suite,
    desil1_share_suite,
    extracts_suite,
    ingested_suite,
    padu_padan_suite,
    published_registry_suite,
    year_over_year_suite,
)
from estimation.atomic import write_text_atomic
from estimation.publish import code_version, manifest, publish_table
from estimation.registry.aggregate import aggregate_extract, desil1_share, year_over_year_registry
from estimation.registry.ingest import ingest_extract, ingest_interventions, ingest_nik_list
from estimation.registry.padu_padan import padu_padan
from estimation.registry.worklists import progress_table, write_restricted_worklists

MANIFEST = "manifest.json"
GENERATOR_SEED = 2024
DEMO_KABKOTA = ("3517", "3576", "3602", "6271")  # Jombang, Kota Mojokerto, Lebak, Kota Palangka Raya
SYNTHETIC_YEAR = 2024  # the demo extracts draw expenditure from the synthetic Susenas population of this year


class RegistryConfig(Config):
    # Folder of real extracts with a manifest.json (see README); empty: generate the demo extracts.
    extracts_dir: str = ""
    reporting_period: str = "2024-11"


def _extracts_dir(config: RegistryConfig, paths: ProjectPaths) -> Path:
    return Path(config.extracts_dir) if config.extracts_dir else Path(paths.restricted_dir) / "extracts"


def _generator_fingerprint(populations: pd.DataFrame, persons: pd.DataFrame) -> str:
    """Same generator code, seed, populations and synthetic persons -> same files: the demo extracts are reused."""
    digest = hashlib.sha256()
    for module in sorted((PROJECT_ROOT / "estimation" / "registry").glob("*.py")):
        digest.update(module.read_bytes())
    digest.update(str(GENERATOR_SEED).encode())
    digest.update(pd.util.hash_pandas_object(populations, index=False).values.tobytes())
    digest.update(pd.util.hash_pandas_object(persons, index=False).values.tobytes())
    return digest.hexdigest()


def synthetic_persons(panel: pd.DataFrame) -> pd.DataFrame:
    """Per-capita expenditure of the synthetic Susenas households of the demo kab/kota (statistics core),
    so the registry's welfare ranking rests on the same population as the survey estimates."""
    from estimation.small_area import prepare_synthetic_year

    synthetic = prepare_synthetic_year(panel, SYNTHETIC_YEAR, line_definition="usd215_2017ppp",
                                       seed=GENERATOR_SEED + SYNTHETIC_YEAR)
    population = synthetic.population
    demo = population[population["bps_code"].astype(str).isin(DEMO_KABKOTA)]
    return pd.DataFrame({"bps_code": demo["bps_code"].astype(str).to_numpy(),
                         "expenditure_per_capita": demo["KAPITA"].to_numpy(dtype=float)})


def _populations(panel: pd.DataFrame) -> pd.DataFrame:
    pop = panel[["bps_code", "year", "population_thousand"]].dropna()
    return pop[pop["year"] >= 2020].sort_values(["bps_code", "year"]).reset_index(drop=True)


def _restrict(folder: Path) -> None:
    """Create `folder` (and the restricted root above it) readable by the owner only."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    if folder.parent.name == "restricted":
        os.chmod(folder.parent, 0o700)


@asset(group_name="registry", check_specs=check_specs(extracts_suite(), "registry_extracts"),
       description="P3KE / DTSEN extracts as received (by name: kept in the restricted folder). Demo mode: a seeded "
                   "generator writes realistic extracts with the Jombang, Lebak, Kota Mojokerto and Kota Palangka "
                   "Raya cases planted. The asset itself holds the file list only (no identities).")
def registry_extracts(context: AssetExecutionContext, config: RegistryConfig, paths: ProjectPaths,
                      p0_kabkota_validated: pd.DataFrame):
    folder = _extracts_dir(config, paths)
    if config.extracts_dir:
        entries = json.loads((folder / MANIFEST).read_text())["files"]
        reused = True
    else:
        from estimation.registry.generator import generate_registry_scenario

        _restrict(folder)
        populations = _populations(p0_kabkota_validated)
        persons = synthetic_persons(p0_kabkota_validated)
        fingerprint = _generator_fingerprint(populations, persons)
        manifest_path = folder / MANIFEST
        previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        reused = previous.get("fingerprint") == fingerprint and all(
            (folder / e["file"]).exists() for e in previous.get("files", []))
        if reused:
            entries = previous["files"]
        else:
            scenario = generate_registry_scenario(folder, populations=populations, persons=persons,
                                                  seed=GENERATOR_SEED)
            for path in scenario.files.values():
                os.chmod(path, 0o600)  # by name and address: owner only
            snapshots = {s["key"]: s for s in scenario.snapshots}
            entries = []
            for key, path in scenario.files.items():
                snap = snapshots.get(key, {})
                kind = key.split("_")[0] if key.split("_")[0] in ("p3ke", "dtsen", "sk", "intervensi") else "other"
                entries.append({"key": key, "kind": kind, "file": Path(path).name,
                                "source": snap.get("source", kind), "kabkota_code": str(
                                    snap.get("kabkota_code", Path(path).stem.split("_")[-2])),
                                "year": int(snap.get("year", Path(path).stem.split("_")[-1][:4])),
                                "snapshot_date": str(snap.get("snapshot_date", ""))})
            write_text_atomic(manifest_path, json.dumps({"fingerprint": fingerprint, "files": entries}, indent=1),
                              mode=0o600)
    files = pd.DataFrame(entries)
    files["bytes"] = [(folder / f).stat().st_size for f in files["file"]]
    yield Output(files, metadata={"mode": MetadataValue.text("real" if config.extracts_dir else "demo"),
                                  "reused_previous_generation": MetadataValue.bool(bool(reused)),
                                  "files": MetadataValue.int(len(files))})
    yield from evaluate(extracts_suite(), files, "registry_extracts", context.log)


def _desil_range_violations(parquet: Path) -> tuple[int, int]:
    con = duckdb.connect()
    row = con.execute(
        "SELECT count(*) FILTER (WHERE desil_p3ke IS NOT NULL AND desil_p3ke NOT BETWEEN 1 AND 4), "
        "count(*) FILTER (WHERE desil_dtsen IS NOT NULL AND desil_dtsen NOT BETWEEN 1 AND 10) "
        "FROM read_parquet(?)", [str(parquet)]).fetchone()
    con.close()
    return int(row[0]), int(row[1])


@asset(group_name="registry", check_specs=check_specs(ingested_suite(), "registry_ingested"),
       description="Each extract validated (NIK: 16 digits, region code, birth date) and pseudonymised at ingestion "
                   "(HMAC-SHA256 with the key resource): Parquet files without NIK, KK, name or address. The asset "
                   "holds one report row per file: counts and the key mode, never an identity.")
def registry_ingested(context: AssetExecutionContext, config: RegistryConfig, paths: ProjectPaths,
                      pseudonym_key: PseudonymKey, registry_extracts: pd.DataFrame):
    key, source = pseudonym_key.get()
    folder = _extracts_dir(config, paths)
    out_dir = paths.registry_storage() / "ingested"
    entries = registry_extracts[registry_extracts["kind"].isin(["p3ke", "dtsen"])]
    entries = entries.sort_values("bytes", ascending=False)  # largest first: the pool finishes sooner
    # Files are independent: ingest them in parallel processes (the HMAC is CPU-bound Python).
    with ProcessPoolExecutor(max_workers=min(len(entries), os.cpu_count() or 1) or 1,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {entry.key: pool.submit(ingest_extract, folder / entry.file, out_dir / f"{entry.key}.parquet",
                                          key, source, entry.snapshot_date, source=entry.source,
                                          kabkota_code=entry.kabkota_code)
                   for entry in entries.itertuples()}
        reports = {name: future.result() for name, future in futures.items()}
    rows = []
    for entry in entries.itertuples():
        out = out_dir / f"{entry.key}.parquet"
        report = reports[entry.key]
        bad_p3ke, bad_dtsen = _desil_range_violations(out)
        statuses = report.nik_status_counts
        valid = int(statuses.get("valid", 0))
        rows.append({"key": entry.key, "source": entry.source, "kabkota_code": entry.kabkota_code,
                     "year": int(entry.year), "snapshot_date": entry.snapshot_date, "rows": report.n_rows,
                     "duplicates": report.n_duplicates, "nik_valid": valid,
                     "nik_valid_rate": valid / report.n_rows if report.n_rows else 0.0,
                     "nik_invalid_by_status": json.dumps({k: v for k, v in statuses.items() if k != "valid"},
                                                         sort_keys=True),
                     "first_invalid_rows": json.dumps({k: v[:5] for k, v in report.invalid_nik_rows.items()}),
                     "desil_out_of_range": bad_p3ke + bad_dtsen, "key_mode": report.key_mode, "path": str(out)})
    reports = pd.DataFrame(rows).sort_values("key").reset_index(drop=True)
    yield Output(reports, metadata={
        "key_mode": MetadataValue.text(source.mode),
        "individuals": MetadataValue.int(int(reports["rows"].sum())),
        "nik_valid_rate": MetadataValue.float(float(reports["nik_valid"].sum() / max(reports["rows"].sum(), 1))),
    })
    yield from evaluate(ingested_suite(), reports, "registry_ingested", context.log)


@asset(group_name="registry", check_specs=check_specs(aggregates_suite(), "registry_aggregates"),
       description="Per source, kab/kota and snapshot (DuckDB, streaming over the Parquet files): individuals and "
                   "families by desil, extreme poor, and the registry-based extreme-poverty rate (extreme poor / "
                   "BPS population).")
def registry_aggregates(context: AssetExecutionContext, registry_ingested: pd.DataFrame,
                        p0_kabkota_validated: pd.DataFrame):
    aggregates = aggregate_extract(list(registry_ingested["path"]), _populations(p0_kabkota_validated))
    yield Output(aggregates, metadata={"kabkota": MetadataValue.int(int(aggregates["kabkota_code"].nunique()))})
    yield from evaluate(aggregates_suite(), aggregates, "registry_aggregates", context.log)


@asset(group_name="registry", check_specs=check_specs(year_over_year_suite(), "registry_year_over_year"),
       description="Year-over-year change per source and kab/kota: individuals, families, extreme poor (persons and "
                   "families) and the registry-based extreme-poverty rate (pp).")
def registry_year_over_year(context: AssetExecutionContext, registry_aggregates: pd.DataFrame):
    changes = year_over_year_registry(registry_aggregates)
    yield Output(changes, metadata={"pairs": MetadataValue.int(len(changes))})
    yield from evaluate(year_over_year_suite(), changes, "registry_year_over_year", context.log)


@asset(group_name="registry", check_specs=check_specs(desil1_share_suite(), "registry_desil1_share"),
       description="Registry desil-1 individuals as a share of the BPS population per kab/kota and year: a covariate "
                   "offered to the small area model.")
def registry_desil1_share(context: AssetExecutionContext, registry_aggregates: pd.DataFrame,
                          p0_kabkota_validated: pd.DataFrame):
    shares = desil1_share(registry_aggregates, _populations(p0_kabkota_validated))
    yield Output(shares, metadata={"kabkota": MetadataValue.int(int(shares["kabkota_code"].nunique()))})
    yield from evaluate(desil1_share_suite(), shares, "registry_desil1_share", context.log)


@asset(group_name="registry", check_specs=check_specs(padu_padan_suite(), "padu_padan_summary"),
       description="Padu padan: each regional decree (SK) list of extreme poor matched on pseudonymised NIK with the "
                   "later registry snapshot and the OPD intervention register: left desil 1, still in desil 1, "
                   "intervened optimally or not (alive / deceased), not found, duplicates. Writes the by-name "
                   "verification worklists per kecamatan to the restricted folder (0600); the asset holds counts.")
def padu_padan_summary(context: AssetExecutionContext, config: RegistryConfig, paths: ProjectPaths,
                       pseudonym_key: PseudonymKey, registry_extracts: pd.DataFrame,
                       registry_ingested: pd.DataFrame):
    key, source = pseudonym_key.get()
    folder = _extracts_dir(config, paths)
    summaries, progress_parts, worklist_counts = [], {}, []
    for sk in registry_extracts[registry_extracts["kind"] == "sk"].itertuples():
        later = registry_ingested[(registry_ingested["kabkota_code"] == sk.kabkota_code)
                                  & (registry_ingested["year"] == sk.year)]
        if later.empty:
            raise ValueError(f"no registry snapshot of {sk.kabkota_code} for {sk.year} to match the SK list {sk.file}")
        decree, _ = ingest_nik_list(folder / sk.file, key, source, sk.kabkota_code)
        register = registry_extracts[(registry_extracts["kind"] == "intervensi")
                                     & (registry_extracts["kabkota_code"] == sk.kabkota_code)
                                     & (registry_extracts["year"] == sk.year)]
        interventions = (ingest_interventions(folder / register["file"].iloc[0], key, source)
                         if not register.empty else None)
        desil_field = "desil_dtsen" if later["source"].iloc[-1] == "dtsen" else "desil_p3ke"
        summary, persons = padu_padan(decree, list(later["path"]), interventions, desil_field=desil_field)
        summaries.append(summary.assign(year=int(sk.year), snapshot=",".join(later["key"])))
        progress_parts[f"{config.reporting_period} {sk.kabkota_code}"] = persons
        raw_extracts = [folder / f for f in registry_extracts.loc[
            registry_extracts["key"].isin(later["key"]), "file"]]
        restricted = Path(paths.restricted_dir) / "worklists"
        _restrict(restricted)
        worklist_counts.append(write_restricted_worklists(persons, raw_extracts, key, restricted,
                                                          period=config.reporting_period))
    summary = pd.concat(summaries, ignore_index=True)
    progress = progress_table(progress_parts)
    counts = pd.concat(worklist_counts, ignore_index=True) if worklist_counts else pd.DataFrame()
    storage = paths.registry_storage()
    storage.mkdir(parents=True, exist_ok=True)
    progress.to_parquet(storage / "progress.parquet")  # read by the publishing asset
    counts.to_parquet(storage / "worklist_counts.parquet")
    first = summary.iloc[0]
    yield Output(summary, metadata={
        "on_list": MetadataValue.int(int(summary["list_rows"].sum())),
        "left_desil1": MetadataValue.int(int(summary["left_desil1"].sum())),
        "still_desil1": MetadataValue.int(int(summary["still_desil1"].sum())),
        "worklist_files": MetadataValue.int(len(counts)),
        "example": MetadataValue.text(f"{first['kabkota_code']} {first['year']}: list {first['list_rows']}, left "
                                      f"{first['left_desil1']}, still {first['still_desil1']}"),
    })
    yield from evaluate(padu_padan_suite(), summary, "padu_padan_summary", context.log)


@asset(group_name="reports", kinds={"parquet", "csv"},
       check_specs=check_specs(published_registry_suite(), "published_registry_tables"),
       description="Publishes the registry aggregates, year-over-year changes, desil-1 shares, padu padan summary and "
                   "the TKPK progress table (counts only) to data/outputs/tables/, with provenance and key mode.")
def published_registry_tables(context: AssetExecutionContext, paths: ProjectPaths, registry_aggregates: pd.DataFrame,
                              registry_year_over_year: pd.DataFrame, registry_desil1_share: pd.DataFrame,
                              padu_padan_summary: pd.DataFrame):
    storage = paths.registry_storage()
    key_modes = sorted(set(registry_aggregates.get("key_mode", pd.Series(dtype=str)).dropna()) |
                       set(padu_padan_summary.get("key_mode", pd.Series(dtype=str)).dropna()))
    provenance = {"run_id": context.run_id, "asset": "published_registry_tables",
                  "code_version": code_version(PROJECT_ROOT), "key_mode": ",".join(key_modes) or "unknown",
                  "note": "demo: generated extracts, fixed public demo key" if "demo" in key_modes else ""}
    written: list[Path] = []
    for name, frame in {
        "registry_aggregates": registry_aggregates,
        "registry_year_over_year": registry_year_over_year,
        "registry_desil1_share": registry_desil1_share,
        "padu_padan_summary": padu_padan_summary,
        "padu_padan_progress": pd.read_parquet(storage / "progress.parquet"),
    }.items():
        written += publish_table(frame.reset_index(drop=True), paths.tables(), name, provenance=provenance,
                                 decimals={"extreme_rate_pct": 2, "extreme_rate_pct_from": 2, "extreme_rate_pct_to": 2,
                                           "extreme_rate_change_pp": 2, "desil1_share": 6, "population": 0})
    files = manifest(written)
    yield Output(files, metadata={"directory": MetadataValue.path(str(paths.tables()))})
    yield from evaluate(published_registry_suite(), files, "published_registry_tables", context.log)

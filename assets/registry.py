"""Registry layer: P3KE / DTSEN extracts -> pseudonymised ingestion -> aggregates, padu padan, worklists.

Identities (NIK, KK number, name, address) exist only in the extracts as received and in the verification
worklists for camat, both under the restricted folder (0700 folder, 0600 files). Everything an asset
returns, logs or records as metadata is counts, codes and keyed pseudonyms (HMAC-SHA256). The work is done
by `estimation.registry`; these assets wire it to the resources and the checks.
"""

from pathlib import Path

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetOut,
    Config,
    MetadataValue,
    Output,
    SpecificPartitionsPartitionMapping,
    asset,
    multi_asset,
)
from pydantic import Field

from assets.resources import ProjectPaths, PseudonymKey
from checks.dagster_checks import check_specs, evaluate
from checks.suites.registry import (
    aggregates_suite,
    desil1_share_suite,
    extracts_suite,
    ingested_suite,
    padu_padan_progress_suite,
    padu_padan_suite,
    year_over_year_suite,
)
from estimation.registry.aggregate import (
    aggregate_extract,
    bps_populations,
    desil1_share,
    year_over_year_registry,
)
from estimation.registry.decree_lists import match_decree_lists
from estimation.registry.extracts import (
    demo_persons,
    extract_files,
    is_generated,
    prepare_demo_extracts,
    read_manifest,
    require_real_key,
)
from estimation.registry.generator import DEMO_SCENARIO
from estimation.registry.ingest_folder import ingest_extracts

EXTRACTS_SUITE = extracts_suite()
INGESTED_SUITE = ingested_suite()
AGGREGATES_SUITE = aggregates_suite()
YEAR_OVER_YEAR_SUITE = year_over_year_suite()
DESIL1_SHARE_SUITE = desil1_share_suite()
PADU_PADAN_SUITE = padu_padan_suite()
PROGRESS_SUITE = padu_padan_progress_suite()


class RegistryConfig(Config):
    # The extract folder is one setting of the `paths` resource (KEMISKINAN_REGISTRY_EXTRACTS), not per asset.
    reporting_period: str = Field(default=DEMO_SCENARIO.reporting_period,
                                  description="Reporting period (year-month, e.g. 2024-11) of the TKPK progress "
                                              "report the padu padan counts and worklists are labelled with.")


@asset(group_name="registry", check_specs=check_specs(EXTRACTS_SUITE, "registry_extracts"),
       ins={"synthetic_household_expenditure": AssetIn(partition_mapping=SpecificPartitionsPartitionMapping(
           [str(DEMO_SCENARIO.synthetic_year)]))},
       description="P3KE / DTSEN extracts as received (by name: kept in the restricted folder). Demo mode: a seeded "
                   "generator writes realistic extracts with the Jombang, Lebak, Kota Mojokerto and Kota Palangka "
                   "Raya cases planted, their expenditure resampled from the synthetic Susenas households. The "
                   "asset itself holds the file list only (no identities).")
def registry_extracts(context: AssetExecutionContext, paths: ProjectPaths,
                      p0_kabkota_validated: pd.DataFrame, synthetic_household_expenditure: pd.DataFrame):
    folder = paths.extracts()
    if paths.registry_extracts_dir:
        entries, reused = read_manifest(folder), True
    else:
        entries, reused = prepare_demo_extracts(folder, bps_populations(p0_kabkota_validated, DEMO_SCENARIO.years),
                                                demo_persons(synthetic_household_expenditure))
    files = extract_files(entries, folder)
    yield Output(files, metadata={"mode": MetadataValue.text("demo" if is_generated(folder) else "real"),
                                  "reused_previous_generation": MetadataValue.bool(reused),
                                  "files": MetadataValue.int(len(files))})
    yield from evaluate(EXTRACTS_SUITE, files, "registry_extracts", context.log, rows_dir=paths.check_rows())


@asset(group_name="registry", check_specs=check_specs(INGESTED_SUITE, "registry_ingested"),
       description="Each extract validated (NIK: 16 digits, region code, birth date) and pseudonymised at ingestion "
                   "(HMAC-SHA256 with the key resource): Parquet files without NIK, KK, name or address. The asset "
                   "holds one report row per file: counts and the key mode, never an identity.")
def registry_ingested(context: AssetExecutionContext, paths: ProjectPaths, pseudonym_key: PseudonymKey,
                      registry_extracts: pd.DataFrame):
    key, source = pseudonym_key.get()
    require_real_key(paths.extracts(), source)
    reports = ingest_extracts(registry_extracts, paths.extracts(), paths.registry_storage() / "ingested",
                              key, source)
    yield Output(reports, metadata={
        "key_mode": MetadataValue.text(source.mode),
        "individuals": MetadataValue.int(int(reports["rows"].sum())),
        "nik_valid_rate": MetadataValue.float(float(reports["nik_valid"].sum() / max(reports["rows"].sum(), 1))),
    })
    yield from evaluate(INGESTED_SUITE, reports, "registry_ingested", context.log, rows_dir=paths.check_rows())


@asset(group_name="registry", check_specs=check_specs(AGGREGATES_SUITE, "registry_aggregates"),
       description="Per source, kab/kota and snapshot (DuckDB, streaming over the Parquet files): individuals and "
                   "families by desil, extreme poor, and the registry-based extreme-poverty rate (extreme poor / "
                   "BPS population).")
def registry_aggregates(context: AssetExecutionContext, registry_ingested: pd.DataFrame,
                        p0_kabkota_validated: pd.DataFrame):
    aggregates = aggregate_extract(list(registry_ingested["path"]), bps_populations(p0_kabkota_validated))
    yield Output(aggregates, metadata={"kabkota": MetadataValue.int(int(aggregates["kabkota_code"].nunique()))})
    yield from evaluate(AGGREGATES_SUITE, aggregates, "registry_aggregates", context.log)


@asset(group_name="registry", check_specs=check_specs(YEAR_OVER_YEAR_SUITE, "registry_year_over_year"),
       description="Year-over-year change per source and kab/kota: individuals, families, extreme poor (persons and "
                   "families) and the registry-based extreme-poverty rate (pp).")
def registry_year_over_year(context: AssetExecutionContext, registry_aggregates: pd.DataFrame):
    changes = year_over_year_registry(registry_aggregates)
    yield Output(changes, metadata={"pairs": MetadataValue.int(len(changes))})
    yield from evaluate(YEAR_OVER_YEAR_SUITE, changes, "registry_year_over_year", context.log)


@asset(group_name="registry", check_specs=check_specs(DESIL1_SHARE_SUITE, "registry_desil1_share"),
       description="Registry desil-1 individuals as a share of the BPS population per kab/kota and year: a covariate "
                   "offered to the small area model.")
def registry_desil1_share(context: AssetExecutionContext, registry_aggregates: pd.DataFrame,
                          p0_kabkota_validated: pd.DataFrame):
    shares = desil1_share(registry_aggregates, bps_populations(p0_kabkota_validated))
    yield Output(shares, metadata={"kabkota": MetadataValue.int(int(shares["kabkota_code"].nunique()))})
    yield from evaluate(DESIL1_SHARE_SUITE, shares, "registry_desil1_share", context.log)


def _worklists_markdown(worklists: pd.DataFrame) -> str:
    """Persons per worklist file (counts and file names: the names of persons stay in the files)."""
    if worklists.empty:
        return "_no worklist written_"
    rows = [f"| {r.kabkota_code} | {r.file} | {r.persons} |" for r in worklists.itertuples()]
    return "\n".join(["| kab/kota | file | persons |", "|---|---|---|", *rows])


@multi_asset(
    outs={
        "padu_padan_summary": AssetOut(
            group_name="registry",
            description="Padu padan: each regional decree (SK) list of extreme poor matched on pseudonymised NIK "
                        "with the later registry snapshot and the OPD intervention register: left desil 1, still in "
                        "desil 1, intervened optimally or not (alive / deceased), not found, duplicates. The by-name "
                        "verification worklists per kecamatan go to the restricted folder (0600); the asset holds "
                        "counts."),
        "padu_padan_progress": AssetOut(
            group_name="registry",
            description="TKPK progress table: persons of each decree list per reporting period, kab/kota and "
                        "kecamatan in each padu padan category (counts only)."),
    },
    check_specs=[*check_specs(PADU_PADAN_SUITE, "padu_padan_summary"),
                 *check_specs(PROGRESS_SUITE, "padu_padan_progress")],
)
def padu_padan(context: AssetExecutionContext, config: RegistryConfig, paths: ProjectPaths,
               pseudonym_key: PseudonymKey, registry_extracts: pd.DataFrame, registry_ingested: pd.DataFrame):
    key, source = pseudonym_key.get()
    require_real_key(paths.extracts(), source)
    result = match_decree_lists(registry_extracts, registry_ingested, paths.extracts(), key, source,
                                Path(paths.restricted_dir) / "worklists", config.reporting_period)
    summary, progress, worklists = result.summary, result.progress, result.worklists
    first = summary.iloc[0]
    yield Output(summary, output_name="padu_padan_summary", metadata={
        "on_list": MetadataValue.int(int(summary["list_rows"].sum())),
        "left_desil1": MetadataValue.int(int(summary["left_desil1"].sum())),
        "still_desil1": MetadataValue.int(int(summary["still_desil1"].sum())),
        "worklist_files": MetadataValue.int(len(worklists)),
        "worklists": MetadataValue.md(_worklists_markdown(worklists)),
        "example": MetadataValue.text(f"{first['kabkota_code']} {first['year']}: list {first['list_rows']}, left "
                                      f"{first['left_desil1']}, still {first['still_desil1']}"),
    })
    yield Output(progress, output_name="padu_padan_progress",
                 metadata={"rows": MetadataValue.int(len(progress)),
                           "persons": MetadataValue.int(int(progress["persons"].sum()))})
    yield from evaluate(PADU_PADAN_SUITE, summary, "padu_padan_summary", context.log, rows_dir=paths.check_rows(),
                        decree_list_rows=result.list_rows)
    yield from evaluate(PROGRESS_SUITE, progress, "padu_padan_progress", context.log, rows_dir=paths.check_rows())


registry_assets = [registry_extracts, registry_ingested, registry_aggregates, registry_year_over_year,
                   registry_desil1_share, padu_padan]

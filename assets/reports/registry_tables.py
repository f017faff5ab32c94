"""Reports of the registry: the aggregates, year-over-year changes, desil-1 shares, padu padan summary and
TKPK progress table (counts only) published with provenance and the pseudonym key mode."""


import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from assets.resources import ProjectPaths
from assets.settings import PROJECT_ROOT
from checks.dagster_checks import check_specs, evaluate
from checks.suites.registry import published_registry_suite
from estimation.publish import code_version, manifest, publish_tables

PUBLISHED_REGISTRY_SUITE = published_registry_suite()
DECIMALS = {"extreme_rate_pct": 2, "extreme_rate_pct_from": 2, "extreme_rate_pct_to": 2, "extreme_rate_change_pp": 2,
            "desil1_share": 6, "population": 0}


def _key_modes(*frames: pd.DataFrame) -> list[str]:
    modes: set[str] = set()
    for frame in frames:
        modes |= set(frame.get("key_mode", pd.Series(dtype=str)).dropna())
    return sorted(modes)


@asset(group_name="reports", kinds={"parquet", "csv"},
       check_specs=check_specs(PUBLISHED_REGISTRY_SUITE, "published_registry_tables"),
       description="Publishes the registry aggregates, year-over-year changes, desil-1 shares, padu padan summary and "
                   "the TKPK progress table (counts only) to data/outputs/tables/, with provenance and key mode.")
def published_registry_tables(context: AssetExecutionContext, paths: ProjectPaths, registry_aggregates: pd.DataFrame,
                              registry_year_over_year: pd.DataFrame, registry_desil1_share: pd.DataFrame,
                              padu_padan_summary: pd.DataFrame, padu_padan_progress: pd.DataFrame):
    key_modes = _key_modes(registry_aggregates, padu_padan_summary)
    provenance = {"run_id": context.run_id, "asset": "published_registry_tables",
                  "code_version": code_version(PROJECT_ROOT), "key_mode": ",".join(key_modes) or "unknown",
                  "note": "demo: generated extracts, fixed public demo key" if "demo" in key_modes else ""}
    tables = {
        "registry_aggregates": registry_aggregates,
        "registry_year_over_year": registry_year_over_year,
        "registry_desil1_share": registry_desil1_share,
        "padu_padan_summary": padu_padan_summary,
        "padu_padan_progress": padu_padan_progress,
    }
    files = manifest(publish_tables({name: frame.reset_index(drop=True) for name, frame in tables.items()},
                                    paths.tables(), provenance=provenance, decimals=DECIMALS))
    yield Output(files, metadata={"directory": MetadataValue.path(str(paths.tables()))})
    yield from evaluate(PUBLISHED_REGISTRY_SUITE, files, "published_registry_tables", context.log, rows_dir=paths.check_rows())


registry_report_assets = [published_registry_tables]

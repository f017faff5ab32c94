"""Published tables: the panels, their changes and the estimates as Parquet + CSV with provenance."""

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from assets.reports.provenance import provenance, source_files
from assets.resources import ProjectPaths
from checks.dagster_checks import check_specs, evaluate
from checks.suites.reports import manifest_suite
from estimation.dictionary import SYNTHETIC_DATA_SOURCE
from estimation.publish import manifest, publish_tables

TABLES_SUITE = manifest_suite("published_tables")
ESTIMATES_TABLES_SUITE = manifest_suite("published_estimates")


@asset(group_name="reports", kinds={"parquet", "csv"}, check_specs=check_specs(TABLES_SUITE, "published_tables"),
       description="Publishes the kab/kota and province panels and their year-over-year changes to "
                   "data/outputs/tables/ as Parquet and CSV (published decimals), each with a provenance record.")
def published_tables(
    context: AssetExecutionContext,
    paths: ProjectPaths,
    p0_kabkota_validated: pd.DataFrame,
    p0_province_validated: pd.DataFrame,
    p0_deltas_kabkota: pd.DataFrame,
    p0_deltas_province: pd.DataFrame,
):
    record = provenance(context, paths, source_files(p0_kabkota_validated, p0_province_validated))
    tables = {
        "p0_kabkota_panel": p0_kabkota_validated,
        "p0_province_panel": p0_province_validated,
        "p0_deltas_kabkota": p0_deltas_kabkota.sort_values(["year", "bps_code"]),
        "p0_deltas_province": p0_deltas_province.sort_values(["year", "bps_code"]),
    }
    files = manifest(publish_tables({name: frame.reset_index(drop=True) for name, frame in tables.items()},
                                    paths.tables(), provenance=record))
    yield Output(files, metadata={"directory": MetadataValue.path(str(paths.tables())),
                                  "files": MetadataValue.int(len(files))})
    yield from evaluate(TABLES_SUITE, files, "published_tables", context.log, rows_dir=paths.check_rows())


@asset(group_name="reports", kinds={"parquet", "csv"},
       check_specs=check_specs(ESTIMATES_TABLES_SUITE, "published_estimates"),
       description="Publishes direct and Fay-Herriot estimates (rates, persons, precision, flags, line definition), "
                   "the model fits and the change between rounds with its precision to data/outputs/tables/, with "
                   "provenance.")
def published_estimates(
    context: AssetExecutionContext,
    paths: ProjectPaths,
    region_reference: pd.DataFrame,
    direct_estimates: pd.DataFrame,
    sae_estimates: pd.DataFrame,
    sae_fit: pd.DataFrame,
    poverty_change_kabkota: pd.DataFrame,
):
    names = region_reference[["bps_code", "name"]]
    record = provenance(context, paths, set())
    record["note"] = ("Estimates from a synthetic Susenas-like sample calibrated to BPS tables (Susenas "
                          "microdata are not public): a demonstration of the method, not official figures.")
    decimals = {c: 6 for c in ("estimate", "se", "ci_low", "ci_high", "direct", "direct_var_smoothed", "synthetic",
                               "eblup", "benchmarked", "gamma", "sigma2_u")}
    decimals.update({"mse_eblup_model": 10, "mse_benchmarked": 10})  # squared proportions (~1e-6): 6 would round
    decimals.update({"cv": 4, "rse": 4, "deff": 3, "benchmark_factor": 6, "persons": 0})
    decimals.update({c: 6 for c in ("rate_prev", "rate", "change", "change_se", "change_ci_low", "change_ci_high")})
    decimals["cov_rounds"] = 10
    tables = {
        "estimates_direct": direct_estimates.merge(names, on="bps_code", how="left"),
        "estimates_sae": sae_estimates.merge(names, on="bps_code", how="left"),
        "estimates_sae_fit": sae_fit,
        "poverty_change_kabkota": poverty_change_kabkota.merge(names, on="bps_code", how="left"),
    }
    # Every row says it comes from the synthetic sample: a table copied on its own is not an official figure.
    tables = {name: frame.assign(data_source=SYNTHETIC_DATA_SOURCE) for name, frame in tables.items()}
    sort = ("year", "indicator", "estimator", "bps_code")
    files = manifest(publish_tables(
        {name: frame.sort_values([c for c in sort if c in frame.columns]).reset_index(drop=True)
         for name, frame in tables.items()}, paths.tables(), provenance=record, decimals=decimals))
    yield Output(files, metadata={"directory": MetadataValue.path(str(paths.tables())),
                                  "files": MetadataValue.int(len(files))})
    yield from evaluate(ESTIMATES_TABLES_SUITE, files, "published_estimates", context.log, rows_dir=paths.check_rows())


table_assets = [published_tables, published_estimates]

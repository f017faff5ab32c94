"""Year-over-year changes per kab/kota and per province, one partition per year.

Materialised for many years in one run (single-run backfill): the frame holds every requested year and
the IO manager stores one file per year. The partitions follow the data (`assets.partitions`).
"""

import pandas as pd
from dagster import AssetExecutionContext, AssetsDefinition, BackfillPolicy, MetadataValue, Output, asset

from assets.metadata import preview, record_partitions
from assets.partitions import DataCalendar
from assets.resources import ProjectPaths
from checks.dagster_checks import check_specs, evaluate
from checks.suites.deltas import deltas_suite
from estimation.deltas import year_over_year_kabkota, year_over_year_province

KABKOTA_SUITE = deltas_suite("p0_deltas_kabkota", kabkota=True)
PROVINCE_SUITE = deltas_suite("p0_deltas_province", kabkota=False)


def _years(context: AssetExecutionContext) -> list[int]:
    return [int(key) for key in context.partition_keys]


PREVIEW_COLUMNS = ("bps_code", "name", "year", "p0_prev", "p0", "delta_p0_pp", "poor_thousand", "delta_poor_persons")


def _year_figures(table: str):
    """The figures of one year (one partition), plotted by the UI across the years."""
    def figures(year: pd.DataFrame) -> dict:
        meta: dict = {"year": MetadataValue.int(int(year["year"].iloc[0])) if len(year) else MetadataValue.null()}
        if len(year):
            meta["mean_delta_p0_pp"] = MetadataValue.float(float(year["delta_p0_pp"].mean()))
            meta["median_delta_p0_pp"] = MetadataValue.float(float(year["delta_p0_pp"].median()))
            meta["regions_with_lower_p0"] = MetadataValue.int(int((year["delta_p0_pp"] < 0).sum()))
            meta["delta_poor_persons_total"] = MetadataValue.int(int(year["delta_poor_persons"].sum()))
            meta["preview"] = preview(year, "delta_p0_pp", PREVIEW_COLUMNS, table,
                                      title="Perubahan P0 (poin) dari tahun sebelumnya")
        return meta
    return figures


def build_deltas_assets(calendar: DataCalendar) -> list[AssetsDefinition]:
    partitioned = {"group_name": "deltas", "partitions_def": calendar.delta_partitions,
                   "backfill_policy": BackfillPolicy.single_run()}

    @asset(**partitioned, check_specs=check_specs(KABKOTA_SUITE, "p0_deltas_kabkota"),
           description="Change in P0 (percentage points) and in poor persons from the year before, per kab/kota, "
                       "with the province and Indonesia P0 of both years beside each row.")
    def p0_deltas_kabkota(context: AssetExecutionContext, paths: ProjectPaths, p0_kabkota_validated: pd.DataFrame,
                          p0_province_validated: pd.DataFrame):
        deltas = year_over_year_kabkota(p0_kabkota_validated, p0_province_validated)
        deltas = deltas[deltas["year"].isin(_years(context))].reset_index(drop=True)
        record_partitions(context, deltas, "p0_deltas_kabkota", _year_figures("p0_deltas_kabkota"))
        yield Output(deltas)
        yield from evaluate(KABKOTA_SUITE, deltas, "p0_deltas_kabkota", context.log, rows_dir=paths.check_rows(),
                            p0_province_validated=p0_province_validated)

    @asset(**partitioned, check_specs=check_specs(PROVINCE_SUITE, "p0_deltas_province"),
           description="Change in P0 (percentage points) and in poor persons from the year before, per province "
                       "and Indonesia.")
    def p0_deltas_province(context: AssetExecutionContext, paths: ProjectPaths, p0_province_validated: pd.DataFrame):
        deltas = year_over_year_province(p0_province_validated)
        deltas = deltas[deltas["year"].isin(_years(context))].reset_index(drop=True)
        record_partitions(context, deltas, "p0_deltas_province", _year_figures("p0_deltas_province"))
        yield Output(deltas)
        yield from evaluate(PROVINCE_SUITE, deltas, "p0_deltas_province", context.log, rows_dir=paths.check_rows())

    return [p0_deltas_kabkota, p0_deltas_province, *build_change_assets(calendar)]


# ------------------------------------------------------------------------- change between estimation rounds
CHANGE_DESCRIPTION = (
    "Change in P0 and in the extreme-poverty rate between consecutive estimation rounds, per kab/kota: direct "
    "(difference of the direct estimates, SE from both rounds' linearised variances and their covariance; the "
    "pipeline's synthetic rounds are independent samples, so the covariance is 0) and model-based (bivariate "
    "Fay-Herriot over the two rounds, REML, MSE with the cross term), with the SE, 95% interval and the flag "
    "'perubahan signifikan' / 'tidak signifikan' ('tidak dapat dibandingkan' when the rounds use different "
    "extreme-poverty lines).")


def _change_figures(part: pd.DataFrame) -> dict:
    """Per year: significant changes and the median SE, by indicator and estimator."""
    meta: dict = {}
    for (indicator, estimator), rows in part.groupby(["indicator", "estimator"]):
        key = f"{indicator}_{estimator}"
        meta[f"significant_{key}"] = MetadataValue.int(int((rows["significance"] == "perubahan signifikan").sum()))
        meta[f"median_change_se_{key}"] = MetadataValue.float(float(rows["change_se"].median()))
    return meta


def build_change_assets(calendar: DataCalendar) -> list[AssetsDefinition]:
    """The change between consecutive estimation rounds (estimation/sae/change.py), one partition per later
    round; each partition reads the estimates of its round and the round before."""
    from dagster import AssetIn, TimeWindowPartitionMapping

    from checks.suites.deltas import change_suite

    suite = change_suite("poverty_change_kabkota")
    both_rounds = AssetIn(partition_mapping=TimeWindowPartitionMapping(
        start_offset=-1, allow_nonexistent_upstream_partitions=True))

    @asset(group_name="deltas", partitions_def=calendar.estimation_partitions,
           backfill_policy=BackfillPolicy.single_run(), ins={"direct_estimates": both_rounds,
                                                            "sae_estimates": both_rounds},
           check_specs=check_specs(suite, "poverty_change_kabkota"), description=CHANGE_DESCRIPTION)
    def poverty_change_kabkota(context: AssetExecutionContext, paths: ProjectPaths, direct_estimates: pd.DataFrame,
                               sae_estimates: pd.DataFrame, p0_kabkota_validated: pd.DataFrame,
                               region_reference: pd.DataFrame, raw_dapoer_2019: pd.DataFrame):
        # imported here: scipy would slow the code location's load
        from estimation.covariates import dapoer_covariates
        from estimation.sae.change import round_changes

        covariates = dapoer_covariates(raw_dapoer_2019, region_reference)
        change, fits = round_changes(direct_estimates, sae_estimates, p0_kabkota_validated, covariates,
                                     _years(context))
        for fit in fits.itertuples():
            context.log.info(f"{fit.year_prev}->{fit.year} {fit.indicator}: bivariate FH sigma2_u "
                             f"{fit.sigma2_u_prev:.3g} / {fit.sigma2_u:.3g}, random-effect correlation "
                             f"{fit.random_effect_correlation:.3f}, {int(fit.iterations)} iterations")
        record_partitions(context, change, "poverty_change_kabkota", _change_figures)
        yield Output(change)
        yield from evaluate(suite, change, "poverty_change_kabkota", context.log, rows_dir=paths.check_rows(),
                            direct_estimates=direct_estimates)

    return [poverty_change_kabkota]

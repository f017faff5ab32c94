"""Validated layer: the region reference and the kab/kota and province poverty panels (all years)."""


import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from checks.dagster_checks import check_specs, evaluate
from checks.suites.validated import kabkota_panel_suite, province_panel_suite, region_reference_suite
from estimation.consistency import province_sum_comparison
from estimation.crosscheck import compare_quoted_figures
from estimation.panel import build_kabkota_panel, build_province_panel


@asset(group_name="validated", check_specs=check_specs(region_reference_suite(), "region_reference"),
       description="38 provinces and 514 kab/kota with 2025 and pre-2022 BPS codes: the key of every table.")
def region_reference(context: AssetExecutionContext, raw_region_reference: pd.DataFrame):
    reference = raw_region_reference
    yield Output(reference, metadata={
        "provinces": MetadataValue.int(int((reference["level"] == "provinsi").sum())),
        "kabkota": MetadataValue.int(int(reference["level"].isin(["kabupaten", "kota"]).sum())),
    })
    yield from evaluate(region_reference_suite(), reference, "region_reference", context.log)


@asset(group_name="validated", check_specs=check_specs(province_panel_suite(), "p0_province_validated"),
       description="Province and Indonesia (code 0000) panel per year: P0 (%), poor (thousand), implied population; "
                   "Indonesia from BPS's 'menurut provinsi dan daerah' rows (March, urban+rural).")
def p0_province_validated(
    context: AssetExecutionContext,
    region_reference: pd.DataFrame,
    raw_p0_kabkota: pd.DataFrame,
    raw_poor_kabkota: pd.DataFrame,
    raw_p0_daerah_rows: pd.DataFrame,
    raw_poor_daerah_rows: pd.DataFrame,
):
    panel = build_province_panel(raw_p0_kabkota, raw_poor_kabkota, region_reference,
                                 daerah_cells=[raw_p0_daerah_rows, raw_poor_daerah_rows])
    yield Output(panel, metadata=_panel_metadata(panel))
    yield from evaluate(province_panel_suite(), panel, "p0_province_validated", context.log)


@asset(group_name="validated", check_specs=check_specs(kabkota_panel_suite(), "p0_kabkota_validated"),
       description="Kab/kota x year panel (every year the sources have): P0 (%), poor (thousand persons), implied "
                   "population, poverty line (Rp/capita/month) where published, P1 and P2 where published, source files "
                   "and BPS footnotes.")
def p0_kabkota_validated(
    context: AssetExecutionContext,
    region_reference: pd.DataFrame,
    p0_province_validated: pd.DataFrame,
    raw_p0_kabkota: pd.DataFrame,
    raw_poor_kabkota: pd.DataFrame,
    raw_kabkota_2023_p0_p1_p2_gk: pd.DataFrame,
    raw_poverty_line_2024_byname: pd.DataFrame,
    raw_poverty_line_2025_webapi: pd.DataFrame,
    raw_news_quoted_figures: pd.DataFrame,
):
    panel = build_kabkota_panel(
        raw_p0_kabkota, raw_poor_kabkota, region_reference,
        extra_cells=[raw_kabkota_2023_p0_p1_p2_gk, raw_poverty_line_2024_byname, raw_poverty_line_2025_webapi],
    )
    yield Output(panel, metadata=_panel_metadata(panel))
    codes = set(region_reference.loc[region_reference["level"].isin(["kabupaten", "kota"]), "bps_code"])
    suite = kabkota_panel_suite(
        codes,
        quoted=lambda kab: compare_quoted_figures(raw_news_quoted_figures, kab, p0_province_validated),
        sum_comparison=lambda kab: province_sum_comparison(kab, p0_province_validated, variable="poor_thousand"),
    )
    yield from evaluate(suite, panel, "p0_kabkota_validated", context.log)


def _panel_metadata(panel: pd.DataFrame) -> dict:
    latest = int(panel["year"].max())
    return {
        "years": MetadataValue.text(f"{int(panel['year'].min())}-{latest}"),
        "regions": MetadataValue.int(int(panel["bps_code"].nunique())),
        "latest_year": MetadataValue.int(latest),
        "latest_mean_p0": MetadataValue.float(float(panel.loc[panel["year"] == latest, "p0"].mean())),
    }

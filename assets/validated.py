"""Validated layer: the region reference and the kab/kota and province poverty panels (all years).

Suites are built once; rules that compare a panel with other assets get them from `evaluate` by name.
"""


import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from assets.metadata import preview
from assets.resources import ProjectPaths
from checks.dagster_checks import check_specs, evaluate
from checks.suites.validated import kabkota_panel_suite, province_panel_suite, region_reference_suite
from estimation.panel import build_kabkota_panel, build_province_panel

REFERENCE_SUITE, PROVINCE_SUITE, KABKOTA_SUITE = region_reference_suite(), province_panel_suite(), kabkota_panel_suite()


@asset(group_name="validated", check_specs=check_specs(REFERENCE_SUITE, "region_reference"),
       description="38 provinces and 514 kab/kota with 2025 and pre-2022 BPS codes: the key of every table.")
def region_reference(context: AssetExecutionContext, paths: ProjectPaths, raw_region_reference: pd.DataFrame):
    reference = raw_region_reference
    yield Output(reference, metadata={
        "provinces": MetadataValue.int(int((reference["level"] == "provinsi").sum())),
        "kabkota": MetadataValue.int(int(reference["level"].isin(["kabupaten", "kota"]).sum())),
        "preview": preview(reference, "population_2019_dapoer", REFERENCE_PREVIEW, "region_reference",
                           title="Wilayah menurut jumlah penduduk 2019 (DAPOER)"),
    })
    yield from evaluate(REFERENCE_SUITE, reference, "region_reference", context.log, rows_dir=paths.check_rows())


@asset(group_name="validated", check_specs=check_specs(PROVINCE_SUITE, "p0_province_validated"),
       description="Province and Indonesia (code 0000) panel per year: P0 (%), poor (thousand), implied population; "
                   "Indonesia from BPS's 'menurut provinsi dan daerah' rows (March, urban+rural).")
def p0_province_validated(
    context: AssetExecutionContext,
    paths: ProjectPaths,
    region_reference: pd.DataFrame,
    raw_p0_kabkota: pd.DataFrame,
    raw_poor_kabkota: pd.DataFrame,
    raw_p0_daerah_rows: pd.DataFrame,
    raw_poor_daerah_rows: pd.DataFrame,
):
    panel = build_province_panel(raw_p0_kabkota, raw_poor_kabkota, region_reference,
                                 daerah_cells=[raw_p0_daerah_rows, raw_poor_daerah_rows])
    yield Output(panel, metadata=_panel_metadata(panel, "p0_province_validated"))
    yield from evaluate(PROVINCE_SUITE, panel, "p0_province_validated", context.log, rows_dir=paths.check_rows(),
                        raw_p0_kabkota=raw_p0_kabkota, raw_poor_kabkota=raw_poor_kabkota,
                        region_reference=region_reference, raw_p0_daerah_rows=raw_p0_daerah_rows,
                        raw_poor_daerah_rows=raw_poor_daerah_rows)


@asset(group_name="validated", check_specs=check_specs(KABKOTA_SUITE, "p0_kabkota_validated"),
       description="Kab/kota x year panel (every year the sources have): P0 (%), poor (thousand persons), implied "
                   "population, poverty line (Rp/capita/month) where published, P1 and P2 where published, source files "
                   "and BPS footnotes. Cross-checked against news quotes, the 2021 classification set and the Jawa "
                   "Tengah table.")
def p0_kabkota_validated(
    context: AssetExecutionContext,
    paths: ProjectPaths,
    region_reference: pd.DataFrame,
    p0_province_validated: pd.DataFrame,
    raw_p0_kabkota: pd.DataFrame,
    raw_poor_kabkota: pd.DataFrame,
    raw_kabkota_2023_p0_p1_p2_gk: pd.DataFrame,
    raw_poverty_line_2024_byname: pd.DataFrame,
    raw_poverty_line_2025_webapi: pd.DataFrame,
    raw_news_quoted_figures: pd.DataFrame,
    raw_klasifikasi_2021: pd.DataFrame,
    raw_jateng_2020_2025: pd.DataFrame,
):
    panel = build_kabkota_panel(
        raw_p0_kabkota, raw_poor_kabkota, region_reference,
        extra_cells=[raw_kabkota_2023_p0_p1_p2_gk, raw_poverty_line_2024_byname, raw_poverty_line_2025_webapi],
    )
    yield Output(panel, metadata=_panel_metadata(panel, "p0_kabkota_validated"))
    # the 2021 classification set and the Jawa Tengah table only cross-check the panel (sources_agree)
    yield from evaluate(KABKOTA_SUITE, panel, "p0_kabkota_validated", context.log, rows_dir=paths.check_rows(),
                        region_reference=region_reference, p0_province_validated=p0_province_validated,
                        raw_news_quoted_figures=raw_news_quoted_figures, raw_p0_kabkota=raw_p0_kabkota,
                        raw_poor_kabkota=raw_poor_kabkota, raw_kabkota_2023_p0_p1_p2_gk=raw_kabkota_2023_p0_p1_p2_gk,
                        raw_poverty_line_2024_byname=raw_poverty_line_2024_byname,
                        raw_poverty_line_2025_webapi=raw_poverty_line_2025_webapi,
                        raw_klasifikasi_2021=raw_klasifikasi_2021, raw_jateng_2020_2025=raw_jateng_2020_2025)


REFERENCE_PREVIEW = ("bps_code", "bps_code_pre2022", "name", "level", "prov_name", "population_2019_dapoer")
PANEL_PREVIEW = ("bps_code", "name", "year", "p0", "poor_thousand", "poverty_line_rp", "p1", "p2", "note")


def _panel_metadata(panel: pd.DataFrame, table: str) -> dict:
    latest = int(panel["year"].max())
    return {
        "years": MetadataValue.text(f"{int(panel['year'].min())}-{latest}"),
        "regions": MetadataValue.int(int(panel["bps_code"].nunique())),
        "latest_year": MetadataValue.int(latest),
        "latest_mean_p0": MetadataValue.float(float(panel.loc[panel["year"] == latest, "p0"].mean())),
        "preview": preview(panel, "p0", PANEL_PREVIEW, table, title="Persentase penduduk miskin (P0)"),
    }


validated_assets = [region_reference, p0_province_validated, p0_kabkota_validated]

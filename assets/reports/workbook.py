"""The Excel workbook for report writers and the Indonesian-Excel CSVs (beside the machine-readable tables)."""

from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from assets.reports.provenance import provenance, source_files
from assets.resources import ProjectPaths
from checks.dagster_checks import check_specs, evaluate
from checks.suites.reports import workbook_suite
from estimation.parsers.catalog import parse_source

WORKBOOK_SUITE = workbook_suite("published_workbook")
FOOTNOTE_SOURCES = ("p0_kabkota", "poor_kabkota")  # the BPS tables whose Catatan rows the workbook repeats


@asset(group_name="reports", kinds={"excel", "csv"}, check_specs=check_specs(WORKBOOK_SUITE, "published_workbook"),
       description="Excel workbook for report writers, as BPS publishes a statistical table "
                   "(data/outputs/tables/Kemiskinan_Kabupaten_Kota_<year>.xlsx: one sheet per level and indicator, "
                   "codes as text, published decimals, Catatan sheet with BPS footnotes and the synthetic-data "
                   "disclaimer) and the same tables as Indonesian-Excel CSVs (data/outputs/tables/excel_id/).")
def published_workbook(
    context: AssetExecutionContext,
    paths: ProjectPaths,
    region_reference: pd.DataFrame,
    p0_kabkota_validated: pd.DataFrame,
    p0_province_validated: pd.DataFrame,
    p0_deltas_kabkota: pd.DataFrame,
    p0_deltas_province: pd.DataFrame,
    direct_estimates: pd.DataFrame,
    sae_estimates: pd.DataFrame,
):
    # imported here, not at module level: XlsxWriter is not needed to load the code location
    from estimation.publishing import CSV_FOLDER, publish_for_readers, reader_manifest

    raw = Path(paths.raw_dir)
    footnotes = list(dict.fromkeys(note for name in FOOTNOTE_SOURCES for note in parse_source(name, raw).notes))
    written = publish_for_readers(
        paths.tables(), kabkota_panel=p0_kabkota_validated, province_panel=p0_province_validated,
        kabkota_deltas=p0_deltas_kabkota, province_deltas=p0_deltas_province, sae=sae_estimates,
        direct=direct_estimates, names=region_reference, footnotes=footnotes,
        provenance=provenance(context, paths, source_files(p0_kabkota_validated, p0_province_validated)))
    files = reader_manifest(written)
    yield Output(files, metadata={"workbook": MetadataValue.path(str(written[0])),
                                  "csv_directory": MetadataValue.path(str(paths.tables() / CSV_FOLDER)),
                                  "files": MetadataValue.int(len(files))})
    yield from evaluate(WORKBOOK_SUITE, files, "published_workbook", context.log, rows_dir=paths.check_rows())


workbook_assets = [published_workbook]

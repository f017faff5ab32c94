"""Raw layer: each published file as typed cells, exactly as published (nothing matched, fixed or dropped).

One asset per file of `estimation.parsers.catalog`. Each runs its suite (numbers parse, year columns
have no gap, region names are known) as blocking asset checks, so a malformed file stops the run here.
"""


from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, AssetsDefinition, MetadataValue, Output, asset

from assets.resources import ProjectPaths
from checks.dagster_checks import check_specs, evaluate
from checks.suites.raw import quoted_figures_suite, raw_cells_suite, region_list_suite
from estimation.parsers.catalog import RAW_SOURCES, parse_source
from estimation.regions import load_region_reference, match_region_names
from estimation.sources import REGION_REFERENCE_FILE

NEWS_FILE = "crosscheck/news_pages_p0.csv"

# Files whose columns are years (a missing year column is a structural fault).
YEARLY_COLUMN_SOURCES = {"p0_kabkota", "poor_kabkota"}
# Files without kab/kota or province names to match (national / pre-split province rows).
UNMATCHED_SOURCES = {"extreme_national", "extreme_province_2023", "p0_daerah_rows", "poor_daerah_rows"}


def _suite_for(name: str, reference: pd.DataFrame | None = None):
    match = None
    if name not in UNMATCHED_SOURCES:
        match = (lambda cells: match_region_names(cells, reference)) if reference is not None else (lambda c: c)
    return raw_cells_suite(f"raw_{name}", match=match, yearly_columns=name in YEARLY_COLUMN_SOURCES)


def _cells_metadata(cells: pd.DataFrame, source_file: str, notes: list[str], title: str) -> dict:
    status = cells["status"].value_counts()
    years = cells["year"].dropna()
    meta = {
        "source_file": MetadataValue.path(source_file),
        "title": MetadataValue.text(title or ""),
        "figures": MetadataValue.int(int(status.get("ok", 0))),
        "missing_figures": MetadataValue.int(int(status.get("missing", 0))),
        "invalid_figures": MetadataValue.int(int(status.get("invalid", 0))),
        "annotated_figures": MetadataValue.int(int(cells["note"].notna().sum())),
    }
    if len(years):
        meta["years"] = MetadataValue.text(f"{int(years.min())}-{int(years.max())}")
    if notes:
        meta["notes"] = MetadataValue.md("\n\n".join(f"- {n}" for n in notes)[:4000])
    return meta


def _raw_asset(name: str) -> AssetsDefinition:
    source = RAW_SOURCES[name]
    asset_name = f"raw_{name}"

    spec = {
        "name": asset_name,
        "group_name": "raw",
        "description": f"As published, typed cells: {source.description} (data/raw/{source.path}).",
        "check_specs": check_specs(_suite_for(name), asset_name),
        "kinds": {"pandas", "csv" if source.path.endswith(".csv") else "json"},
    }

    def materialise(context: AssetExecutionContext, paths: ProjectPaths, reference: pd.DataFrame | None):
        parsed = parse_source(name, Path(paths.raw_dir))
        cells = parsed.cells
        yield Output(cells, metadata=_cells_metadata(cells, source.path, parsed.notes, parsed.title))
        yield from evaluate(_suite_for(name, reference), cells, asset_name, context.log)

    if name in UNMATCHED_SOURCES:
        @asset(**spec)
        def _raw(context: AssetExecutionContext, paths: ProjectPaths):
            yield from materialise(context, paths, None)
    else:
        # Names are checked against the region list as its own asset loaded it (the file is read once).
        @asset(**spec)
        def _raw(context: AssetExecutionContext, paths: ProjectPaths, raw_region_reference: pd.DataFrame):
            yield from materialise(context, paths, raw_region_reference)

    return _raw


raw_source_assets = [_raw_asset(name) for name in RAW_SOURCES]


@asset(group_name="raw", kinds={"pandas", "csv"},
       check_specs=check_specs(region_list_suite(), "raw_region_reference"),
       description="BPS region list 2025 (38 provinces, 514 kab/kota) with pre-2022 codes, TopoJSON and DAPOER ids "
                   f"(data/raw/{REGION_REFERENCE_FILE}).")
def raw_region_reference(context: AssetExecutionContext, paths: ProjectPaths):
    reference = load_region_reference(paths.raw(REGION_REFERENCE_FILE))
    yield Output(reference, metadata={"rows": MetadataValue.int(len(reference))})
    yield from evaluate(region_list_suite(), reference, "raw_region_reference", context.log)


@asset(group_name="raw", kinds={"pandas", "csv"},
       check_specs=check_specs(quoted_figures_suite(), "raw_news_quoted_figures"),
       description=f"P0 and poor counts quoted by news pages, with their URLs (data/raw/{NEWS_FILE}).")
def raw_news_quoted_figures(context: AssetExecutionContext, paths: ProjectPaths):
    frame = pd.read_csv(paths.raw(NEWS_FILE), dtype={"bps_code": "string"})
    frame.insert(0, "source_row", range(2, len(frame) + 2))
    yield Output(frame, metadata={"quoted_figures": MetadataValue.int(len(frame))})
    yield from evaluate(quoted_figures_suite(), frame, "raw_news_quoted_figures", context.log)

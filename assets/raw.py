"""Raw layer: each published file as typed cells, exactly as published (nothing fixed or dropped).

One asset per file of `estimation.parsers.catalog`, plus the region list and the news quotes. Each runs its
suite (numbers parse, year columns complete and unique, region names known) as blocking asset checks, so a
malformed file stops the run here. Region names are matched to codes once, here: the cells carry the
`bps_code` their name matches (<NA> when none) and the validated layer uses it as it is.
"""

from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, AssetsDefinition, MetadataValue, Output, asset

from assets.metadata import preview
from assets.partitions import DataCalendar
from assets.resources import ProjectPaths
from checks.dagster_checks import check_specs, evaluate
from checks.suites.geo import geometry_suite
from checks.suites.raw import MATCHED_SOURCES, quoted_figures_suite, raw_cells_suite, region_list_suite
from estimation.parsers.catalog import (
    GEOMETRY_ATTRIBUTES_FILE,
    GEOMETRY_FILE,
    QUOTED_FIGURES_FILE,
    RAW_SOURCES,
    REGION_LIST_FILE,
    parse_source,
    source_path,
)
from estimation.parsers.quoted_figures import parse_quoted_figures
from estimation.parsers.region_list import read_region_list
from estimation.parsers.topojson import read_topo_attributes, read_topojson_rings
from estimation.regions import match_region_names


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


CELLS_PREVIEW = ("bps_code", "region_name", "year", "variable", "value_text", "source_row", "source_column")


def _cells_preview(cells: pd.DataFrame, table: str):
    """The published text of the file's first variable: highest and lowest kab/kota of its latest year, and the
    configured kab/kota's cell, with the row and column it was read from."""
    readable = cells[(cells["status"] == "ok") & cells["bps_code"].notna()]
    first = readable["variable"].iloc[0] if len(readable) else None
    return preview(readable[readable["variable"] == first], "value", CELLS_PREVIEW, table,
                   title=f"Sel seperti diterbitkan ({first})")


def _source_asset(name: str) -> AssetsDefinition:
    source = RAW_SOURCES[name]
    asset_name = f"raw_{name}"
    suite = raw_cells_suite(name)
    shown = source.pattern or source.path
    spec = {
        "name": asset_name,
        "group_name": "raw",
        "description": f"As published, typed cells: {source.description} (data/raw/{shown}).",
        "check_specs": check_specs(suite, asset_name),
        "kinds": {"pandas", "csv" if source.path.endswith(".csv") else "json"},
    }

    def cells_of(paths: ProjectPaths) -> tuple[pd.DataFrame, dict]:
        raw = Path(paths.raw_dir)
        parsed = parse_source(name, raw)
        return parsed.cells, _cells_metadata(parsed.cells, source_path(name, raw), parsed.notes, parsed.title)

    if name not in MATCHED_SOURCES:
        @asset(**spec)
        def _raw(context: AssetExecutionContext, paths: ProjectPaths):
            cells, metadata = cells_of(paths)
            yield Output(cells, metadata=metadata)
            yield from evaluate(suite, cells, asset_name, context.log, rows_dir=paths.check_rows())
    else:
        @asset(**spec)
        def _raw(context: AssetExecutionContext, paths: ProjectPaths, raw_region_reference: pd.DataFrame):
            cells, metadata = cells_of(paths)
            # Matched once, here: the check reads the codes, the validated layer uses them.
            matched = match_region_names(cells, raw_region_reference)
            yield Output(matched, metadata={**metadata, "preview": _cells_preview(matched, asset_name)})
            yield from evaluate(suite, matched, asset_name, context.log, rows_dir=paths.check_rows())

    return _raw


def raw_asset_files(raw_dir: str | Path) -> dict[str, set[str]]:
    """{raw asset: the files under data/raw it reads}, resolved as the assets below resolve them (the newest
    yearly export): the incremental `make run` re-runs an asset whose file changed. A new raw asset adds its
    files here, beside its definition."""
    files = {f"raw_{name}": {source_path(name, Path(raw_dir))} for name in RAW_SOURCES}
    files["raw_region_reference"] = {REGION_LIST_FILE}
    files["raw_news_quoted_figures"] = {QUOTED_FIGURES_FILE}
    files["raw_kabkota_geometry"] = {GEOMETRY_FILE, GEOMETRY_ATTRIBUTES_FILE}
    return files


def build_raw_assets(calendar: DataCalendar) -> list[AssetsDefinition]:
    region_suite, quotes_suite = region_list_suite(), quoted_figures_suite(calendar.years)

    @asset(group_name="raw", kinds={"pandas", "csv"}, check_specs=check_specs(region_suite, "raw_region_reference"),
           description="BPS region list 2025 (38 provinces, 514 kab/kota) with pre-2022 codes, TopoJSON and DAPOER "
                       f"ids (data/raw/{REGION_LIST_FILE}).")
    def raw_region_reference(context: AssetExecutionContext, paths: ProjectPaths):
        reference = read_region_list(paths.raw(REGION_LIST_FILE))
        yield Output(reference, metadata={"rows": MetadataValue.int(len(reference))})
        yield from evaluate(region_suite, reference, "raw_region_reference", context.log, rows_dir=paths.check_rows())

    @asset(group_name="raw", kinds={"pandas", "csv"},
           check_specs=check_specs(quotes_suite, "raw_news_quoted_figures"),
           description="P0 and poor counts quoted by news pages, as text exactly as quoted, with their URLs "
                       f"(data/raw/{QUOTED_FIGURES_FILE}).")
    def raw_news_quoted_figures(context: AssetExecutionContext, paths: ProjectPaths):
        frame = parse_quoted_figures(paths.raw(QUOTED_FIGURES_FILE), QUOTED_FIGURES_FILE)
        yield Output(frame, metadata={"quoted_figures": MetadataValue.int(len(frame))})
        yield from evaluate(quotes_suite, frame, "raw_news_quoted_figures", context.log, rows_dir=paths.check_rows())

    geo_suite = geometry_suite()

    @asset(group_name="raw", kinds={"pandas", "json"}, check_specs=check_specs(geo_suite, "raw_kabkota_geometry"),
           description="Kab/kota borders of 2016 (TopoJSON, pre-2022 ids 'PP-KK'), decoded to one row per ring "
                       f"vertex as published (data/raw/{GEOMETRY_FILE}, names checked against "
                       f"data/raw/{GEOMETRY_ATTRIBUTES_FILE}).")
    def raw_kabkota_geometry(context: AssetExecutionContext, paths: ProjectPaths,
                             raw_region_reference: pd.DataFrame):
        decoded = read_topojson_rings(paths.raw(GEOMETRY_FILE), GEOMETRY_FILE)
        attributes = read_topo_attributes(paths.raw(GEOMETRY_ATTRIBUTES_FILE), GEOMETRY_ATTRIBUTES_FILE)
        rings = decoded.frame
        yield Output(rings, metadata={
            "source_file": MetadataValue.path(GEOMETRY_FILE),
            "geometries": MetadataValue.int(int(rings["feature"].nunique())),
            "topo_ids": MetadataValue.int(int(rings["topo_id"].nunique())),
            "arcs": MetadataValue.int(decoded.n_arcs),
            "vertices": MetadataValue.int(int(rings["vertex"].notna().sum())),
        })
        yield from evaluate(geo_suite, rings, "raw_kabkota_geometry", context.log, rows_dir=paths.check_rows(),
                            raw_region_reference=raw_region_reference, topo_attributes=attributes)

    return [raw_region_reference, raw_news_quoted_figures, raw_kabkota_geometry,
            *(_source_asset(name) for name in RAW_SOURCES)]

"""Choropleth maps of poverty by kab/kota (PNG 200 dpi + SVG in data/outputs/maps/), shown in the UI metadata.

For Indonesia and each configured province, four maps: P0 of the year, its change from the previous round,
the published extreme-poverty estimate (Fay-Herriot, benchmarked; synthetic Susenas sample) and its
reliability class. Drawing: `estimation.charts.maps`; geometry: the raw asset `raw_kabkota_geometry`.
The asset reads the estimates, so it runs with them (`annual_estimation_job`).
"""

from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, Config, MetadataValue, Output, asset
from pydantic import Field

from assets.resources import ProjectPaths
from checks.dagster_checks import check_specs, evaluate
from checks.suites.reports import maps_suite
from estimation.poverty_lines import LINE_LABELS_ID
from estimation.publication import public_path, publication
from estimation.publish import manifest

MAPS_SUITE = maps_suite("poverty_maps")
MAP_DPI = 200
MAP_WORKERS = 2  # processes drawing the maps (this one and one spawned worker)
METADATA_MAP_WIDTH_PX = 675  # 90 px per inch: the kab/kota of a province stay readable in the UI, ~40 kB each


class MapsConfig(Config):
    # Provinces of the field notes' kab/kota: Jawa Timur (Jombang, Kota Mojokerto), Banten (Lebak),
    # Kalimantan Tengah (Kota Palangka Raya); plus the whole country.
    provinces: list[str] = Field(default=["35", "36", "62"],
                                 description="Provinces to map, by 2-digit BPS code (default: Jawa Timur, Banten, "
                                             "Kalimantan Tengah, the provinces of the field notes).")
    include_indonesia: bool = Field(default=True, description="Also draw the four maps of the whole country.")
    year: int = Field(default=0, description="Year of P0 and its change; 0: the latest year with a published P0.")
    indicator: str = Field(default="extreme", description="Model estimate mapped with its reliability class: "
                                                          "'extreme' (extreme poverty) or 'p0'.")


@asset(group_name="reports", kinds={"matplotlib"}, check_specs=check_specs(MAPS_SUITE, "poverty_maps"),
       description="Choropleth maps (PNG 200 dpi + SVG with text as text, data/outputs/maps/) for Indonesia and "
                   "the configured provinces: P0, change in P0, extreme poverty (model estimate on the synthetic "
                   "sample, marked 'data sintetis') and its reliability class; kab/kota without 2016 geometry "
                   "named under each map.")
def poverty_maps(
    context: AssetExecutionContext,
    config: MapsConfig,
    paths: ProjectPaths,
    region_reference: pd.DataFrame,
    raw_kabkota_geometry: pd.DataFrame,
    p0_kabkota_validated: pd.DataFrame,
    p0_deltas_kabkota: pd.DataFrame,
    sae_estimates: pd.DataFrame,
):
    # matplotlib is imported here, not at module level, so the code location loads fast.
    from estimation.charts.maps import MAP_KINDS, MapFile, build_map_geometry, render_poverty_maps

    published = p0_kabkota_validated[p0_kabkota_validated["p0"].notna()]
    year = config.year or int(published["year"].max())
    p0 = published[published["year"] == year][["bps_code", "p0"]]
    change = p0_deltas_kabkota[p0_deltas_kabkota["year"] == year][["bps_code", "year_prev", "delta_p0_pp"]]
    if p0.empty:
        raise ValueError(f"no published P0 for {year} in the validated panel")
    model = sae_estimates[(sae_estimates["indicator"] == config.indicator) & (sae_estimates["year"] <= year)]
    if model.empty:
        raise ValueError(f"no {config.indicator} estimates for {year} or earlier")
    extreme_year = int(model["year"].max())  # the estimates may lag the published tables
    model = model[model["year"] == extreme_year]
    extreme = pd.DataFrame({"bps_code": model["bps_code"], "rate": 100.0 * model["benchmarked"],
                            "flag": model["flag"]})
    definition = str(model["line_definition"].iloc[0])
    geometry = build_map_geometry(raw_kabkota_geometry, region_reference)
    unknown = sorted(set(config.provinces) - set(geometry.province_names))
    if unknown:
        raise ValueError(f"unknown province code(s) {unknown}; known: {sorted(geometry.province_names)}")
    areas: list[str | None] = ([None] if config.include_indonesia else []) + list(config.provinces)

    out_dir = Path(paths.outputs_dir) / "maps"
    metadata: dict = {}
    written: list[Path] = []
    tasks = [MapFile(f"{kind}_{'indonesia' if area is None else area}_"
                     f"{extreme_year if kind in ('extreme', 'reliability') else year}", kind, area)
             for area in areas for kind in MAP_KINDS]
    with publication(out_dir) as staged:  # the maps of this run switch together
        # drawn on two processes when there are enough maps (the files are those of one): a map is about a second
        for stem, png, svg, thumbnail in render_poverty_maps(
                geometry, tasks, staged, dpi=MAP_DPI, thumbnail_px=METADATA_MAP_WIDTH_PX, workers=MAP_WORKERS,
                p0=p0, change=change, extreme=extreme, year=year, extreme_year=extreme_year,
                line_label=LINE_LABELS_ID.get(definition, definition)):
            metadata[stem] = MetadataValue.md(thumbnail)
            written += [Path(png), Path(svg)]
    missing = geometry.missing(geometry.kabkota_of(None))
    listing = manifest(public_path(path, staged, out_dir) for path in written)
    yield Output(listing, metadata={
        **metadata,
        "directory": MetadataValue.path(str(out_dir)),
        "year": MetadataValue.int(year),
        "extreme_year": MetadataValue.int(extreme_year),
        "maps": MetadataValue.int(len(written) // 2),
        "kabkota_without_geometry": MetadataValue.text(
            ", ".join(f"{code} {geometry.names[code]}" for code in missing)),
    })
    yield from evaluate(MAPS_SUITE, listing, "poverty_maps", context.log, rows_dir=paths.check_rows())


map_assets = [poverty_maps]

"""Time to draw every poverty map: Indonesia and each of the 38 provinces, four maps each (P0, change,
extreme poverty, reliability), each written as PNG at 200 dpi and SVG -- what `poverty_maps` would cost
with every province selected. Values are seeded stand-ins (drawing time does not depend on them).

Peer (only when geopandas is importable; it is not a project dependency): the national P0 map body drawn
with `GeoDataFrame.plot`, against the same map drawn here with plain matplotlib paths.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.timing import best_of

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def _inputs():
    from estimation.charts.maps import build_map_geometry
    from estimation.parsers.catalog import GEOMETRY_FILE, REGION_LIST_FILE
    from estimation.parsers.region_list import read_region_list
    from estimation.parsers.topojson import read_topojson_rings

    started = time.perf_counter()
    rings = read_topojson_rings(RAW / GEOMETRY_FILE, GEOMETRY_FILE).frame
    parsed = time.perf_counter() - started
    reference = read_region_list(RAW / REGION_LIST_FILE)
    started = time.perf_counter()
    geometry = build_map_geometry(rings, reference)
    built = time.perf_counter() - started
    codes = sorted(geometry.province_of)
    rng = np.random.default_rng(0)
    values = pd.DataFrame({
        "bps_code": codes, "p0": rng.gamma(3.0, 3.5, len(codes)).round(2),
        "delta_p0_pp": rng.normal(-0.3, 1.2, len(codes)).round(2), "year_prev": 2024,
        "rate": rng.gamma(1.2, 1.0, len(codes)),
        "flag": rng.choice(["publish", "caution", "suppress"], len(codes), p=[0.6, 0.3, 0.1]),
    })
    return rings, geometry, values, parsed, built


def _render_all(geometry, values, areas) -> int:
    from estimation.charts.export import close_figure, render_bytes
    from estimation.charts.maps import poverty_maps

    count = 0
    for area in areas:
        for figure in poverty_maps(geometry, p0=values, change=values, extreme=values, year=2025,
                                   area=area).values():
            render_bytes(figure, "png", dpi=200)
            render_bytes(figure, "svg")
            close_figure(figure)
            count += 1
    return count


def _geopandas_peer(rings: pd.DataFrame, geometry, values: pd.DataFrame) -> list[tuple[str, float, str]]:
    try:
        import geopandas as gpd
        from shapely.geometry import MultiPolygon, Polygon
    except ImportError:
        return []
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from estimation.charts.export import render_bytes
    from estimation.charts.maps import P0_SCALE, p0_map

    drawn = rings.dropna(subset=["vertex"])

    def to_shapely() -> gpd.GeoDataFrame:
        from estimation.parsers.catalog import REGION_LIST_FILE
        from estimation.parsers.region_list import read_region_list

        ref = read_region_list(RAW / REGION_LIST_FILE)
        code_by_topo = dict(zip(ref["topo_id"].dropna().astype(str), ref.loc[ref["topo_id"].notna(), "bps_code"],
                                strict=True))
        polygons: dict[str, list[Polygon]] = {}
        for (_f, _p), part in drawn.groupby(["feature", "part"], sort=False):
            code = code_by_topo.get(str(part["topo_id"].iloc[0]))
            if code is None:
                continue
            ringset = [g[["lon", "lat"]].to_numpy() for _r, g in part.groupby("ring", sort=True)]
            polygon = Polygon(ringset[0], ringset[1:])
            if polygon.area > 0:
                polygons.setdefault(code, []).append(polygon)
        return gpd.GeoDataFrame({"bps_code": list(polygons)},
                                geometry=[MultiPolygon(p) for p in polygons.values()], crs="EPSG:4326")

    started = time.perf_counter()
    frame = to_shapely()
    build = time.perf_counter() - started
    classes = P0_SCALE.classify(values.set_index("bps_code")["p0"].reindex(frame["bps_code"]))
    frame["colour"] = [P0_SCALE.colours[k] if k >= 0 else "#FFFFFF" for k in classes]

    def draw_geopandas() -> None:
        fig = Figure(figsize=(7.5, 3.4), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.02, 0.02, 0.96, 0.96))
        ax.set_axis_off()
        frame.plot(ax=ax, color=frame["colour"], edgecolor="#FFFFFF", linewidth=0.15)
        render_bytes(fig, "png", dpi=200)
        render_bytes(fig, "svg")

    def draw_here() -> None:
        fig = p0_map(geometry, values, year=2025)
        render_bytes(fig, "png", dpi=200)
        render_bytes(fig, "svg")

    t_gpd = best_of(draw_geopandas, 3)
    t_here = best_of(draw_here, 3)
    return [
        ("maps_geopandas_build_gdf_seconds", build, "s"),
        ("maps_geopandas_national_map_seconds", t_gpd, "s"),
        ("maps_patches_national_map_seconds", t_here, "s"),
        ("maps_patches_speedup_vs_geopandas", t_gpd / t_here, "x"),
    ]


def run(quick: bool = False) -> list[tuple[str, float | int, str]]:
    """The benchmark lines; `quick` (the format test) draws one small province once: its values mean nothing."""
    rings, geometry, values, parsed, built = _inputs()
    areas: list[str | None] = ["75"] if quick else [None, *sorted(geometry.province_names)]
    started = time.perf_counter()
    count = _render_all(geometry, values, areas)
    elapsed = time.perf_counter() - started
    results: list[tuple[str, float | int, str]] = [
        ("maps_topojson_parse_seconds", parsed, "s"),
        ("maps_geometry_build_seconds", built, "s"),
        ("maps_rendered", count, "maps"),  # (1 + provinces) x 4, each PNG 200 dpi + SVG
        ("maps_render_all_seconds", elapsed, "s"),
        ("maps_render_per_map_seconds", elapsed / count, "s"),
    ]
    if not quick:
        results += _geopandas_peer(rings, geometry, values)
    return results

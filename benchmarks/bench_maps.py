"""Time to draw every poverty map: Indonesia and each of the 38 provinces, four maps each (P0, change,
extreme poverty, reliability), each written as PNG at 200 dpi and SVG -- what `poverty_maps` would cost
with every province selected. Values are seeded stand-ins (drawing time does not depend on them).

Peer (only when geopandas is importable; it is not a project dependency): the national map body (polygons
filled by class, no texts) drawn by `GeoDataFrame.plot` on the file as GDAL reads it, against the same body
drawn with `PathCollection`s over the paths decoded here; and GDAL's read time of the file.
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
    return geometry, values, parsed, built


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


def _geopandas_peer(geometry, values: pd.DataFrame) -> list[tuple[str, float | int, str]]:
    """The same national map body (kab/kota filled by P0 class, white borders, no texts) drawn by
    `GeoDataFrame.plot` on the file as GDAL reads it, and by `PathCollection`s over our decoded paths."""
    try:
        import geopandas as gpd
    except ImportError:
        return []
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

    from estimation.charts.export import render_bytes
    from estimation.charts.maps import P0_SCALE
    from estimation.parsers.catalog import GEOMETRY_FILE, REGION_LIST_FILE
    from estimation.parsers.region_list import read_region_list

    started = time.perf_counter()
    frame = gpd.read_file(RAW / GEOMETRY_FILE)
    read = time.perf_counter() - started
    ref = read_region_list(RAW / REGION_LIST_FILE).dropna(subset=["topo_id"])
    frame["bps_code"] = frame["id"].map(dict(zip(ref["topo_id"].astype(str), ref["bps_code"].astype(str),
                                                 strict=True)))
    frame = frame[frame["bps_code"].notna() & ~frame.geometry.is_empty]
    p0 = values.set_index("bps_code")["p0"]
    frame["colour"] = [P0_SCALE.colours[k] for k in P0_SCALE.classify(p0.reindex(frame["bps_code"]))]
    classes = dict(zip(p0.index, P0_SCALE.classify(p0), strict=True))

    def canvas() -> tuple[Figure, object]:
        fig = Figure(figsize=(7.5, 3.0), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
        ax.set_axis_off()
        ax.set_xlim(94.5, 141.5)
        ax.set_ylim(-11.5, 6.5)
        return fig, ax

    def draw_geopandas() -> None:
        fig, ax = canvas()
        frame.plot(ax=ax, color=frame["colour"], edgecolor="#FFFFFF", linewidth=0.15)
        render_bytes(fig, "png", dpi=200)
        render_bytes(fig, "svg")

    def draw_paths() -> None:
        fig, ax = canvas()
        for k, colour in enumerate(P0_SCALE.colours):
            paths = [path for code, path in geometry.shapes.items() if classes.get(code) == k]
            ax.add_collection(PathCollection(paths, facecolors=colour, edgecolors="#FFFFFF", linewidths=0.15))
        render_bytes(fig, "png", dpi=200)
        render_bytes(fig, "svg")

    t_gpd = best_of(draw_geopandas, 3)
    t_paths = best_of(draw_paths, 3)
    return [
        ("maps_geopandas_read_file_seconds", read, "s"),
        ("maps_geopandas_national_body_seconds", t_gpd, "s"),
        ("maps_paths_national_body_seconds", t_paths, "s"),
        ("maps_paths_speedup_vs_geopandas", t_gpd / t_paths, "x"),
    ]


def run(quick: bool = False) -> list[tuple[str, float | int, str]]:
    """The benchmark lines; `quick` (the format test) draws one small province once: its values mean nothing."""
    geometry, values, parsed, built = _inputs()
    areas: list[str | None] = ["75"] if quick else [None, *sorted(geometry.province_names)]
    started, cpu_started = time.perf_counter(), time.process_time()
    count = _render_all(geometry, values, areas)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    results: list[tuple[str, float | int, str]] = [
        ("maps_topojson_parse_seconds", parsed, "s"),
        ("maps_geometry_build_seconds", built, "s"),
        ("maps_rendered", count, "maps"),  # (1 + provinces) x 4, each PNG 200 dpi + SVG
        ("maps_render_all_seconds", elapsed, "s"),
        ("maps_render_all_cpu_seconds", cpu, "s"),  # this process's CPU time: what the wall time is on a quiet machine
        ("maps_render_per_map_seconds", elapsed / count, "s"),
    ]
    if not quick:
        results += _geopandas_peer(geometry, values)
    return results

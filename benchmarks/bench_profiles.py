"""Time to render the kab/kota poverty profiles of all 514 kab/kota (two A4 pages each, trend chart and province
map as vector paths, DejaVu subsets embedded) and write them: what `kabkota_profiles` with `all_kabkota` costs
before its checks. The region list and the 2016 geometry are the shipped files; the figures are seeded
stand-ins with the shape of the assets' frames (drawing time does not depend on the values).

Peer (only where fpdf2 is importable; it is not a project dependency): one page with the same text and the
province's polygons drawn by fpdf2 2.8.9 and by reportlab, the library chosen on this measurement.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
YEARS = list(range(2013, 2026))


def _frames():
    from estimation.parsers.catalog import GEOMETRY_FILE, REGION_LIST_FILE
    from estimation.parsers.region_list import read_region_list
    from estimation.parsers.topojson import read_topojson_rings

    reference = read_region_list(RAW / REGION_LIST_FILE)
    rings = read_topojson_rings(RAW / GEOMETRY_FILE, GEOMETRY_FILE).frame
    ref = reference.astype({"bps_code": str})
    kab = ref.loc[ref["level"] != "provinsi", "bps_code"].tolist()
    provinces = ref.loc[ref["level"] == "provinsi", "bps_code"].tolist()
    rng = np.random.default_rng(0)

    def panel(codes: list[str]) -> pd.DataFrame:
        grid = pd.MultiIndex.from_product([codes, YEARS], names=["bps_code", "year"]).to_frame(index=False)
        level = np.repeat(rng.gamma(3.0, 3.5, len(codes)), len(YEARS))
        grid["p0"] = (level * np.tile(np.linspace(1.2, 0.9, len(YEARS)), len(codes))).round(2)
        grid["poor_thousand"] = (grid["p0"] * rng.uniform(5, 30, len(grid))).round(2)
        grid["poverty_line_rp"] = np.where(grid["year"] >= 2023, rng.uniform(4e5, 8e5, len(grid)).round(), np.nan)
        grid["p1"] = np.where(grid["year"] == 2023, (grid["p0"] / 7).round(2), np.nan)
        grid["p2"] = np.where(grid["year"] == 2023, (grid["p0"] / 30).round(2), np.nan)
        grid["note"] = None
        return grid

    kab_panel = panel(kab)
    province_panel = panel([*provinces, "0000"])
    deltas = kab_panel.sort_values(["bps_code", "year"]).copy()
    deltas["year_prev"] = deltas.groupby("bps_code")["year"].shift(1)
    deltas["delta_p0_pp"] = deltas["p0"] - deltas.groupby("bps_code")["p0"].shift(1)
    deltas["delta_poor_persons"] = 1000 * (deltas["poor_thousand"] - deltas.groupby("bps_code")["poor_thousand"].shift(1))
    deltas = deltas.dropna(subset=["year_prev"])
    sae = pd.MultiIndex.from_product([kab, [2022, 2023, 2024, 2025]], names=["bps_code", "year"]).to_frame(index=False)
    rate = rng.gamma(1.2, 0.01, len(sae))
    sae = sae.assign(indicator="extreme", line_definition="usd215_2017ppp", benchmarked=rate, eblup=rate * 1.02,
                     ci_low=rate * 0.6, ci_high=rate * 1.5, rse=rng.uniform(0.1, 0.6, len(sae)),
                     flag=rng.choice(["publish", "caution", "suppress"], len(sae)), persons=rate * 3e5, direct=rate)
    registry = pd.DataFrame({"source": "p3ke", "kabkota_code": ["3517", "3576", "3576", "3602", "3602", "6271"],
                             "year": [2024, 2022, 2023, 2023, 2024, 2024], "snapshot_date": "2024-03-14",
                             "extreme_rate_pct": [1.82, 1.10, 0.0, 1.78, 1.70, 0.32],
                             "extreme_individuals": [24_627, 1_539, 0, 25_232, 24_347, 979],
                             "extreme_families": [5_792, 377, 0, 6_043, 5_698, 230], "key_mode": "demo"})
    padu = pd.DataFrame([{"kabkota_code": "3517", "year": 2024, "list_rows": 7_458, "found": 7_408,
                          "left_desil1": 5_567, "still_desil1": 1_841, "optimal": 1_752, "not_optimal": 89,
                          "not_optimal_alive": 78, "not_optimal_deceased": 11, "not_found": 23,
                          "invalid_nik_not_found": 6, "invalid_nik_on_list": 12, "duplicate_rows_on_list": 9}])
    return reference, rings, kab_panel, province_panel, deltas, sae, registry, padu


def render_all(out_dir: Path, frames) -> int:
    """What the asset does for all 514: index the frames, build the geometry, gather, render, write."""
    from estimation.charts.maps import build_map_geometry
    from estimation.publishing.profile import (
        gather_profiles,
        prepare_inputs,
        profile_file_name,
        select_kabkota,
    )
    from estimation.publishing.profile_pdf import ProvinceMaps, render_profile

    reference, rings, kab_panel, province_panel, deltas, sae, registry, padu = frames
    inputs = prepare_inputs(reference, kab_panel, province_panel, deltas, sae, registry, padu)
    maps = ProvinceMaps(build_map_geometry(rings, reference))
    year = int(kab_panel["year"].max())
    p0 = kab_panel[kab_panel["year"] == year].set_index("bps_code")["p0"]
    profiles = gather_profiles(inputs, select_kabkota(reference, all_kabkota=True), year)
    for profile in profiles:
        (out_dir / profile_file_name(profile)).write_bytes(render_profile(profile, maps=maps, p0_by_code=p0))
    return len(profiles)


def run() -> list[tuple[str, float | int, str]]:
    # imports (reportlab, matplotlib's path module) and the parsed shipped files are outside the timing
    import estimation.charts.maps
    import estimation.publishing.profile_pdf  # noqa: F401

    frames = _frames()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        count = render_all(Path(tmp), frames)
        wall = time.perf_counter() - started
    if count != 514:
        raise RuntimeError(f"rendered {count} profiles, expected 514")
    return [("profiles_514", round(wall, 1), "s"), *peer()]


def _peer_page(geometry, library: str) -> bytes:
    """One page as both libraries draw it: a title, 50 lines of Indonesian figures in DejaVu (embedded subset)
    and the 38 kab/kota of Jawa Timur as filled polygons."""
    import io

    from estimation.publishing.profile_pdf import font_files

    regular, bold = font_files()
    rings = [np.asarray(r) for c in geometry.kabkota_of("35") if c in geometry.shapes
             for r in geometry.shapes[c].to_polygons()]
    points = np.concatenate(rings)
    (x0, y0), scale = points.min(0), 300 / np.ptp(points[:, 0])
    lines = [f"Baris {i}: P0 8,60% (−0,55 poin), 110,57 ribu jiwa, Rp 514.170" for i in range(50)]
    if library == "fpdf2":
        from fpdf import FPDF

        pdf = FPDF(unit="pt", format="A4")
        pdf.add_font("dv", "", str(regular))
        pdf.add_font("dv", "B", str(bold))
        pdf.add_page()
        pdf.set_font("dv", "B", 14)
        pdf.text(40, 50, "Profil Kemiskinan Kabupaten Jombang 2025")
        pdf.set_font("dv", "", 9)
        for i, line in enumerate(lines):
            pdf.text(40, 80 + i * 11, line)
        for ring in rings:
            pdf.polygon([(40 + (x - x0) * scale, 800 - (y - y0) * scale) for x, y in ring], style="DF")
        return bytes(pdf.output())
    from reportlab.pdfgen.canvas import Canvas

    from estimation.publishing.profile_pdf import FONT, FONT_BOLD, _register_fonts

    _register_fonts()
    buffer = io.BytesIO()
    c = Canvas(buffer, invariant=1, initialFontName=FONT)
    c.setFont(FONT_BOLD, 14)
    c.drawString(40, 792, "Profil Kemiskinan Kabupaten Jombang 2025")
    c.setFont(FONT, 9)
    for i, line in enumerate(lines):
        c.drawString(40, 760 - i * 11, line)
    for ring in rings:
        path = c.beginPath()
        path.moveTo(40 + (ring[0, 0] - x0) * scale, 40 + (ring[0, 1] - y0) * scale)
        for x, y in ring[1:]:
            path.lineTo(40 + (x - x0) * scale, 40 + (y - y0) * scale)
        path.close()
        c.drawPath(path, fill=1, stroke=1)
    c.showPage()
    c.save()
    return buffer.getvalue()


def peer() -> list[tuple[str, float | int, str]]:
    """fpdf2 (not a project dependency: measured only where it is importable) against reportlab on one page."""
    try:
        import fpdf  # noqa: F401
    except ImportError:
        return []
    from benchmarks.timing import best_of
    from estimation.charts.maps import build_map_geometry

    reference, rings, *_ = _frames()
    geometry = build_map_geometry(rings, reference)
    times = {}
    for library in ("reportlab", "fpdf2"):
        _peer_page(geometry, library)  # font loading and parsing outside the timing
        times[library] = best_of(lambda lib=library: [_peer_page(geometry, lib) for _ in range(10)]) / 10
    return [("profile_page_reportlab", round(times["reportlab"], 4), "s"),
            ("profile_page_fpdf2", round(times["fpdf2"], 4), "s")]

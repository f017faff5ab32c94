"""Choropleth maps: TopoJSON decoding (a hand-made topology and the shipped file), geometry by 2025 code,
kab/kota without geometry named under the map, grey-printable scales, Indonesian labels, SVG text as
text, deterministic PNG bytes, and the geometry and map suites failing on broken inputs.

Rendering is kept to one small province (Sulawesi Tenggara: it has the four regencies missing from the
2016 borders) at 100 dpi, so the module runs in seconds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath
from matplotlib.text import Text

from estimation.charts.export import render_bytes
from estimation.charts.maps import (
    CHANGE_SCALE,
    EXTREME_SCALE,
    NO_DATA_FACE,
    NO_DATA_HATCH,
    P0_SCALE,
    RELIABILITY_SCALE,
    MapGeometry,
    build_map_geometry,
    extreme_poverty_map,
    markdown_thumbnail,
    p0_change_map,
    p0_map,
    poverty_maps,
    province_label,
    relative_luminance_lstar,
    reliability_map,
)
from estimation.parsers.catalog import GEOMETRY_ATTRIBUTES_FILE, GEOMETRY_FILE, REGION_LIST_FILE
from estimation.parsers.region_list import read_region_list
from estimation.parsers.topojson import read_topo_attributes, read_topojson_rings, ring_table

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
NO_GEOMETRY = ["1271", "3101", "7412", "7413", "7414", "7415"]  # Sibolga, Kep. Seribu, 4 Sulawesi Tenggara
SULTRA = "74"


@pytest.fixture(scope="module")
def rings() -> pd.DataFrame:
    return read_topojson_rings(RAW / GEOMETRY_FILE, GEOMETRY_FILE).frame


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return read_region_list(RAW / REGION_LIST_FILE)


@pytest.fixture(scope="module")
def geometry(rings: pd.DataFrame, reference: pd.DataFrame) -> MapGeometry:
    return build_map_geometry(rings, reference)


def sultra_values(geometry: MapGeometry) -> pd.DataFrame:
    codes = geometry.kabkota_of(SULTRA)
    n = len(codes)
    return pd.DataFrame({
        "bps_code": codes,
        "p0": np.linspace(4.5, 31.0, n).round(2),
        "delta_p0_pp": np.linspace(-2.6, 2.4, n).round(2),
        "rate": np.linspace(0.2, 9.0, n),
        "flag": (["publish", "caution", "suppress"] * n)[:n],
    })


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


# ---- decoding ------------------------------------------------------------------------------------------

def test_decodes_a_hand_made_topology(tmp_path: Path):
    # Two squares sharing the edge q = 2 (arc 1, walked backwards by the right one), the right one with a
    # hole collapsed to a line; quantised positions, delta-encoded, transform scale (0.5, 2), translate (100, -5).
    topology = {
        "type": "Topology",
        "transform": {"scale": [0.5, 2.0], "translate": [100.0, -5.0]},
        "arcs": [
            [[2, 0], [-2, 0], [0, 1], [2, 0]],  # arc 0: (2,0) (0,0) (0,1) (2,1): left square without its right side
            [[2, 1], [0, -1]],  # arc 1: (2,1) -> (2,0), the shared side
            [[2, 1], [2, 0], [0, -1], [-2, 0]],  # arc 2: (2,1) (4,1) (4,0) (2,0)
            [[3, 0], [0, 1], [0, -1]],  # arc 3: a degenerate hole (3,0) (3,1) (3,0)
        ],
        "objects": {"kabkot": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0, 1]], "id": "11-01", "properties": {"kabkot": "Kiri", "provinsi": "A"}},
            {"type": "Polygon", "arcs": [[-2, 2], [3]], "id": "11-02",
             "properties": {"kabkot": "Kanan", "provinsi": "A"}},
            {"type": None, "id": "11-03", "properties": {"kabkot": "Kosong", "provinsi": "A"}},
        ]}},
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(topology), encoding="utf-8")
    decoded = read_topojson_rings(path, "t.json")
    frame = decoded.frame
    assert decoded.n_arcs == 4 and decoded.scale == (0.5, 2.0)

    def ring(topo_id: str, ring_no: int = 0) -> list[tuple[float, float]]:
        part = frame[(frame["topo_id"] == topo_id) & (frame["ring"] == ring_no)]
        return list(zip(part["lon"], part["lat"], strict=True))

    # x = q * 0.5 + 100, y = q * 2 - 5; arc 1 walked forwards, then ~1 = -2 walked backwards by the neighbour
    assert ring("11-01") == [(101.0, -5.0), (100.0, -5.0), (100.0, -3.0), (101.0, -3.0), (101.0, -5.0)]
    assert ring("11-02") == [(101.0, -5.0), (101.0, -3.0), (102.0, -3.0), (102.0, -5.0), (101.0, -5.0)]
    assert ring("11-02", 1) == [(101.5, -5.0), (101.5, -3.0), (101.5, -5.0)]
    assert frame.loc[frame["topo_id"] == "11-01", "arc"].tolist() == [0, 0, 0, 0, 1]
    empty = frame[frame["topo_id"] == "11-03"]
    assert len(empty) == 1 and empty["vertex"].isna().all() and empty["lon"].isna().all()
    table = ring_table(frame)
    assert table["closed"].all()
    assert table.set_index(["topo_id", "ring"])["area"].to_dict() == {("11-01", 0): 2.0, ("11-02", 0): 2.0,
                                                                      ("11-02", 1): 0.0}
    with pytest.raises(ValueError, match="no object"):
        read_topojson_rings(path, "t.json", object_name="provinsi")
    # the shared arc walked the wrong way: the ring breaks, and the reader says where
    topology["objects"]["kabkot"]["geometries"][1]["arcs"] = [[1, 2]]
    path.write_text(json.dumps(topology), encoding="utf-8")
    with pytest.raises(ValueError, match=r"'11-02' \(entry 1\), part 0, ring 0: arc 2 does not start"):
        read_topojson_rings(path, "t.json")


def test_refuses_an_arc_that_does_not_exist(tmp_path: Path):
    topology = {"type": "Topology", "arcs": [[[0, 0], [1, 1]]], "objects": {"kabkot": {
        "type": "GeometryCollection", "geometries": [{"type": "Polygon", "arcs": [[0, 7]], "id": "11-01"}]}}}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(topology), encoding="utf-8")
    with pytest.raises(ValueError, match="arc 7 does not exist"):
        read_topojson_rings(path, "bad.json")


def test_shipped_file_entries_ids_and_extent(rings: pd.DataFrame):
    assert rings["feature"].nunique() == 524  # SOURCES.md: 524 geometries
    assert rings["topo_id"].nunique() == 518  # 11-02 (4 entries) and 53-04 (4 entries) are split
    assert rings["topo_id"].str.fullmatch(r"\d{2}-\d{2}").all()
    drawn = rings.dropna(subset=["lon"])
    # Indonesia's extremes: Pulau Weh/Aceh ~95.0 E, the Papua New Guinea border ~141.0 E, Weh ~5.9 N, Rote ~11 S
    assert drawn["lon"].min() == pytest.approx(95.0, abs=0.1)
    assert drawn["lon"].max() == pytest.approx(141.0, abs=0.1)
    assert drawn["lat"].max() == pytest.approx(5.9, abs=0.15)
    assert drawn["lat"].min() == pytest.approx(-10.95, abs=0.1)
    jombang = drawn[drawn["topo_id"] == "35-17"]
    assert (jombang["lon"].min(), jombang["lon"].max()) == pytest.approx((112.067, 112.454), abs=1e-3)
    assert (jombang["lat"].min(), jombang["lat"].max()) == pytest.approx((-7.778, -7.344), abs=1e-3)
    # the town of Jombang (112.23 E, 7.55 S) lies inside that box
    assert jombang["lon"].min() < 112.23 < jombang["lon"].max() and jombang["lat"].min() < -7.55 < jombang["lat"].max()


def test_attribute_file_names_every_geometry(rings: pd.DataFrame):
    attributes = read_topo_attributes(RAW / GEOMETRY_ATTRIBUTES_FILE, GEOMETRY_ATTRIBUTES_FILE)
    names = attributes.drop_duplicates("topo_id").set_index("topo_id")["name"]
    features = rings.drop_duplicates("feature")
    assert (features["topo_id"].map(names) == features["name"]).all()


def test_geometry_by_2025_code(geometry: MapGeometry, reference: pd.DataFrame):
    kabkota = reference[reference["level"] != "provinsi"]
    assert len(geometry.province_of) == 514
    assert len(geometry.shapes) == 508
    assert geometry.missing(geometry.kabkota_of(None)) == NO_GEOMETRY
    assert {"7412", "7413", "7414", "7415"} <= set(geometry.kabkota_of(SULTRA))
    # the 2022 Papua provinces are drawn with their 2025 codes (pre-2022 topo ids 94-xx)
    assert {"9501", "9601", "9701"} <= set(geometry.shapes)
    assert geometry.province_of["9501"] == "95" and geometry.province_names["95"] == "Papua Selatan"
    # lakes, reservoirs and a forest are no kab/kota
    assert len(geometry.other) == 8
    # Jombang's shape has the same box as its vertices
    box = geometry.shapes["3517"].get_extents()
    assert (box.x0, box.x1) == pytest.approx((112.067, 112.454), abs=1e-3)
    assert set(kabkota["bps_code"]) == set(geometry.province_of)


def test_province_labels():
    assert province_label("JAWA TIMUR") == "Jawa Timur"
    assert province_label("DKI JAKARTA") == "DKI Jakarta"
    assert province_label("D I YOGYAKARTA") == "DI Yogyakarta"
    assert province_label("KEP. BANGKA BELITUNG") == "Kepulauan Bangka Belitung"


# ---- scales --------------------------------------------------------------------------------------------

def test_luminance_reference_values():
    assert relative_luminance_lstar("#FFFFFF") == pytest.approx(100.0, abs=1e-6)
    assert relative_luminance_lstar("#000000") == pytest.approx(0.0, abs=1e-6)
    assert relative_luminance_lstar("#777777") == pytest.approx(50.03, abs=0.05)  # published sRGB -> CIELAB
    assert relative_luminance_lstar("#FF0000") == pytest.approx(53.24, abs=0.05)


@pytest.mark.parametrize("scale", [P0_SCALE, EXTREME_SCALE], ids=["p0", "extreme"])
def test_sequential_scales_print_in_grey(scale):
    lightness = [relative_luminance_lstar(c) for c in scale.colours]
    steps = np.diff(lightness)
    assert (steps < -5).all(), lightness  # strictly darker, by a step a grey print keeps apart
    assert relative_luminance_lstar(NO_DATA_FACE) > lightness[0] and NO_DATA_HATCH not in scale.hatches


def test_diverging_scale_prints_in_grey():
    n = len(CHANGE_SCALE.colours) // 2  # middle class index
    lightness = [relative_luminance_lstar(c) for c in CHANGE_SCALE.colours]
    down, up = lightness[:n + 1][::-1], lightness[n:]  # both from the middle outwards
    assert (np.diff(down) < -8).all() and (np.diff(up) < -8).all(), lightness
    # the sign survives grey: increases hatched, decreases and the middle not
    assert all(CHANGE_SCALE.hatches[n + 1:]) and not any(CHANGE_SCALE.hatches[:n + 1])
    # same size of change, same luminance step on both sides (within 12 L*)
    assert np.allclose(down, up, atol=12)


def test_reliability_classes_differ_in_luminance_and_hatching():
    lightness = [relative_luminance_lstar(c) for c in RELIABILITY_SCALE.colours]
    assert (np.diff(lightness) > 10).all()
    assert len(set(RELIABILITY_SCALE.hatches)) == 3
    assert RELIABILITY_SCALE.labels == ("layak", "hati-hati", "tidak layak")
    assert NO_DATA_HATCH not in RELIABILITY_SCALE.hatches


def test_legend_labels_have_decimal_comma():
    for scale in (P0_SCALE, EXTREME_SCALE, CHANGE_SCALE):
        joined = " ".join(scale.labels)
        assert "," in joined and re.search(r"\d\.\d", joined) is None
    assert P0_SCALE.labels == ("< 5,00", "5,00–9,99", "10,00–14,99", "15,00–19,99", "20,00–29,99", "≥ 30,00")
    assert EXTREME_SCALE.labels[1] == "0,50–0,99"
    assert CHANGE_SCALE.labels == ("turun ≥ 2,00 poin", "turun 1,00–1,99 poin", "turun 0,25–0,99 poin",
                                   "−0,24 s.d. 0,24 poin", "naik 0,25–0,99 poin", "naik 1,00–1,99 poin",
                                   "naik ≥ 2,00 poin")


def test_values_are_classed_as_they_are_printed():
    values = pd.Series([4.994, 4.995, 9.999, 10.0, 30.0, np.nan, -1.0])
    assert P0_SCALE.classify(values).tolist() == [0, 1, 2, 2, 5, -1, 0]
    change = pd.Series([-0.245, -0.244, 0.0, 0.25, 0.99, 1.0, -2.0, 2.004, np.nan])
    labels = [CHANGE_SCALE.labels[k] if k >= 0 else None for k in CHANGE_SCALE.classify(change)]
    assert labels == ["turun 0,25–0,99 poin", "−0,24 s.d. 0,24 poin", "−0,24 s.d. 0,24 poin",
                      "naik 0,25–0,99 poin", "naik 0,25–0,99 poin", "naik 1,00–1,99 poin", "turun ≥ 2,00 poin",
                      "naik ≥ 2,00 poin", None]
    flags = pd.Series(["publish", "hati-hati", "suppress", None, "other"])
    assert RELIABILITY_SCALE.classify(flags).tolist() == [0, 1, 2, -1, -1]


# ---- maps ----------------------------------------------------------------------------------------------

def test_kabkota_without_geometry_are_named_with_their_value(geometry: MapGeometry):
    fig = p0_map(geometry, sultra_values(geometry), year=2025, area=SULTRA)
    footnote = next(t for t in texts(fig) if t.startswith("Tidak tergambar"))
    flat = " ".join(footnote.split())
    for name in ("Konawe Kepulauan", "Muna Barat", "Buton Tengah", "Buton Selatan"):
        assert name in flat
    values = sultra_values(geometry).set_index("bps_code")["p0"]
    assert f"Buton Selatan ({values['7415']:.2f}%)".replace(".", ",") in flat
    assert "Sumber: BPS, diolah" in texts(fig)
    assert any("Susenas Maret 2025" in t for t in texts(fig))
    national = p0_map(geometry, sultra_values(geometry), year=2025)
    national_note = " ".join(next(t for t in texts(national) if t.startswith("Tidak tergambar")).split())
    assert "Kota Sibolga (–)" in national_note and "Kepulauan Seribu (–)" in national_note
    assert "Provinsi pemekaran 2022" in national_note and "pemekaran" not in flat
    legend_labels = [t.get_text() for t in national.legends[0].get_texts()]
    assert legend_labels[-1] == "tidak ada data"  # kab/kota without a value are drawn as such, not dropped


def test_legend_and_labels_in_indonesian(geometry: MapGeometry):
    fig = p0_change_map(geometry, sultra_values(geometry), year=2025, area=SULTRA)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:3] == ["turun ≥ 2,00 poin", "turun 1,00–1,99 poin", "turun 0,25–0,99 poin"]
    assert fig.legends[0].get_title().get_text() == "Perubahan P0 (poin persen)"
    note = " ".join(" ".join(texts(fig)).split())
    change = sultra_values(geometry).set_index("bps_code")["delta_p0_pp"]
    assert change["7415"] > 0 and f"Buton Selatan (+{change['7415']:.2f} poin)".replace(".", ",") in note
    assert "Susenas Maret 2024 ke Susenas Maret 2025" in note


def test_model_maps_are_marked_synthetic(geometry: MapGeometry):
    frame = sultra_values(geometry)
    extreme = extreme_poverty_map(geometry, frame, year=2024, area=SULTRA, line_label="USD 2,15 PPP 2017")
    reliability = reliability_map(geometry, frame, year=2024, area=SULTRA)
    for fig in (extreme, reliability):
        assert "DATA SINTETIS" in texts(fig)
        assert "sampel sintetis" in " ".join(" ".join(texts(fig)).split())  # the footnote wraps anywhere
    assert "DATA SINTETIS" not in texts(p0_map(geometry, frame, year=2024, area=SULTRA))
    assert [t.get_text() for t in reliability.legends[0].get_texts()] == ["layak", "hati-hati", "tidak layak"]
    with pytest.raises(ValueError, match="unknown flag"):
        reliability_map(geometry, frame.assign(flag="bagus"), year=2024, area=SULTRA)


def test_highlight_outlines_and_names_one_kabkota(geometry: MapGeometry):
    frame = sultra_values(geometry)
    fig = p0_map(geometry, frame, year=2025, area=SULTRA, highlight="7471")
    label = next(t for t in fig.axes[0].texts if t.get_text() == geometry.names["7471"])
    inside = [MplPath(r).contains_point(label.get_position())
              for r in geometry.shapes["7471"].to_polygons(closed_only=False)]
    assert any(inside)  # the name sits on the kab/kota it names
    outline = [c for c in fig.axes[0].collections if len(c.get_paths()) == 1 and c.get_linewidths()[0] == 1.4]
    assert outline and np.allclose(outline[0].get_paths()[0].vertices, geometry.shapes["7471"].vertices)
    with pytest.raises(ValueError, match="unknown kab/kota"):
        p0_map(geometry, frame, year=2025, area=SULTRA, highlight="9999")
    with pytest.raises(ValueError, match="unknown province"):
        p0_map(geometry, frame, year=2025, area="99")
    with pytest.raises(ValueError, match="repeated"):
        p0_map(geometry, pd.concat([frame, frame]), year=2025, area=SULTRA)


def test_svg_keeps_text_as_text(geometry: MapGeometry, tmp_path: Path):
    fig = p0_map(geometry, sultra_values(geometry), year=2025, area=SULTRA)
    svg = render_bytes(fig, "svg").decode("utf-8")
    assert svg.count("<text") >= 10
    assert "Sumber: BPS, diolah" in svg and "5,00–9,99" in svg
    assert 'id="DejaVuSans-' not in svg  # no glyph outlines
    # the existing report charts too (estimation/charts/export.py)
    from estimation.charts.poverty import p0_trend_chart

    trend = pd.DataFrame({"year": [2023, 2024] * 2, "label": ["Jombang"] * 2 + ["Indonesia"] * 2,
                          "p0": [9.15, 8.60, 9.36, 9.03]})
    chart_svg = render_bytes(p0_trend_chart(trend, title="Tren P0"), "svg").decode("utf-8")
    assert "<text" in chart_svg and "Tren P0" in chart_svg and 'id="DejaVuSans-' not in chart_svg


def test_png_and_svg_bytes_are_deterministic(geometry: MapGeometry):
    frame = sultra_values(geometry)
    first = render_bytes(p0_map(geometry, frame, year=2025, area=SULTRA), "png", dpi=60)
    second = render_bytes(p0_map(geometry, frame, year=2025, area=SULTRA), "png", dpi=60)
    assert first == second
    hatched = [p0_change_map(geometry, frame, year=2025, area=SULTRA) for _ in range(2)]  # hatch patterns in SVG
    assert render_bytes(hatched[0], "svg") == render_bytes(hatched[1], "svg")
    changed = frame.assign(p0=frame["p0"].where(frame["bps_code"] != "7401", 40.0))
    assert render_bytes(p0_map(geometry, changed, year=2025, area=SULTRA), "png", dpi=60) != first


def test_map_set_and_thumbnail(geometry: MapGeometry):
    frame = sultra_values(geometry)
    figures = poverty_maps(geometry, p0=frame, change=frame.assign(year_prev=2023), extreme=frame, year=2024,
                           area=SULTRA)
    assert list(figures) == ["p0", "p0_change", "extreme", "reliability"]
    assert any("2023–2024" in t for t in texts(figures["p0_change"]))
    png = render_bytes(figures["p0"], "png", dpi=200)
    width = int.from_bytes(png[16:20], "big")
    assert width == 1500  # 7.5 in at 200 dpi
    md = markdown_thumbnail(png, "P0 [74]")
    assert md.startswith("![P0 (74)](data:image/png;base64,") and len(md) < 120_000


# ---- suites --------------------------------------------------------------------------------------------

def test_geometry_suite_names_known_faults_and_fails_on_broken_files(rings: pd.DataFrame, reference: pd.DataFrame):
    from checks.gx_bridge import run_suite
    from checks.suites.geo import geometry_suite

    attributes = read_topo_attributes(RAW / GEOMETRY_ATTRIBUTES_FILE, GEOMETRY_ATTRIBUTES_FILE)
    related = {"raw_region_reference": reference, "topo_attributes": attributes}
    shipped = {r.rule: r for r in run_suite(geometry_suite(), rings, related=related).results}
    assert {name for name, r in shipped.items() if not r.passed} == {
        "rings_have_area", "ids_have_geometry", "kabkota_have_geometry"}
    assert all(shipped[name].severity == "WARNING" for name in ("rings_have_area", "ids_have_geometry",
                                                                 "kabkota_have_geometry"))
    assert sorted(e["bps_code"] for e in shipped["kabkota_have_geometry"].examples) == NO_GEOMETRY
    broken = rings[rings["feature"] < 10].copy()  # a few entries are enough, and keep the check fast
    broken.loc[0, "topo_id"] = "1101"
    broken.loc[10, "lon"] = 150.0
    broken.loc[20, "lat"] = 30.0
    last_of_first_ring = broken.index[(broken["feature"] == 0) & (broken["ring"] == 0)][-1]
    broken.loc[last_of_first_ring, "lat"] += 0.5  # the ring no longer closes
    broken.loc[broken["topo_id"] == "11-05", "name"] = "Aceh Timur Baru"
    failed = {r.rule for r in run_suite(geometry_suite(), broken, related=related).results if not r.passed}
    assert {"topo_ids_valid", "longitudes_in_indonesia", "latitudes_in_indonesia", "rings_closed",
            "names_match_attributes"} <= failed


def test_maps_suite_fails_on_svg_outlines(geometry: MapGeometry, tmp_path: Path):
    import matplotlib

    from checks.gx_bridge import run_suite
    from checks.suites.reports import maps_suite
    from estimation.publish import manifest

    fig = p0_map(geometry, sultra_values(geometry), year=2025, area=SULTRA)
    good = tmp_path / "good.svg"
    good.write_bytes(render_bytes(fig, "svg"))
    outlined = tmp_path / "outlined.svg"
    with matplotlib.rc_context({"svg.fonttype": "path"}):
        fig.savefig(outlined, format="svg")
    results = {r.rule: r for r in run_suite(maps_suite(), manifest([good])).results}
    assert all(r.passed for r in results.values())
    bad = {r.rule: r for r in run_suite(maps_suite(), manifest([good, outlined])).results}
    assert not bad["svg_text_is_text"].passed
    assert bad["svg_text_is_text"].examples[0]["path"] == str(outlined)

"""Choropleth maps of poverty by kab/kota (matplotlib, Agg, pyplot-free), for Indonesia or one province.

Geometry: the 2016 kab/kota borders of the shipped TopoJSON (`estimation.parsers.topojson`), matched to the
2025 BPS codes through the region list's `topo_id` (the 2022 Papua provinces are the union of their
kab/kota, drawn with the 2025 province codes). Each kab/kota is one compound `matplotlib.path.Path` (its
polygons and holes), drawn in one `PathCollection` per class; no GIS library is needed. A kab/kota without
geometry (created after 2016, or empty in the file) is named with its value in a footnote under the map.

Scales print in grey: the sequential palettes (P0, extreme poverty) have strictly monotone CIE L*
luminance; the diverging one (change in P0) darkens with the size of the change on both sides and hatches
the increases, so the sign survives a grey print; the reliability classes differ in luminance and hatching.
Values are classed at their displayed precision (two decimals), so a value and its legend class agree.
Texts are Bahasa Indonesia with a decimal comma; model estimates on the synthetic Susenas sample carry a
visible "DATA SINTETIS" mark.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.path import Path

from estimation.charts.export import markdown_thumbnail
from estimation.charts.formatting import MINUS, format_number_id, format_percent_id, format_pp_id
from estimation.charts.style import DEFAULT_SOURCE_NOTE, TEXT_MUTED, WIDTH_IN, chart_style, wrap_to_width
from estimation.parsers.topojson import MIN_RING_AREA, ring_area
from estimation.sae.publishability import FLAG_LABELS_ID

__all__ = [
    "CHANGE_SCALE",
    "EXTREME_SCALE",
    "MAP_KINDS",
    "P0_SCALE",
    "RELIABILITY_SCALE",
    "ClassScale",
    "MapGeometry",
    "build_map_geometry",
    "choropleth_map",
    "extreme_poverty_map",
    "markdown_thumbnail",
    "p0_change_map",
    "p0_map",
    "poverty_maps",
    "province_label",
    "relative_luminance_lstar",
    "reliability_map",
]

NO_DATA_LABEL = "tidak ada data"
NO_DATA_FACE, NO_DATA_HATCH = "#FFFFFF", "...."
CONTEXT_FACE, CONTEXT_EDGE = "#EFEFEF", "#C8C8C8"  # kab/kota outside the mapped province
HATCH_COLOUR = "#3A3A3A"
SYNTHETIC_MARK = "DATA SINTETIS"
SYNTHETIC_NOTE = ("Estimasi model (Fay-Herriot, dibenchmark ke provinsi) pada sampel sintetis serupa Susenas: "
                  "peragaan metode, bukan angka resmi.")
GEOMETRY_NOTE = "Batas kab/kota 2016 (TopoJSON indonesia-atlas)."
# Provinces created in 2022 from Papua and Papua Barat: drawn as the union of their kab/kota's 2016 shapes.
PROVINCES_2022 = ("92", "95", "96", "97")
PAPUA_NOTE = ("Provinsi pemekaran 2022 (Papua Barat Daya, Papua Selatan, Papua Tengah, Papua Pegunungan) "
              "digambar dari batas kab/kotanya.")
# The publishability flags of `estimation.sae.publishability` and their Indonesian names.

_PROVINCE_WORDS = {"DKI": "DKI", "D": "D", "I": "I", "DI": "DI", "KEP.": "Kepulauan"}


def province_label(name: str) -> str:
    """"JAWA TIMUR" -> "Jawa Timur", "DKI JAKARTA" -> "DKI Jakarta", "D I YOGYAKARTA" -> "DI Yogyakarta",
    "KEP. BANGKA BELITUNG" -> "Kepulauan Bangka Belitung"."""
    words = [_PROVINCE_WORDS.get(w, w.capitalize()) for w in str(name).split()]
    text = " ".join(words)
    return text.replace("D I ", "DI ")


# ---- colour scales ------------------------------------------------------------------------------------

def relative_luminance_lstar(colour: str) -> float:
    """CIE L* (0 black .. 100 white) of an sRGB hex colour: what a grey print keeps of it."""
    rgb = np.array([int(colour[i:i + 2], 16) / 255.0 for i in (1, 3, 5)])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    y = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    return 116.0 * y ** (1.0 / 3.0) - 16.0 if y > 216 / 24389 else y * 24389 / 27


@dataclass(frozen=True)
class ClassScale:
    """A classed colour scale: `classify` maps values to class indices (-1 = no data)."""

    labels: tuple[str, ...]
    colours: tuple[str, ...]
    hatches: tuple[str, ...]
    classify: Callable[[pd.Series], np.ndarray] = field(repr=False)
    title: str = ""

    def __post_init__(self) -> None:
        if not len(self.labels) == len(self.colours) == len(self.hatches):
            raise ValueError("a scale needs one label, colour and hatch per class")


def _rounded(values: pd.Series, decimals: int) -> np.ndarray:
    """Values at their displayed precision (half-up on the decimal value, like `format_number_id`)."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(float)
    scaled = np.abs(numbers) * 10.0 ** decimals
    # + 1e-9 absorbs binary noise (8.605 is stored as 8.60499...), as Decimal(repr(x)) does in the formatter
    return np.sign(numbers) * np.floor(scaled + 0.5 + 1e-9) / 10.0 ** decimals


def binned_scale(breaks: Sequence[float], colours: Sequence[str], *, decimals: int = 2, suffix: str = "",
                 title: str = "") -> ClassScale:
    """Classes [-inf, b1), [b1, b2), ..., [bn, inf) with labels "< b1", "b1–(b2 - 0,01)", ..., "≥ bn"."""
    edges = [float(b) for b in breaks]
    if len(colours) != len(edges) + 1 or edges != sorted(edges):
        raise ValueError("binned_scale: one colour more than breaks, breaks ascending")
    step = 10.0 ** -decimals

    def fmt(x: float) -> str:
        return format_number_id(x, decimals, minus=MINUS)

    labels = [f"< {fmt(edges[0])}{suffix}"]
    labels += [f"{fmt(lo)}–{fmt(hi - step)}{suffix}" for lo, hi in itertools.pairwise(edges)]
    labels.append(f"≥ {fmt(edges[-1])}{suffix}")

    def classify(values: pd.Series) -> np.ndarray:
        shown = _rounded(values, decimals)
        classes = np.searchsorted(np.asarray(edges), shown, side="right")
        return np.where(np.isfinite(shown), classes, -1)

    return ClassScale(tuple(labels), tuple(colours), ("",) * len(colours), classify, title)


def change_scale(steps: Sequence[float], decrease: Sequence[str], increase: Sequence[str], middle: str, *,
                 decimals: int = 2, hatch: str = "////", title: str = "") -> ClassScale:
    """Diverging classes by the size of the change, centred on 0: |x| < steps[0] is the middle class;
    decreases then increases get darker with |x| (same luminance steps both sides), increases are hatched."""
    edges = [float(s) for s in steps]
    if not (len(decrease) == len(increase) == len(edges)):
        raise ValueError("change_scale: one colour per step and side")
    step = 10.0 ** -decimals

    def fmt(x: float) -> str:
        return format_number_id(x, decimals)

    def band(i: int) -> str:
        return f"≥ {fmt(edges[i])}" if i == len(edges) - 1 else f"{fmt(edges[i])}–{fmt(edges[i + 1] - step)}"

    down = [f"turun {band(i)} poin" for i in reversed(range(len(edges)))]
    up = [f"naik {band(i)} poin" for i in range(len(edges))]
    labels = (*down, f"{MINUS}{fmt(edges[0] - step)} s.d. {fmt(edges[0] - step)} poin", *up)
    colours = (*reversed(decrease), middle, *increase)
    hatches = ("",) * (len(edges) + 1) + (hatch,) * len(edges)
    n = len(edges)

    def classify(values: pd.Series) -> np.ndarray:
        shown = _rounded(values, decimals)
        size = np.searchsorted(np.asarray(edges), np.abs(shown), side="right")  # 0 = middle
        classes = np.where(shown < 0, n - size, n + size)
        classes = np.where(size == 0, n, classes)
        return np.where(np.isfinite(shown), classes, -1)

    return ClassScale(labels, colours, hatches, classify, title)


def category_scale(categories: Mapping[str, str], colours: Sequence[str], hatches: Sequence[str], *,
                   title: str = "") -> ClassScale:
    """Classes by value: `categories` maps each accepted value to its label (in legend order)."""
    keys = list(categories)

    def classify(values: pd.Series) -> np.ndarray:
        index = {key: i for i, key in enumerate(keys)}
        # the Indonesian label is accepted as well as the key
        index.update({label: i for i, label in enumerate(categories.values())})
        return np.array([index.get(str(v), -1) if pd.notna(v) else -1 for v in values], dtype=int)

    return ClassScale(tuple(categories.values()), tuple(colours), tuple(hatches), classify, title)


# ColorBrewer OrRd / PuBu (6 classes) and Blues / Reds (3 steps); luminance checked in the tests.
P0_SCALE = binned_scale([5, 10, 15, 20, 30], ("#FEEED5", "#FDD39D", "#FDA872", "#F16C4B", "#CF2618", "#930000"),
                        title="P0 (%)")
EXTREME_SCALE = binned_scale([0.5, 1, 2, 4, 8], ("#F3EDF5", "#CED0E6", "#91B5D6", "#4094C3", "#056BA9", "#03456C"),
                             title="Penduduk miskin ekstrem (%)")
CHANGE_SCALE = change_scale([0.25, 1, 2], decrease=("#C4DAEE", "#4997C9", "#08478D"),
                            increase=("#FCB99F", "#F14331", "#A50F15"), middle="#F7F7F7",
                            title="Perubahan P0 (poin persen)")
RELIABILITY_SCALE = category_scale(FLAG_LABELS_ID, ("#2166AC", "#F4A582", "#FFF1E6"), ("", "////", "xxx"),
                                   title="Keandalan (RSE)")


# ---- geometry -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MapGeometry:
    """Drawable kab/kota shapes by 2025 BPS code, and what the map must say about the rest."""

    shapes: dict[str, Path]  # bps_code -> compound path (lon, lat), holes as holes
    province_of: dict[str, str]  # bps_code -> 2-digit province code (2025), every kab/kota of the reference
    names: dict[str, str]  # bps_code -> kab/kota name
    province_names: dict[str, str]  # 2-digit province code -> label ("Jawa Timur")
    other: list[Path]  # features that are no kab/kota (lakes, reservoirs, a forest)
    border_arcs: dict[int, np.ndarray]  # arc index -> (n, 2) line, for every arc a kab/kota uses
    arc_users: dict[int, tuple[str, ...]]  # arc index -> bps codes of the kab/kota whose rings use it
    extents: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)  # code -> x0, x1, y0, y1

    def missing(self, codes: Sequence[str]) -> list[str]:
        """Of `codes`, those without a shape (in code order)."""
        return sorted(c for c in codes if c not in self.shapes)

    def kabkota_of(self, area: str | None) -> list[str]:
        """Every kab/kota of the reference in `area` (2-digit province code; None = Indonesia)."""
        return sorted(c for c, p in self.province_of.items() if area is None or p == area)


def _boundaries(*keys: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal consecutive key tuples."""
    change = np.zeros(len(keys[0]), dtype=bool)
    change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def build_map_geometry(rings: pd.DataFrame, region_reference: pd.DataFrame) -> MapGeometry:
    """Shapes by 2025 BPS code from the decoded rings (`estimation.parsers.topojson.read_topojson_rings`) and
    the region list (bps_code, level, name, prov_code, prov_name, topo_id).

    Entries that share a topo id (the file splits Aceh Singkil and Timor Tengah Selatan) become one shape;
    topo ids that are no kab/kota of the reference (lakes "xx-88", the forest "33-99") go to `other`; rings
    without an area are left out, so a kab/kota with no other ring (Sibolga) has no shape and is named
    under the map.
    """
    ref = region_reference.astype({"bps_code": str})
    kab = ref[ref["level"] != "provinsi"]
    prov = ref[ref["level"] == "provinsi"]
    province_names = {str(c)[:2]: province_label(n) for c, n in zip(prov["bps_code"], prov["prov_name"], strict=True)}
    code_of_topo = {str(t): str(c) for t, c in zip(kab["topo_id"], kab["bps_code"], strict=True) if pd.notna(t)}
    drawn = rings.dropna(subset=["vertex"]).sort_values(["feature", "part", "ring", "vertex"], kind="stable")
    feature, part, ring_no = (drawn[c].to_numpy("int64") for c in ("feature", "part", "ring"))
    arc_seq, arc = drawn["arc_seq"].to_numpy("int64"), drawn["arc"].to_numpy("int64")
    topo_ids = drawn["topo_id"].astype(str).to_numpy()
    coords = drawn[["lon", "lat"]].to_numpy(float)
    vertices: dict[str, list[np.ndarray]] = {}
    others: dict[str, list[np.ndarray]] = {}
    border_arcs: dict[int, np.ndarray] = {}
    users: dict[int, set[str]] = {}
    ring_starts = _boundaries(feature, part, ring_no)
    ring_ends = np.r_[ring_starts[1:], len(feature)]
    arc_starts = _boundaries(feature, part, ring_no, arc_seq)
    arc_ends = np.r_[arc_starts[1:], len(feature)]
    arc_of_ring = np.searchsorted(ring_starts, arc_starts, side="right") - 1
    for r, (s, e) in enumerate(zip(ring_starts, ring_ends, strict=True)):
        if ring_area(coords[s:e]) <= MIN_RING_AREA:
            continue  # collapsed to a line by the simplification: nothing to draw (Sibolga's only ring)
        code = code_of_topo.get(topo_ids[s])
        target = others.setdefault(topo_ids[s], []) if code is None else vertices.setdefault(code, [])
        target.append(coords[s:e])
        if code is None:
            continue
        lo, hi = np.searchsorted(arc_of_ring, [r, r + 1])
        for a_s, a_e in zip(arc_starts[lo:hi], arc_ends[lo:hi], strict=True):
            index = int(arc[a_s])
            # an arc after the first lacks its first point (shared with the previous arc): take it back
            border_arcs.setdefault(index, coords[a_s - 1 if a_s > s else a_s:a_e])
            users.setdefault(index, set()).add(code)

    def compound(rings_of: list[np.ndarray]) -> Path:
        return Path.make_compound_path(*(Path(r, closed=True) for r in rings_of))

    def extent(rings_of: list[np.ndarray]) -> tuple[float, float, float, float]:
        points = np.concatenate(rings_of)
        return (float(points[:, 0].min()), float(points[:, 0].max()), float(points[:, 1].min()),
                float(points[:, 1].max()))

    return MapGeometry(
        shapes={code: compound(r) for code, r in sorted(vertices.items())},
        province_of={str(c): str(p) for c, p in zip(kab["bps_code"], kab["prov_code"], strict=True)},
        names={str(c): str(n) for c, n in zip(kab["bps_code"], kab["name"], strict=True)},
        province_names=province_names,
        other=[compound(r) for _t, r in sorted(others.items())],
        border_arcs=border_arcs,
        arc_users={arc: tuple(sorted(u)) for arc, u in users.items()},
        extents={code: extent(r) for code, r in sorted(vertices.items())},
    )


# ---- drawing ------------------------------------------------------------------------------------------

def _extent(geometry: MapGeometry, codes: Sequence[str]) -> tuple[float, float, float, float]:
    boxes = np.array([geometry.extents[c] if c in geometry.extents else _path_extent(geometry.shapes[c])
                      for c in codes])
    return float(boxes[:, 0].min()), float(boxes[:, 1].max()), float(boxes[:, 2].min()), float(boxes[:, 3].max())


def _path_extent(path: Path) -> tuple[float, float, float, float]:
    x0, y0, width, height = path.get_extents().bounds
    return x0, x0 + width, y0, y0 + height


def _label_point(shape: Path) -> tuple[float, float]:
    """A point inside the largest polygon of `shape`: its centroid when inside, else the point of a 24 x 24
    grid over the polygon nearest the centroid that lies inside (else the nearest vertex)."""
    rings = [np.asarray(r, dtype=float) for r in shape.to_polygons(closed_only=False)]
    largest = max(rings, key=lambda r: ring_area(r))
    outline = Path(largest)
    x, y = largest[:, 0], largest[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    area = float(cross.sum()) / 2.0
    if abs(area) > MIN_RING_AREA:
        cx = float(((x + np.roll(x, -1)) * cross).sum() / (6.0 * area))
        cy = float(((y + np.roll(y, -1)) * cross).sum() / (6.0 * area))
    else:
        cx, cy = float(x.mean()), float(y.mean())
    if outline.contains_point((cx, cy)):
        return cx, cy
    gx, gy = np.meshgrid(np.linspace(x.min(), x.max(), 26)[1:-1], np.linspace(y.min(), y.max(), 26)[1:-1])
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    inside = grid[outline.contains_points(grid)]
    candidates = inside if len(inside) else largest
    nearest = int(np.argmin((candidates[:, 0] - cx) ** 2 + (candidates[:, 1] - cy) ** 2))
    return float(candidates[nearest, 0]), float(candidates[nearest, 1])


def _collection(paths: Sequence[Path], face: str, edge: str, linewidth: float, hatch: str = "",
                zorder: float = 1.0) -> PathCollection:
    collection = PathCollection(list(paths), facecolors=face, edgecolors=edge, linewidths=linewidth,
                                zorder=zorder)
    if hatch:
        collection.set_hatch(hatch)
        collection.set_hatchcolor(HATCH_COLOUR)
        collection.set_hatch_linewidth(0.5)
    return collection


def _border_lines(geometry: MapGeometry, area: str | None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(province borders, outline of the mapped area): for Indonesia, arcs whose users lie in different
    provinces, and the coast (arcs of one kab/kota only) so pale kab/kota stay apart from the sea; for a
    province, the arcs used by exactly one of its kab/kota (its coast and its land border)."""
    inner, outline = [], []
    for arc, codes in geometry.arc_users.items():
        provinces = {geometry.province_of.get(c) for c in codes}
        if area is None:
            if len(provinces) > 1:
                inner.append(geometry.border_arcs[arc])
            elif len(codes) == 1:
                outline.append(geometry.border_arcs[arc])
        elif area in provinces and sum(geometry.province_of.get(c) == area for c in codes) == 1:
            outline.append(geometry.border_arcs[arc])
    return inner, outline


def _legend_handles(scale: ClassScale, with_missing: bool) -> list[Patch]:
    handles = []
    for label, colour, hatch in zip(scale.labels, scale.colours, scale.hatches, strict=True):
        handles.append(Patch(facecolor=colour, edgecolor="#7F7F7F", linewidth=0.4, hatch=hatch or None,
                             label=label))
    if with_missing:
        handles.append(Patch(facecolor=NO_DATA_FACE, edgecolor="#7F7F7F", linewidth=0.4, hatch=NO_DATA_HATCH,
                             label=NO_DATA_LABEL))
    return handles


def _legend_columns(fig: Figure, labels: Sequence[str], width_px: float, fontsize: float) -> int:
    """As many columns as fit the width (measured with the renderer)."""
    from estimation.charts.style import text_widths_px

    em = fontsize * fig.dpi / 72.0
    widths = [w + 3.3 * em for w in text_widths_px(fig, labels, fontsize)]  # handle, padding, column gap
    n = len(labels)
    for n_rows in range(1, n + 1):
        ncol = -(-n // n_rows)  # balanced rows: 7 entries in two rows are 4 + 3, not 6 + 1
        n_rows_used = -(-n // ncol)
        columns = [widths[i * n_rows_used:(i + 1) * n_rows_used] for i in range(ncol)]  # filled column-wise
        if sum(max(col) for col in columns if col) <= width_px:
            return ncol
    return 1


def choropleth_map(geometry: MapGeometry, values: pd.Series, scale: ClassScale, *, title: str, subtitle: str,
                   area: str | None = None, highlight: str | None = None, synthetic: bool = False,
                   value_text: Callable[[object], str] | None = None, notes: Sequence[str] = (),
                   source_note: str | None = DEFAULT_SOURCE_NOTE, width_in: float = WIDTH_IN,
                   max_map_height_in: float = 5.6) -> Figure:
    """A classed choropleth of `values` (indexed by 2025 kab/kota code) for Indonesia (`area=None`) or one
    province (2-digit code). `highlight` outlines one kab/kota and names it. Kab/kota of the area without a
    shape are listed under the map with their value (`value_text`); kab/kota without a value are drawn as
    "tidak ada data". `synthetic` stamps the map "DATA SINTETIS"."""
    if not isinstance(values, pd.Series):
        raise TypeError("choropleth_map: values must be a pandas Series indexed by kab/kota code")
    if area is not None and area not in geometry.province_names:
        raise ValueError(f"choropleth_map: unknown province code {area!r}")
    if values.index.duplicated().any():
        raise ValueError(f"choropleth_map: repeated kab/kota codes {sorted(set(values.index[values.index.duplicated()]))}")
    if highlight is not None and highlight not in geometry.province_of:
        raise ValueError(f"choropleth_map: unknown kab/kota code {highlight!r}")
    value_text = value_text or (lambda v: str(v))
    codes = geometry.kabkota_of(area)
    shown = values.reindex(codes)
    classes = dict(zip(codes, scale.classify(shown), strict=True))
    drawable = [c for c in codes if c in geometry.shapes]
    missing = [c for c in codes if c not in geometry.shapes]
    if not drawable:
        raise ValueError(f"choropleth_map: no kab/kota of {area!r} has a shape")

    with chart_style():
        fig = Figure(figsize=(width_in, 4.0), dpi=100)
        FigureCanvasAgg(fig)
        # ---- texts, wrapped to the width, to size the figure
        margin = 0.12
        # hinted glyph advances grow a few percent from the 100 dpi layout to the 200 dpi file: keep 7% spare
        room = (width_in - 2 * margin) / width_in * 0.93
        heading = wrap_to_width(fig, title, fontsize=12, fontweight="bold", max_fraction=room)
        sub = wrap_to_width(fig, subtitle, fontsize=9.5, max_fraction=room)
        footer: list[str] = []
        if missing:
            listed = "; ".join(f"{geometry.names.get(c, c)} ({value_text(shown.get(c))})" for c in missing)
            footer.append(f"Tidak tergambar (tanpa poligon di peta batas 2016): {listed}.")
        footer += [*notes, GEOMETRY_NOTE]
        if area is None or area in PROVINCES_2022:
            footer.append(PAPUA_NOTE)
        if synthetic:
            footer.append(SYNTHETIC_NOTE)
        foot = wrap_to_width(fig, " ".join(footer), fontsize=7.5, max_fraction=room)
        with_missing = any(k < 0 for k in classes.values())
        handles = _legend_handles(scale, with_missing)
        ncol = _legend_columns(fig, [str(h.get_label()) for h in handles], room * width_in * fig.dpi, 8.5)
        legend_rows = -(-len(handles) // ncol)

        x0, x1, y0, y1 = _extent(geometry, drawable)
        pad_x, pad_y = (x1 - x0) * 0.03 + 0.02, (y1 - y0) * 0.03 + 0.02
        x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y
        aspect = 1.0 / np.cos(np.deg2rad((y0 + y1) / 2))  # plate carree stretched to true shape at mid-latitude
        map_w = width_in - 2 * margin
        map_h = map_w * (y1 - y0) * aspect / (x1 - x0)
        if map_h > max_map_height_in:
            map_w, map_h = map_w * max_map_height_in / map_h, max_map_height_in

        line = 1.0 / 72.0
        title_h = heading.count("\n") * 15 * line + 15 * line
        sub_h = (sub.count("\n") + 1) * 12.5 * line
        legend_h = 15 * line + legend_rows * 13 * line
        foot_h = (foot.count("\n") + 1) * 10 * line
        source_h = 14 * line if source_note else 0.0
        top, gap = 0.1, 0.08
        height = top + title_h + sub_h + gap + map_h + gap + legend_h + gap + foot_h + source_h + 0.08
        fig.set_size_inches(width_in, height)

        def y_of(inches_from_top: float) -> float:
            return 1.0 - inches_from_top / height

        fig.text(margin / width_in, y_of(top), heading, ha="left", va="top", fontsize=12, fontweight="bold")
        fig.text(margin / width_in, y_of(top + title_h), sub, ha="left", va="top", fontsize=9.5, color=TEXT_MUTED)
        map_top = top + title_h + sub_h + gap
        left = (width_in - map_w) / 2 / width_in
        ax: Axes = fig.add_axes((left, y_of(map_top + map_h), map_w / width_in, map_h / height))
        ax.set_axis_off()
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("auto")

        national = area is None
        edge, edge_w = ("#FFFFFF", 0.15) if national else ("#FFFFFF", 0.5)
        if not national:
            context = []
            for code, path in geometry.shapes.items():
                cx0, cx1, cy0, cy1 = geometry.extents.get(code) or _path_extent(path)
                if geometry.province_of.get(code) != area and cx0 < x1 and cx1 > x0 and cy0 < y1 and cy1 > y0:
                    context.append(path)
            ax.add_collection(_collection(context, CONTEXT_FACE, CONTEXT_EDGE, 0.3, zorder=0.5))
        for k, (colour, hatch) in enumerate(zip(scale.colours, scale.hatches, strict=True)):
            paths = [geometry.shapes[c] for c in drawable if classes[c] == k]
            if paths:
                ax.add_collection(_collection(paths, colour, edge, edge_w, hatch))
        blank = [geometry.shapes[c] for c in drawable if classes[c] < 0]
        if blank:
            ax.add_collection(_collection(blank, NO_DATA_FACE, "#9A9A9A", edge_w, NO_DATA_HATCH))
        if geometry.other:
            ax.add_collection(_collection(geometry.other, "#FFFFFF", "#BDBDBD", 0.2, zorder=1.5))
        inner, outline = _border_lines(geometry, area)
        if inner:
            ax.add_collection(LineCollection(inner, colors="#555555", linewidths=0.45, zorder=2))
        if outline:
            ax.add_collection(LineCollection(outline, colors="#7A7A7A" if national else "#333333",
                                             linewidths=0.25 if national else 0.7, zorder=2))
        if highlight is not None and highlight in geometry.shapes:
            shape = geometry.shapes[highlight]
            ax.add_collection(PathCollection([shape], facecolors="none", edgecolors="#FFFFFF", linewidths=3.0,
                                             zorder=3))
            ax.add_collection(PathCollection([shape], facecolors="none", edgecolors="#000000", linewidths=1.4,
                                             zorder=3.1))
            ax.text(*_label_point(shape), geometry.names.get(highlight, highlight), ha="center", va="center",
                    fontsize=8.5, fontweight="bold", zorder=4,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#333333", "lw": 0.5})
        if synthetic:
            ax.text(0.995, 0.99, SYNTHETIC_MARK, transform=ax.transAxes, ha="right", va="top", fontsize=9,
                    fontweight="bold", color="#B23B00", zorder=5,
                    bbox={"boxstyle": "square,pad=0.3", "fc": "white", "ec": "#B23B00", "lw": 1.0})

        legend_top = map_top + map_h + gap
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(margin / width_in, y_of(legend_top)),
                   ncol=ncol, fontsize=8.5, title=scale.title, title_fontsize=8.5, alignment="left",
                   frameon=False, borderaxespad=0.0, borderpad=0.0, handlelength=1.8, handleheight=1.1,
                   columnspacing=1.2, labelspacing=0.35)
        fig.text(margin / width_in, y_of(legend_top + legend_h + gap), foot, ha="left", va="top", fontsize=7.5,
                 color=TEXT_MUTED)
        if source_note:
            fig.text(margin / width_in, 0.06 / height, source_note, ha="left", va="bottom", fontsize=8,
                     color=TEXT_MUTED)
    return fig


# ---- the four poverty maps ----------------------------------------------------------------------------

def _series(frame: pd.DataFrame, column: str, *, chart: str) -> pd.Series:
    missing = [c for c in ("bps_code", column) if c not in frame.columns]
    if missing:
        raise ValueError(f"{chart}: missing column(s) {missing}; got {list(frame.columns)}")
    return pd.Series(frame[column].to_numpy(), index=frame["bps_code"].astype(str).to_numpy(), name=column)


def _area_name(geometry: MapGeometry, area: str | None) -> str:
    if area is not None and area not in geometry.province_names:
        raise ValueError(f"unknown province code {area!r}")
    return "Indonesia" if area is None else f"Provinsi {geometry.province_names[area]}"


def p0_map(geometry: MapGeometry, frame: pd.DataFrame, *, year: int, area: str | None = None,
           highlight: str | None = None, **kwargs: object) -> Figure:
    """P0 (% poor, as published) by kab/kota; `frame`: bps_code, p0."""
    values = pd.to_numeric(_series(frame, "p0", chart="p0_map"), errors="raise")
    return choropleth_map(
        geometry, values, P0_SCALE, area=area, highlight=highlight,
        title=f"Persentase penduduk miskin (P0) menurut kab/kota, {_area_name(geometry, area)}, {year}",
        subtitle=f"Susenas Maret {year}; persen penduduk di bawah garis kemiskinan kab/kota",
        value_text=lambda v: format_percent_id(v),  # type: ignore[arg-type]
        **kwargs)  # type: ignore[arg-type]


def p0_change_map(geometry: MapGeometry, frame: pd.DataFrame, *, year: int, year_prev: int | None = None,
                  area: str | None = None, highlight: str | None = None, **kwargs: object) -> Figure:
    """Change in P0 (percentage points) from the previous round; `frame`: bps_code, delta_p0_pp."""
    values = pd.to_numeric(_series(frame, "delta_p0_pp", chart="p0_change_map"), errors="raise")
    prev = year - 1 if year_prev is None else year_prev
    return choropleth_map(
        geometry, values, CHANGE_SCALE, area=area, highlight=highlight,
        title=f"Perubahan persentase penduduk miskin menurut kab/kota, {_area_name(geometry, area)}, {prev}–{year}",
        subtitle=f"Susenas Maret {prev} ke Susenas Maret {year}; poin persen (naik diarsir)",
        value_text=lambda v: format_pp_id(v),  # type: ignore[arg-type]
        **kwargs)  # type: ignore[arg-type]


def extreme_poverty_map(geometry: MapGeometry, frame: pd.DataFrame, *, year: int, area: str | None = None,
                        highlight: str | None = None, synthetic: bool = True, line_label: str | None = None,
                        **kwargs: object) -> Figure:
    """Extreme-poverty rate (%, the published model estimate); `frame`: bps_code, rate (in percent)."""
    values = pd.to_numeric(_series(frame, "rate", chart="extreme_poverty_map"), errors="raise")
    line = f"; garis {line_label}" if line_label else ""
    return choropleth_map(
        geometry, values, EXTREME_SCALE, area=area, highlight=highlight, synthetic=synthetic,
        title=f"Persentase penduduk miskin ekstrem menurut kab/kota, {_area_name(geometry, area)}, {year}",
        subtitle=f"Susenas Maret {year}; estimasi area kecil (EBLUP){line}",
        value_text=lambda v: format_percent_id(v),  # type: ignore[arg-type]
        **kwargs)  # type: ignore[arg-type]


def reliability_map(geometry: MapGeometry, frame: pd.DataFrame, *, year: int, area: str | None = None,
                    highlight: str | None = None, synthetic: bool = True, **kwargs: object) -> Figure:
    """Reliability class of the extreme-poverty estimate; `frame`: bps_code, flag ("publish"/"caution"/
    "suppress" or layak/hati-hati/tidak layak)."""
    values = _series(frame, "flag", chart="reliability_map")
    unknown = sorted({str(v) for v in values.dropna()} - set(FLAG_LABELS_ID) - set(FLAG_LABELS_ID.values()))
    if unknown:
        raise ValueError(f"reliability_map: unknown flag(s) {unknown}")
    return choropleth_map(
        geometry, values, RELIABILITY_SCALE, area=area, highlight=highlight, synthetic=synthetic,
        title=f"Keandalan estimasi penduduk miskin ekstrem menurut kab/kota, {_area_name(geometry, area)}, {year}",
        subtitle=(f"Susenas Maret {year}; RSE ≤ 25% layak, 25–50% hati-hati, > 50% tidak layak"),
        value_text=lambda v: FLAG_LABELS_ID.get(str(v), str(v)) if pd.notna(v) else "–",  # type: ignore[arg-type]
        **kwargs)  # type: ignore[arg-type]


MAP_KINDS = ("p0", "p0_change", "extreme", "reliability")


def poverty_map(kind: str, geometry: MapGeometry, *, p0: pd.DataFrame, change: pd.DataFrame,
                extreme: pd.DataFrame, year: int, extreme_year: int | None = None, area: str | None = None,
                highlight: str | None = None, line_label: str | None = None, synthetic: bool = True,
                source_note: str | None = DEFAULT_SOURCE_NOTE) -> Figure:
    """One of the four maps of `poverty_maps` (`kind` in `MAP_KINDS`), drawn alone."""
    prev = None
    if "year_prev" in change.columns and change["year_prev"].notna().any():
        prev = int(change["year_prev"].dropna().iloc[0])
    e_year = year if extreme_year is None else extreme_year
    common = {"area": area, "highlight": highlight, "source_note": source_note}
    if kind == "p0":
        return p0_map(geometry, p0, year=year, **common)
    if kind == "p0_change":
        return p0_change_map(geometry, change, year=year, year_prev=prev, **common)
    if kind == "extreme":
        return extreme_poverty_map(geometry, extreme, year=e_year, synthetic=synthetic, line_label=line_label,
                                   **common)
    if kind == "reliability":
        return reliability_map(geometry, extreme, year=e_year, synthetic=synthetic, **common)
    raise ValueError(f"unknown map kind {kind!r}; choose from {MAP_KINDS}")


def poverty_maps(geometry: MapGeometry, *, p0: pd.DataFrame, change: pd.DataFrame, extreme: pd.DataFrame,
                 year: int, extreme_year: int | None = None, area: str | None = None, highlight: str | None = None,
                 line_label: str | None = None, synthetic: bool = True,
                 source_note: str | None = DEFAULT_SOURCE_NOTE) -> dict[str, Figure]:
    """The four maps of one area, keyed by `MAP_KINDS`: P0 of `year` (`p0`: bps_code, p0), its change from
    the previous round (`change`: bps_code, delta_p0_pp[, year_prev]), the extreme-poverty estimate of
    `extreme_year` (default `year`) and its reliability class (`extreme`: bps_code, rate in %, flag)."""
    return {kind: poverty_map(kind, geometry, p0=p0, change=change, extreme=extreme, year=year,
                              extreme_year=extreme_year, area=area, highlight=highlight, line_label=line_label,
                              synthetic=synthetic, source_note=source_note)
            for kind in MAP_KINDS}


# ---- drawing and writing the files, on two processes --------------------------------------------------

@dataclass(frozen=True)
class MapFile:
    """One map to draw and write: `stem` of its files, `kind` of `MAP_KINDS`, `area` (None = Indonesia)."""

    stem: str
    kind: str
    area: str | None


def _render_one(task: MapFile, shared: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """Draw one map, write its PNG and SVG, return (stem, png path, svg path, Markdown thumbnail)."""
    from pathlib import Path as FilePath

    from estimation.charts.export import save_figure

    maps = dict(shared)
    geometry, out_dir = maps.pop("geometry"), FilePath(str(maps.pop("out_dir")))
    dpi, width_px = float(maps.pop("dpi")), int(maps.pop("thumbnail_px"))
    figure = poverty_map(task.kind, geometry, area=task.area, **maps)
    files = save_figure(figure, out_dir / task.stem, dpi=dpi)
    thumbnail = markdown_thumbnail(files["png"].read_bytes(), task.stem, width_px=width_px)
    return task.stem, str(files["png"]), str(files["svg"]), thumbnail


def render_poverty_maps(geometry: MapGeometry, tasks: Sequence[MapFile], out_dir: object, *, dpi: float,
                        thumbnail_px: int, workers: int = 2, min_maps_per_process: int = 4,
                        **maps: object) -> list[tuple[str, str, str, str]]:
    """Draw and write every map of `tasks` (PNG + SVG in `out_dir`; `maps`: the keyword arguments of
    `poverty_map` but kind and area), in task order: [(stem, png path, svg path, Markdown thumbnail)].

    A map costs about a second of one core (Agg at 200 dpi with hatching, then the SVG). With `workers` > 1
    this process draws every `workers`-th map while spawned workers draw the others
    (`estimation.parallel.split_between_processes`); every map is drawn by the same code from the same data,
    so the files are byte for byte those of a sequential run. A spawned worker costs about two maps of CPU to
    start (its imports), so each process gets at least `min_maps_per_process` maps: a few maps are drawn here
    alone."""
    from estimation.parallel import split_between_processes

    shared = {"geometry": geometry, "out_dir": str(out_dir), "dpi": dpi, "thumbnail_px": thumbnail_px, **maps}
    return split_between_processes(_render_one, list(tasks), shared, workers=workers,
                                   min_tasks_per_process=min_maps_per_process)

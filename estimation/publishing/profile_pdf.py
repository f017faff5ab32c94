"""Draw a kab/kota profile (`estimation.publishing.profile.KabkotaProfile`) as a two-page A4 PDF.

reportlab's canvas, not matplotlib: the trend chart and the province map are drawn as PDF vector paths
directly (map coordinates projected once per province and cached in `ProvinceMaps`), so a profile takes tens of
milliseconds and all 514 render in well under two minutes on two cores. The fonts are DejaVu Sans from
matplotlib's own mpl-data (no system font needed), embedded as subsets, so the text is extractable and prints
the same everywhere. Texts are Bahasa Indonesia with a decimal comma and a thousands dot
(`estimation.charts.formatting`); every figure computed on the synthetic Susenas sample sits under a
"DATA SINTETIS" mark, and registry figures from the demo extracts under "DATA DEMO". The PDF carries no
creation time (reportlab's invariant mode), so the same figures give the same bytes.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from estimation.charts.formatting import (
    MINUS,
    MISSING,
    format_number_id,
    format_percent_id,
    format_pp_id,
    format_rupiah,
)
from estimation.charts.maps import P0_SCALE, MapGeometry, province_label
from estimation.charts.style import DEFAULT_SOURCE_NOTE
from estimation.poverty_lines import LINE_LABELS_ID
from estimation.publishing.profile import KabkotaProfile
from estimation.sae.publishability import FLAG_LABELS_ID

__all__ = [
    "DEMO_MARK",
    "FONT",
    "FONT_BOLD",
    "SYNTHETIC_MARK",
    "ProvinceMaps",
    "font_files",
    "render_profile",
]

FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
SYNTHETIC_MARK = "DATA SINTETIS"
DEMO_MARK = "DATA DEMO"
PAGE_W, PAGE_H = A4
MARGIN = 42.0
TEXT = HexColor("#1A1A1A")
MUTED = HexColor("#4D4D4D")
RULE = HexColor("#BDBDBD")
ACCENT = HexColor("#B2182B")  # the kab/kota
PROV_COLOUR = HexColor("#2166AC")
INDONESIA_COLOUR = HexColor("#7F7F7F")
MARK_COLOUR = HexColor("#B35806")
OTHER_FACE = HexColor("#F0F0F0")
SMALL_ON_MAP = 9.0  # points: a kab/kota smaller than this on the map is ringed

SYNTHETIC_NOTE = ("Estimasi kemiskinan ekstrem dihitung dari sampel SINTETIS serupa Susenas Maret (mikrodata Susenas "
                  "tidak tersedia untuk publik) yang dikalibrasi ke tabel BPS: peragaan metode (Fay-Herriot EBLUP, "
                  "dibenchmark ke provinsi), BUKAN angka resmi BPS.")
DEMO_NOTE = ("Angka registri P3KE dan padu padan berasal dari ekstrak DEMO yang dibangkitkan (data buatan), "
             "bukan data P3KE sebenarnya.")
BPS_NOTE = ("P0, jumlah penduduk miskin, garis kemiskinan, P1 dan P2: BPS, Susenas Maret, tabel statistik kemiskinan "
            "menurut kabupaten/kota dan provinsi; diolah. Perubahan = selisih angka yang dipublikasikan.")
GEOMETRY_NOTE = "Peta: batas kab/kota 2016 (TopoJSON indonesia-atlas); warna menurut kelas P0."


def font_files() -> tuple[Path, Path]:
    """DejaVu Sans and DejaVu Sans Bold as shipped inside matplotlib (mpl-data/fonts/ttf)."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


def _register_fonts() -> None:
    rl_config.useA85 = 0  # binary (deflated) streams: ASCII85 would only make them larger and slower
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    regular, bold = font_files()
    pdfmetrics.registerFont(TTFont(FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))


# ---- text helpers ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8192)
def _width(text: str, size: float, bold: bool = False) -> float:
    return float(pdfmetrics.stringWidth(text, FONT_BOLD if bold else FONT, size))


@functools.lru_cache(maxsize=2048)
def _wrap(text: str, width: float, size: float, bold: bool = False) -> tuple[str, ...]:
    """Greedy line breaking at spaces (the notes repeat in every profile: cached)."""
    space = _width(" ", size, bold)
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for word in text.split():
        w = _width(word, size, bold)
        if current and used + space + w > width:
            lines.append(" ".join(current))
            current, used = [word], w
        else:
            used += (space if current else 0.0) + w
            current.append(word)
    if current:
        lines.append(" ".join(current))
    return tuple(lines)


def _pct(x: float, decimals: int = 2) -> str:
    return format_percent_id(x, decimals, minus=MINUS)


def _num(x: float, decimals: int = 2) -> str:
    return format_number_id(x, decimals, minus=MINUS)


def _persons_change(x: float) -> str:
    text = format_number_id(x, 0, minus=MINUS)
    if text == MISSING:
        return text
    return (text if text.startswith(MINUS) or text == "0" else f"+{text}") + " jiwa"


def _rupiah_change(now: float, before: float) -> str:
    if not (np.isfinite(now) and np.isfinite(before)):
        return MISSING
    diff = now - before
    text = format_number_id(diff, 0, minus=MINUS)
    sign = "" if text.startswith(MINUS) or text == "0" else "+"
    return f"{sign}{text} ({sign}{_num(100 * diff / before, 2)}%)"


class _Page:
    """A canvas cursor: text top-down from the top margin."""

    def __init__(self, canvas: Canvas) -> None:
        self.c = canvas
        self.y = PAGE_H - MARGIN

    def text(self, x: float, text: str, size: float = 9.0, *, bold: bool = False, colour: object = TEXT,
             right: bool = False) -> None:
        self.c.setFont(FONT_BOLD if bold else FONT, size)
        self.c.setFillColor(colour)
        if right:
            self.c.drawRightString(x, self.y, text)
        else:
            self.c.drawString(x, self.y, text)

    def line(self, text: str, size: float = 9.0, *, bold: bool = False, colour: object = TEXT,
             x: float = MARGIN, gap: float = 1.35) -> None:
        self.text(x, text, size, bold=bold, colour=colour)
        self.y -= size * gap

    def paragraph(self, text: str, size: float = 8.0, *, width: float = PAGE_W - 2 * MARGIN, colour: object = MUTED,
                  x: float = MARGIN, bold: bool = False) -> None:
        for part in _wrap(text, width, size, bold):
            self.line(part, size, colour=colour, x=x, bold=bold)

    def heading(self, text: str, *, mark: str = "") -> None:
        self.y -= 6
        self.text(MARGIN, text, 11.0, bold=True)
        if mark:
            self._mark(MARGIN + _width(text, 11.0, True) + 8, mark)
        self.y -= 4
        self.c.setStrokeColor(RULE)
        self.c.setLineWidth(0.6)
        self.c.line(MARGIN, self.y, PAGE_W - MARGIN, self.y)
        self.y -= 12

    def _mark(self, x: float, mark: str) -> None:
        size = 8.0
        w = _width(mark, size, True) + 8
        self.c.setStrokeColor(MARK_COLOUR)
        self.c.setFillColor(HexColor("#FFF3E0"))
        self.c.setLineWidth(0.8)
        self.c.rect(x, self.y - 3, w, size + 5, stroke=1, fill=1)
        self.c.setFillColor(MARK_COLOUR)
        self.c.setFont(FONT_BOLD, size)
        self.c.drawString(x + 4, self.y, mark)

    def table(self, columns: Sequence[tuple[str, float, bool]], rows: Sequence[Sequence[str]], *,
              size: float = 8.6, header_bold: bool = True) -> None:
        """`columns`: (header, right edge or left edge x, right-aligned); rows of cell texts."""
        for i, row in enumerate([[c[0] for c in columns], *rows]):
            for (_h, x, right), cell in zip(columns, row, strict=True):
                self.text(x, cell, size, bold=header_bold and i == 0, colour=MUTED if i == 0 else TEXT, right=right)
            self.y -= size * 1.55
            if i == 0:
                self.c.setStrokeColor(RULE)
                self.c.setLineWidth(0.4)
                self.c.line(MARGIN, self.y + size * 0.95, PAGE_W - MARGIN, self.y + size * 0.95)
        self.y -= 2


# ---- the province map -------------------------------------------------------------------------------------

def _ring_ops(rings: Sequence[np.ndarray]) -> str:
    """PDF path operators (moveto, linetos, closepath) of rings given in points."""
    parts = []
    for ring in rings:
        coords = [f"{x:.2f} {y:.2f}" for x, y in ring]
        parts.append(f"{coords[0]} m " + " l ".join(coords[1:]) + " l h")
    return " ".join(parts)


@dataclass
class ProvinceMaps:
    """Province maps projected once per province and reused by every profile of that province: for each
    kab/kota with a shape, its rings as ready PDF path operators, in points from the map box's lower left corner
    (equirectangular at the province's middle latitude, scaled to fit `width` x `height`)."""

    geometry: MapGeometry
    width: float = 240.0
    height: float = 240.0
    _cache: dict[str, tuple[dict[str, str], float, float]] = field(default_factory=dict)
    _boxes: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)

    def province(self, prov_code: str) -> tuple[dict[str, str], float, float]:
        """({bps_code: path operators}, drawn width, drawn height) for the kab/kota of a province."""
        if prov_code not in self._cache:
            codes = [c for c in self.geometry.kabkota_of(prov_code) if c in self.geometry.shapes]
            rings = {c: [np.asarray(r, dtype=float) for r in self.geometry.shapes[c].to_polygons()] for c in codes}
            points = np.concatenate([r for rs in rings.values() for r in rs]) if rings else np.zeros((1, 2))
            lat0 = float(np.mean([points[:, 1].min(), points[:, 1].max()]))
            kx = math.cos(math.radians(lat0))
            x0, y0 = points[:, 0].min() * kx, points[:, 1].min()
            span_x = max(points[:, 0].max() * kx - x0, 1e-9)
            span_y = max(points[:, 1].max() - y0, 1e-9)
            scale = min(self.width / span_x, self.height / span_y)
            projected = {c: [np.column_stack([(r[:, 0] * kx - x0) * scale, (r[:, 1] - y0) * scale]) for r in rs]
                         for c, rs in rings.items()}
            ops = {c: _ring_ops(rs) for c, rs in projected.items()}
            for c, rs in projected.items():
                points = np.concatenate(rs)
                self._boxes[c] = (float(points[:, 0].min()), float(points[:, 1].min()), float(points[:, 0].max()),
                                  float(points[:, 1].max()))
            self._cache[prov_code] = (ops, span_x * scale, span_y * scale)
        return self._cache[prov_code]

    def box(self, code: str) -> tuple[float, float, float, float] | None:
        """x0, y0, x1, y1 of a drawn kab/kota in points from the map box's corner (after `province`)."""
        return self._boxes.get(code)


def _draw_map(c: Canvas, maps: ProvinceMaps, profile: KabkotaProfile, p0_by_code: pd.Series, x: float,
              y: float) -> list[str]:
    """The province's kab/kota by P0 class, the profiled one outlined; returns the lines to print under it."""
    shapes, w, h = maps.province(profile.prov_code)
    codes = list(shapes)
    classes = P0_SCALE.classify(p0_by_code.reindex(codes)) if codes else np.array([], dtype=int)
    c.saveState()
    c.translate(x + (maps.width - w) / 2, y + (maps.height - h) / 2)
    c.setLineWidth(0.35)
    c.setStrokeColor(HexColor("#FFFFFF"))
    for code, cls in zip(codes, classes, strict=True):
        c.setFillColor(HexColor(P0_SCALE.colours[cls]) if cls >= 0 else OTHER_FACE)
        c.addLiteral(shapes[code] + " B*")  # fill (even-odd: holes stay holes) and stroke
    notes = []
    if profile.code in shapes:
        c.setStrokeColor(HexColor("#000000"))
        c.setLineWidth(1.6)
        c.addLiteral(shapes[profile.code] + " S")
        box = maps.box(profile.code)
        if box is not None and max(box[2] - box[0], box[3] - box[1]) < SMALL_ON_MAP:
            # a kota of a few square kilometres is a dot on the province map: ring it so a reader finds it
            c.setLineWidth(1.2)
            c.circle((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, SMALL_ON_MAP, stroke=1, fill=0)
    else:
        notes.append(f"{profile.title_name} tidak tergambar: belum ada batas wilayahnya pada peta kab/kota 2016.")
    c.restoreState()
    missing = [code for code in maps.geometry.kabkota_of(profile.prov_code) if code not in shapes
               and code != profile.code]
    if missing:
        notes.append("Tanpa batas pada peta 2016: " + ", ".join(maps.geometry.names[m] for m in missing) + ".")
    return notes


# ---- the trend chart --------------------------------------------------------------------------------------

def _nice_step(span: float) -> float:
    for step in (0.5, 1, 2, 2.5, 5, 10, 20):
        if span / step <= 6:
            return step
    return 50.0


def _draw_trend(c: Canvas, profile: KabkotaProfile, x: float, y: float, w: float, h: float) -> None:
    points = profile.trend
    years = [p.year for p in points]
    series = [("kab", [p.p0 for p in points], ACCENT, 1.8, None),
              ("prov", [p.prov_p0 for p in points], PROV_COLOUR, 1.1, (3, 2)),
              ("ind", [p.indonesia_p0 for p in points], INDONESIA_COLOUR, 1.1, (1, 1.5))]
    values = [v for _k, vs, *_ in series for v in vs if np.isfinite(v)]
    if not values:
        return
    step = _nice_step(max(values) - min(values) + 1e-9)
    lo = math.floor(min(values) / step) * step
    hi = math.ceil(max(values) / step) * step
    if hi - lo < step:
        hi = lo + step
    y_first, y_last = min(years), max(years)
    span_years = max(y_last - y_first, 1)

    def px(year: float) -> float:
        return x + 22 + (year - y_first) / span_years * (w - 34)

    def py(value: float) -> float:
        return y + 14 + (value - lo) / (hi - lo) * (h - 20)

    c.setLineWidth(0.4)
    c.setStrokeColor(HexColor("#E0E0E0"))
    c.setFont(FONT, 6.5)
    c.setFillColor(MUTED)
    tick = lo
    while tick <= hi + 1e-9:
        c.line(x + 22, py(tick), x + w - 8, py(tick))
        c.drawRightString(x + 19, py(tick) - 2.2, format_number_id(tick, 0 if float(tick).is_integer() else 1))
        tick += step
    for year in years:
        if (year - y_first) % 2 == 0 or year == y_last:
            c.drawCentredString(px(year), y + 4, str(year))
    for _key, vals, colour, width, dash in series:
        pts = [(px(yr), py(v)) for yr, v in zip(years, vals, strict=True) if np.isfinite(v)]
        if len(pts) < 2:
            continue
        c.setStrokeColor(colour)
        c.setLineWidth(width)
        c.setDash(*dash) if dash else c.setDash()
        path = c.beginPath()
        path.moveTo(*pts[0])
        for point in pts[1:]:
            path.lineTo(*point)
        c.drawPath(path, stroke=1, fill=0)
    c.setDash()
    last = points[-1]
    c.setFillColor(ACCENT)
    c.circle(px(last.year), py(last.p0), 1.8, stroke=0, fill=1)


# ---- the document -----------------------------------------------------------------------------------------

def _footer(c: Canvas, page: int, pages: int, profile: KabkotaProfile) -> None:
    c.setFont(FONT, 7)
    c.setFillColor(MUTED)
    c.drawString(MARGIN, 26, f"{DEFAULT_SOURCE_NOTE}. Profil Kemiskinan {profile.title_name} {profile.year}.")
    c.drawRightString(PAGE_W - MARGIN, 26, f"Halaman {page} dari {pages}")


def _page_one(c: Canvas, profile: KabkotaProfile, maps: ProvinceMaps | None, p0_by_code: pd.Series) -> None:
    page = _Page(c)
    prov = province_label(profile.prov_name)
    page.line("PROFIL KEMISKINAN", 9, bold=True, colour=MUTED, gap=2.6)
    page.line(f"{profile.title_name} {profile.year}", 18, bold=True, gap=1.4)
    page.line(f"Provinsi {prov} · kode BPS {profile.code} · Susenas Maret {profile.year}", 9, colour=MUTED, gap=1.6)

    prev = str(profile.year_prev) if profile.year_prev else "–"
    page.heading(f"Kemiskinan menurut BPS, Maret {profile.year}")
    col = [("Indikator", MARGIN, False), (f"Maret {prev}", 330, True), (f"Maret {profile.year}", 420, True),
           ("Perubahan", PAGE_W - MARGIN, True)]
    rows = [
        ["Persentase penduduk miskin (P0)", _pct(profile.p0_prev), _pct(profile.p0),
         format_pp_id(profile.delta_p0_pp)],
        ["Jumlah penduduk miskin (ribu jiwa)", _num(profile.poor_thousand_prev), _num(profile.poor_thousand),
         _persons_change(profile.delta_poor_persons)],
    ]
    if profile.poverty_line_year == profile.year:
        rows.append(["Garis kemiskinan (Rp/kapita/bulan)", format_rupiah(profile.poverty_line_prev_rp),
                     format_rupiah(profile.poverty_line_rp),
                     _rupiah_change(profile.poverty_line_rp, profile.poverty_line_prev_rp)])
    rank = f"{profile.rank} dari {profile.rank_of}" if profile.rank else MISSING
    rank_prev = f"{profile.rank_prev} dari {profile.rank_prev_of}" if profile.rank_prev else MISSING
    rows.append([f"Peringkat P0 di {prov} (1 = tertinggi)", rank_prev, rank, ""])
    page.table(col, rows)
    if profile.poverty_line_year not in (None, profile.year):
        page.paragraph(f"Garis kemiskinan terakhir yang dipublikasikan: {format_rupiah(profile.poverty_line_rp)} "
                       f"per kapita per bulan (Maret {profile.poverty_line_year}).", 8)
    if profile.p1p2_year is not None:
        page.paragraph(f"Indeks kedalaman kemiskinan (P1) {_num(profile.p1)} dan indeks keparahan kemiskinan (P2) "
                       f"{_num(profile.p2)}, Maret {profile.p1p2_year} (tahun terakhir yang dipublikasikan BPS "
                       f"menurut kab/kota).", 8)
    else:
        page.paragraph("P1 dan P2 menurut kab/kota belum dipublikasikan BPS untuk tahun ini.", 8)

    page.heading("Dibandingkan dengan provinsi dan Indonesia")
    col = [("Wilayah", MARGIN, False), (f"P0 Maret {prev}", 290, True), (f"P0 Maret {profile.year}", 370, True),
           ("Perubahan P0", 450, True), ("Miskin (ribu jiwa)", PAGE_W - MARGIN, True)]

    def change(now: float, before: float) -> str:
        return format_pp_id(now - before) if np.isfinite(now) and np.isfinite(before) else MISSING

    page.table(col, [
        [profile.title_name, _pct(profile.p0_prev), _pct(profile.p0), format_pp_id(profile.delta_p0_pp),
         _num(profile.poor_thousand)],
        [f"Provinsi {prov}", _pct(profile.prov_p0_prev), _pct(profile.prov_p0),
         change(profile.prov_p0, profile.prov_p0_prev), _num(profile.prov_poor_thousand)],
        ["Indonesia", _pct(profile.indonesia_p0_prev), _pct(profile.indonesia_p0),
         change(profile.indonesia_p0, profile.indonesia_p0_prev), _num(profile.indonesia_poor_thousand)],
    ])
    def compared(other: float, what: str) -> str:
        if not np.isfinite(other):
            return f"angka {what} tidak tersedia"
        return (f"lebih rendah dari angka {what}" if profile.p0 < other else
                f"lebih tinggi dari angka {what}" if profile.p0 > other else f"sama dengan angka {what}")

    if np.isfinite(profile.delta_p0_pp):
        direction = "turun" if profile.delta_p0_pp < 0 else "naik" if profile.delta_p0_pp > 0 else "tetap"
        page.paragraph(f"Persentase penduduk miskin {profile.title_name} {direction} dari {_pct(profile.p0_prev)} "
                       f"(Maret {prev}) menjadi {_pct(profile.p0)} (Maret {profile.year}); "
                       f"{compared(profile.prov_p0, 'provinsi')} dan {compared(profile.indonesia_p0, 'nasional')}.",
                       8.4, colour=TEXT)

    page.heading(f"Tren P0 sejak {profile.trend[0].year if profile.trend else profile.year} dan peta provinsi")
    top = page.y
    chart_w, chart_h = 240.0, 240.0
    _draw_trend(c, profile, MARGIN, top - chart_h, chart_w, chart_h)
    legend_y = top - chart_h - 14
    for i, (label, colour, dash) in enumerate([(profile.title_name, ACCENT, None),
                                                (f"Provinsi {prov}", PROV_COLOUR, (3, 2)),
                                                ("Indonesia", INDONESIA_COLOUR, (1, 1.5))]):
        ly = legend_y - i * 10
        c.setStrokeColor(colour)
        c.setLineWidth(1.4)
        c.setDash(*dash) if dash else c.setDash()
        c.line(MARGIN + 22, ly + 2.5, MARGIN + 38, ly + 2.5)
        c.setDash()
        c.setFont(FONT, 7.2)
        c.setFillColor(TEXT)
        c.drawString(MARGIN + 42, ly, label)
    c.setFont(FONT, 7.2)
    c.setFillColor(MUTED)
    c.drawString(MARGIN + 22, legend_y - 32, "P0 (%), Susenas Maret")

    map_x = PAGE_W - MARGIN - 240
    notes: list[str] = []
    if maps is not None:
        notes = _draw_map(c, maps, profile, p0_by_code, map_x, top - maps.height)
        ly = top - maps.height - 12
        c.setFont(FONT, 7)
        for i, (label, colour) in enumerate(zip(P0_SCALE.labels, P0_SCALE.colours, strict=True)):
            lx = map_x + (i % 3) * 80
            yy = ly - (i // 3) * 10
            c.setFillColor(HexColor(colour))
            c.setStrokeColor(RULE)
            c.setLineWidth(0.3)
            c.rect(lx, yy - 1, 9, 7, stroke=1, fill=1)
            c.setFillColor(TEXT)
            c.drawString(lx + 12, yy, f"{label}%")
        if profile.code in maps.province(profile.prov_code)[0]:  # the outline's legend, when it is drawn
            c.setStrokeColor(HexColor("#000000"))
            c.setLineWidth(1.6)
            c.rect(map_x, ly - 27, 9, 7, stroke=1, fill=0)
            c.setFillColor(TEXT)
            c.drawString(map_x + 12, ly - 26, f"{profile.title_name} (P0 Maret {profile.year})")
        page.y = ly - 40
    else:
        notes = ["Peta provinsi tidak tersedia (geometri kab/kota tidak dimuat)."]
        page.y = top - 240
    page.y = min(page.y, legend_y - 44)
    for note in [GEOMETRY_NOTE, *notes]:
        page.paragraph(note, 7.2, x=map_x, width=240)
    _footer(c, 1, 2, profile)


def _page_two(c: Canvas, profile: KabkotaProfile, registry_demo: bool) -> None:
    page = _Page(c)
    page.line(f"{profile.title_name} {profile.year}", 12, bold=True, gap=1.6)
    extreme = profile.latest_extreme
    page.heading("Kemiskinan ekstrem: estimasi model", mark=SYNTHETIC_MARK)
    if extreme is None:
        page.paragraph("Belum ada estimasi model kemiskinan ekstrem untuk kab/kota ini.", 8.6, colour=TEXT)
    else:
        line = LINE_LABELS_ID.get(extreme.line_definition, extreme.line_definition)
        page.paragraph(f"Susenas Maret {extreme.year}; garis kemiskinan ekstrem {line}. Estimasi Fay-Herriot EBLUP "
                       f"dibenchmark ke provinsi (angka yang dipublikasikan); selang kepercayaan 95% dan RSE-nya dari MSE "
                       f"estimasi terbenchmark itu.",
                       8.2)
        page.y -= 2
        col = [("Ukuran", MARGIN, False), (f"Maret {extreme.year}", PAGE_W - MARGIN, True)]
        page.table(col, [
            ["Persentase penduduk miskin ekstrem (estimasi model)", _pct(extreme.rate)],
            ["Jumlah penduduk miskin ekstrem (estimasi)", f"{format_number_id(extreme.persons, 0)} jiwa"],
            ["Selang kepercayaan 95%", f"{_pct(extreme.ci_low)} – {_pct(extreme.ci_high)}"],
            ["EBLUP sebelum benchmark", _pct(extreme.eblup)],
            # a zero estimate has no relative error (its RSE is infinite): shown as missing
            ["RSE (galat baku relatif)", _pct(extreme.rse, 1) if np.isfinite(extreme.rse) else MISSING],
            ["Kelayakan publikasi", FLAG_LABELS_ID.get(extreme.flag, extreme.flag)],
            ["Estimasi langsung (survei)", _pct(extreme.direct)],
        ])
        if extreme.flag == "suppress":
            page.paragraph("RSE di atas 50%: estimasi ini tidak layak dipublikasikan dan hanya dapat dibaca sebagai "
                           "petunjuk kasar.", 8.2, colour=MARK_COLOUR)
        elif extreme.flag == "caution":
            page.paragraph("RSE 25–50%: gunakan estimasi ini dengan hati-hati.", 8.2, colour=MARK_COLOUR)
    page.heading("Estimasi model dan angka berbasis P3KE",
                 mark=f"{SYNTHETIC_MARK} · {DEMO_MARK}" if registry_demo and profile.registry else SYNTHETIC_MARK)
    years = sorted({e.year for e in profile.extreme} | {r.year for r in profile.registry})
    if not years:
        page.paragraph("Tidak ada estimasi model maupun data registri untuk kab/kota ini.", 8.6, colour=TEXT)
    else:
        by_model = {e.year: e for e in profile.extreme}
        by_registry = {r.year: r for r in profile.registry}
        col = [("Tahun", MARGIN, False), ("Model (%)", 175, True), ("SK 95% (%)", 275, True),
               ("Kelayakan", 345, True), ("P3KE (%)", 420, True), ("P3KE (jiwa)", 485, True),
               ("P3KE (KK)", PAGE_W - MARGIN, True)]
        rows = []
        for year in years:
            e, r = by_model.get(year), by_registry.get(year)
            rows.append([
                str(year),
                _num(e.rate) if e else MISSING,
                f"{_num(e.ci_low)}–{_num(e.ci_high)}" if e else MISSING,
                FLAG_LABELS_ID.get(e.flag, e.flag) if e else MISSING,
                _num(r.rate) if r else MISSING,
                format_number_id(r.individuals, 0) if r else MISSING,
                format_number_id(r.families, 0) if r else MISSING,
            ])
        page.table(col, rows)
        if profile.registry:
            page.paragraph("P3KE: penduduk berstatus miskin ekstrem pada registri P3KE dibagi jumlah penduduk BPS "
                           "(tahun snapshot registri). Model dan P3KE mengukur hal yang sama dengan cara berbeda: "
                           "estimasi survei (dengan selang) dan daftar by name by address.", 7.6)
        else:
            page.paragraph("Tidak ada irisan registri P3KE untuk kab/kota ini.", 7.6)

    if profile.padu_padan is not None:
        pp = profile.padu_padan
        page.heading(f"Padu padan daftar SK penduduk miskin ekstrem {pp.year}",
                     mark=DEMO_MARK if registry_demo else "")
        n = format_number_id
        col = [("Kategori", MARGIN, False), ("Jiwa", PAGE_W - MARGIN, True)]
        page.table(col, [
            ["Baris pada daftar SK", n(pp.list_rows, 0)],
            ["Ditemukan pada registri P3KE", n(pp.found, 0)],
            ["   keluar dari desil 1", n(pp.left_desil1, 0)],
            ["   masih desil 1", n(pp.still_desil1, 0)],
            ["      diintervensi optimal", n(pp.optimal, 0)],
            ["      belum optimal", n(pp.not_optimal, 0)],
            ["         masih hidup", n(pp.not_optimal_alive, 0)],
            ["         meninggal", n(pp.not_optimal_deceased, 0)],
            ["Tidak ditemukan (perlu dicari)", n(pp.not_found, 0)],
            ["NIK tidak valid, tidak ditemukan (perlu dikoreksi)", n(pp.invalid_nik_not_found, 0)],
            ["NIK tidak terbaca pada daftar", n(pp.invalid_nik_on_list, 0)],
            ["Baris ganda pada daftar", n(pp.duplicate_rows_on_list, 0)],
        ])
        page.paragraph("Daftar by name by address untuk verifikasi camat disimpan di folder terbatas; profil ini "
                       "hanya memuat jumlah.", 7.6)

    page.heading("Catatan dan sumber")
    notes = [
        BPS_NOTE,
        SYNTHETIC_NOTE,
    ]
    if registry_demo and (profile.registry or profile.padu_padan is not None):
        notes.append(DEMO_NOTE)
    if profile.note:
        notes.append(f"Catatan BPS: {profile.note}")
    for note in notes:
        page.paragraph(note, 7.6)
        page.y -= 2
    _footer(c, 2, 2, profile)


def render_profile(profile: KabkotaProfile, *, maps: ProvinceMaps | None, p0_by_code: pd.Series,
                   registry_demo: bool = True) -> bytes:
    """The profile as PDF bytes. `p0_by_code`: P0 of the profile's year by kab/kota code (the map's classes);
    `registry_demo`: the registry figures come from the demo extracts (marked DATA DEMO)."""
    _register_fonts()
    buffer = io.BytesIO()
    # the canvas starts in DejaVu, so no standard (non-embedded) Helvetica enters the resources
    c = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=FONT, initialFontSize=9)
    c.setTitle(f"Profil Kemiskinan {profile.title_name} {profile.year}")
    c.setAuthor("Pipeline kemiskinan kab/kota")
    c.setSubject(DEFAULT_SOURCE_NOTE)
    _page_one(c, profile, maps, p0_by_code)
    c.showPage()
    _page_two(c, profile, registry_demo)
    c.showPage()
    c.save()
    return buffer.getvalue()


"""Shared chart scaffolding: fixed rcParams, colour-blind-safe palette, figure frame, input checks.

Figures are built pyplot-free on an explicit Agg canvas, so nothing depends on a display or on the
global backend of the caller (a notebook keeps its own). Every rcParam that affects the output is
pinned in `RC` and applied both while building and while saving, so equal data give equal bytes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.typing import RcKeyType

DEFAULT_SOURCE_NOTE = "Sumber: BPS, diolah"

# Okabe & Ito (2008) palette: distinguishable under the common colour-vision deficiencies.
OKABE_ITO = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "purple": "#CC79A7",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
# Shapes differ too, so lines stay apart in greyscale print.
SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
NEUTRAL = "#8C8C8C"
TEXT_MUTED = "#4D4D4D"
GRID = "#E0E0E0"

WIDTH_IN = 7.5  # fits an A4 report column at close to 1:1, so 9-10 pt stays readable
BASE_FONT = 10.0

RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: same glyphs on every machine
    "font.size": BASE_FONT,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 12,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#555555",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.unicode_minus": True,
    "axes.formatter.use_locale": False,
    "text.usetex": False,
    "text.hinting": "default",
    "text.antialiased": True,
    "lines.antialiased": True,
    "path.simplify": True,
    "svg.fonttype": "path",  # glyphs as paths: the SVG looks the same without DejaVu installed
    "svg.hashsalt": "kemiskinan-charts",  # fixed ids in the SVG instead of random UUIDs
    "svg.image_inline": True,
    "pdf.compression": 6,
    "legend.frameon": False,
}


@contextlib.contextmanager
def chart_style() -> Iterator[None]:
    """Apply the pinned rcParams (building and saving both read them)."""
    with matplotlib.rc_context(RC):
        yield


def new_figure(height_in: float, *, width_in: float = WIDTH_IN, note_lines: int = 1) -> tuple[Figure, Axes]:
    """A Figure on an Agg canvas with constrained layout, leaving a band at the bottom for the source note."""
    fig = Figure(figsize=(width_in, height_in), dpi=100)
    FigureCanvasAgg(fig)
    note_band = _note_band(height_in, note_lines)
    fig.set_layout_engine("constrained", rect=(0.0, note_band, 1.0, 1.0 - note_band),
                          h_pad=0.06, w_pad=0.08)
    ax = fig.add_subplot()
    ax.grid(axis="both", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def wrap_to_width(fig: Figure, text: str, *, fontsize: float, fontweight: str = "normal",
                  max_fraction: float = 0.97) -> str:
    """Greedy word wrap measured with the real renderer, so a long title never runs off the figure."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    probe = fig.text(0, 0, "", fontsize=fontsize, fontweight=fontweight)
    max_px = fig.bbox.width * max_fraction

    def fits(candidate: str) -> bool:
        probe.set_text(candidate)
        return probe.get_window_extent(renderer=renderer).width <= max_px

    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if current and not fits(candidate):
                lines.append(current)
                current = word
            else:
                current = candidate
        lines.append(current)
    probe.remove()
    return "\n".join(lines)


NOTE_FONT = 8


def _note_band(height_in: float, note_lines: int) -> float:
    """Bottom band (figure fraction) that holds `note_lines` lines of the source note."""
    return (0.12 + 0.16 * note_lines) / height_in


def finish_figure(fig: Figure, *, title: str, source_note: str | None) -> None:
    """Left-aligned title on top, source note at bottom left, both wrapped to the figure's width: a long
    source line wraps (and the bottom band grows to hold it) instead of running off the right edge."""
    heading = wrap_to_width(fig, title, fontsize=12, fontweight="bold")
    fig.suptitle(heading, x=0.01, ha="left", fontsize=12, fontweight="bold")
    if source_note:
        note = wrap_to_width(fig, source_note, fontsize=NOTE_FONT, max_fraction=0.97)
        lines = note.count("\n") + 1
        engine = fig.get_layout_engine()
        if lines > 1 and isinstance(engine, ConstrainedLayoutEngine):
            band = _note_band(fig.get_figheight(), lines)
            engine.set(rect=(0.0, band, 1.0, 1.0 - band))
        fig.text(0.01, 0.012, note, ha="left", va="bottom", fontsize=NOTE_FONT, color=TEXT_MUTED)


# ---- input validation -------------------------------------------------------------------------------

def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, chart: str) -> None:
    """Raise ValueError naming every missing column (and an empty frame)."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{chart}: expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise ValueError(f"{chart}: missing column(s) {names}; got {list(frame.columns)}")
    if frame.empty:
        raise ValueError(f"{chart}: the frame has no rows")


def numeric_column(frame: pd.DataFrame, column: str, *, chart: str) -> pd.Series:
    """The column as float; text that is not a number is a ValueError naming the column."""
    try:
        return pd.to_numeric(frame[column], errors="raise").astype(float)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{chart}: column {column!r} must be numeric ({exc})") from None


# ---- label layout helpers ----------------------------------------------------------------------------

def spread_positions(values: Sequence[float], min_gap: float) -> list[float]:
    """Nudge label positions apart so neighbours are at least `min_gap` apart, keeping the order.

    Overlapping labels are grouped into clusters that are centred on their mean, so labels move as
    little as possible (an iterative version of the usual "repel" step, exact for 1-D).
    """
    order = np.argsort(np.asarray(values, dtype=float), kind="stable")
    clusters: list[list[float]] = []  # each: [start position, count, sum of wanted positions]
    for idx in order:
        wanted = float(values[idx])
        clusters.append([wanted, 1, wanted])
        while len(clusters) > 1:
            prev, last = clusters[-2], clusters[-1]
            if prev[0] + prev[1] * min_gap <= last[0]:
                break
            count = prev[1] + last[1]
            total = prev[2] + last[2]
            # Centre the merged run on the mean of its wanted positions.
            start = total / count - min_gap * (count - 1) / 2
            clusters[-2:] = [[start, count, total]]
    placed = np.empty(len(values))
    k = 0
    for start, count, _total in clusters:
        for j in range(int(count)):
            placed[order[k]] = start + j * min_gap
            k += 1
    return placed.tolist()


def fit_xlim_for_labels(ax: Axes, right_values: Sequence[float], label_widths_px: Sequence[float],
                        offset_px: float, x_min: float) -> None:
    """Choose x_max so a label `offset_px` right of each value ends inside the axes.

    With px(x) = (x - x_min) / (x_max - x_min) * W, label i fits when
    x_max - x_min >= (v_i - x_min) * W / (W - offset - w_i).
    """
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    fig.draw_without_rendering()
    width = ax.get_window_extent().width
    span = 0.0
    for value, label_w in zip(right_values, label_widths_px, strict=True):
        if not np.isfinite(value):
            continue
        room = width - offset_px - label_w
        if room <= width * 0.2:  # absurdly long label: give it half the axes instead of dividing by ~0
            room = width * 0.5
        span = max(span, (value - x_min) * width / room)
    span = span * 1.03 if span > 0 else 1.0  # a margin for layout changes once ticks are final
    ax.set_xlim(x_min, x_min + span)


def text_widths_px(fig: Figure, texts: Sequence[str], fontsize: float) -> list[float]:
    """Rendered widths of `texts` in display pixels at the figure's dpi."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    probe = fig.text(0, 0, "", fontsize=fontsize)
    widths = []
    for text in texts:
        probe.set_text(text)
        widths.append(probe.get_window_extent(renderer=renderer).width)
    probe.remove()
    return widths


def top_legend(ax: Axes, handles: Sequence[object], *, bbox_transform: object | None = None,
               **kwargs: object) -> None:
    """Legend in a row above the axes, left aligned; fewer columns when one row would overflow the figure."""
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for ncol in range(len(handles), 0, -1):
        legend = ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0),
                           bbox_transform=bbox_transform, ncol=ncol, borderaxespad=0.3, **kwargs)
        fig.draw_without_rendering()
        if legend.get_window_extent(renderer).x1 <= fig.bbox.x1 - 2:
            return

"""Deterministic, atomic chart export: PNG + SVG files, and small base64 PNGs for Markdown metadata.

Same figure in, same bytes out: the pinned rcParams (incl. `svg.hashsalt`) are applied while
rendering, and the metadata that would vary (dates, software version) is dropped.

SVG keeps its text as text (`svg.fonttype: none`: `<text>` elements with font-family 'DejaVu Sans'; a viewer
without that font substitutes its own, so widths may differ slightly): a report editor can search, copy,
translate and restyle it, and screen readers read it. The style's "path" setting (glyphs as outlines) is
overridden here for SVG only, so PNG bytes do not change.
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

from estimation.atomic import write_bytes_atomic
from estimation.charts.style import chart_style

REPORT_DPI = 150

# Keys set to None are left out of the file; without this PNG carries "Software: Matplotlib x.y"
# and SVG a creation date, so two renders of the same data would differ.
_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
}


# rcParams that apply to one output format only, on top of `chart_style()`.
_FORMAT_RC: dict[str, dict[RcKeyType, Any]] = {
    "png": {},
    "svg": {"svg.fonttype": "none"},
}


def render_bytes(fig: Figure, fmt: str, *, dpi: float = REPORT_DPI) -> bytes:
    """Render `fig` to PNG or SVG bytes in memory."""
    if fmt not in _METADATA:
        raise ValueError(f"unsupported format {fmt!r}; use one of {sorted(_METADATA)}")
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)  # never fall back to whatever interactive backend the caller has
    buffer = io.BytesIO()
    with chart_style(), matplotlib.rc_context(_FORMAT_RC[fmt]):
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=dict(_METADATA[fmt]), facecolor="white")
    return buffer.getvalue()


def close_figure(fig: Figure) -> None:
    """Release a figure's memory; also drop it from pyplot's registry if pyplot created it."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
    fig.clear()


def save_figure(fig: Figure, stem: Path | str, *, dpi: float = REPORT_DPI, close: bool = True) -> dict[str, Path]:
    """Write `stem.png` and `stem.svg` atomically; return {"png": path, "svg": path}.

    Both files are rendered before either is written, so a rendering error leaves the old pair intact.
    The suffix is appended to the stem's name (a stem like "p0_2024.v2" keeps its dot).
    """
    stem = Path(stem)
    payloads = {fmt: render_bytes(fig, fmt, dpi=dpi) for fmt in ("png", "svg")}
    paths = {}
    for fmt, data in payloads.items():
        paths[fmt] = write_bytes_atomic(stem.with_name(f"{stem.name}.{fmt}"), data, mode=0o644)
    if close:
        close_figure(fig)
    return paths


def markdown_thumbnail(png: bytes, alt: str, *, width_px: int = 675, colours: int = 64) -> str:
    """``![alt](data:image/png;base64,...)`` from a rendered PNG, downsampled (Lanczos) to `width_px` and
    reduced to a `colours` palette: a 200 dpi map becomes a ~40 kB image for Dagster Markdown metadata,
    without rendering the figure a second time."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    height = max(1, round(image.height * width_px / image.width))
    small = image.resize((width_px, height), Image.Resampling.LANCZOS)
    palette = small.quantize(colors=colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    safe_alt = " ".join(alt.replace("[", "(").replace("]", ")").split())
    return f"![{safe_alt}](data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode('ascii')})"

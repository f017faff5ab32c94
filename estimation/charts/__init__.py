"""Report charts (matplotlib, Agg, pyplot-free): Indonesian labels, decimal comma, deterministic files.

Build a Figure with a chart function, then `save_figure(fig, stem)` for PNG + SVG files or
`markdown_thumbnail(png_bytes, alt)` for the written PNG, scaled, inline in Dagster Markdown metadata.
"""

from estimation.charts.export import markdown_thumbnail, render_bytes, save_figure
from estimation.charts.formatting import (
    format_number_id,
    format_percent_id,
    format_persons_id,
    format_pp_id,
    format_rupiah,
)
from estimation.charts.poverty import extreme_poverty_ranking_chart, p0_trend_chart, ranked_change_chart
from estimation.charts.sae import cv_comparison_chart, direct_vs_eblup_chart
from estimation.charts.style import DEFAULT_SOURCE_NOTE

__all__ = [
    "DEFAULT_SOURCE_NOTE",
    "cv_comparison_chart",
    "direct_vs_eblup_chart",
    "extreme_poverty_ranking_chart",
    "format_number_id",
    "format_percent_id",
    "format_persons_id",
    "format_pp_id",
    "format_rupiah",
    "markdown_thumbnail",
    "p0_trend_chart",
    "ranked_change_chart",
    "render_bytes",
    "save_figure",
]

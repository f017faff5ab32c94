"""Small area estimation charts: direct survey estimate vs EBLUP (Fay-Herriot) and their precision.

The point of both charts is the comparison a BPS reviewer makes before publishing kab/kota figures:
does the model estimate stay close to the direct one, and how much narrower is its interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import offset_copy

from estimation.charts.formatting import IndonesianScalarFormatter, format_number_id, format_percent_id
from estimation.charts.poverty import row_chart_height
from estimation.charts.style import (
    DEFAULT_SOURCE_NOTE,
    NEUTRAL,
    OKABE_ITO,
    TEXT_MUTED,
    chart_style,
    finish_figure,
    fit_xlim_for_labels,
    new_figure,
    numeric_column,
    require_columns,
    text_widths_px,
    top_legend,
)

DIRECT_COLOUR = OKABE_ITO["orange"]
EBLUP_COLOUR = OKABE_ITO["blue"]
DIRECT_LABEL = "Estimasi langsung"
EBLUP_LABEL = "EBLUP (Fay-Herriot)"
RSE_THRESHOLDS = ((25.0, "RSE 25%\nbatas hati-hati"), (50.0, "RSE 50%\nbatas tidak layak"))
VALUE_FONT = 7.5


def _numeric_frame(frame: pd.DataFrame, columns: tuple[str, ...], *, chart: str) -> pd.DataFrame:
    require_columns(frame, ("name", *columns), chart=chart)
    data = pd.DataFrame({"name": frame["name"].astype(str)})
    for column in columns:
        values = numeric_column(frame, column, chart=chart)
        # An infinite CV (direct estimate of 0) or interval end cannot be drawn; treat it as missing.
        data[column] = values.where(np.isfinite(values))
    dup = data["name"][data["name"].duplicated()]
    if not dup.empty:
        raise ValueError(f"{chart}: column 'name' has duplicates: {sorted(set(dup))[:5]}")
    return data


def direct_vs_eblup_chart(frame: pd.DataFrame, *, title: str, source_note: str = DEFAULT_SOURCE_NOTE,
                          x_label: str = "Persentase penduduk miskin (%)", decimals: int = 2) -> Figure:
    """Per kab/kota: direct estimate and EBLUP, each a point with its 95% interval, one above the other.

    `frame` columns (percent): name, direct, direct_low, direct_high, eblup, eblup_low, eblup_high.
    Rows are sorted by the direct estimate (largest on top); areas without a direct estimate
    (no sample) come last and show the EBLUP only.
    """
    chart = "direct_vs_eblup_chart"
    cols = ("direct", "direct_low", "direct_high", "eblup", "eblup_low", "eblup_high")
    data = _numeric_frame(frame, cols, chart=chart)
    if data["eblup"].isna().any():
        raise ValueError(f"{chart}: column 'eblup' has missing values for {data.loc[data['eblup'].isna(), 'name'].tolist()[:5]}")
    data = data.sort_values(["direct", "name"], ascending=[False, True], na_position="last",
                            kind="stable").reset_index(drop=True)
    n = len(data)
    y = np.arange(n)[::-1].astype(float)
    offset = 0.19
    series = (("direct", DIRECT_COLOUR, "o", y + offset), ("eblup", EBLUP_COLOUR, "s", y - offset))

    with chart_style():
        fig, ax = new_figure(row_chart_height(n, per_row=0.36))
        right_values: list[float] = []
        labels: list[str] = []
        label_rows: list[tuple[float, float, str, str]] = []
        for key, colour, marker, rows in series:
            low, high, point = data[f"{key}_low"], data[f"{key}_high"], data[key]
            ax.hlines(rows, low, high, color=colour, linewidth=1.6, alpha=0.85, zorder=2)
            ax.scatter(point, rows, color=colour, marker=marker, s=26, zorder=3, clip_on=False)
            for row, p, h in zip(rows, point, high, strict=True):
                if np.isnan(p):
                    continue
                end = h if np.isfinite(h) else p
                text = format_number_id(p, decimals)
                label_rows.append((end, row, text, colour))
                right_values.append(end)
                labels.append(text)
        ax.set_yticks(y, data["name"])
        ax.set_ylim(-0.6, n - 0.4)
        for boundary in y[:-1] - 0.5:  # thin separators keep each kab/kota's pair together
            ax.axhline(boundary, color="#EEEEEE", linewidth=0.6, zorder=1)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        ax.xaxis.set_major_formatter(IndonesianScalarFormatter())
        ax.set_xlabel(x_label)
        handles = [
            Line2D([], [], color=DIRECT_COLOUR, marker="o", linewidth=1.6, label=f"{DIRECT_LABEL} (SK 95%)"),
            Line2D([], [], color=EBLUP_COLOUR, marker="s", linewidth=1.6, label=f"{EBLUP_LABEL} (SK 95%)"),
        ]
        finish_figure(fig, title=title, source_note=_with_ci_note(source_note))
        top_legend(ax, handles)

        lows = pd.concat([data["direct_low"], data["eblup_low"], data["direct"], data["eblup"]])
        x_min = min(0.0, float(np.nanmin(lows)))
        x_min -= 0.02 * max(float(np.nanmax(right_values)) - x_min, 1e-9)
        offset_px = 4 * fig.dpi / 72
        fit_xlim_for_labels(ax, right_values, text_widths_px(fig, labels, VALUE_FONT), offset_px, x_min)
        for end, row, text, colour in label_rows:
            ax.annotate(text, xy=(end, row), xytext=(4, 0), textcoords="offset points", ha="left",
                        va="center", fontsize=VALUE_FONT, color=colour)
    return fig


def _with_ci_note(source_note: str | None) -> str | None:
    note = "SK 95% = selang kepercayaan 95%."
    return f"{source_note}. {note}" if source_note else note


def cv_comparison_chart(frame: pd.DataFrame, *, title: str, source_note: str = DEFAULT_SOURCE_NOTE,
                        x_label: str = "Koefisien variasi / RSE (%)") -> Figure:
    """Dumbbell per kab/kota from the direct estimate's CV to the EBLUP's, with the 25% and 50% RSE lines.

    `frame` columns (percent): name, cv_direct, cv_eblup. BPS publishes an estimate with RSE <= 25%,
    flags 25-50% for careful use and withholds > 50%; the shaded bands show where each area falls.
    Infinite or missing CVs (no direct estimate) are left out of the drawing, not of the rows.
    """
    chart = "cv_comparison_chart"
    data = _numeric_frame(frame, ("cv_direct", "cv_eblup"), chart=chart)
    if ((data["cv_direct"] < 0) | (data["cv_eblup"] < 0)).any():
        raise ValueError(f"{chart}: a coefficient of variation cannot be negative")
    data = data.sort_values(["cv_direct", "name"], ascending=[False, True], na_position="first",
                            kind="stable").reset_index(drop=True)
    n = len(data)
    y = np.arange(n)[::-1].astype(float)
    med_direct, med_eblup = (data[c].median() if data[c].notna().any() else np.nan
                             for c in ("cv_direct", "cv_eblup"))

    with chart_style():
        fig, ax = new_figure(row_chart_height(n, per_row=0.26, extra=2.2))
        top = float(np.nanmax([data["cv_direct"].max(), data["cv_eblup"].max(), 50.0]))
        x_max = top * 1.08
        ax.axvspan(25, 50, color=OKABE_ITO["yellow"], alpha=0.18, linewidth=0, zorder=0)
        ax.axvspan(50, max(x_max, 55), color=OKABE_ITO["vermillion"], alpha=0.10, linewidth=0, zorder=0)
        for threshold, _text in RSE_THRESHOLDS:
            ax.axvline(threshold, color=TEXT_MUTED, linestyle=(0, (4, 3)), linewidth=1.0, zorder=1)
        ax.hlines(y, data["cv_direct"], data["cv_eblup"], color=NEUTRAL, linewidth=1.6, zorder=2)
        ax.scatter(data["cv_direct"], y, color=DIRECT_COLOUR, marker="o", s=34, zorder=3, clip_on=False)
        ax.scatter(data["cv_eblup"], y, color=EBLUP_COLOUR, marker="s", s=30, zorder=4, clip_on=False)
        ax.set_yticks(y, data["name"])
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xlim(0, x_max)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        ax.xaxis.set_major_formatter(IndonesianScalarFormatter())
        ax.set_xlabel(x_label)
        # Threshold names as ticks of a top axis: they never collide with the dumbbells.
        top_axis = ax.secondary_xaxis("top")
        top_axis.set_xticks([t for t, _ in RSE_THRESHOLDS], [text for _, text in RSE_THRESHOLDS])
        top_axis.tick_params(axis="x", labelsize=8, colors=TEXT_MUTED, length=3)
        # The 25% label ends at its line and the 50% label starts at its own: they grow apart, so they
        # never overlap however close the two lines are drawn (a wide x range puts them ~20 px apart).
        low_label, high_label = top_axis.get_xticklabels()
        low_label.set_horizontalalignment("right")
        high_label.set_horizontalalignment("left")
        top_axis.spines["top"].set_visible(False)
        handles = [
            Line2D([], [], color=DIRECT_COLOUR, marker="o", linestyle="none",
                   label=f"{DIRECT_LABEL} (median {format_percent_id(med_direct, 1)})"),
            Line2D([], [], color=EBLUP_COLOUR, marker="s", linestyle="none",
                   label=f"{EBLUP_LABEL} (median {format_percent_id(med_eblup, 1)})"),
        ]
        finish_figure(fig, title=title, source_note=source_note)
        # The legend goes above the threshold labels: offset from the axes top by their height in
        # points, which (unlike an axes fraction) does not change when the layout resizes the axes.
        fig.draw_without_rendering()
        label_box = top_axis.get_tightbbox(fig.canvas.get_renderer())  # type: ignore[attr-defined]
        assert label_box is not None  # the axis has its threshold labels
        label_top = label_box.y1
        lift_pts = (label_top - ax.get_window_extent().y1) * 72 / fig.dpi + 2
        anchor = offset_copy(ax.transAxes, fig=fig, x=0, y=lift_pts, units="points")
        top_legend(ax, handles, bbox_transform=anchor)
    return fig

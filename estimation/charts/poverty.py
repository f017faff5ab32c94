"""Poverty charts for reports: P0 trends, ranked kab/kota with year-over-year change, extreme poverty.

Inputs are plain frames (percent values, changes in percentage points); every number a reader sees
is formatted Indonesian style. Each function returns a Figure on an Agg canvas; save it with
`estimation.charts.export`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from estimation.charts.formatting import (
    IndonesianScalarFormatter,
    format_number_id,
    format_percent_id,
    format_pp_id,
    year_formatter,
)
from estimation.charts.style import (
    DEFAULT_SOURCE_NOTE,
    NEUTRAL,
    OKABE_ITO,
    SERIES_COLOURS,
    SERIES_MARKERS,
    TEXT_MUTED,
    chart_style,
    finish_figure,
    fit_xlim_for_labels,
    new_figure,
    numeric_column,
    require_columns,
    spread_positions,
    text_widths_px,
    top_legend,
)

P0_AXIS_LABEL = "Persentase penduduk miskin (%)"
LABEL_FONT = 8.5

# Publishability flags (BPS convention on the relative standard error) -> marker style and legend text.
FLAG_STYLES: dict[str, dict[str, Any]] = {
    "layak": {"marker": "o", "facecolor": OKABE_ITO["blue"], "edgecolor": OKABE_ITO["blue"],
              "label": "Layak"},
    "hati-hati": {"marker": "s", "facecolor": "white", "edgecolor": OKABE_ITO["orange"],
                  "label": "Hati-hati"},
    "tidak layak": {"marker": "X", "facecolor": OKABE_ITO["vermillion"], "edgecolor": OKABE_ITO["vermillion"],
                    "label": "Tidak layak"},
}


def row_chart_height(n_rows: int, *, per_row: float = 0.26, extra: float = 1.9) -> float:
    """Height in inches for one row per kab/kota (38 rows of Jawa Timur -> ~11.8 in, one page)."""
    return extra + per_row * max(n_rows, 2)


def _unique_names(names: pd.Series, *, chart: str) -> None:
    dup = names[names.duplicated()]
    if not dup.empty:
        raise ValueError(f"{chart}: column 'name' has duplicates: {sorted(set(dup))[:5]}")


# ---- P0 trend -------------------------------------------------------------------------------------------

def p0_trend_chart(series: pd.DataFrame, *, title: str, source_note: str = DEFAULT_SOURCE_NOTE,
                   y_label: str = P0_AXIS_LABEL, x_label: str = "Tahun", decimals: int = 2) -> Figure:
    """One line per `label` (first label drawn strongest: the kab/kota the report is about).

    `series` columns: year, label, p0 (percent). Missing years leave a gap in the line; the value
    of each line's last observed point is written next to it.
    """
    chart = "p0_trend_chart"
    require_columns(series, ("year", "label", "p0"), chart=chart)
    frame = pd.DataFrame({
        "year": numeric_column(series, "year", chart=chart),
        "label": series["label"].astype(str),
        "p0": numeric_column(series, "p0", chart=chart),
    })
    if frame["year"].isna().any():
        raise ValueError(f"{chart}: column 'year' has missing values")
    dup = frame[frame.duplicated(["label", "year"], keep=False)]
    if not dup.empty:
        first = dup.iloc[0]
        raise ValueError(f"{chart}: more than one p0 for label {first['label']!r} in year {int(first['year'])}")
    labels = list(dict.fromkeys(frame["label"]))
    if len(labels) > len(SERIES_COLOURS):
        raise ValueError(f"{chart}: {len(labels)} lines are too many to read; at most {len(SERIES_COLOURS)}")

    with chart_style():
        fig, ax = new_figure(4.8)
        ends: list[tuple[float, float, str, bool]] = []
        for i, label in enumerate(labels):
            part = frame[frame["label"] == label].sort_values("year")
            colour = SERIES_COLOURS[i]
            main = i == 0
            ax.plot(part["year"], part["p0"], color=colour, marker=SERIES_MARKERS[i],
                    markersize=6 if main else 5, linewidth=2.4 if main else 1.6,
                    label=label, zorder=4 if main else 3, clip_on=False)
            observed = part.dropna(subset=["p0"])
            if not observed.empty:
                last = observed.iloc[-1]
                ends.append((float(last["year"]), float(last["p0"]), colour, main))

        years = sorted(frame["year"].unique())
        if len(years) <= 15:
            ax.set_xticks(years)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(year_formatter())
        ax.yaxis.set_major_formatter(IndonesianScalarFormatter())
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        ax.grid(axis="x", visible=False)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        lo, hi = np.nanmin(frame["p0"]), np.nanmax(frame["p0"])
        pad = max((hi - lo) * 0.12, 0.2)
        ax.set_ylim(lo - pad, hi + pad)
        # Room on the right for the end labels: about one year step.
        step = float(np.min(np.diff(years))) if len(years) > 1 else 1.0
        ax.set_xlim(years[0] - step * 0.25, years[-1] + step * 0.85)
        top_legend(ax, ax.get_legend_handles_labels()[0], handlelength=2.6)
        finish_figure(fig, title=title, source_note=source_note)

        # Spread the end labels vertically in display space so close values (8,36 vs 8,47) do not collide.
        fig.draw_without_rendering()
        to_px = ax.transData
        wanted = [to_px.transform((x, y))[1] for x, y, _c, _m in ends]
        gap_px = LABEL_FONT * 1.3 * fig.dpi / 72
        placed = spread_positions(wanted, gap_px)
        for (x, y, colour, main), want, got in zip(ends, wanted, placed, strict=True):
            ax.annotate(format_number_id(y, decimals), xy=(x, y), xycoords="data",
                        xytext=(8, (got - want) * 72 / fig.dpi), textcoords="offset points",
                        ha="left", va="center", fontsize=LABEL_FONT + (0.5 if main else 0),
                        fontweight="bold" if main else "normal", color=colour, annotation_clip=False)
    return fig


# ---- ranked kab/kota with change ------------------------------------------------------------------------

def ranked_change_chart(frame: pd.DataFrame, *, province_name: str, year: int, year_prev: int,
                        title: str | None = None, source_note: str = DEFAULT_SOURCE_NOTE,
                        highlight: str | None = None, province_p0: float | None = None,
                        decimals: int = 2) -> Figure:
    """Kab/kota of a province ranked by P0 in `year`, each bar annotated "8,60 (−0,55 poin)".

    `frame` columns: name, p0 (percent, `year`), delta_p0_pp (p0[year] − p0[year_prev], percentage
    points). Bar colour says the direction of the change (blue down, vermillion up, grey unchanged or
    unknown); `highlight` bolds one kab/kota, `province_p0` draws the province figure as a reference line.
    """
    chart = "ranked_change_chart"
    require_columns(frame, ("name", "p0", "delta_p0_pp"), chart=chart)
    data = pd.DataFrame({
        "name": frame["name"].astype(str),
        "p0": numeric_column(frame, "p0", chart=chart),
        "delta": numeric_column(frame, "delta_p0_pp", chart=chart),
    })
    _unique_names(data["name"], chart=chart)
    if data["p0"].isna().any():
        raise ValueError(f"{chart}: column 'p0' has missing values for {data.loc[data['p0'].isna(), 'name'].tolist()}")
    data = data.sort_values(["p0", "name"], ascending=[False, True], kind="stable").reset_index(drop=True)
    # The sign as the reader sees it: a change that rounds to 0,00 is "tetap".
    shown = data["delta"].round(decimals)
    down, up = OKABE_ITO["blue"], OKABE_ITO["vermillion"]
    colours = np.where(shown < 0, down, np.where(shown > 0, up, NEUTRAL))
    labels = [
        format_number_id(p, decimals) + ("" if np.isnan(d) else f" ({format_pp_id(d, decimals)})")
        for p, d in zip(data["p0"], data["delta"], strict=True)
    ]
    n = len(data)
    y = np.arange(n)[::-1]  # highest P0 on top

    with chart_style():
        fig, ax = new_figure(row_chart_height(n))
        bars = ax.barh(y, data["p0"], color=colours, height=0.68, zorder=3)
        ax.set_yticks(y, data["name"])
        ax.set_ylim(-0.6, n - 0.4)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        ax.xaxis.set_major_formatter(IndonesianScalarFormatter())
        ax.set_xlabel(f"Persentase penduduk miskin {year} (%)")
        ax.set_ylabel("")
        if highlight is not None:
            # Tick labels, names and bars are all in data order (top row first).
            for tick, name, bar in zip(ax.get_yticklabels(), data["name"], bars, strict=True):
                if name == highlight:
                    tick.set_fontweight("bold")
                    bar.set_edgecolor("black")
                    bar.set_linewidth(1.2)
        if province_p0 is not None and np.isfinite(province_p0):
            ax.axvline(province_p0, color=TEXT_MUTED, linestyle=(0, (4, 3)), linewidth=1.1, zorder=4)
        handles: list[Artist] = [Patch(color=c, label=t) for c, t in (
            (down, f"Turun dibanding {year_prev}"), (up, f"Naik dibanding {year_prev}"),
            (NEUTRAL, "Tetap / tanpa data pembanding"),
        ) if c in set(colours)]
        if province_p0 is not None and np.isfinite(province_p0):
            handles.append(Line2D([], [], color=TEXT_MUTED, linestyle=(0, (4, 3)),
                                  label=f"{province_name} {format_percent_id(province_p0, decimals)}"))
        finish_figure(fig, title=title or (
            f"Persentase penduduk miskin menurut kabupaten/kota di {province_name}, Maret {year}"
            f" (perubahan dibanding {year_prev})"), source_note=source_note)
        top_legend(ax, handles, handlelength=1.6)

        offset_px = 4 * fig.dpi / 72
        fit_xlim_for_labels(ax, data["p0"].tolist(), text_widths_px(fig, labels, LABEL_FONT), offset_px, 0.0)
        for yi, value, text in zip(y, data["p0"], labels, strict=True):
            # White backing keeps the label legible where it crosses the reference line.
            ax.annotate(text, xy=(value, yi), xytext=(4, 0), textcoords="offset points", ha="left",
                        va="center", fontsize=LABEL_FONT, color="#222222", zorder=5,
                        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"})
    return fig


# ---- extreme poverty ranking ----------------------------------------------------------------------------

def extreme_poverty_ranking_chart(frame: pd.DataFrame, *, title: str, source_note: str = DEFAULT_SOURCE_NOTE,
                                  x_label: str = "Persentase penduduk miskin ekstrem (%)",
                                  decimals: int = 2) -> Figure:
    """Kab/kota ranked by extreme-poverty rate, with optional 95% interval and publishability flag.

    `frame` columns: name, rate (percent); optional ci_low and ci_high (both or neither); optional
    flag in {"layak", "hati-hati", "tidak layak"}, shown by marker shape and a legend. A rate of 0 is
    a legitimate estimate and is drawn and labelled like any other.
    """
    chart = "extreme_poverty_ranking_chart"
    require_columns(frame, ("name", "rate"), chart=chart)
    has_ci = "ci_low" in frame.columns or "ci_high" in frame.columns
    if has_ci:
        require_columns(frame, ("ci_low", "ci_high"), chart=chart)
    data = pd.DataFrame({"name": frame["name"].astype(str), "rate": numeric_column(frame, "rate", chart=chart)})
    _unique_names(data["name"], chart=chart)
    if data["rate"].isna().any():
        raise ValueError(f"{chart}: column 'rate' has missing values")
    if has_ci:
        data["ci_low"] = numeric_column(frame, "ci_low", chart=chart)
        data["ci_high"] = numeric_column(frame, "ci_high", chart=chart)
        bad = data[(data["ci_low"] > data["rate"]) | (data["ci_high"] < data["rate"])]
        if not bad.empty:
            raise ValueError(f"{chart}: interval does not contain the rate for {bad['name'].tolist()[:5]}")
    if "flag" in frame.columns:
        data["flag"] = frame["flag"].astype("string").str.strip().str.lower()
        unknown = sorted(set(data["flag"].dropna()) - set(FLAG_STYLES)) + (
            ["<missing>"] if data["flag"].isna().any() else [])
        if unknown:
            raise ValueError(f"{chart}: column 'flag' has values {unknown}; expected {list(FLAG_STYLES)}")
    data = data.sort_values(["rate", "name"], ascending=[False, True], kind="stable").reset_index(drop=True)
    n = len(data)
    y = np.arange(n)[::-1]
    labels = [format_number_id(v, decimals) for v in data["rate"]]
    right = (data["ci_high"].fillna(data["rate"]) if has_ci else data["rate"]).tolist()

    with chart_style():
        fig, ax = new_figure(row_chart_height(n))
        if has_ci:
            ax.hlines(y, data["ci_low"], data["ci_high"], color=NEUTRAL, linewidth=1.6, zorder=2)
        flags = data["flag"] if "flag" in data.columns else pd.Series(["layak"] * n)
        handles = []
        for flag, style in FLAG_STYLES.items():
            mask = (flags == flag).to_numpy()
            if not mask.any():
                continue
            ax.scatter(data["rate"][mask], y[mask], marker=style["marker"], s=42, zorder=3,
                       facecolors=style["facecolor"], edgecolors=style["edgecolor"], linewidths=1.4,
                       clip_on=False)
            handles.append(Line2D([], [], linestyle="none", marker=style["marker"], markersize=7,
                                  markerfacecolor=style["facecolor"], markeredgecolor=style["edgecolor"],
                                  markeredgewidth=1.4, label=style["label"]))
        if has_ci:
            handles.append(Line2D([], [], color=NEUTRAL, linewidth=1.6, label="Selang kepercayaan 95%"))
        ax.set_yticks(y, data["name"])
        ax.set_ylim(-0.6, n - 0.4)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        ax.xaxis.set_major_formatter(IndonesianScalarFormatter())
        ax.set_xlabel(x_label)
        finish_figure(fig, title=title, source_note=source_note)
        if "flag" in data.columns or has_ci:
            top_legend(ax, handles)
        # A little room left of zero: a rate of exactly 0 must not hide its marker in the axis spine.
        x_min = min(0.0, float(np.nanmin(data["ci_low"]))) if has_ci else 0.0
        x_min -= 0.025 * max(float(np.nanmax(right)) - x_min, 1e-9)
        offset_px = 6 * fig.dpi / 72
        fit_xlim_for_labels(ax, right, text_widths_px(fig, labels, LABEL_FONT), offset_px, x_min)
        for yi, x, text in zip(y, right, labels, strict=True):
            ax.annotate(text, xy=(x, yi), xytext=(6, 0), textcoords="offset points", ha="left", va="center",
                        fontsize=LABEL_FONT, color="#222222")
    return fig

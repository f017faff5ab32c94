"""Tests for estimation.charts: Indonesian formatting, chart content, deterministic atomic export.

Numbers are BPS March figures (P0, percent): Jombang 2023 9,15 -> 2024 8,60; Jawa Timur 10,35 -> 9,79;
Indonesia 9,36 -> 9,03 (data/raw/bps/p0_kabkota_2004_2025.csv, p0_prov_daerah_rows_jatim_indonesia.csv).
"""

from __future__ import annotations

import base64
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text

from estimation.charts import (
    cv_comparison_chart,
    direct_vs_eblup_chart,
    extreme_poverty_ranking_chart,
    format_number_id,
    format_percent_id,
    format_persons_id,
    format_pp_id,
    format_rupiah,
    markdown_thumbnail,
    p0_trend_chart,
    ranked_change_chart,
    render_bytes,
    save_figure,
)
from estimation.charts.formatting import IndonesianScalarFormatter, year_formatter
from estimation.charts.style import OKABE_ITO, chart_style, spread_positions

YEARS = list(range(2019, 2025))
P0_SERIES = {
    "Jombang": [9.22, 9.94, 10.00, 9.04, 9.15, 8.60],
    "Jawa Timur": [10.37, 11.09, 11.40, 10.38, 10.35, 9.79],
    "Indonesia": [9.41, 9.78, 10.14, 9.54, 9.36, 9.03],
}
# Jawa Timur kab/kota, P0 2024 and change vs 2023 (pp).
JATIM_2024 = pd.DataFrame({
    "name": ["Sampang", "Bangkalan", "Kediri", "Mojokerto", "Jombang", "Kota Mojokerto", "Kota Surabaya",
             "Kota Batu"],
    "p0": [20.83, 18.66, 9.95, 9.37, 8.60, 5.57, 3.96, 3.06],
    "p0_2023": [21.76, 19.35, 10.72, 9.80, 9.15, 5.77, 4.65, 3.31],
})
JATIM_2024["delta_p0_pp"] = (JATIM_2024["p0"] - JATIM_2024["p0_2023"]).round(2)


def trend_frame(years: list[int] = YEARS, extra: dict[str, list[float]] | None = None) -> pd.DataFrame:
    data = dict(P0_SERIES, **(extra or {}))
    rows = [(year, label, values[i]) for label, values in data.items() for i, year in enumerate(years)]
    return pd.DataFrame(rows, columns=["year", "label", "p0"])


def extreme_frame() -> pd.DataFrame:
    # Shaped like a kab/kota extreme-poverty estimate with its interval; Kota Mojokerto is 0 (a real 2023 value).
    return pd.DataFrame({
        "name": ["Sampang", "Bangkalan", "Jombang", "Kota Surabaya", "Kota Mojokerto"],
        "rate": [3.87, 2.95, 0.50, 0.21, 0.0],
        "ci_low": [2.90, 1.40, 0.31, 0.02, 0.0],
        "ci_high": [4.84, 4.50, 0.69, 0.40, 0.35],
        "flag": ["layak", "hati-hati", "layak", "tidak layak", "tidak layak"],
    })


def sae_frame() -> pd.DataFrame:
    direct = np.array([21.40, 8.10, 9.80, 4.20, 3.30])
    se_direct = np.array([2.6, 1.9, 1.1, 1.3, 0.9])
    eblup = np.array([20.90, 8.75, 9.55, 4.45, 3.20])
    se_eblup = np.array([1.8, 1.1, 0.8, 0.7, 0.6])
    return pd.DataFrame({
        "name": ["Sampang", "Jombang", "Mojokerto", "Kota Surabaya", "Kota Batu"],
        "direct": direct, "direct_low": direct - 1.96 * se_direct, "direct_high": direct + 1.96 * se_direct,
        "eblup": eblup, "eblup_low": eblup - 1.96 * se_eblup, "eblup_high": eblup + 1.96 * se_eblup,
    })


def cv_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["Sampang", "Jombang", "Mojokerto", "Kota Surabaya", "Kota Batu"],
        "cv_direct": [12.15, 23.46, 11.22, 54.10, 27.27],
        "cv_eblup": [8.61, 12.57, 8.38, 15.73, 18.75],
    })


def figure_texts(fig: Figure) -> list[str]:
    with chart_style():
        fig.draw_without_rendering()
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def assert_texts_inside(fig: Figure) -> None:
    """No visible text is cut off at the figure edge.

    Tick labels are checked through each axes' tight bbox, which counts only the ticks actually drawn
    (matplotlib keeps spare tick objects outside the view limits).
    """
    with chart_style():
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        box = fig.bbox
        tick_texts = {
            id(label)
            for axes in fig.findobj(lambda a: hasattr(a, "xaxis"))
            for axis in (axes.xaxis, axes.yaxis)
            for tick in axis.majorTicks + axis.minorTicks
            for label in (tick.label1, tick.label2)
        }
        extents = [(t.get_text(), t.get_window_extent(renderer=renderer)) for t in fig.findobj(Text)
                   if t.get_visible() and t.get_text() and id(t) not in tick_texts]
        extents += [("axes", ax.get_tightbbox(renderer)) for ax in fig.axes]
        for name, extent in extents:
            assert extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1, name
            assert extent.y0 >= box.y0 - 1 and extent.y1 <= box.y1 + 1, name


# ---- formatting ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (9.15, 2, "9,15"),
    (3982.73, 2, "3.982,73"),
    (-0.55, 2, "-0,55"),
    (8.6, 2, "8,60"),
    (8.605, 2, "8,61"),  # half-up on the printed decimal, not binary round-half-even
    (2.675, 2, "2,68"),
    (999.995, 2, "1.000,00"),
    (-0.0, 2, "0,00"),
    (-0.004, 2, "0,00"),  # rounds to zero: no sign
    (-1234.5, 0, "-1.235"),
    (1234567.891, 2, "1.234.567,89"),
    (1e12, 0, "1.000.000.000.000"),
    (np.float64(9.15), 2, "9,15"),
    (np.int64(654220), 0, "654.220"),
    (0.5, 0, "1"),
    (float("nan"), 2, "–"),
    (None, 2, "–"),
    (pd.NA, 2, "–"),
    (float("inf"), 2, "∞"),
])
def test_format_number_id(value, decimals, expected):
    assert format_number_id(value, decimals) == expected


def test_format_number_rejects_text():
    with pytest.raises(TypeError):
        format_number_id("abc")
    with pytest.raises(ValueError):
        format_number_id(1.0, -1)


def test_format_percent_pp_rupiah_persons():
    assert format_percent_id(9.15) == "9,15%"
    assert format_percent_id(float("nan")) == "–"
    assert format_pp_id(-0.55) == "−0,55 poin"
    assert format_pp_id(0.3) == "+0,30 poin"
    assert format_pp_id(-0.001) == "0,00 poin"
    assert format_pp_id(9.15 - 8.60) == "+0,55 poin"  # float noise 0.5500000000000007 does not leak
    assert format_pp_id(None) == "–"
    assert format_rupiah(514170) == "Rp 514.170"
    assert format_rupiah(532053.4) == "Rp 532.053"
    assert format_persons_id(117360) == "117,36 ribu jiwa"
    assert format_persons_id(117.36 * 1000) == "117,36 ribu jiwa"
    assert format_persons_id(1450) == "1.450 jiwa"
    assert format_persons_id(7408) == "7.408 jiwa"
    assert format_persons_id(0) == "0 jiwa"
    assert format_persons_id(654220) == "654,22 ribu jiwa"
    assert format_persons_id(25_898_900) == "25,90 juta jiwa"
    assert format_persons_id(65_000, scale="ribu", decimals=0) == "65 ribu jiwa"
    with pytest.raises(ValueError):
        format_persons_id(1, scale="lakh")


def test_tick_formatters():
    fmt = IndonesianScalarFormatter()
    fmt.set_locs([8.0, 8.5, 9.0, 9.5])
    assert [fmt(x) for x in (8.0, 8.5)] == ["8,0", "8,5"]
    fmt.set_locs([0, 2000, 4000])
    assert fmt(4000) == "4.000"
    fmt.set_locs([-1.0, 0.0, 1.0])
    assert fmt(-1.0) == "−1"
    fmt.set_locs([0.0, 0.25, 0.5])
    assert fmt(0.25) == "0,25"
    assert year_formatter()(2024.0, 0) == "2024"


def test_spread_positions_keeps_order_and_gap():
    placed = spread_positions([10.0, 10.5, 30.0, 9.8], 4.0)
    order = np.argsort(placed)
    assert list(order) == [3, 0, 1, 2]
    gaps = np.diff(np.sort(placed))
    assert (gaps >= 4.0 - 1e-9).all()
    # the cluster of three is centred on the mean of the wanted positions
    assert math.isclose(np.mean(np.sort(placed)[:3]), np.mean([10.0, 10.5, 9.8]))
    assert placed[2] == 30.0


# ---- poverty charts -------------------------------------------------------------------------------------

def test_p0_trend_chart_texts_and_layout():
    fig = p0_trend_chart(trend_frame(), title="Persentase penduduk miskin Jombang, Jawa Timur dan Indonesia")
    texts = figure_texts(fig)
    for expected in ("8,60", "9,79", "9,03", "Sumber: BPS, diolah", "Persentase penduduk miskin (%)", "Tahun",
                     "Jombang", "Jawa Timur", "Indonesia", "2019", "2024"):
        assert expected in texts, expected
    assert not any("2.02" in t for t in texts)  # years never get a thousands dot
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3
    assert_texts_inside(fig)


def test_p0_trend_end_labels_do_not_overlap():
    # 2025: Jombang 8,36 and Indonesia 8,47 are only 0,11 apart.
    years = list(range(2019, 2026))
    data = {"Jombang": P0_SERIES["Jombang"] + [8.36], "Jawa Timur": P0_SERIES["Jawa Timur"] + [9.50],
            "Indonesia": P0_SERIES["Indonesia"] + [8.47]}
    frame = pd.DataFrame([(y, k, v[i]) for k, v in data.items() for i, y in enumerate(years)],
                         columns=["year", "label", "p0"])
    fig = p0_trend_chart(frame, title="Tren", source_note="Sumber: BPS (Susenas Maret), diolah")
    with chart_style():
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        labels = {t.get_text(): t.get_window_extent(renderer) for t in fig.axes[0].texts}
    assert set(labels) == {"8,36", "8,47", "9,50"}
    assert not labels["8,36"].overlaps(labels["8,47"])
    assert labels["8,36"].y1 <= labels["8,47"].y0 + 0.5  # order kept: lower value below
    assert "Sumber: BPS (Susenas Maret), diolah" in figure_texts(fig)


def test_p0_trend_chart_gaps_and_bad_input():
    frame = trend_frame()
    frame.loc[(frame["label"] == "Jombang") & (frame["year"] == 2024), "p0"] = np.nan
    fig = p0_trend_chart(frame, title="Dengan data hilang")
    assert "9,15" in figure_texts(fig)  # last observed Jombang value gets the label
    with pytest.raises(ValueError, match="'p0'"):
        p0_trend_chart(trend_frame().drop(columns="p0"), title="x")
    with pytest.raises(ValueError, match="'label'"):
        p0_trend_chart(trend_frame().drop(columns="label"), title="x")
    with pytest.raises(ValueError, match="Jombang"):
        p0_trend_chart(pd.concat([trend_frame(), trend_frame().head(1)]), title="x")
    with pytest.raises(ValueError, match="'p0'"):
        p0_trend_chart(trend_frame().assign(p0="sembilan"), title="x")
    with pytest.raises(ValueError, match="no rows"):
        p0_trend_chart(trend_frame().iloc[0:0], title="x")


def test_ranked_change_chart():
    frame = JATIM_2024[["name", "p0", "delta_p0_pp"]]
    fig = ranked_change_chart(frame, province_name="Jawa Timur", year=2024, year_prev=2023, highlight="Jombang",
                              province_p0=9.79)
    texts = figure_texts(fig)
    assert "8,60 (−0,55 poin)" in texts
    assert "20,83 (−0,93 poin)" in texts
    assert "Jawa Timur 9,79%" in texts
    assert "Turun dibanding 2023" in texts
    assert "Sumber: BPS, diolah" in texts
    assert "Persentase penduduk miskin 2024 (%)" in texts
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    bars = list(ax.patches)
    # Highest P0 on top: ticks are listed in data order with descending y.
    assert names[0] == "Sampang" and names[-1] == "Kota Batu"
    assert bars[0].get_y() > bars[-1].get_y()
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["Jombang"]
    assert bars[names.index("Jombang")].get_edgecolor()[:3] == (0.0, 0.0, 0.0)
    assert {to_hex(b.get_facecolor()) for b in bars} == {OKABE_ITO["blue"].lower()}
    assert_texts_inside(fig)
    # every value label ends inside the axes (no label runs past the plot)
    with chart_style():
        fig.draw_without_rendering()
        right = ax.get_window_extent().x1
        assert all(t.get_window_extent().x1 <= right + 1 for t in ax.texts)


def test_ranked_change_chart_colours_follow_sign():
    frame = pd.DataFrame({"name": ["A", "B", "C", "D"], "p0": [10.0, 8.0, 6.0, 4.0],
                          "delta_p0_pp": [0.72, -0.55, 0.001, np.nan]})
    fig = ranked_change_chart(frame, province_name="Jawa Timur", year=2020, year_prev=2019)
    colours = [to_hex(b.get_facecolor()) for b in fig.axes[0].patches]
    assert colours[0] == OKABE_ITO["vermillion"].lower()
    assert colours[1] == OKABE_ITO["blue"].lower()
    assert colours[2] == colours[3] == "#8c8c8c"  # +0,001 shows as 0,00: unchanged, like a missing change
    texts = figure_texts(fig)
    assert "10,00 (+0,72 poin)" in texts and "6,00 (0,00 poin)" in texts and "4,00" in texts
    assert "Naik dibanding 2019" in texts and "Tetap / tanpa data pembanding" in texts
    assert_texts_inside(fig)  # three legend entries wrap instead of running off the figure
    with pytest.raises(ValueError, match="'delta_p0_pp'"):
        ranked_change_chart(frame.drop(columns="delta_p0_pp"), province_name="x", year=2020, year_prev=2019)
    with pytest.raises(ValueError, match="duplicates"):
        ranked_change_chart(pd.concat([frame, frame]), province_name="x", year=2020, year_prev=2019)


def test_extreme_poverty_ranking_chart():
    fig = extreme_poverty_ranking_chart(extreme_frame(), title="Persentase penduduk miskin ekstrem, Jawa Timur")
    texts = figure_texts(fig)
    for expected in ("3,87", "0,50", "0,00", "Layak", "Hati-hati", "Tidak layak", "Selang kepercayaan 95%",
                     "Sumber: BPS, diolah", "Persentase penduduk miskin ekstrem (%)"):
        assert expected in texts, expected
    ax = fig.axes[0]
    markers = {c.get_label(): len(c.get_offsets()) for c in ax.collections if c.get_offsets().shape[0]}
    assert sum(len(c.get_offsets()) for c in ax.collections[1:]) == 5  # [0] is the CI lines
    assert markers
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == ["Sampang", "Bangkalan", "Jombang", "Kota Surabaya", "Kota Mojokerto"]
    assert_texts_inside(fig)
    # without interval or flag it still draws, with no legend
    bare = extreme_poverty_ranking_chart(extreme_frame()[["name", "rate"]], title="x")
    assert bare.axes[0].get_legend() is None


def test_extreme_poverty_ranking_chart_bad_input():
    frame = extreme_frame()
    with pytest.raises(ValueError, match="'ci_high'"):
        extreme_poverty_ranking_chart(frame.drop(columns="ci_high"), title="x")
    with pytest.raises(ValueError, match="'rate'"):
        extreme_poverty_ranking_chart(frame.drop(columns="rate"), title="x")
    with pytest.raises(ValueError, match="flag"):
        extreme_poverty_ranking_chart(frame.assign(flag=["layak", "baik", "layak", "layak", "layak"]), title="x")
    with pytest.raises(ValueError, match="interval"):
        extreme_poverty_ranking_chart(frame.assign(ci_high=frame["rate"] - 0.1), title="x")


# ---- SAE charts ----------------------------------------------------------------------------------------

def test_direct_vs_eblup_chart():
    frame = sae_frame()
    fig = direct_vs_eblup_chart(frame, title="Estimasi langsung dan EBLUP, Jawa Timur 2024")
    texts = figure_texts(fig)
    for expected in ("8,10", "8,75", "21,40", "20,90", "Estimasi langsung (SK 95%)", "EBLUP (Fay-Herriot) (SK 95%)",
                     "Persentase penduduk miskin (%)"):
        assert expected in texts, expected
    assert any(t.startswith("Sumber: BPS, diolah") for t in texts)
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert names == ["Sampang", "Mojokerto", "Jombang", "Kota Surabaya", "Kota Batu"]  # sorted by direct
    assert_texts_inside(fig)
    # An area without a sample (no direct estimate) is kept, last, with its EBLUP only.
    frame.loc[1, ["direct", "direct_low", "direct_high"]] = np.nan
    fig2 = direct_vs_eblup_chart(frame, title="x")
    assert [t.get_text() for t in fig2.axes[0].get_yticklabels()][-1] == "Jombang"
    assert "8,75" in figure_texts(fig2) and "8,10" not in figure_texts(fig2)
    with pytest.raises(ValueError, match="'eblup_high'"):
        direct_vs_eblup_chart(sae_frame().drop(columns="eblup_high"), title="x")


def test_cv_comparison_chart():
    fig = cv_comparison_chart(cv_frame(), title="Koefisien variasi estimasi langsung dan EBLUP")
    texts = figure_texts(fig)
    assert "RSE 25%\nbatas hati-hati" in texts and "RSE 50%\nbatas tidak layak" in texts
    assert "Estimasi langsung (median 23,5%)" in texts
    assert "EBLUP (Fay-Herriot) (median 12,6%)" in texts
    assert "Sumber: BPS, diolah" in texts and "Koefisien variasi / RSE (%)" in texts
    ax = fig.axes[0]
    vlines = sorted(line.get_xdata()[0] for line in ax.get_lines() if len(set(line.get_xdata())) == 1)
    assert vlines == [25, 50]
    assert ax.get_yticklabels()[0].get_text() == "Kota Surabaya"  # least precise direct on top
    assert_texts_inside(fig)
    # legend sits above the threshold labels, not on them
    with chart_style():
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        legend_box = ax.get_legend().get_window_extent(renderer)
        top_labels = [t for t in fig.findobj(Text) if t.get_text().startswith("RSE ")]
        assert all(not legend_box.overlaps(t.get_window_extent(renderer)) for t in top_labels)
        title_box = fig._suptitle.get_window_extent(renderer)
        assert not legend_box.overlaps(title_box)
    with pytest.raises(ValueError, match="'cv_eblup'"):
        cv_comparison_chart(cv_frame().drop(columns="cv_eblup"), title="x")
    with pytest.raises(ValueError, match="negative"):
        cv_comparison_chart(cv_frame().assign(cv_eblup=-1.0), title="x")
    inf = cv_frame().assign(cv_direct=[12.15, np.inf, 11.22, 54.10, 27.27])  # direct estimate 0 -> CV infinite
    assert "Jombang" in figure_texts(cv_comparison_chart(inf, title="x"))


def test_cv_threshold_labels_never_overlap_on_a_wide_range():
    """With direct CVs up to ~300% the 25% and 50% lines are ~20 px apart: their labels grow away from each
    other (issue 8: they overlapped)."""
    wide = cv_frame().assign(cv_direct=[12.15, 310.0, 11.22, 154.10, 27.27])
    fig = cv_comparison_chart(wide, title="CV")
    with chart_style():
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        labels = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().startswith("RSE ")]
        boxes = [t.get_window_extent(renderer) for t in labels]
        assert len(boxes) == 2 and not boxes[0].overlaps(boxes[1])
    assert_texts_inside(fig)


def test_long_source_note_wraps_inside_the_figure():
    """The source line of the SAE charts (source, line definition, synthetic-data notice) ran off the right
    edge (issue 8); it wraps, and the bottom band grows so it does not cover the axis label."""
    note = ("Sumber: sampel sintetis serupa Susenas Maret, diolah (bukan angka resmi BPS); garis USD 2,15 (PPP "
            "2017) dengan deflator spasial, rilis Juli 2025 dan seterusnya")
    fig = direct_vs_eblup_chart(sae_frame(), title="Langsung vs EBLUP", source_note=note)
    notes = [t for t in fig.findobj(Text) if t.get_text().startswith("Sumber:")]
    assert len(notes) == 1 and "\n" in notes[0].get_text()
    assert notes[0].get_text().replace("\n", " ").startswith(note)
    assert_texts_inside(fig)
    with chart_style():
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        xlabel = fig.axes[0].xaxis.label.get_window_extent(renderer)
        assert not notes[0].get_window_extent(renderer).overlaps(xlabel)


# ---- export --------------------------------------------------------------------------------------------

CHART_BUILDERS = {
    "trend": lambda: p0_trend_chart(trend_frame(), title="Tren P0"),
    "ranked": lambda: ranked_change_chart(JATIM_2024[["name", "p0", "delta_p0_pp"]], province_name="Jawa Timur",
                                          year=2024, year_prev=2023, highlight="Jombang", province_p0=9.79),
    "extreme": lambda: extreme_poverty_ranking_chart(extreme_frame(), title="Kemiskinan ekstrem"),
    "sae": lambda: direct_vs_eblup_chart(sae_frame(), title="Langsung vs EBLUP"),
    "cv": lambda: cv_comparison_chart(cv_frame(), title="CV"),
}


def all_charts(names=tuple(CHART_BUILDERS)) -> dict[str, Figure]:
    return {name: CHART_BUILDERS[name]() for name in names}


def test_save_figure_writes_png_and_svg(tmp_path: Path):
    fig = p0_trend_chart(trend_frame(), title="Tren P0")
    paths = save_figure(fig, tmp_path / "out" / "p0_trend.v1")
    assert paths == {"png": tmp_path / "out" / "p0_trend.v1.png", "svg": tmp_path / "out" / "p0_trend.v1.svg"}
    png, svg = paths["png"].read_bytes(), paths["svg"].read_text("utf-8")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in png and b"matplotlib" not in png.lower()
    assert svg.startswith("<?xml") and "<svg" in svg
    assert "dc:date" not in svg and "Matplotlib v" not in svg
    # 150 dpi at 7.5 in wide
    assert int.from_bytes(png[16:20], "big") == 1125
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p0_trend.v1.png", "p0_trend.v1.svg"]
    assert fig.axes == []  # closed after saving


# Bars, dumbbells on a secondary axis and spread labels: every kind of artist the charts draw, in three charts
# (all five rendered twice cost ~20 s of the suite).
DETERMINISM_CHARTS = ("ranked", "cv", "trend")


def test_output_is_byte_identical_across_renders(tmp_path: Path):
    first = {name: save_figure(fig, tmp_path / "a" / name) for name, fig in all_charts(DETERMINISM_CHARTS).items()}
    second = {name: save_figure(fig, tmp_path / "b" / name) for name, fig in all_charts(DETERMINISM_CHARTS).items()}
    for name in first:
        for fmt in ("png", "svg"):
            assert first[name][fmt].read_bytes() == second[name][fmt].read_bytes(), (name, fmt)


def test_different_data_give_different_bytes():
    a = render_bytes(p0_trend_chart(trend_frame(), title="Tren"), "png")
    changed = trend_frame()
    changed.loc[changed.index[5], "p0"] = 8.61
    b = render_bytes(p0_trend_chart(changed, title="Tren"), "png")
    assert a != b
    with pytest.raises(ValueError, match="format"):
        render_bytes(p0_trend_chart(trend_frame(), title="Tren"), "jpg")


def test_metadata_image_is_the_written_png_scaled():
    fig = ranked_change_chart(JATIM_2024[["name", "p0", "delta_p0_pp"]], province_name="Jawa Timur", year=2024,
                              year_prev=2023)
    png = render_bytes(fig, "png")
    md = markdown_thumbnail(png, "P0 [Jawa Timur]\n2024", width_px=900)
    assert md.startswith("![P0 (Jawa Timur) 2024](data:image/png;base64,") and md.endswith(")")
    small = base64.b64decode(md[md.index("base64,") + 7:-1])
    assert small.startswith(b"\x89PNG") and int.from_bytes(small[16:20], "big") == 900  # PNG width field
    assert len(md) < 200_000  # tens of kB, not MB, in Dagster metadata

"""Kab/kota profiles: the record's figures from small frames, and the PDF drawn from it (text read back with
pypdf, fonts embedded, the synthetic mark, a kab/kota without geometry said in words)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.path import Path as MplPath
from pypdf import PdfReader

from estimation.charts.maps import MapGeometry
from estimation.publishing.profile import (
    FIELD_NOTES_KABKOTA,
    TREND_YEARS,
    build_profile,
    prepare_inputs,
    profile_file_name,
    select_kabkota,
)
from estimation.publishing.profile_pdf import ProvinceMaps, render_profile

YEARS = list(range(2013, 2026))
# three kab/kota of one province: P0 by year (2025 ranks: Pacitan 1, Jombang 2, Kota Mojokerto 3)
P0 = {"3501": np.linspace(17.0, 13.0, len(YEARS)), "3517": np.linspace(11.0, 8.36, len(YEARS)),
      "3576": np.linspace(7.0, 5.05, len(YEARS))}


def _reference() -> pd.DataFrame:
    return pd.DataFrame({
        "bps_code": ["3500", "3501", "3517", "3576", "3600", "3602"],
        "level": ["provinsi", "kabupaten", "kabupaten", "kota", "provinsi", "kabupaten"],
        "name": ["JAWA TIMUR", "Pacitan", "Jombang", "Kota Mojokerto", "BANTEN", "Lebak"],
        "prov_code": ["35", "35", "35", "35", "36", "36"],
        "prov_name": ["JAWA TIMUR"] * 4 + ["BANTEN"] * 2,
    })


def _panel() -> pd.DataFrame:
    rows = []
    for code, series in P0.items():
        for year, p0 in zip(YEARS, series, strict=True):
            rows.append({"bps_code": code, "year": year, "p0": round(float(p0), 2),
                         "poor_thousand": round(float(p0) * 12.9, 2), "poverty_line_rp": np.nan, "p1": np.nan,
                         "p2": np.nan, "note": None})
    frame = pd.DataFrame(rows)
    jombang = frame["bps_code"] == "3517"
    frame.loc[jombang & (frame["year"] == 2024), ["p0", "poor_thousand", "poverty_line_rp"]] = [8.60, 110.57,
                                                                                                514170.0]
    frame.loc[jombang & (frame["year"] == 2025), ["p0", "poor_thousand", "poverty_line_rp"]] = [8.36, 107.82,
                                                                                                532053.0]
    frame.loc[jombang & (frame["year"] == 2023), ["p1", "p2", "poverty_line_rp"]] = [1.15, 0.24, 488754.0]
    frame.loc[frame["bps_code"] == "3501", "poverty_line_rp"] = np.nan
    lebak = pd.DataFrame({"bps_code": "3602", "year": [2024, 2025], "p0": [8.44, 8.03], "poor_thousand": [111.71, 106.52],
                          "poverty_line_rp": np.nan, "p1": np.nan, "p2": np.nan, "note": None})
    return pd.concat([frame, lebak], ignore_index=True)


def _province() -> pd.DataFrame:
    years = pd.Series(YEARS)
    frame = pd.concat([
        pd.DataFrame({"bps_code": "3500", "year": years, "p0": np.linspace(13.0, 9.50, len(YEARS)).round(2)}),
        pd.DataFrame({"bps_code": "0000", "year": years, "p0": np.linspace(11.5, 8.47, len(YEARS)).round(2)}),
    ]).assign(poor_thousand=np.nan)
    frame.loc[frame["year"] == 2025, "poor_thousand"] = [3_875.88, 23_854.56]
    return frame


def _deltas(panel: pd.DataFrame) -> pd.DataFrame:
    frame = panel.sort_values(["bps_code", "year"]).copy()
    frame["year_prev"] = frame.groupby("bps_code")["year"].shift(1)
    frame["delta_p0_pp"] = (frame["p0"] - frame.groupby("bps_code")["p0"].shift(1)).round(2)
    frame["delta_poor_persons"] = ((frame["poor_thousand"] - frame.groupby("bps_code")["poor_thousand"].shift(1))
                                   * 1000).round()
    return frame.dropna(subset=["year_prev"])


def _sae() -> pd.DataFrame:
    return pd.DataFrame({
        "bps_code": ["3517", "3517", "3517"], "year": [2023, 2024, 2024], "indicator": ["extreme", "extreme", "p0"],
        "line_definition": ["usd190_2011ppp", "usd215_2017ppp", "usd215_2017ppp"],
        "benchmarked": [0.0063, 0.0081, 0.09], "eblup": [0.0070, 0.0084, 0.09], "ci_low": [0.0043, 0.0055, 0.08],
        "ci_high": [0.0135, 0.0112, 0.1], "rse": [0.262, 0.175, 0.02], "flag": ["caution", "publish", "publish"],
        "persons": [8_000.0, 10_430.0, 1.0], "direct": [0.0050, 0.0068, 0.09],
    })


def _registry() -> pd.DataFrame:
    return pd.DataFrame({"source": ["p3ke", "dtsen"], "kabkota_code": ["3517", "3517"], "year": [2024, 2025],
                         "snapshot_date": ["2024-03-14", "2025-06-30"], "extreme_rate_pct": [1.822602, np.nan],
                         "extreme_individuals": [24_627, 0], "extreme_families": [5_792, 0],
                         "key_mode": ["demo", "demo"]})


def _padu() -> pd.DataFrame:
    return pd.DataFrame([{"kabkota_code": "3517", "year": 2024, "list_rows": 7_458, "found": 7_408,
                          "left_desil1": 5_567, "still_desil1": 1_841, "optimal": 1_752, "not_optimal": 89,
                          "not_optimal_alive": 78, "not_optimal_deceased": 11, "not_found": 23,
                          "invalid_nik_not_found": 6, "invalid_nik_on_list": 12, "duplicate_rows_on_list": 9}])


@pytest.fixture(scope="module")
def inputs():
    panel = _panel()
    return prepare_inputs(_reference(), panel, _province(), _deltas(panel), _sae(), _registry(), _padu())


def _square(x: float, y: float, size: float = 0.2) -> MplPath:
    return MplPath(np.array([[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]), closed=True)


@pytest.fixture(scope="module")
def maps():
    """Jombang and Kota Mojokerto have shapes; Pacitan has none (like a kab/kota created after 2016)."""
    geometry = MapGeometry(
        shapes={"3517": _square(112.2, -7.6), "3576": _square(112.45, -7.5, 0.05)},
        province_of={"3501": "35", "3517": "35", "3576": "35", "3602": "36"},
        names={"3501": "Pacitan", "3517": "Jombang", "3576": "Kota Mojokerto", "3602": "Lebak"},
        province_names={"35": "Jawa Timur", "36": "Banten"}, other=[], border_arcs={}, arc_users={})
    return ProvinceMaps(geometry)


def test_record_figures(inputs):
    p = build_profile(inputs, "3517", 2025)
    assert (p.name, p.title_name, p.prov_code, p.year, p.year_prev) == ("Jombang", "Kabupaten Jombang", "35", 2025,
                                                                        2024)
    assert (p.p0, p.p0_prev, p.delta_p0_pp) == (8.36, 8.60, -0.24)
    assert (p.poor_thousand, p.poor_thousand_prev, p.delta_poor_persons) == (107.82, 110.57, -2750.0)
    assert (p.prov_p0, p.indonesia_p0) == (9.5, 8.47)
    # Pacitan's P0 is higher, Kota Mojokerto's lower: Jombang is 2nd of 3 in both years
    assert (p.rank, p.rank_of, p.rank_prev, p.rank_prev_of) == (2, 3, 2, 3)
    assert (p.poverty_line_rp, p.poverty_line_prev_rp, p.poverty_line_year) == (532053.0, 514170.0, 2025)
    assert (p.p1, p.p2, p.p1p2_year) == (1.15, 0.24, 2023)
    assert [t.year for t in p.trend] == list(range(2026 - TREND_YEARS, 2026)) == list(range(2015, 2026))
    assert p.trend[-1].p0 == 8.36 and p.trend[-1].prov_p0 == 9.5 and p.trend[-1].indonesia_p0 == 8.47
    # the extreme indicator only, in percent, oldest first; the p0 model row is not an extreme estimate
    assert [e.year for e in p.extreme] == [2023, 2024]
    latest = p.latest_extreme
    assert latest is not None and latest.rate == pytest.approx(0.81) and latest.ci_low == pytest.approx(0.55)
    assert latest.ci_high == pytest.approx(1.12) and latest.rse == pytest.approx(17.5) and latest.flag == "publish"
    assert latest.persons == 10_430.0 and latest.direct == pytest.approx(0.68)
    # the P3KE rows only (DTSEN carries no extreme flag)
    assert [(r.year, r.rate, r.individuals, r.families) for r in p.registry] == [(2024, 1.822602, 24_627, 5_792)]
    assert p.padu_padan is not None and (p.padu_padan.found, p.padu_padan.not_optimal_deceased) == (7_408, 11)
    assert profile_file_name(p) == "profil_kemiskinan_3517_jombang_2025.pdf"


def test_rank_ties_share_the_best_rank():
    panel = _panel()
    panel.loc[(panel["bps_code"] == "3576") & (panel["year"] == 2025), "p0"] = 8.36  # ties with Jombang
    inputs = prepare_inputs(_reference(), panel, _province(), _deltas(panel), _sae())
    assert (build_profile(inputs, "3517", 2025).rank, build_profile(inputs, "3576", 2025).rank) == (2, 2)
    assert build_profile(inputs, "3501", 2025).rank == 1


def test_an_earlier_year_and_missing_parts(inputs):
    p = build_profile(inputs, "3576", 2024)
    assert p.year_prev == 2023 and p.rank == 3
    assert np.isnan(p.poverty_line_rp) and p.poverty_line_year is None and p.p1p2_year is None
    assert p.extreme == () and p.registry == () and p.padu_padan is None
    with pytest.raises(ValueError, match="no published P0 for 3602 Lebak in 2023"):
        build_profile(inputs, "3602", 2023)
    with pytest.raises(ValueError, match="not a kab/kota code"):
        build_profile(inputs, "3500", 2025)


def test_selection_by_code_name_province_or_all():
    ref = _reference()
    assert select_kabkota(ref, kabkota=["3517", "Kota Mojokerto", "kab. lebak"]) == ["3517", "3576", "3602"]
    assert select_kabkota(ref, province="Jawa Timur") == ["3501", "3517", "3576"]
    assert select_kabkota(ref, province="36", kabkota=["Jombang"]) == ["3517", "3602"]
    assert select_kabkota(ref, all_kabkota=True) == ["3501", "3517", "3576", "3602"]
    with pytest.raises(ValueError, match="unknown kab/kota 'Mojokerto'"):  # the kabupaten is not in this list
        select_kabkota(ref, kabkota=["Mojokerto"])
    with pytest.raises(ValueError, match="unknown province"):
        select_kabkota(ref, province="Jawa Tengah")
    twice = pd.concat([ref, pd.DataFrame([{"bps_code": "3603", "level": "kabupaten", "name": "Jombang",
                                           "prov_code": "36", "prov_name": "BANTEN"}])])
    with pytest.raises(ValueError, match="ambiguous"):
        select_kabkota(twice, kabkota=["Jombang"])
    assert FIELD_NOTES_KABKOTA == ("3517", "3576", "3602", "6271")


def _pdf(inputs, maps, code: str = "3517", year: int = 2025) -> tuple[bytes, PdfReader]:
    profile = build_profile(inputs, code, year)
    p0 = pd.Series({c: s[-1] for c, s in P0.items()})
    data = render_profile(profile, maps=maps, p0_by_code=p0, registry_demo=True)
    return data, PdfReader(io.BytesIO(data))


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_text_carries_the_figures(inputs, maps):
    data, reader = _pdf(inputs, maps)
    assert data.startswith(b"%PDF") and len(reader.pages) == 2
    text = _text(reader)
    lines = text.split("\n")
    at = lines.index("Persentase penduduk miskin (P0)")
    assert lines[at + 1:at + 4] == ["8,60%", "8,36%", "−0,24 poin"]
    at = lines.index("Jumlah penduduk miskin (ribu jiwa)")
    assert lines[at + 1:at + 4] == ["110,57", "107,82", "−2.750 jiwa"]
    at = lines.index("Garis kemiskinan (Rp/kapita/bulan)")
    assert lines[at + 1:at + 4] == ["Rp 514.170", "Rp 532.053", "+17.883 (+3,48%)"]
    at = lines.index("Peringkat P0 di Jawa Timur (1 = tertinggi)")
    assert lines[at + 1:at + 3] == ["2 dari 3", "2 dari 3"]
    at = lines.index("Provinsi Jawa Timur")
    assert lines[at + 1:at + 5] == ["9,79%", "9,50%", "−0,29 poin", "3.875,88"]
    assert lines[lines.index("Indonesia", at) + 1:lines.index("Indonesia", at) + 5] == ["8,72%", "8,47%",
                                                                                      "−0,25 poin", "23.854,56"]
    at = lines.index("Kabupaten Jombang", lines.index("Wilayah"))
    assert lines[at + 1:at + 5] == ["8,60%", "8,36%", "−0,24 poin", "107,82"]
    flat = " ".join(lines)
    assert "(P1) 1,15 dan indeks keparahan kemiskinan (P2) 0,24, Maret 2023" in flat
    at = lines.index("Persentase penduduk miskin ekstrem (estimasi model)")
    assert lines[at + 1] == "0,81%"
    assert lines[lines.index("Selang kepercayaan 95%") + 1] == "0,55% – 1,12%"
    assert lines[lines.index("Jumlah penduduk miskin ekstrem (estimasi)") + 1] == "10.430 jiwa"
    assert lines[lines.index("RSE (galat baku relatif)") + 1] == "17,5%"
    assert lines[lines.index("Kelayakan publikasi") + 1] == "layak"
    # model and P3KE side by side: 2023 model only, 2024 both
    at = lines.index("P3KE (KK)")
    assert lines[at + 1:at + 15] == ["2023", "0,63", "0,43–1,35", "hati-hati", "–", "–", "–",
                                     "2024", "0,81", "0,55–1,12", "layak", "1,82", "24.627", "5.792"]
    assert lines[lines.index("Ditemukan pada registri P3KE") + 1] == "7.408"
    assert lines[lines.index("   masih desil 1") + 1] == "1.841"
    assert text.count("DATA SINTETIS") >= 2 and "DATA DEMO" in text and "Sumber: BPS, diolah" in text
    assert "Profil Kemiskinan Kabupaten Jombang 2025" in text
    assert not re.search(r"\d{16}", text)


def test_pdf_fonts_are_embedded_dejavu(inputs, maps):
    _data, reader = _pdf(inputs, maps)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/FontDescriptor"].get_object() if "/FontDescriptor" in font else {}
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor
    assert fonts and all(fonts.values()), fonts
    assert {name.split("+")[-1] for name in fonts} == {"DejaVuSans", "DejaVuSans-Bold"}


def test_pdf_says_when_a_kabkota_has_no_geometry(inputs, maps):
    _data, reader = _pdf(inputs, maps, code="3501")
    flat = " ".join(_text(reader).split("\n"))
    assert "Kabupaten Pacitan tidak tergambar: belum ada batas wilayahnya pada peta kab/kota 2016." in flat
    _data, reader = _pdf(inputs, maps, code="3517")
    flat = " ".join(_text(reader).split("\n"))
    assert "Tanpa batas pada peta 2016: Pacitan." in flat and "tidak tergambar" not in flat


def test_pdf_without_model_or_registry_says_so(inputs, maps):
    _data, reader = _pdf(inputs, maps, code="3576", year=2024)
    flat = " ".join(_text(reader).split("\n"))
    assert "Belum ada estimasi model kemiskinan ekstrem untuk kab/kota ini." in flat
    assert "Padu padan" not in flat and "P1 dan P2 menurut kab/kota belum dipublikasikan" in flat


def test_same_figures_same_bytes(inputs, maps):
    assert _pdf(inputs, maps)[0] == _pdf(inputs, maps)[0]


def test_profiles_suite_passes_a_profile_and_fails_each_broken_pdf(inputs, maps, tmp_path):
    from reportlab.pdfgen.canvas import Canvas

    from checks.gx_bridge import run_suite
    from checks.suites.reports import profiles_suite
    from estimation.publish import manifest

    good = tmp_path / "good.pdf"
    good.write_bytes(_pdf(inputs, maps)[0])
    results = {r.rule: r for r in run_suite(profiles_suite(), manifest([good])).results}
    assert results and all(r.passed for r in results.values()), [r.message for r in results.values()]

    broken = tmp_path / "broken.pdf"  # Helvetica (not embedded), three pages, a 16-digit run, no synthetic mark
    canvas = Canvas(str(broken), invariant=1)
    for _ in range(3):
        canvas.drawString(72, 720, "PROFIL KEMISKINAN " + "3517" * 4)
        canvas.showPage()
    canvas.save()
    blank = tmp_path / "blank.pdf"  # no text at all
    canvas = Canvas(str(blank), invariant=1)
    canvas.rect(72, 72, 100, 100)
    canvas.showPage()
    canvas.save()
    bad = {r.rule: r for r in run_suite(profiles_suite(), manifest([good, broken, blank])).results}
    failing = {rule: sorted(Path(e["path"]).name for e in r.examples) for rule, r in bad.items() if not r.passed}
    assert failing == {"pdf_pages": ["broken.pdf"], "pdf_fonts_embedded": ["blank.pdf", "broken.pdf"],
                       "pdf_synthetic_mark": ["blank.pdf", "broken.pdf"], "pdf_no_16_digit_numbers": ["broken.pdf"],
                       "pdf_text_extractable": ["blank.pdf"]}


def test_an_estimate_to_read_with_care_says_so(inputs, maps):
    _data, reader = _pdf(inputs, maps, code="3517", year=2023)  # the 2023 round: RSE 26,2%, hati-hati
    flat = " ".join(_text(reader).split("\n"))
    assert "RSE 25–50%: gunakan estimasi ini dengan hati-hati." in flat and "tidak layak dipublikasikan" not in flat


def test_a_zero_estimate_has_no_rse(inputs, maps):
    from dataclasses import replace

    profile = build_profile(inputs, "3517", 2025)
    zero = replace(profile.extreme[-1], rate=0.0, ci_low=0.0, ci_high=0.0, rse=float("inf"), persons=0.0)
    data = render_profile(replace(profile, extreme=(*profile.extreme[:-1], zero)), maps=maps,
                          p0_by_code=pd.Series(dtype=float))
    lines = _text(PdfReader(io.BytesIO(data))).split("\n")
    assert lines[lines.index("RSE (galat baku relatif)") + 1] == "–"
    assert lines[lines.index("Persentase penduduk miskin ekstrem (estimasi model)") + 1] == "0,00%"
    assert "∞" not in "\n".join(lines)

"""The preview table of a table asset: highest and lowest kab/kota of the latest year and one chosen kab/kota,
labelled from the data dictionary, numbers in Indonesian format, missing values as "–"."""

import pandas as pd
import pytest

from assets.metadata import DEFAULT_PREVIEW_KABKOTA, PREVIEW_KABKOTA_ENV, PREVIEW_ROWS, cell_text, preview


def _panel() -> pd.DataFrame:
    codes = [f"35{i:02d}" for i in range(1, 19)] + ["3500", "0000"]
    rows = []
    for year, shift in ((2024, 0.0), (2025, -0.5)):
        for i, code in enumerate(codes):
            rows.append({"bps_code": code, "name": f"Region {code}", "year": year, "p0": 5.0 + i + shift,
                         "poor_thousand": 1234.5 + i, "p1": None if code == "3517" else 1.0})
    return pd.DataFrame(rows)


def _table_rows(text: str, section: int) -> list[list[str]]:
    block = text.split("\n\n")[2 * section + 2]
    return [line.strip("| ").split(" | ") for line in block.splitlines()[2:]]


def test_top_bottom_and_the_chosen_kabkota_of_the_latest_year(monkeypatch):
    monkeypatch.delenv(PREVIEW_KABKOTA_ENV, raising=False)
    text = preview(_panel(), "p0", ("bps_code", "name", "year", "p0", "poor_thousand", "p1"),
                   "p0_kabkota_validated", title="P0").value
    top, bottom, chosen = _table_rows(text, 0), _table_rows(text, 1), _table_rows(text, 2)
    # kab/kota only (no province 3500, no Indonesia 0000), latest year, highest first / lowest first
    assert [r[0] for r in top] == ["3518", "3517", "3516", "3515", "3514"][:PREVIEW_ROWS]
    assert [r[0] for r in bottom] == ["3501", "3502", "3503", "3504", "3505"][:PREVIEW_ROWS]
    assert {r[2] for r in top + bottom} == {"2025"}
    assert chosen == [["3517", "Region 3517", "2025", "20,50", "1.250,50", "–"]]
    assert DEFAULT_PREVIEW_KABKOTA == "3517" and text.startswith("**P0 2025**")
    assert "| Persentase penduduk miskin (P0) (%) | Jumlah penduduk miskin (ribu jiwa) |" in text


def test_the_chosen_kabkota_is_configurable(monkeypatch):
    monkeypatch.setenv(PREVIEW_KABKOTA_ENV, "3503")
    text = preview(_panel(), "p0", ("bps_code", "p0"), "p0_kabkota_validated").value
    assert _table_rows(text, 2) == [["3503", "6,50"]]
    monkeypatch.setenv(PREVIEW_KABKOTA_ENV, "Jombang")
    with pytest.raises(ValueError, match="4-digit BPS kab/kota code"):
        preview(_panel(), "p0", ("bps_code", "p0"), "p0_kabkota_validated")


def test_a_province_table_shows_the_province_and_indonesia(monkeypatch):
    monkeypatch.delenv(PREVIEW_KABKOTA_ENV, raising=False)
    provinces = pd.DataFrame({"bps_code": ["3500", "3600", "0000"] * 2, "year": [2024] * 3 + [2025] * 3,
                              "p0": [10.0, 8.0, 9.0, 9.5, 7.5, 8.5]})
    text = preview(provinces, "p0", ("bps_code", "year", "p0"), "p0_province_validated").value
    assert "provinsi tertinggi" in text
    assert [r[0] for r in _table_rows(text, 0)] == ["3500", "3600"]  # Indonesia is not ranked
    assert sorted(r[0] for r in _table_rows(text, 2)) == ["0000", "3500"]


def test_cells_as_readers_see_them():
    assert cell_text(0.0798, "estimate", "direct_estimates") == "7,98"  # a proportion, in percent
    assert cell_text(-6790, "delta_poor_persons") == "-6.790"
    assert cell_text(float("nan"), "p0") == "–" and cell_text(pd.NA, "name") == "–" and cell_text(None, "p0") == "–"
    assert cell_text("suppress", "flag", "sae_estimates") == "tidak layak"
    assert cell_text(2025, "year") == "2025"

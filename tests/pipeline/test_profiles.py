"""Kab/kota profiles from the session's whole-graph run: every number printed in the PDFs, read back with
pypdf, equals the published tables of that run at the precision printed.

The profiles asset reads the registry (P3KE aggregates, padu padan), so it belongs to the registry job, which the
shared run leaves out (the registry layer runs once per session on its own worker, tests/conftest.py). The asset
itself is materialised here on the shared run's stored frames (validated panels, deltas, estimates, geometry),
with the registry's two small count tables given as they come out of the demo extracts (the registry layer's
own tests pin those counts against the generated files).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from estimation.publishing.profile import FIELD_NOTES_KABKOTA
from estimation.registry.generator import _FIRST, _LAST, _STREET

pytestmark = pytest.mark.xdist_group("good_run")

PROFILED = [*FIELD_NOTES_KABKOTA, "Konawe Kepulauan"]  # the field notes' kab/kota + one without 2016 geometry
STORED = ("region_reference", "raw_kabkota_geometry", "p0_kabkota_validated", "p0_province_validated",
          "p0_deltas_kabkota", "sae_estimates")
# registry_aggregates (P3KE rows) and padu_padan_summary of the demo extracts, as the registry job computes them
REGISTRY_AGGREGATES = pd.DataFrame({
    "source": ["p3ke"] * 7 + ["dtsen"],
    "kabkota_code": ["3517", "3576", "3576", "3602", "3602", "6271", "6271", "6271"],
    "year": [2024, 2022, 2023, 2023, 2024, 2023, 2024, 2025],
    "snapshot_date": ["2024-03-14", "2022-12-31", "2023-12-31", "2023-12-31", "2024-03-14", "2023-12-31",
                      "2024-03-14", "2025-06-30"],
    "extreme_individuals": [24_627, 1_539, 0, 25_232, 24_347, 883, 979, 0],
    "extreme_families": [5_792, 377, 0, 6_043, 5_698, 209, 230, 0],
    "population": [1_351_200.0, 139_900.0, 140_600.0, 1_420_500.0, 1_433_400.0, 305_100.0, 308_900.0, np.nan],
    "key_mode": ["demo"] * 8,
})
REGISTRY_AGGREGATES["extreme_rate_pct"] = np.where(
    REGISTRY_AGGREGATES["source"] == "p3ke",
    100 * REGISTRY_AGGREGATES["extreme_individuals"] / REGISTRY_AGGREGATES["population"], np.nan)
PADU_PADAN = pd.DataFrame([{
    "kabkota_code": "3517", "year": 2024, "list_rows": 7_458, "invalid_nik_on_list": 12, "duplicate_rows_on_list": 9,
    "persons": 7_437, "not_found": 23, "invalid_nik_not_found": 6, "found": 7_408, "left_desil1": 5_567,
    "still_desil1": 1_841, "optimal": 1_752, "not_optimal": 89, "not_optimal_alive": 78, "not_optimal_deceased": 11,
    "not_optimal_moved": 0, "no_intervention": 0, "intervened": 7_418, "key_mode": "demo", "snapshot": "p3ke_3517_2024",
}])


def _stored(storage: Path, name: str) -> pd.DataFrame:
    folder = storage / name
    if folder.is_dir():  # a partitioned asset: one file per year, read whole by an unpartitioned report
        return pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))], ignore_index=True)
    return pd.read_parquet(storage / f"{name}.parquet")


@pytest.fixture(scope="module")
def profiles(good_run, tmp_path_factory):
    from dagster import AssetKey, asset, materialize

    from assets.reports.profiles import kabkota_profiles
    from assets.resources import ProjectPaths

    data_dir, result, _failures = good_run
    assert result.success
    frames = {name: _stored(data_dir / "storage", name) for name in STORED}
    frames["registry_aggregates"] = REGISTRY_AGGREGATES
    frames["padu_padan_summary"] = PADU_PADAN

    def stand_in(name: str, frame: pd.DataFrame):
        @asset(name=name)
        def _asset() -> pd.DataFrame:
            return frame
        return _asset

    out = tmp_path_factory.mktemp("profiles")
    paths = ProjectPaths(raw_dir=str(data_dir / "raw"), outputs_dir=str(out / "outputs"),
                         restricted_dir=str(out / "restricted"), storage_dir=str(out / "storage"))
    run = materialize([*(stand_in(n, f) for n, f in frames.items()), kabkota_profiles], resources={"paths": paths},
                      run_config={"ops": {"kabkota_profiles": {"config": {"kabkota": PROFILED}}}},
                      raise_on_error=False)
    assert run.success
    listing = run.asset_value(AssetKey("kabkota_profiles"))
    checks = {e.check_name: e.passed for e in run.get_asset_check_evaluations()}
    return data_dir / "outputs" / "tables", listing, checks, out / "outputs" / "profiles"


def _lines(path: Path) -> list[str]:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages).split("\n")


def _number(text: str) -> tuple[float, int]:
    """"−6.790 jiwa" -> (-6790.0, 0), "Rp 514.170" -> (514170.0, 0), "8,60%" -> (8.6, 2): value and decimals."""
    core = re.sub(r"^Rp |%$| jiwa$| poin$", "", text.strip()).replace("−", "-")
    assert re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})*(,\d+)?", core), text
    decimals = len(core.split(",")[1]) if "," in core else 0
    return float(core.replace(".", "").replace(",", ".")), decimals


def _agrees(printed: str, value: float) -> bool:
    """The printed figure is the value at the precision printed (half a unit of its last digit)."""
    number, decimals = _number(printed)
    return abs(number - value) <= 0.5 * 10.0 ** -decimals + 1e-9


def _after(lines: list[str], label: str, n: int, start: int = 0) -> list[str]:
    at = lines.index(label, start)
    return lines[at + 1:at + 1 + n]


def test_profiles_written_and_checked(profiles):
    _tables, listing, checks, folder = profiles
    names = sorted(Path(p).name for p in listing["path"])
    assert names == ["profil_kemiskinan_3517_jombang_2025.pdf", "profil_kemiskinan_3576_kota_mojokerto_2025.pdf",
                     "profil_kemiskinan_3602_lebak_2025.pdf", "profil_kemiskinan_6271_kota_palangka_raya_2025.pdf",
                     "profil_kemiskinan_7412_konawe_kepulauan_2025.pdf"]
    assert sorted(p.name for p in folder.glob("*.pdf")) == names
    assert checks and all(checks.values()), checks
    assert {"pdf_fonts_embedded", "pdf_text_extractable", "pdf_no_16_digit_numbers"} <= set(checks)


def test_every_number_equals_the_published_tables(profiles):
    tables, listing, _checks, _folder = profiles
    panel = pd.read_parquet(tables / "p0_kabkota_panel.parquet").astype({"bps_code": str})
    deltas = pd.read_parquet(tables / "p0_deltas_kabkota.parquet").astype({"bps_code": str})
    provinces = pd.read_parquet(tables / "p0_province_panel.parquet").astype({"bps_code": str})
    sae = pd.read_parquet(tables / "estimates_sae.parquet").astype({"bps_code": str})
    year = int(panel.loc[panel["p0"].notna(), "year"].max())
    checked = 0
    for path in sorted(listing["path"]):
        code = Path(path).name.split("_")[2]
        lines = _lines(Path(path))
        kab = panel[panel["bps_code"] == code].set_index("year")
        delta = deltas[(deltas["bps_code"] == code) & (deltas["year"] == year)].iloc[0]
        prev = int(delta["year_prev"])
        p0_prev, p0_now, change = _after(lines, "Persentase penduduk miskin (P0)", 3)
        assert _agrees(p0_prev, kab.loc[prev, "p0"]) and _agrees(p0_now, kab.loc[year, "p0"]), code
        assert _agrees(change, delta["delta_p0_pp"]) and change.endswith(" poin"), code
        poor_prev, poor_now, poor_change = _after(lines, "Jumlah penduduk miskin (ribu jiwa)", 3)
        assert _agrees(poor_prev, kab.loc[prev, "poor_thousand"]), code
        assert _agrees(poor_now, kab.loc[year, "poor_thousand"]), code
        assert _agrees(poor_change, delta["delta_poor_persons"]), code
        if np.isfinite(kab.loc[year, "poverty_line_rp"]):
            line_prev, line_now, _ = _after(lines, "Garis kemiskinan (Rp/kapita/bulan)", 3)
            assert _agrees(line_now, kab.loc[year, "poverty_line_rp"]), code
            assert _agrees(line_prev, kab.loc[year - 1, "poverty_line_rp"]), code
        # rank within the province, 1 = highest P0, computed here from the published panel
        for y, printed in zip((prev, year), _after(lines, next(x for x in lines if x.startswith("Peringkat P0 di")),
                                                   2), strict=True):
            same = panel[(panel["year"] == y) & (panel["bps_code"].str[:2] == code[:2]) & panel["p0"].notna()]
            rank = int((same["p0"] > kab.loc[y, "p0"]).sum()) + 1
            assert printed == f"{rank} dari {len(same)}", (code, y, printed)
        prov = provinces[provinces["bps_code"] == f"{code[:2]}00"].set_index("year")["p0"]
        indonesia = provinces[provinces["bps_code"] == "0000"].set_index("year")["p0"]
        start = lines.index("Wilayah")
        kab_title = lines[1].removesuffix(f" {year}")  # "Kabupaten Jombang 2025" -> "Kabupaten Jombang"
        prov_row = next(i for i in range(start, len(lines)) if lines[i].startswith("Provinsi "))
        assert _agrees(lines[prov_row + 1], prov[prev]) and _agrees(lines[prov_row + 2], prov[year]), code
        prov_change = lines[prov_row + 3]
        assert _agrees(prov_change, round(prov[year] - prov[prev], 2)), code
        ind_prev, ind_now, ind_change, ind_poor = _after(lines, "Indonesia", 4, start)
        assert _agrees(ind_prev, indonesia[prev]) and _agrees(ind_now, indonesia[year]), code
        assert _agrees(ind_change, round(indonesia[year] - indonesia[prev], 2)), code
        poor = provinces.set_index(["bps_code", "year"])["poor_thousand"]
        assert _agrees(lines[prov_row + 4], poor[(f"{code[:2]}00", year)]), code
        assert _agrees(ind_poor, poor[("0000", year)]), code
        assert _agrees(lines[lines.index(kab_title, start) + 4], kab.loc[year, "poor_thousand"]), code
        # extreme poverty: the published model estimate of the latest round up to the profile's year
        model = sae[(sae["bps_code"] == code) & (sae["indicator"] == "extreme") & (sae["year"] <= year)]
        latest = model[model["year"] == model["year"].max()].iloc[0]
        assert f"Maret {int(latest['year'])}" in _after(lines, "Ukuran", 1)[0]
        assert _agrees(_after(lines, "Persentase penduduk miskin ekstrem (estimasi model)", 1)[0],
                       100 * latest["benchmarked"]), code
        low, high = _after(lines, "Selang kepercayaan 95%", 1)[0].split(" – ")
        assert _agrees(low, 100 * latest["ci_low"]) and _agrees(high, 100 * latest["ci_high"]), code
        assert _agrees(_after(lines, "Jumlah penduduk miskin ekstrem (estimasi)", 1)[0], latest["persons"]), code
        assert _agrees(_after(lines, "EBLUP sebelum benchmark", 1)[0], 100 * latest["eblup"]), code
        if np.isfinite(latest["rse"]):
            assert _agrees(_after(lines, "RSE (galat baku relatif)", 1)[0], 100 * latest["rse"]), code
        flag = {"publish": "layak", "caution": "hati-hati", "suppress": "tidak layak"}[latest["flag"]]
        assert _after(lines, "Kelayakan publikasi", 1) == [flag], code
        # every model round in the side-by-side table
        table = lines.index("P3KE (KK)")
        for _, row in model.iterrows():
            at = lines.index(str(int(row["year"])), table)
            assert _agrees(lines[at + 1], 100 * row["benchmarked"]), (code, row["year"])
            low, high = lines[at + 2].split("–")
            assert _agrees(low, 100 * row["ci_low"]) and _agrees(high, 100 * row["ci_high"]), (code, row["year"])
        checked += 1
    assert checked == len(PROFILED)


def test_registry_figures_beside_the_model(profiles):
    _tables, listing, _checks, _folder = profiles
    by_code = {Path(p).name.split("_")[2]: Path(p) for p in listing["path"]}
    lines = _lines(by_code["3576"])  # Kota Mojokerto: P3KE-based rate 1,10% (2022) -> 0% (2023)
    table = lines.index("P3KE (KK)")
    at = lines.index("2022", table)  # no model round in 2022 in the shared run (its rounds: 2023, 2024)
    assert lines[at + 1:at + 7] == ["–", "–", "–", "1,10", "1.539", "377"]
    at = lines.index("2023", table)
    assert lines[at + 4:at + 7] == ["0,00", "0", "0"]
    jombang = _lines(by_code["3517"])
    assert _after(jombang, "Baris pada daftar SK", 1) == ["7.458"]
    assert _after(jombang, "Ditemukan pada registri P3KE", 1) == ["7.408"]
    assert _after(jombang, "   keluar dari desil 1", 1) == ["5.567"]
    assert _after(jombang, "      belum optimal", 1) == ["89"]
    assert "DATA DEMO" in jombang and "Padu padan" not in " ".join(_lines(by_code["3602"]))


def test_kabkota_without_geometry_is_said_in_words(profiles):
    _tables, listing, _checks, _folder = profiles
    path = next(Path(p) for p in listing["path"] if "_7412_" in str(p))
    flat = " ".join(_lines(path))
    assert "Kabupaten Konawe Kepulauan tidak tergambar: belum ada batas wilayahnya pada peta kab/kota 2016." in flat


def test_no_identity_in_the_profiles(profiles):
    """The identity scan of the profiles' text: no 16-digit number, no name or street of the demo generator's
    pools (every NIK, KK number, name and address of the demo extracts is drawn from them)."""
    _tables, listing, _checks, _folder = profiles
    names = re.compile("|".join(f"{first} {last}" for first in _FIRST for last in _LAST))
    streets = re.compile("|".join(re.escape(s) for s in _STREET))
    for path in listing["path"]:
        text = "\n".join(_lines(Path(path)))
        assert not re.search(r"\d{16}", text.replace(".", "").replace(" ", "")), path
        assert not names.search(text) and not streets.search(text), path
    planted = "Siti Santoso tinggal di Jl. Melati"
    assert names.search(planted) and streets.search(planted)  # the scan finds what it looks for

"""The corpus of bad raw inputs (tests/data/bad/cases.csv, issue 10): every case is blocked by the rule the
index names, with a one-line message naming the file, the row, the column, the region and the text found.

Cheap by design: each case parses its broken file with the catalogue's parser and evaluates only the named
rule in process (no Dagster; tests/pipeline/test_bad_inputs.py proves that a failing blocking check stops the
run downstream). Small case files live in tests/data/bad/ (written by build_corpus.py); `recipe:` cases
derive the broken file from the shipped one (RECIPES below); registry cases go through the registry library.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from checks.gx_bridge import run_suite
from checks.suites.raw import MATCHED_SOURCES, raw_cells_suite
from checks.suites.registry import ingested_suite, padu_padan_suite
from checks.suites.validated import KABKOTA_FIGURE_SOURCES, kabkota_panel_suite
from estimation.panel import build_kabkota_panel
from estimation.parsers.catalog import RAW_SOURCES, REGION_LIST_FILE, parse_source
from estimation.parsers.region_list import read_region_list
from estimation.regions import match_region_names
from estimation.registry.decree_lists import decree_list_rows
from estimation.registry.ingest import ingest_extract, ingest_nik_list
from estimation.registry.ingest_folder import _report_row
from estimation.registry.padu_padan import padu_padan
from estimation.registry.pseudonym import DEMO_KEY, KeySource

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "data" / "raw"
BAD = ROOT / "tests" / "data" / "bad"
SEP = " || "

with (BAD / "cases.csv").open(encoding="utf-8", newline="") as _handle:
    CASES = list(csv.DictReader(_handle))
RAW_CASES = [c for c in CASES if not c["source"].startswith("registry_")]
REGISTRY_CASES = [c for c in CASES if c["source"].startswith("registry_")]
P0, POOR = RAW_SOURCES["p0_kabkota"].path, RAW_SOURCES["poor_kabkota"].path


# --- recipes: the broken file derived from the shipped one (whole files) ---------------------------------------
def _replace_once(raw: Path, relative: str, old: str, new: str) -> None:
    path = raw / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, (relative, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _json_edit(raw: Path, relative: str, edit) -> None:
    path = raw / relative
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=4, ensure_ascii=False), encoding="utf-8")


def _cut(raw: Path, relative: str, n: int) -> None:
    path = raw / relative
    path.write_text(path.read_text(encoding="utf-8")[:n], encoding="utf-8")


def _first_datacontent_as_text(data: dict) -> None:
    key = next(iter(data["datacontent"]))
    data["datacontent"][key] = f"{int(data['datacontent'][key])},5"


def _daerah_field(raw: Path, edit) -> None:
    path = raw / RAW_SOURCES["p0_daerah_rows"].path
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[0].rstrip("\n").split(",")
    edit(fields)
    lines[0] = ",".join(fields) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def _jombang_altered_first(raw: Path) -> None:
    path = raw / P0
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if line.startswith("Jombang,"))
    lines.insert(row, lines[row].replace(",8.6,", ",9.6,"))
    path.write_text("".join(lines), encoding="utf-8")


def _population_jump(raw: Path) -> None:
    _replace_once(raw, P0, "\nJombang,24.13,", "\nJombang,24.13,")  # the row is there
    for relative, old, new in ((P0, ",9.15,8.6,", ",9.15,9.60,"), (POOR, ",117.36,110.57,", ",117.36,145.58,")):
        _replace_once(raw, relative, old, new)


def _latin1(raw: Path) -> None:
    path = raw / P0
    text = path.read_text(encoding="utf-8")
    assert "<b>Definisi :</b>" in text
    path.write_bytes(text.replace("<b>Definisi :</b>", "<b>Definisi – </b>", 1).encode("cp1252"))


WEBAPI = RAW_SOURCES["poverty_line_2025_webapi"].path
BYNAME = RAW_SOURCES["poverty_line_2024_byname"].path
RECIPES = {
    "webapi_status_error": lambda raw: _replace_once(raw, WEBAPI, '"status": "OK"', '"status": "Error"'),
    "webapi_cut_off": lambda raw: _cut(raw, WEBAPI, 60_000),
    "webapi_decimal_comma_text": lambda raw: _json_edit(raw, WEBAPI, _first_datacontent_as_text),
    "byname_cut_off": lambda raw: _cut(raw, BYNAME, 5_000),
    "byname_duplicated_name": lambda raw: _json_edit(
        raw, BYNAME, lambda d: d.append({"nama_wilayah": "Jombang", "garis_kemiskinan": 541170})),
    "byname_letter_in_number": lambda raw: _json_edit(
        raw, BYNAME, lambda d: d[0].update(garis_kemiskinan="5765O5")),
    "daerah_row_field_missing": lambda raw: _daerah_field(raw, lambda f: f.pop(3)),
    "daerah_letter_in_number": lambda raw: _daerah_field(raw, lambda f: f.__setitem__(3, f[3][:-1] + "l")),
    "full_jombang_duplicated_altered_first": _jombang_altered_first,
    "full_population_jump": _population_jump,
    "full_latin1_export": _latin1,
}
RECIPE_FILES = {"full_population_jump": (P0, POOR)}  # shipped files a recipe needs besides its own


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return read_region_list(RAW / REGION_LIST_FILE)


def broken_raw_dir(case: dict, tmp_path: Path) -> Path:
    """A data/raw folder holding only the case's broken file at its catalogue path (and what a recipe needs)."""
    raw = tmp_path / "raw"
    target = raw / case["path"]
    target.parent.mkdir(parents=True, exist_ok=True)
    if case["file"].startswith("recipe:"):
        name = case["file"].removeprefix("recipe:")
        for relative in {case["path"], *RECIPE_FILES.get(name, ())}:
            (raw / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(RAW / relative, raw / relative)
        RECIPES[name](raw)
    elif case["file"] != "deleted":
        shutil.copy(BAD / case["file"], target)
    return raw


def _cells(source: str, raw: Path, reference: pd.DataFrame) -> pd.DataFrame:
    cells = parse_source(source, raw).cells
    return match_region_names(cells, reference) if source in MATCHED_SOURCES else cells


def _assert_message(result, case: dict) -> None:
    assert not result.passed, f"{case['case']}: {result.rule} passed: {result.message}"
    assert result.severity == case["severity"]
    message = result.message
    assert "\n" not in message and "\r" not in message and "Traceback" not in message
    missing = [f for f in case["fragments"].split(SEP) if f and f not in message]
    assert not missing, f"{case['case']}: {missing} not in: {message}"


def test_corpus_is_large_enough_and_covers_every_format():
    assert len(CASES) >= 30
    sources = {c["source"] for c in CASES}
    assert set(RAW_SOURCES) - sources <= {"dapoer_2019", "extreme_province_2023", "poor_daerah_rows"}
    assert {"registry_p3ke", "registry_dtsen", "registry_sk"} <= sources
    for case in RAW_CASES:
        assert case["file"].startswith("recipe:") or case["file"] == "deleted" or (BAD / case["file"]).is_file()
        assert case["check"] == "" or case["fragments"], case["case"]


# Rules of the kab/kota panel (validated layer) that no raw suite has: a case naming one is built into a panel.
VALIDATED_RULES = {r.name for r in kabkota_panel_suite().rules} - {
    r.name for source in RAW_SOURCES for r in raw_cells_suite(source).rules}
PANEL_SOURCE_NAMES = {"raw_p0_kabkota": "p0_kabkota", "raw_poor_kabkota": "poor_kabkota",
                      "raw_kabkota_2023_p0_p1_p2_gk": "kabkota_2023_p0_p1_p2_gk",
                      "raw_poverty_line_2024_byname": "poverty_line_2024_byname",
                      "raw_poverty_line_2025_webapi": "poverty_line_2025_webapi"}


def _panel_sources(raw: Path, reference: pd.DataFrame, parsed: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The raw assets the kab/kota panel is built from, parsed from the case's raw folder (a file the case does
    not hold is read as the pipeline reads a deleted one: no figures), and the region reference. `parsed`: the
    sources already parsed from that folder (the case's own), not parsed again."""
    assert set(PANEL_SOURCE_NAMES) | {"region_reference"} == set(KABKOTA_FIGURE_SOURCES)
    frames = {asset: parsed[source] if source in parsed else _cells(source, raw, reference)
              for asset, source in PANEL_SOURCE_NAMES.items()}
    return {**frames, "region_reference": reference}


@pytest.mark.parametrize("case", [c for c in RAW_CASES if c["check"]], ids=lambda c: c["case"])
def test_bad_raw_input_is_blocked(case, tmp_path, reference):
    raw = broken_raw_dir(case, tmp_path)
    cells = _cells(case["source"], raw, reference)
    if case["check"] in VALIDATED_RULES:  # valid numbers, impossible together: the kab/kota panel's rules
        related = _panel_sources(raw, reference, {case["source"]: cells})
        panel = build_kabkota_panel(*(related[name] for name in KABKOTA_FIGURE_SOURCES[:2]), reference,
                                    extra_cells=[related[name] for name in KABKOTA_FIGURE_SOURCES[3:]])
        suite = kabkota_panel_suite()
    else:
        suite, related = raw_cells_suite(case["source"]), {}
        panel = cells
    rules = [r for r in suite.rules if r.name == case["check"]]
    assert rules, f"{case['check']} is not a rule of {suite.name}"
    outcome = run_suite(suite, panel, rules=rules, related=related)
    _assert_message(outcome.results[0], case)
    if case["check"] == "file_readable":  # one fault, one failure: no figure, header or name rule on top
        everything = run_suite(suite, panel)
        assert [r.rule for r in everything.results if not r.passed] == ["file_readable"]


@pytest.mark.parametrize("case", [c for c in RAW_CASES if not c["check"]], ids=lambda c: c["case"])
def test_harmless_variant_reads_like_the_original(case, tmp_path, reference):
    """Controls: a UTF-8 BOM at the start gives the same cells as the file without it, and every rule passes."""
    raw = broken_raw_dir(case, tmp_path)
    cells = _cells(case["source"], raw, reference)
    plain = tmp_path / "plain"
    (plain / case["path"]).parent.mkdir(parents=True)
    (plain / case["path"]).write_bytes((raw / case["path"]).read_bytes().removeprefix(b"\xef\xbb\xbf"))
    pd.testing.assert_frame_equal(cells, _cells(case["source"], plain, reference))
    outcome = run_suite(raw_cells_suite(case["source"]), cells)
    assert outcome.passed, [r.message for r in outcome.results if not r.passed]


# --- registry extracts ---------------------------------------------------------------------------------------
def _ingested_report(path: Path, out: Path, key: str, source: str = "p3ke") -> dict:
    report = ingest_extract(path, out, DEMO_KEY, KeySource("demo"), "2024-06-30", source=source,
                            kabkota_code="3517")
    entry = SimpleNamespace(key=key, source=source, kabkota_code="3517", year=2024, snapshot_date="2024-06-30")
    return _report_row(entry, report, out)


@pytest.mark.parametrize("case", [c for c in REGISTRY_CASES if c["source"] in ("registry_p3ke", "registry_dtsen")],
                         ids=lambda c: c["case"])
def test_bad_registry_extract_is_reported_by_row(case, tmp_path):
    source = case["source"].removeprefix("registry_")
    row = _ingested_report(BAD / case["file"], tmp_path / "out.parquet", case["case"], source)
    suite = ingested_suite()
    rules = [r for r in suite.rules if r.name == case["check"]]
    outcome = run_suite(suite, pd.DataFrame([row]), rules=rules)
    _assert_message(outcome.results[0], case)
    ingested = pd.read_parquet(tmp_path / "out.parquet")
    assert not ({"nik", "kk"} & set(ingested.columns))  # never an identity in the output


@pytest.fixture(scope="module")
def valid_snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The valid extract (Jombang, 2024) ingested once: (its Parquet, its report row)."""
    out = tmp_path_factory.mktemp("valid_snapshot") / "snapshot.parquet"
    return out, _ingested_report(BAD / "registry_p3ke_valid.csv", out, "valid")


def test_the_valid_extract_passes_every_registry_rule(valid_snapshot):
    _, row = valid_snapshot
    outcome = run_suite(ingested_suite(), pd.DataFrame([row]))
    assert outcome.passed, [r.message for r in outcome.results if not r.passed]


def _decree_list(case: dict, snapshot: Path):
    """(padu padan summary, persons, located list rows) of the case's decree list matched with the valid
    extract (Jombang, 2024, ingested once: `valid_snapshot`), as `estimation.registry.decree_lists.
    match_decree_lists` does for each list."""
    decree, _ = ingest_nik_list(BAD / case["file"], DEMO_KEY, KeySource("demo"), "3517")
    summary, persons = padu_padan(decree, [snapshot])
    return summary.assign(year=2024), persons, decree_list_rows(decree, case["file"], 2024)


@pytest.mark.parametrize("case", [c for c in REGISTRY_CASES if c["source"] == "registry_sk"], ids=lambda c: c["case"])
def test_bad_decree_list_is_reported_by_row(case, valid_snapshot):
    """A NIK listed twice blocks padu padan (nik_once_on_list) with the rows named; invalid NIKs are a warning
    with their rows and what is wrong with each (never the NIK)."""
    summary, _, rows = _decree_list(case, valid_snapshot[0])
    suite = padu_padan_suite()
    rules = [r for r in suite.rules if r.name == case["check"]]
    outcome = run_suite(suite, summary, rules=rules, related={"decree_list_rows": rows})
    _assert_message(outcome.results[0], case)
    assert not re.search(r"(?<!\d)\d{15,17}(?!\d)", outcome.results[0].message)  # no NIK, whole or cut
    others = run_suite(suite, summary, related={"decree_list_rows": rows})
    assert [r.rule for r in others.results if not r.passed] == [case["check"]]  # the counts still add up


def test_invalid_niks_on_a_decree_list_are_not_reported_as_not_found(valid_snapshot):
    """Issue 10: persons whose listed NIK is mangled (15 or 17 digits, scientific notation) are counted as
    unreadable NIKs of the list, never as persons not found (tidak ditemukan); the two valid NIKs that are in
    the snapshot are found, and none is a duplicate."""
    case = next(c for c in REGISTRY_CASES if c["case"] == "registry_decree_invalid_niks")
    summary, persons, rows = _decree_list(case, valid_snapshot[0])
    s = summary.iloc[0]
    assert (s["list_rows"], s["invalid_nik_on_list"], s["persons"], s["found"]) == (5, 3, 2, 2)
    assert (s["not_found"], s["invalid_nik_not_found"], s["duplicate_rows_on_list"]) == (0, 0, 0)
    assert "tidak_ditemukan" not in set(persons["category"])
    assert rows.loc[~rows["nik_valid"], "source_row"].tolist() == [3, 4, 5]
    assert rows["listed_once"].all()


def test_years_of_an_unreadable_export_are_refused_in_one_line():
    """`catalog.data_years` reads the P0 header before Dagster starts: a latin-1 export is refused with one line
    naming file, row and the bytes found (not a UnicodeDecodeError at a buffer position)."""
    from estimation.parsers.bps_table import table_years
    from estimation.parsers.problems import RawFileError

    with pytest.raises(RawFileError) as refused:
        table_years(BAD / "p0_latin1.csv")
    message = str(refused.value)
    assert "\n" not in message and "p0_latin1.csv" in message and "row 12" in message and "\\x96" in message


def test_a_neighbours_opposite_jump_explains_a_population_jump():
    """People moving between two kab/kota of one province (Kolaka and Kolaka Timur, 2021) explain both jumps;
    the same jumps whose sum does not hold, or a jump alone, stay blocked."""
    from checks.suites.validated import population_jumps

    def panel(a_2021: float, b_2021: float) -> pd.DataFrame:
        rows = [("7404", "Kolaka", 2019, 240.0), ("7404", "Kolaka", 2020, 240.0), ("7404", "Kolaka", 2021, a_2021),
                ("7411", "Kolaka Timur", 2019, 160.0), ("7411", "Kolaka Timur", 2020, 160.0),
                ("7411", "Kolaka Timur", 2021, b_2021),
                ("7401", "Buton", 2019, 100.0), ("7401", "Buton", 2020, 101.0), ("7401", "Buton", 2021, 102.0)]
        return pd.DataFrame(rows, columns=["bps_code", "name", "year", "population_thousand"]).assign(p0=10.0)

    empty = pd.DataFrame(columns=["status", "bps_code", "year", "source_file", "source_row", "source_column",
                                  "value_text"])
    moved = population_jumps(panel(300.0, 108.0), empty, empty).set_index(["bps_code", "year"])
    assert moved.loc[("7404", 2021), "plausible"] and moved.loc[("7411", 2021), "plausible"]
    assert "Kolaka Timur" in moved.loc[("7404", 2021), "explained_by"]
    broken = population_jumps(panel(300.0, 130.0), empty, empty).set_index(["bps_code", "year"])  # sum +7.5%
    assert not broken.loc[("7404", 2021), "plausible"] and not broken.loc[("7411", 2021), "plausible"]
    alone = population_jumps(panel(300.0, 160.0), empty, empty).set_index(["bps_code", "year"])
    assert not alone.loc[("7404", 2021), "plausible"] and alone.loc[("7411", 2021), "plausible"]

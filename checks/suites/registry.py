"""Suites of the registry layer. Failures are located by file key, kab/kota code and row numbers only."""

import json
import re
from pathlib import Path

import pandas as pd

from checks.gx_bridge import Rule, Suite
from checks.suites.reports import manifest_suite
from estimation.registry.padu_padan import CATEGORIES, STILL_DESIL1

KINDS = ["p3ke", "dtsen", "sk", "intervensi", "other"]
MIN_NIK_VALID_RATE = 0.90  # blocking: below this the extract is not what it claims to be
GOOD_NIK_VALID_RATE = 0.99  # warning: the office should clean its list
SIXTEEN_DIGITS = re.compile(rb"(?<!\d)\d{16}(?!\d)")


def extracts_suite() -> Suite:
    loc = ("key", "file")
    return Suite("registry_extracts", [
        Rule("files_not_empty", "every extract file exists and is not empty",
             lambda E: E.ExpectColumnValuesToBeBetween(column="bytes", min_value=1), locate=loc),
        Rule("known_kinds", "each file is a P3KE or DTSEN extract, an SK list or an intervention register",
             lambda E: E.ExpectColumnValuesToBeInSet(column="kind", value_set=KINDS), locate=loc),
        Rule("kabkota_codes", "kab/kota codes are 4 digits",
             lambda E: E.ExpectColumnValuesToMatchRegex(column="kabkota_code", regex=r"^\d{4}$"), locate=loc),
    ])


# Why a NIK of an extract is invalid, in words (row numbers are named, the NIK never).
NIK_STATUS_WORDS = {"missing": "no NIK", "scientific_notation": "scientific notation, digits lost",
                    "non_digit": "a character that is not a digit", "bad_length": "not 16 digits",
                    "region_mismatch": "registered in another kab/kota", "bad_birth_date": "impossible birth date"}
DESIL_RANGES = {"p3ke": "1-4", "dtsen": "1-10"}
EXTRACT_LOCATE = ("source_file", "source_row", "source_column", "region_name", "found", "problem")
NIK_LOCATE = ("source_file", "source_row", "source_column", "region_name", "problem")  # a NIK is never quoted


def _file_of(report: dict) -> str:
    return str(report.get("source_file") or report["key"])


def _nik_rows(reports: pd.DataFrame) -> pd.DataFrame:
    """One row per ingested file, located at its first invalid NIK (file, row, column 'NIK', kab/kota code),
    with the first rows of each reason in `problem`."""
    located = []
    for report in reports.to_dict("records"):
        first = json.loads(report.get("first_invalid_rows") or "{}")
        listed = sorted(row for rows in first.values() for row in rows)
        kinds = "; ".join(f"{status} ({NIK_STATUS_WORDS.get(status, status)}): rows {', '.join(map(str, sorted(rows)))}"
                          for status, rows in sorted(first.items()) if rows)
        located.append({
            "source_file": _file_of(report), "source_row": listed[0] if listed else None, "source_column": "NIK",
            "region_name": report.get("kabkota_code"),
            "problem": (f"{float(report['nik_valid_rate']):.1%} of {int(report.get('rows', 0)):,} NIKs valid; the "
                        f"first invalid rows: {kinds or '-'}"),
            "nik_valid_rate": report["nik_valid_rate"]})
    return _located(located)


def _desil_rows(reports: pd.DataFrame) -> pd.DataFrame:
    """One row per desil found outside its source's range (the first ones of each file), located with the
    desil found; a file without any gives one row that passes."""
    located = []
    for report in reports.to_dict("records"):
        count = int(report.get("desil_out_of_range") or 0)
        bad = json.loads(report.get("desil_out_of_range_rows") or "[]")
        where = {"source_file": _file_of(report), "source_column": "Desil", "region_name": report.get("kabkota_code")}
        expected = DESIL_RANGES.get(str(report.get("source")), "its source's range")
        problem = f"desil outside {expected} ({count} such row(s) in the file)"
        if not bad:
            located.append({**where, "source_row": None, "found": None, "problem": problem if count else None,
                            "desil_out_of_range": count})
        for item in bad:
            located.append({**where, "source_row": int(item["row"]), "found": str(item["desil"]), "problem": problem,
                            "desil_out_of_range": count})
    return _located(located)


def _located(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=[*EXTRACT_LOCATE, "nik_valid_rate", "desil_out_of_range"])
    frame["source_row"] = pd.Series([row["source_row"] for row in rows], dtype="object")  # 3, never 3.0
    return frame


def ingested_suite() -> Suite:
    """Rules on the ingestion report (one row per extract): located at the file's rows (never a NIK)."""
    return Suite("registry_ingested", [
        Rule("nik_valid_rate", f"at least {MIN_NIK_VALID_RATE:.0%} of NIKs valid (16 digits, region code, birth date)",
             lambda E: E.ExpectColumnValuesToBeBetween(column="nik_valid_rate", min_value=MIN_NIK_VALID_RATE),
             frame=_nik_rows, locate=NIK_LOCATE),
        Rule("nik_valid_rate_good", f"at least {GOOD_NIK_VALID_RATE:.0%} of NIKs valid (warning: ask for a cleaner "
             "extract; rows listed)", lambda E: E.ExpectColumnValuesToBeBetween(
                 column="nik_valid_rate", min_value=GOOD_NIK_VALID_RATE), severity="WARN", frame=_nik_rows,
             locate=NIK_LOCATE),
        Rule("desil_in_range", "desil within its source's range (P3KE 1-4, DTSEN 1-10)",
             lambda E: E.ExpectColumnValuesToBeBetween(column="desil_out_of_range", max_value=0),
             frame=_desil_rows, locate=EXTRACT_LOCATE),
        Rule("key_mode_recorded", "every ingested file records how its pseudonym key was obtained",
             lambda E: E.ExpectColumnValuesToBeInSet(column="key_mode", value_set=["env", "demo", "explicit"]),
             locate=("key",)),
        Rule("rows_ingested", "every extract yields rows", lambda E: E.ExpectColumnValuesToBeBetween(
            column="rows", min_value=1), locate=("key",)),
    ])


def _desil_sums(agg: pd.DataFrame) -> pd.DataFrame:
    desil = [c for c in agg.columns if re.fullmatch(r"individuals_desil_\d+", c)]
    return agg.assign(desil_total=agg[desil].sum(axis=1), excess=agg[desil].sum(axis=1) - agg["individuals"])


def aggregates_suite() -> Suite:
    loc = ("source", "kabkota_code", "snapshot_date")
    return Suite("registry_aggregates", [
        Rule("families_le_individuals", "families <= individuals", lambda E: E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="individuals", column_B="families", or_equal=True), locate=loc),
        Rule("extreme_le_individuals", "extreme poor <= individuals",
             lambda E: E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="individuals", column_B="extreme_individuals",
                                                                  or_equal=True, ignore_row_if="either_value_is_missing"),
             locate=loc),
        Rule("desil_counts_within_total", "individuals counted by desil do not exceed the individuals",
             lambda E: E.ExpectColumnValuesToBeBetween(column="excess", max_value=0), frame=_desil_sums, locate=loc),
        Rule("rate_in_range", "registry extreme-poverty rate in [0, 100] %",
             lambda E: E.ExpectColumnValuesToBeBetween(column="extreme_rate_pct", min_value=0, max_value=100),
             locate=loc),
    ])


def _identities(summary: pd.DataFrame) -> pd.DataFrame:
    s = summary
    return s.assign(
        found_split=(s["left_desil1"] + s["still_desil1"] == s["found"]),
        persons_split=(s["found"] + s["not_found"] + s["invalid_nik_not_found"] == s["persons"]),
        not_optimal_split=(s["not_optimal_alive"] + s["not_optimal_deceased"] + s["not_optimal_moved"]
                           == s["not_optimal"]),
    ).melt(id_vars=["kabkota_code", "year"], value_vars=["found_split", "persons_split", "not_optimal_split"],
           var_name="identity", value_name="holds")


LIST_ROW_LOCATE = ("source_file", "source_row", "source_column", "region_name", "problem")


def _list_rows(_summary: pd.DataFrame, list_rows: pd.DataFrame) -> pd.DataFrame:
    """Every row of every decree list, located (`estimation.registry.decree_lists.decree_list_rows`)."""
    return list_rows


def padu_padan_suite() -> Suite:
    """The padu padan summary, and the rows of its decree lists (`decree_list_rows`, passed by name)."""
    return Suite("padu_padan_summary", [
        Rule("nik_once_on_list", "each NIK stands once on its decree list (a NIK listed twice is one person "
             "counted twice: correct the list)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="listed_once", value_set=[True]), frame=_list_rows,
             needs=("decree_list_rows",), locate=LIST_ROW_LOCATE),
        Rule("nik_valid_on_list", "every NIK of a decree list is 16 digits with a possible birth date (warning: "
             "such a person cannot be matched and is counted apart, never as not found; the rows are listed)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="nik_valid", value_set=[True]), frame=_list_rows,
             needs=("decree_list_rows",), severity="WARN", locate=LIST_ROW_LOCATE),
        Rule("categories_add_up", "left + still in desil 1 = found; found + not found = persons; not optimal = "
             "alive + deceased + moved", lambda E: E.ExpectColumnValuesToBeInSet(column="holds", value_set=[True]),
             frame=_identities, locate=("kabkota_code", "year", "identity")),
        Rule("list_not_empty", "every decree list has rows", lambda E: E.ExpectColumnValuesToBeBetween(
            column="list_rows", min_value=1), locate=("kabkota_code", "year")),
    ])


PROGRESS_KEY = ("period", "kabkota_code", "kecamatan")


def _progress_counts(progress: pd.DataFrame) -> pd.DataFrame:
    counts = ["persons", *CATEGORIES, "still_desil1"]
    return progress.melt(id_vars=list(PROGRESS_KEY), value_vars=counts, var_name="count", value_name="value")


def _progress_identities(progress: pd.DataFrame) -> pd.DataFrame:
    p = progress
    return p.assign(
        persons_split=p[list(CATEGORIES)].sum(axis=1) == p["persons"],
        still_split=p[list(STILL_DESIL1)].sum(axis=1) == p["still_desil1"],
    ).melt(id_vars=list(PROGRESS_KEY), value_vars=["persons_split", "still_split"], var_name="identity",
           value_name="holds")


def padu_padan_progress_suite() -> Suite:
    return Suite("padu_padan_progress", [
        Rule("counts_nonnegative", "every count of the progress table is >= 0",
             lambda E: E.ExpectColumnValuesToBeBetween(column="value", min_value=0), frame=_progress_counts,
             locate=(*PROGRESS_KEY, "count")),
        Rule("categories_add_up", "the categories add up to the persons on the list; the still-in-desil-1 "
             "categories to still_desil1", lambda E: E.ExpectColumnValuesToBeInSet(column="holds", value_set=[True]),
             frame=_progress_identities, locate=(*PROGRESS_KEY, "identity")),
    ])


def _leak_scan(files: pd.DataFrame) -> pd.DataFrame:
    """Any run of exactly 16 digits in a published file is treated as a possible NIK or KK number."""
    found = []
    for path in files["path"]:
        data = Path(path).read_bytes() if Path(path).suffix in (".csv", ".json") else b""
        found.append(len(SIXTEEN_DIGITS.findall(data)))
    return files.assign(sixteen_digit_numbers=found)


def published_registry_suite() -> Suite:
    base = manifest_suite("published_registry_tables")
    return Suite("published_registry_tables", [*base.rules, Rule(
        "no_nik_like_numbers", "no 16-digit number (NIK / KK) in any published CSV or provenance file",
        lambda E: E.ExpectColumnValuesToBeBetween(column="sixteen_digit_numbers", max_value=0),
        frame=_leak_scan, locate=("path",))])


def year_over_year_suite() -> Suite:
    loc = ("source", "kabkota_code", "year_from", "year_to")

    def changes(yoy: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for name in ("individuals", "families", "extreme_individuals", "extreme_families"):
            diff = yoy[f"{name}_to"] - yoy[f"{name}_from"] - yoy[f"{name}_change"]
            rows.append(yoy[list(loc)].assign(measure=name, error=diff.abs().fillna(0)))
        return pd.concat(rows, ignore_index=True)

    return Suite("registry_year_over_year", [
        Rule("change_is_difference", "each change equals the later count minus the earlier one",
             lambda E: E.ExpectColumnValuesToBeBetween(column="error", max_value=0), frame=changes,
             locate=(*loc, "measure")),
        Rule("years_ordered", "the later year is after the earlier one",
             lambda E: E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="year_to", column_B="year_from"),
             locate=loc),
    ])


def desil1_share_suite() -> Suite:
    return Suite("registry_desil1_share", [
        Rule("share_in_unit_interval", "desil-1 share of the BPS population in [0, 1]",
             lambda E: E.ExpectColumnValuesToBeBetween(column="desil1_share", min_value=0, max_value=1),
             locate=("source", "kabkota_code", "year")),
    ])

"""Writes the corpus of bad raw inputs (one small file per case) and its index `cases.csv`.

    .venv/bin/python -m tests.data.bad.build_corpus      # from the project root; rewrites tests/data/bad/

Each small case file is an excerpt of a shipped file in data/raw (a few rows, so a case parses in
milliseconds) with one fault put in. Cases on the whole shipped file (the WebAPI answer, the by-name JSON,
the daerah rows, and the Jombang scenarios of issue 10 that need every kab/kota and year) are recipes:
`file` is `recipe:<name>` and `tests/checks/test_bad_corpus.py` derives the broken file from the shipped one
at test time. A case with `check` empty is a control (a harmless variant that must parse like the original).

Index columns: case, source (the raw source of estimation.parsers.catalog, or registry_*), file, broken
(what is wrong), check (the rule that must fail), severity (of that rule), fragments (" || "-separated
texts the one-line message must contain: file, row, column, region, the text found).
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE.parents[2] / "data" / "raw"
SEP = " || "

P0 = "bps/p0_kabkota_2004_2025.csv"
POOR = "bps/penduduk_miskin_ribu_kabkota_2004_2025.csv"
KLAS = "bps/klasifikasi_kemiskinan_kabkota_2021.csv"
JATENG = "bps/kemiskinan_jateng_2020_2025.csv"
KAB2023 = "bps/kemiskinan_kabkota_2023_p0_p1_p2_gk.csv"
EXTREME = "bps/kemiskinan_ekstrem_nasional_2021_2025.csv"
WEBAPI = "bps/webapi_var624_garis_kemiskinan_kabkota_2025.json"
BYNAME = "bps/garis_kemiskinan_kabkota_2024_byname.json"
DAERAH = "bps/p0_prov_daerah_rows_jatim_indonesia.csv"

# Excerpt of a statistics-table export: title, years, JAWA TIMUR and 7 of its kab/kota, blank, Catatan.
# Rows of the excerpt: 1 title, 2 years, 3 JAWA TIMUR, 4 Pacitan ... 9 Kediri, 10 Jombang, 11 blank, 12 Catatan.
EXCERPT_LINES = (1, 2, 244, 245, 246, 247, 248, 249, 250, 261)
CATATAN = 'Catatan,"Angka kemiskinan menurut kabupaten/kota<br />Sumber: BPS"\n'
YEAR_FIELD = {year: year - 2003 for year in range(2004, 2026)}  # field index of a year column


def _case(**fields: object) -> dict:
    """One corpus case: case, source, (path), data or file, broken, check, (severity), fragments."""
    return fields


def excerpt(relative: str) -> list[str]:
    lines = (RAW / relative).read_text(encoding="utf-8").splitlines(keepends=True)
    body = [lines[n - 1] for n in EXCERPT_LINES]
    return [*body, "," * 22 + "\n", CATATAN]


def head(relative: str, n: int) -> list[str]:
    return (RAW / relative).read_text(encoding="utf-8").splitlines(keepends=True)[:n]


def set_field(lines: list[str], row: int, field: int, text: str, sep: str = ",") -> list[str]:
    """Line `row` (1-based) with field `field` (0-based) replaced by `text` (written as given)."""
    out = list(lines)
    fields = out[row - 1].rstrip("\n").split(sep)
    fields[field] = text
    out[row - 1] = sep.join(fields) + "\n"
    return out


def edit_line(lines: list[str], row: int, func) -> list[str]:
    out = list(lines)
    out[row - 1] = func(out[row - 1])
    return out


def text(lines: list[str]) -> bytes:
    return "".join(lines).encode("utf-8")


def _p0_cases() -> list[dict]:
    p0, poor = excerpt(P0), excerpt(POOR)
    jombang, kediri, jatim = 10, 9, 3
    f = YEAR_FIELD
    p0_file = f"file {P0}"
    cases = [
        _case(case="p0_letter_in_number", source="p0_kabkota", data=text(set_field(p0, jombang, f[2023], "9.l5")),
             broken="a letter l for a one in Jombang 2023", check="values_are_numbers",
             fragments=[p0_file, "row 10", "column '2023'", "region 'Jombang'", "found '9.l5'"]),
        _case(case="p0_decimal_comma_quoted", source="p0_kabkota",
             data=text(set_field(p0, jombang, f[2024], '"8,60"')),
             broken="decimal comma where BPS writes a point (quoted, so the row keeps its fields)",
             check="values_are_numbers",
             fragments=[p0_file, "row 10", "column '2024'", "region 'Jombang'", "found '8,60'"]),
        _case(case="p0_decimal_comma_unquoted", source="p0_kabkota",
             data=text(set_field(p0, jombang, f[2024], "8,60")),
             broken="unquoted decimal comma: Jombang 2024 split in two fields, the row shifted from 2024 on",
             check="values_are_numbers",
             fragments=[p0_file, "row 10", "column '2024'", "region 'Jombang'", "found '8'",
                        "shifted from column '2024' on"]),
        _case(case="p0_shifted_row_extra_separator", source="p0_kabkota",
             data=text(edit_line(p0, kediri, lambda s: s.replace(",15.52,", ",15.52,,", 1))),
             broken="a stray separator after Kediri 2010 shifts 2011-2025 one column right",
             check="values_are_numbers",
             fragments=[p0_file, "row 9", "column '2011'", "region 'Kediri'", "found ''",
                        "shifted from column '2011' on"]),
        _case(case="p0_row_missing_a_separator", source="p0_kabkota",
             data=text(edit_line(p0, kediri, lambda s: s.replace(",15.52,14.44,", ",15.5214.44,", 1))),
             broken="a lost separator glues Kediri 2010 and 2011: every later figure one year early",
             check="values_are_numbers",
             fragments=[p0_file, "row 9", "column '2010'", "region 'Kediri'", "found '15.5214.44'",
                        "ragged row: 22 fields, header has 23; shifted from column '2010' on"]),
        _case(case="p0_row_cut_short", source="p0_kabkota",
             data=text(edit_line(p0, kediri, lambda s: s.rsplit(",", 1)[0] + "\n")),
             broken="the Kediri row lacks its last field (2025)", check="values_are_numbers",
             fragments=[p0_file, "row 9", "column '2025'", "region 'Kediri'", "nothing found",
                        "ragged row: 22 fields, header has 23"]),
        _case(case="p0_ellipsis", source="p0_kabkota", data=text(set_field(p0, jombang, f[2015], "…")),
             broken="'…' where a figure stands (before 2020)", check="values_are_numbers",
             fragments=[p0_file, "row 10", "column '2015'", "region 'Jombang'", "found '…'"]),
        _case(case="p0_empty_cell", source="p0_kabkota", data=text(set_field(p0, kediri, f[2012], "")),
             broken="an empty cell where a figure stands (before 2020)", check="values_are_numbers",
             fragments=[p0_file, "row 9", "column '2012'", "region 'Kediri'", "found ''"]),
        _case(case="p0_above_100", source="p0_kabkota", data=text(set_field(p0, jombang, f[2004], "124.13")),
             broken="P0 above 100 (a digit typed twice)", check="values_in_range",
             fragments=[p0_file, "row 10", "column '2004'", "region 'Jombang'", "found '124.13'",
                        "a percentage outside 0-100"]),
        _case(case="p0_below_0", source="p0_kabkota", data=text(set_field(p0, jombang, f[2024], "-8.6")),
             broken="P0 below 0", check="values_in_range",
             fragments=[p0_file, "row 10", "column '2024'", "region 'Jombang'", "found '-8.6'"]),
        _case(case="p0_preliminary_year", source="p0_kabkota",
             data=text(edit_line(p0, 2, lambda s: s.replace(",2025", ",2025*"))),
             broken="a preliminary-marked year header '2025*'", check="year_columns_valid",
             fragments=[p0_file, "row 2", "column '2025*'", "'2025*' is not a year"]),
        _case(case="p0_renamed_year_header", source="p0_kabkota",
             data=text(edit_line(p0, 2, lambda s: s.replace(",2023,", ",Tahun 2023,"))),
             broken="a renamed year header 'Tahun 2023'", check="year_columns_valid",
             fragments=[p0_file, "row 2", "column 'Tahun 2023'", "'Tahun 2023' is not a year"]),
        _case(case="p0_duplicated_year_column", source="p0_kabkota",
             data=text(edit_line(p0, 2, lambda s: s.replace(",2024,", ",2023,"))),
             broken="the 2024 header relabelled 2023: two 2023 columns, none for 2024", check="year_columns_valid",
             fragments=[p0_file, "row 2", "column '2023'", "year 2023 appears in 2 columns"]),
        _case(case="p0_missing_year_column", source="p0_kabkota",
             data=text([_drop_field(line, f[2023]) if i < 10 else line for i, line in enumerate(p0)]),
             broken="the 2023 column deleted", check="year_columns_valid",
             fragments=[p0_file, "row 2", "column '2023'", "missing between 2022 and 2024"]),
        _case(case="p0_unknown_kabkota", source="p0_kabkota",
             data=text(edit_line(p0, jombang, lambda s: s.replace("Jombang,", "Jombangg,", 1))),
             broken="a kab/kota name that matches nothing", check="region_names_known",
             fragments=[p0_file, "row 10", "region 'Jombangg'", "province_name='JAWA TIMUR'", "no 2025 BPS kab/kota or province of this name in JAWA TIMUR"]),
        _case(case="p0_duplicated_kabkota", source="p0_kabkota",
             data=text([*p0[:9], p0[9].replace(",8.6,", ",9.6,"), *p0[9:]]),
             broken="Jombang twice, the altered copy (2024: 9.6) first", check="regions_unique",
             fragments=[p0_file, "row 10", "column '2024'", "region 'Jombang'", "found '9.6'",
                        "stands in rows 10, 11", "p0 2024 differs (row 10: '9.6'; row 11: '8.6')"]),
        _case(case="p0_province_without_kabkota", source="p0_kabkota",
             data=text([*p0[:3], *p0[10:]]),
             broken="JAWA TIMUR without its kab/kota rows (deleted)", check="province_blocks_complete",
             fragments=[p0_file, "row 3", "region 'JAWA TIMUR'", "no kab/kota rows"]),
        _case(case="p0_truncated", source="p0_kabkota",
             data=text(p0[:9]) + p0[9][:25].encode("utf-8"),
             broken="the export cut off inside the Jombang row", check="values_are_numbers",
             fragments=[p0_file, "row 10", "column '2007'", "region 'Jombang'", "nothing found",
                        "ragged row: 4 fields, header has 23", "the file ends inside this row (cut off?)"]),
        _case(case="p0_empty_file", source="p0_kabkota", data=b"",
             broken="an empty file (0 bytes)", check="file_readable",
             fragments=[p0_file, "row 1", "found ''", "file is empty (0 bytes)"]),
        _case(case="p0_latin1", source="p0_kabkota",
             data="".join([*p0[:11], CATATAN.replace("Sumber: BPS", "Sumber: BPS – diolah")]).encode("cp1252"),
             broken="saved from a spreadsheet as Windows-1252: an en dash in the Catatan is byte 0x96",
             check="file_readable",
             fragments=[p0_file, "row 12", "region 'Catatan'", "\\x96 diolah",
                        "byte 0x96", "not UTF-8"]),
        _case(case="p0_bom_at_start", source="p0_kabkota", data=b"\xef\xbb\xbf" + text(p0),
             broken="control: a UTF-8 byte-order mark at the start is harmless (same figures as without)",
             check="", fragments=[]),
        _case(case="p0_deleted_file", source="p0_kabkota", data=None,
             broken="the export deleted", check="file_readable",
             fragments=[p0_file, "file not found"]),
        _case(case="poor_thousands_separator", source="poor_kabkota",
             data=text(set_field(poor, jatim, f[2017], '"4,617.01"')),
             broken="a thousands separator in the JAWA TIMUR 2017 count", check="values_are_numbers",
             fragments=[f"file {POOR}", "row 3", "column '2017'", "region 'JAWA TIMUR'", "found '4,617.01'"]),
        _case(case="poor_decimal_comma_thousands_point", source="poor_kabkota",
             data=text(set_field(poor, jatim, f[2018], '"4.332,59"')),
             broken="Indonesian number style (thousands point, decimal comma) in a decimal-point export",
             check="values_are_numbers",
             fragments=[f"file {POOR}", "row 3", "column '2018'", "region 'JAWA TIMUR'", "found '4.332,59'"]),
        _case(case="poor_preliminary_year", source="poor_kabkota",
              data=text(edit_line(poor, 2, lambda s: s.replace(",2025", ",2025*"))),
              broken="issue 10: '2025*' in the poor-count header (the run published tables without the 2025 count)",
              check="year_columns_valid",
              fragments=[f"file {POOR}", "row 2", "column '2025*'", "'2025*' is not a year"]),
        _case(case="poor_negative", source="poor_kabkota", data=text(set_field(poor, jombang, f[2024], "-110.57")),
             broken="a negative number of poor", check="values_in_range",
             fragments=[f"file {POOR}", "row 10", "column '2024'", "region 'Jombang'", "found '-110.57'",
                        "a negative count"]),
    ]
    for case in cases:
        case["path"] = P0 if case["source"] == "p0_kabkota" else POOR
    return cases


def _drop_field(line: str, field: int) -> str:
    fields = line.rstrip("\n").split(",")
    del fields[field]
    return ",".join(fields) + "\n"


def _delimited_cases() -> list[dict]:
    klas, jateng, kab, extreme = head(KLAS, 4), head(JATENG, 4), head(KAB2023, 4), head(EXTREME, 4)
    return [
        _case(case="klasifikasi_ambiguous_thousands_point", source="klasifikasi_2021", path=KLAS,
             data=text(set_field(klas, 3, 4, "8.776", sep=";")),
             broken="'8.776' in a decimal-comma file: 8776 with a thousands point, or 8.776?",
             check="numbers_unambiguous",
             fragments=[f"file {KLAS}", "row 3",
                        "column 'Pengeluaran per Kapita Disesuaikan (Ribu Rupiah/Orang/Tahun)'",
                        "region 'Aceh Singkil'", "found '8.776'", "ambiguous"]),
        _case(case="klasifikasi_letter_in_number", source="klasifikasi_2021", path=KLAS,
             data=text(set_field(klas, 2, 2, "18,9B", sep=";")),
             broken="a letter in a decimal-comma number", check="values_are_numbers",
             fragments=[f"file {KLAS}", "row 2",
                        "column 'Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)'",
                        "region 'Simeulue'", "found '18,9B'"]),
        _case(case="jateng_decimal_comma_quoted", source="jateng_2020_2025", path=JATENG,
             data=text(set_field(jateng, 2, 3, '"11,46"')),
             broken="decimal comma in a decimal-point file", check="values_are_numbers",
             fragments=[f"file {JATENG}", "row 2", "column 'persentase_penduduk_miskin'",
                        "region 'Kabupaten Cilacap'", "found '11,46'"]),
        _case(case="jateng_decimal_comma_unquoted", source="jateng_2020_2025", path=JATENG,
             data=text(set_field(jateng, 3, 3, "11,67")),
             broken="unquoted decimal comma: the row shifted from persentase_penduduk_miskin on",
             check="values_are_numbers",
             fragments=[f"file {JATENG}", "row 3", "column 'persentase_penduduk_miskin'",
                        "region 'Kabupaten Cilacap'", "found '11'",
                        "shifted from column 'persentase_penduduk_miskin' on"]),
        _case(case="kab2023_renamed_header", source="kabkota_2023_p0_p1_p2_gk", path=KAB2023,
             data=text(edit_line(kab, 1, lambda s: s.replace("p0_persen", "p0_pct"))),
             broken="a renamed header (p0_persen -> p0_pct)", check="file_readable",
             fragments=[f"file {KAB2023}", "row 1", "column 'p0_persen'", "found 'p0_pct'",
                        "not in the header"]),
        _case(case="kab2023_duplicated_kabkota", source="kabkota_2023_p0_p1_p2_gk", path=KAB2023,
             data=text([*kab, kab[1].replace(",17.92,", ",19.92,")]),
             broken="Simeulue twice with different P0", check="regions_unique",
             fragments=[f"file {KAB2023}", "row 2", "column 'p0_persen'", "region 'Simeulue'", "found '17.92'",
                        "stands in rows 2, 5", "p0 2023 differs (row 2: '17.92'; row 5: '19.92')"]),
        # valid numbers, impossible together: blocked by the kab/kota panel's rules (validated layer), the
        # message naming the cell the panel kept and quoting the figure it is compared with
        _case(case="kab2023_p1_above_p0", source="kabkota_2023_p0_p1_p2_gk", path=KAB2023,
             data=text(set_field(kab, 2, 7, "32.6")),
             broken="Simeulue 2023 P1 32.6 above its P0 17.92 (each a valid percentage)", check="p1_le_p0",
             fragments=[f"file {KAB2023}", "row 2", "column 'p1'", "region 'Simeulue'", "found '32.6'",
                        f"P1 2023 against P0 '17.92' (file {KAB2023}, row 2, column 'p0_persen')"]),
        _case(case="kab2023_p2_above_p1", source="kabkota_2023_p0_p1_p2_gk", path=KAB2023,
             data=text(set_field(kab, 3, 8, "8.0")),
             broken="Aceh Singkil 2023 P2 8.0 above its P1 2.99 (a decimal point moved)", check="p2_le_p1",
             fragments=[f"file {KAB2023}", "row 3", "column 'p2'", "region 'Aceh Singkil'", "found '8.0'",
                        f"P2 2023 against P1 '2.99' (file {KAB2023}, row 3, column 'p1')"]),
        _case(case="kab2023_p0_above_100_panel", source="kabkota_2023_p0_p1_p2_gk", path=KAB2023,
             data=text(set_field(kab, 4, 6, "121.0")),
             broken="Aceh Selatan 2023 P0 121.0 (a digit typed twice): the panel's own range rule, behind the raw "
                    "one", check="p0_in_range",
             fragments=[f"file {KAB2023}", "row 4", "column 'p0_persen'", "region 'Aceh Selatan'", "found '121.0'",
                        "(P0 2023)"]),
        _case(case="extreme_rate_above_100", source="extreme_national", path=EXTREME,
             data=text(set_field(extreme, 2, 3, "204")),
             broken="an extreme-poverty rate of 204 % (decimal point lost)", check="values_in_range",
             fragments=[f"file {EXTREME}", "row 2", "column 'extreme_poverty_rate_pct'", "region 'INDONESIA'",
                        "found '204'"]),
    ]


# Cases on whole shipped files: derived at test time (tests/checks/test_bad_corpus.py, RECIPES).
RECIPE_CASES = [
    _case(case="webapi_status_error", source="poverty_line_2025_webapi", path=WEBAPI, file="recipe:webapi_status_error",
         broken="a WebAPI answer whose status is Error, with the data still in it", check="file_readable",
         fragments=[f"file {WEBAPI}", "row 2", "column 'status'", "found 'Error'", "expected 'OK'"]),
    _case(case="webapi_cut_off", source="poverty_line_2025_webapi", path=WEBAPI, file="recipe:webapi_cut_off",
         broken="the WebAPI answer cut off (first 60,000 characters)", check="file_readable",
         fragments=[f"file {WEBAPI}", "row 2688", "column 'character 30'", "found '\"210562401250\": 54079'",
                    "JSON ends before it is complete"]),
    _case(case="webapi_decimal_comma_text", source="poverty_line_2025_webapi", path=WEBAPI,
         file="recipe:webapi_decimal_comma_text", broken="a figure sent as text with a decimal comma",
         check="values_are_numbers", fragments=[f"file {WEBAPI}", "row 1", "column '357462401250'",
                                                "region 'Kota Probolinggo'", "found '683244,5'"]),
    _case(case="byname_cut_off", source="poverty_line_2024_byname", path=BYNAME, file="recipe:byname_cut_off",
         broken="the by-name JSON cut off inside a record", check="file_readable",
         fragments=[f"file {BYNAME}", "row ", "found '", "JSON ends before it is complete"]),
    _case(case="byname_duplicated_name", source="poverty_line_2024_byname", path=BYNAME,
         file="recipe:byname_duplicated_name", broken="Jombang listed twice with different lines",
         check="regions_unique", fragments=[f"file {BYNAME}", "column 'garis_kemiskinan'", "region 'Jombang'",
                                            "'514170'", "'541170'"]),
    _case(case="byname_letter_in_number", source="poverty_line_2024_byname", path=BYNAME,
         file="recipe:byname_letter_in_number", broken="a figure sent as text with a letter O for a zero",
         check="values_are_numbers", fragments=[f"file {BYNAME}", "row 1", "column 'garis_kemiskinan'",
                                                "region 'Simeulue'", "found '5765O5'"]),
    _case(case="daerah_row_field_missing", source="p0_daerah_rows", path=DAERAH, file="recipe:daerah_row_field_missing",
         broken="a daerah row one field short (every later figure would shift one year)", check="file_readable",
         fragments=[f"file {DAERAH}", "row 1", "region 'JAWA TIMUR'", "found '180 fields'", "181 fields"]),
    _case(case="daerah_letter_in_number", source="p0_daerah_rows", path=DAERAH, file="recipe:daerah_letter_in_number",
         broken="a letter in a daerah figure", check="values_are_numbers",
         fragments=[f"file {DAERAH}", "row 1", "column 'col4'", "region 'JAWA TIMUR'", "found '14.7l'"]),
    _case(case="full_jombang_duplicated_altered_first", source="p0_kabkota", path=P0,
         file="recipe:full_jombang_duplicated_altered_first",
         broken="issue 10: Jombang duplicated with different figures, the altered copy (2024: 9.6) first",
         check="regions_unique", fragments=[f"file {P0}", "row 261", "column '2024'", "region 'Jombang'",
                                            "found '9.6'", "p0 2024 differs (row 261: '9.6'; row 262: '8.6')"]),
    _case(case="full_population_jump", source="p0_kabkota", path=P0, file="recipe:full_population_jump",
         broken="issue 10: Jombang 2024 P0 9.60 and poor 145.58, valid numbers that imply 1,516.5 thousand people "
                "after 1,282.6 in 2023", check="implied_population_stable",
         fragments=[f"file {P0}", "row 261", "column '2024'", "region 'Jombang'", "found '9.60'",
                    "poor '145.58'", "1,516.5", "+18.2%"]),
    _case(case="full_latin1_export", source="p0_kabkota", path=P0, file="recipe:full_latin1_export",
         broken="the whole export re-saved from a spreadsheet as Windows-1252, with an en dash typed in the Catatan",
         check="file_readable", fragments=[f"file {P0}", "row 556", "region 'Catatan'", "byte 0x96", "not UTF-8",
                                           "Definisi \\x96"]),
]

# Registry extracts: generated by the test from tests/data/bad/registry_*.csv (synthetic NIKs, no names).
REGISTRY_CASES = [
    _case(case="registry_nik_15_digits", source="registry_p3ke", file="registry_nik_15_17.csv",
         broken="a NIK of 15 digits (row 3) and one of 17 (row 4) in a P3KE extract", check="nik_valid_rate_good",
         severity="WARN", fragments=["file registry_nik_15_17.csv", "row 3", "column 'NIK'", "region '3517'",
                                     "60.0% of 5 NIKs valid", "bad_length (not 16 digits): rows 3, 4"]),
    _case(case="registry_nik_scientific", source="registry_p3ke", file="registry_nik_scientific.csv",
         broken="the NIK column exported as numbers in scientific notation (3.51710E+15: digits lost)",
         check="nik_valid_rate", fragments=["file registry_nik_scientific.csv", "row 2", "column 'NIK'",
                                            "region '3517'", "0.0% of 5 NIKs valid",
                                            ("scientific_notation (scientific notation, digits lost): rows 2, 3, "
                                             "4, 5, 6")]),
    _case(case="registry_desil_0_and_5", source="registry_p3ke", file="registry_desil_0_5.csv",
         broken="desil 0 (row 3) and 5 (row 5) in a P3KE extract (1-4)", check="desil_in_range",
         fragments=["file registry_desil_0_5.csv", "row 3", "column 'Desil'", "region '3517'", "found '0'",
                    "row 5", "found '5'", "desil outside 1-4 (2 such row(s) in the file)"]),
    _case(case="registry_dtsen_desil_11", source="registry_dtsen", file="registry_dtsen_desil_11.xlsx",
          broken="desil 11 (row 4) in a DTSEN xlsx export (1-10), NIKs typed as numbers", check="desil_in_range",
          fragments=["file registry_dtsen_desil_11.xlsx", "row 4", "column 'Desil'", "region '3517'", "found '11'",
                     "desil outside 1-10"]),
    _case(case="registry_decree_duplicated_nik", source="registry_sk", file="registry_sk_duplicated.csv",
         broken="a decree list with the same NIK on rows 2 and 4", check="nik_once_on_list",
         fragments=["file registry_sk_duplicated.csv", "row 4", "column 'NIK'", "region '3517'",
                    "the NIK of row 2 again (listed 2 times: rows 2, 4)"]),
    _case(case="registry_decree_invalid_niks", source="registry_sk", file="registry_sk_invalid_nik.csv",
         broken="a decree list with a NIK of 15 digits (row 3), one of 17 (row 4) and one in scientific notation "
                "(row 5): reported as invalid NIKs, not as persons not found", check="nik_valid_on_list",
         severity="WARN",
         fragments=["3 row(s) fail", "file registry_sk_invalid_nik.csv", "row 3", "column 'NIK'", "region '3517'",
                    "a NIK of 15 characters, not 16 digits", "row 4", "a NIK of 17 characters, not 16 digits",
                    "row 5", "a NIK in scientific notation (its digits are lost)"]),
]


# Synthetic persons of Jombang (3517), kecamatan 01: NIK = 351701 + birth date DDMMYY + serial (no real person;
# no name or address column). Valid NIKs and KK numbers; each registry case breaks some of them.
REGISTRY_HEADER = "NIK,No KK,Kecamatan,Kode Kab/Kota,Desil,Miskin Ekstrem,Jenis Kelamin,Umur,Status\n"
PERSONS = [
    ("3517011505850001", "3517010101100001", "1", "Ya", "L", "39"),
    ("3517015203900002", "3517010101100001", "1", "Ya", "P", "34"),
    ("3517010707600003", "3517010101100002", "2", "Tidak", "L", "64"),
    ("3517014411010004", "3517010101100002", "1", "Ya", "P", "23"),
    ("3517012012750005", "3517010101100003", "3", "Tidak", "L", "49"),
]


def _extract(persons) -> bytes:
    lines = [f"{nik},{kk},Kecamatan 01,3517,{desil},{extreme},{sex},{age},Hidup\n"
             for nik, kk, desil, extreme, sex, age in persons]
    return (REGISTRY_HEADER + "".join(lines)).encode("utf-8")


def _registry_files() -> dict[str, bytes]:
    bad_length = [list(p) for p in PERSONS]
    bad_length[1][0] = bad_length[1][0][:15]  # row 3: 15 digits
    bad_length[2][0] = bad_length[2][0] + "7"  # row 4: 17 digits
    scientific = [[f"{float(p[0]):.5E}", *p[1:]] for p in PERSONS]  # 3.51701E+15: the digits are gone
    desil = [list(p) for p in PERSONS]
    desil[1][2] = "0"  # row 3
    desil[3][2] = "5"  # row 5
    decree = "No,NIK\n" + "".join(f"{i},{nik}\n" for i, nik in enumerate(
        [PERSONS[0][0], PERSONS[1][0], PERSONS[0][0], PERSONS[3][0]], start=1))
    invalid = "No,NIK\n" + "".join(f"{i},{nik}\n" for i, nik in enumerate(
        [PERSONS[0][0], PERSONS[1][0][:15], PERSONS[2][0] + "7", f"{float(PERSONS[3][0]):.5E}", PERSONS[4][0]],
        start=1))
    return {
        "registry_p3ke_valid.csv": _extract(PERSONS),
        "registry_sk_invalid_nik.csv": invalid.encode("utf-8"),
        "registry_nik_15_17.csv": _extract(bad_length),
        "registry_nik_scientific.csv": _extract(scientific),
        "registry_desil_0_5.csv": _extract(desil),
        "registry_sk_duplicated.csv": decree.encode("utf-8"),
    }


def _dtsen_xlsx(path: Path) -> None:
    """A SIKS-NG desil export (xlsx) of the same persons, NIK and KK typed as numbers, desil 11 on row 4."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["NO", "NO KK", "NIK", "KODE KAB/KOTA", "KECAMATAN", "DESIL NASIONAL", "PERIODE"])
    for number, (nik, kk, *_rest) in enumerate(PERSONS, start=1):
        sheet.append([number, int(kk), int(nik), "3517", "Kecamatan 01", 11 if number == 3 else number, "2024-06"])
    book.properties.created = book.properties.modified = datetime.datetime(2024, 6, 30)
    book.save(path)


def main() -> None:
    for name, data in _registry_files().items():
        (HERE / name).write_bytes(data)
    _dtsen_xlsx(HERE / "registry_dtsen_desil_11.xlsx")
    rows = []
    for case in [*_p0_cases(), *_delimited_cases()]:
        suffix = Path(case["path"]).suffix
        name = f"{case['case']}{suffix}"
        if case["data"] is None:
            name = "deleted"
        else:
            (HERE / name).write_bytes(case["data"])
        rows.append({**case, "file": name})
    rows += RECIPE_CASES
    rows += REGISTRY_CASES
    with (HERE / "cases.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case", "source", "path", "file", "broken", "check", "severity", "fragments"])
        for row in rows:
            writer.writerow([row["case"], row["source"], row.get("path", ""), row["file"], row["broken"],
                             row["check"], row.get("severity", "ERROR" if row["check"] else ""),
                             SEP.join(row["fragments"])])
    print(f"{len(rows)} cases written to {HERE / 'cases.csv'}")


if __name__ == "__main__":
    main()

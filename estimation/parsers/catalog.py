"""Catalogue of the raw BPS files (data/raw/bps): which parser reads each file, with which arguments.

One entry per file; the Dagster side builds one raw asset per entry, named by `RawSource.name`.
`parse_source(name, raw_dir)` parses an entry, with `raw_dir` = the `data/raw` folder (entry paths and the
cells' `source_file` are relative to it). A yearly export (`pattern`) is the newest file matching it: a new
BPS release is a new file beside the old ones (`p0_kabkota_2004_2026.csv`), no code change.

`data_years(raw_dir)` is the one place that says which years the data cover: the year columns of the newest
P0 export, read from its header.

Covariate variable names (short English snake_case; unit as published):

| variable | meaning |
|---|---|
| mean_years_schooling | mean years of schooling, population 15+ (years; BPS RLS) |
| expected_years_schooling | expected years of schooling (years; BPS HLS) |
| adj_expenditure_thousand_rp | adjusted per-capita expenditure (thousand Rp/person/year; BPS, HDI input) |
| life_expectancy | life expectancy at birth (years; BPS UHH) |
| sanitation_access_pct | households with access to adequate sanitation (%) |
| drinking_water_access_pct | households with access to adequate drinking water (%) |
| open_unemployment_pct | open unemployment rate (%; BPS TPT) |
| poverty_class | the data-set authors' 0/1 poverty class label (not a BPS figure) |
| extreme_line_rp | extreme-poverty line (Rp/capita/month) quoted with the rate |
| electricity_access_pct | DAPOER: households with electricity (%) |
| hdi | DAPOER: human development index |
| expenditure_pc_rp | DAPOER: household expenditure per capita (Rp, period as published by DAPOER) |
| population | DAPOER: population (persons) |
| grdp_total | DAPOER: gross regional domestic product (unit not stated; total / population = per capita in million Rp) |
| grdp_per_capita | DAPOER: GRDP per capita (as published) |
| water_access_pct | DAPOER: households with improved water (%) |
| literacy_rate_pct | DAPOER: literacy rate (%) |
| longitude, latitude | DAPOER: district centroid (degrees) |
| area_km2 | DAPOER: area (km2) |
| population_density | DAPOER: persons per km2 |
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimation.cells import ParsedTable
from estimation.parsers.bps_daerah import parse_province_daerah_rows
from estimation.parsers.delimited import parse_delimited_table
from estimation.parsers.json_records import parse_named_records
from estimation.parsers.problems import as_file_error, require_nonempty, unreadable_cells
from estimation.parsers.webapi import parse_bps_webapi


def parse_bps_statistics_table(path: Path, source_file: str, variable: str) -> ParsedTable:
    """The statistics-table parser, imported on call (it lives in a sibling module)."""
    from estimation.parsers.bps_table import parse_bps_statistics_table as parse

    return parse(path, source_file, variable)


@dataclass(frozen=True)
class RawSource:
    name: str  # short snake_case, used as the raw asset name
    path: str  # relative to data/raw; also the cells' source_file (for a yearly export: the shipped file)
    parser: Callable[..., ParsedTable]  # called as parser(raw_dir / path, path, **kwargs)
    kwargs: dict[str, Any] = field(default_factory=dict)
    variables: tuple[str, ...] = ()  # variables the cells carry
    description: str = ""
    pattern: str | None = None  # a yearly export: the newest file matching this glob (sorted by name) is read

    def resolve(self, raw_dir: Path) -> str:
        """The file to read, relative to `raw_dir`: the newest match of `pattern`, else `path`."""
        if self.pattern:
            matches = sorted(Path(raw_dir).glob(self.pattern))
            if matches:
                return matches[-1].relative_to(raw_dir).as_posix()
        return self.path


_KLASIFIKASI_COLUMNS = {
    "Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)": "p0",
    "Rata-rata Lama Sekolah Penduduk 15+ (Tahun)": "mean_years_schooling",
    "Pengeluaran per Kapita Disesuaikan (Ribu Rupiah/Orang/Tahun)": "adj_expenditure_thousand_rp",
    "Umur Harapan Hidup (Tahun)": "life_expectancy",
    "Persentase rumah tangga yang memiliki akses terhadap sanitasi layak": "sanitation_access_pct",
    "Persentase rumah tangga yang memiliki akses terhadap air minum layak": "drinking_water_access_pct",
    "Tingkat Pengangguran Terbuka": "open_unemployment_pct",
    "Klasifikasi Kemiskinan": "poverty_class",
}
_KABKOTA_2023_COLUMNS = {
    "jumlah_penduduk_miskin_ribu": "poor_thousand",
    "p0_persen": "p0",
    "p1": "p1",
    "p2": "p2",
    "garis_kemiskinan_rp": "poverty_line_rp",
}
_JATENG_COLUMNS = {
    "persentase_penduduk_miskin": "p0",
    "uhh": "life_expectancy",
    "hls": "expected_years_schooling",
    "rls": "mean_years_schooling",
    "pengeluaran_per_kapita_disesuaikan": "adj_expenditure_thousand_rp",
    "tpt": "open_unemployment_pct",
}
_DAPOER_COLUMNS = {
    "electricity_access": "electricity_access_pct",
    "hdi": "hdi",
    "expenditure_pc": "expenditure_pc_rp",
    "poverty_rate": "p0",
    "population": "population",
    "grdp_total": "grdp_total",
    "grdp_per_capita": "grdp_per_capita",
    "water_access": "water_access_pct",
    "literacy_rate": "literacy_rate_pct",
    "longitude": "longitude",
    "latitude": "latitude",
    "area_km2": "area_km2",
    "population_density": "population_density",
}
_EXTREME_NATIONAL_COLUMNS = {
    "extreme_poverty_rate_pct": "extreme_rate_pct",
    "extreme_poor_million": "extreme_poor_million",
    "line_rp_per_capita_month": "extreme_line_rp",
}


def _vars(columns: dict[str, str]) -> tuple[str, ...]:
    return tuple(columns.values())


_ENTRIES = (
    RawSource(
        "p0_kabkota", "bps/p0_kabkota_2004_2025.csv", parse_bps_statistics_table, {"variable": "p0"}, ("p0",),
        "BPS statistics-table export: P0 (% poor) by province and kab/kota, March rounds, names only.",
        pattern="bps/p0_kabkota_*.csv",
    ),
    RawSource(
        "poor_kabkota", "bps/penduduk_miskin_ribu_kabkota_2004_2025.csv", parse_bps_statistics_table,
        {"variable": "poor_thousand"}, ("poor_thousand",),
        "BPS statistics-table export: number of poor (thousands) by province and kab/kota, March rounds.",
        pattern="bps/penduduk_miskin_ribu_kabkota_*.csv",
    ),
    RawSource(
        "poverty_line_2025_webapi", "bps/webapi_var624_garis_kemiskinan_kabkota_2025.json", parse_bps_webapi,
        {"variable": "poverty_line_rp"}, ("poverty_line_rp",),
        "BPS WebAPI var 624: poverty line (Rp/capita/month) for 38 provinces and 514 kab/kota, 2025, "
        "with BPS codes.",
    ),
    RawSource(
        "poverty_line_2024_byname", "bps/garis_kemiskinan_kabkota_2024_byname.json", parse_named_records,
        {"variable": "poverty_line_rp", "year": 2024, "name_key": "nama_wilayah",
         "value_key": "garis_kemiskinan",
         "notes": (("year not stated in the file; March 2024 inferred (SOURCES.md: Jombang 514,170 matches "
                    "the news); Kota Parepare missing"),)},
        ("poverty_line_rp",),
        "Poverty line (Rp/capita/month) by name only, 2024 (inferred): 513 kab/kota + 4 province rows.",
    ),
    RawSource(
        "kabkota_2023_p0_p1_p2_gk", "bps/kemiskinan_kabkota_2023_p0_p1_p2_gk.csv", parse_delimited_table,
        {"region_column": "name_source", "province_column": "prov_name", "code_column": "bps_code",
         "value_columns": _KABKOTA_2023_COLUMNS, "year": 2023,
         "detail_columns": {"name_bps2025": "name_bps2025", "bps_code_pre2022": "bps_code_pre2022"}},
        _vars(_KABKOTA_2023_COLUMNS),
        "BPS kab/kota poverty data March 2023: poor (thousands), P0, P1, P2, poverty line; codes added by "
        "the transcriber.",
    ),
    RawSource(
        "klasifikasi_2021", "bps/klasifikasi_kemiskinan_kabkota_2021.csv", parse_delimited_table,
        {"sep": ";", "decimal": ",", "region_column": "Kab/Kota", "province_column": "Provinsi",
         "value_columns": _KLASIFIKASI_COLUMNS, "year": 2021},
        _vars(_KLASIFIKASI_COLUMNS),
        "Kaggle set of BPS 2021 figures for 514 kab/kota: P0 and covariates; ';' separated, decimal comma "
        "with some decimal points, no codes.",
    ),
    RawSource(
        "jateng_2020_2025", "bps/kemiskinan_jateng_2020_2025.csv", parse_delimited_table,
        {"region_column": "kabupaten_kota", "code_column": "kode_wilayah", "value_columns": _JATENG_COLUMNS,
         "year_column": "tahun"},
        _vars(_JATENG_COLUMNS),
        "Jawa Tengah 35 kab/kota x 2020-2025: P0, life expectancy, schooling, adjusted expenditure, "
        "unemployment.",
    ),
    RawSource(
        "dapoer_2019", "bps/worldbank_dapoer_district_2019.csv", parse_delimited_table,
        {"region_column": "district", "province_column": "province", "code_column": "loc_id",
         "value_columns": _DAPOER_COLUMNS, "year": 2019, "detail_columns": {"district_type": "district_type"}},
        _vars(_DAPOER_COLUMNS),
        "World Bank INDO-DAPOER, 514 districts, 2019. region_code is the World Bank loc_id (ID.JI.JO), NOT a "
        "BPS code: map it via data/raw/reference (dapoer_loc_id).",
    ),
    RawSource(
        "extreme_national", "bps/kemiskinan_ekstrem_nasional_2021_2025.csv", parse_delimited_table,
        {"region_name": "INDONESIA", "province_rows": True, "value_columns": _EXTREME_NATIONAL_COLUMNS,
         "year_column": "year",
         "detail_columns": {"period": "period", "line_definition": "line", "note": "note",
                            "source_url": "source_url"}},
        _vars(_EXTREME_NATIONAL_COLUMNS),
        "National extreme-poverty rate by Susenas round from news pages; two line definitions (see detail), "
        "March 2024 twice.",
    ),
    RawSource(
        "extreme_province_2023", "bps/kemiskinan_ekstrem_provinsi_2023_partial.csv", parse_delimited_table,
        {"region_column": "province", "code_column": "bps_prov_code", "province_rows": True,
         "value_columns": {"extreme_poverty_rate_pct": "extreme_rate_pct"}, "year_column": "year",
         "detail_columns": {"period": "period", "source_url": "source_url"}},
        ("extreme_rate_pct",),
        "Extreme-poverty rate, March 2023 (two 2022 values): Indonesia and 20 of 34 provinces, news pages.",
    ),
    RawSource(
        "p0_daerah_rows", "bps/p0_prov_daerah_rows_jatim_indonesia.csv", parse_province_daerah_rows,
        {"variable": "p0"}, ("p0",),
        "BPS P0 by province and daerah: rows JAWA TIMUR and INDONESIA, urban/rural/total x semester, "
        "2007-2026.",
    ),
    RawSource(
        "poor_daerah_rows", "bps/penduduk_miskin_prov_daerah_row_indonesia.csv", parse_province_daerah_rows,
        {"variable": "poor_thousand"}, ("poor_thousand",),
        "BPS number of poor (thousands) by daerah, INDONESIA row; 2007-2013 garbled in the source (noted).",
    ),
)

RAW_SOURCES: dict[str, RawSource] = {entry.name: entry for entry in _ENTRIES}

# Files with a reader of their own in estimation/parsers (not published cells), relative to data/raw.
REGION_LIST_FILE = "reference/regions_bps_kabkota_2025.csv"  # estimation.parsers.region_list
QUOTED_FIGURES_FILE = "crosscheck/news_pages_p0.csv"  # estimation.parsers.quoted_figures
GEOMETRY_FILE = "geo/kabkot_simplified_topo.json"  # estimation.parsers.topojson (2016 kab/kota borders)
GEOMETRY_ATTRIBUTES_FILE = "geo/kabkot_topo_attributes.json"  # its attribute list (id, kabkot, provinsi)


# The export whose year columns are the data's years (partitions, schedules, checks' year ranges).
YEARS_SOURCE = "p0_kabkota"


def source_path(name: str, raw_dir: Path) -> str:
    """The file (relative to `raw_dir`) that `parse_source(name, raw_dir)` reads."""
    if name not in RAW_SOURCES:
        raise KeyError(f"unknown raw source {name!r}; known: {sorted(RAW_SOURCES)}")
    return RAW_SOURCES[name].resolve(Path(raw_dir))


def parse_source(name: str, raw_dir: Path) -> ParsedTable:
    """Parse the catalogued file `name`; `raw_dir` is the data/raw folder.

    A file that cannot be read as its format (absent, empty, not UTF-8, cut off, a changed layout, a WebAPI
    answer whose status is not OK) does not raise: the table holds one cell of status "unreadable" naming
    file, row, column and the text found (`estimation.parsers.problems`), which the raw suite's blocking
    check `file_readable` reports.
    """
    relative = source_path(name, raw_dir)
    entry = RAW_SOURCES[name]
    path = Path(raw_dir) / relative
    variable = entry.kwargs.get("variable") or (entry.variables[0] if entry.variables else None)
    try:
        require_nonempty(path, relative)
        return entry.parser(path, relative, **entry.kwargs)
    except (OSError, ValueError, csv.Error) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        error = as_file_error(exc, path, relative)
        if error is None:
            raise
        return ParsedTable(cells=unreadable_cells(error, variable), title="", notes=[error.line()])


def file_digests(folder: str | Path) -> dict[str, str]:
    """{path relative to `folder`: SHA-256 of its bytes} for every file under `folder` (sorted by path): what
    the sensor and the incremental `make run` compare to see which source files changed."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def data_years(raw_dir: Path) -> list[int]:
    """The years of the newest P0 export (its header), [] when there is none or it has no year column."""
    from estimation.parsers.bps_table import table_years

    path = Path(raw_dir) / source_path(YEARS_SOURCE, raw_dir)
    return table_years(path) if path.is_file() else []

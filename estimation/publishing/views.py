"""Reader views of the published tables: what the workbook and the Indonesian CSVs show.

One `ReaderTable` per level (kab/kota, provinsi, Indonesia) and indicator family, laid out as BPS publishes a
statistical table: regions in rows (codes as text), years in columns, one indicator per table, with its title,
unit and source. The extreme-poverty estimates, which carry several measures per kab/kota and year, are one
row per kab/kota and year. Everything readers see follows one convention: rates in percent (the estimates are
stored as proportions and multiplied by 100 here), publishability flags in Bahasa Indonesia, figures rounded
to the decimals BPS publishes.

Decimals as published: P0, P1, P2 two decimals; number of poor in thousands with two decimals since 2015 and
one decimal before (as in BPS's own table: 24.3 in 2004, 17.62 in 2023); the poverty line in whole rupiah. For
published figures the decimals of each year column are read from the data (the fewest decimals that
reproduce every figure of that year, at most the dictionary's), so a new release needs no change here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from estimation.dictionary import column_info
from estimation.poverty_lines import LINE_LABELS_ID
from estimation.publish import identity_columns
from estimation.sae.publishability import FLAG_LABELS_ID

LEVEL_ID = {"kabkota": "Kabupaten/Kota", "provinsi": "Provinsi", "indonesia": "Indonesia"}
# Published BPS figures whose decimals are read per year from the data (capped by the dictionary's decimals).
AS_PUBLISHED = ("p0", "poor_thousand", "p1", "p2")
CODE_COLUMNS = ("bps_code", "prov_code", "kabkota_code")


@dataclass
class ReaderTable:
    """A table as readers see it; `frame` columns are keys, `labels`/`units` their header rows."""

    key: str  # file stem of the Indonesian CSV, e.g. "p0_kabkota"
    sheet: str  # sheet name (at most 31 characters)
    title: str
    unit: str
    source: str
    frame: pd.DataFrame
    labels: dict[str, str]
    units: dict[str, str]
    decimals: dict[str, int]  # per numeric column
    text_columns: tuple[str, ...] = CODE_COLUMNS  # written as text (codes)
    id_columns: int = 2  # leading columns frozen with the header
    notes: list[str] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return [self.labels[c] for c in self.frame.columns]


def published_decimals(values: pd.Series | np.ndarray, cap: int) -> int:
    """The fewest decimals (at most `cap`) that reproduce every value: 1 for 24.3 and 26.6, 2 for 17.62."""
    v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    v = v[~np.isnan(v)]
    for d in range(cap + 1):
        if np.all(np.abs(np.round(v, d) - v) < 1e-9 * np.maximum(1.0, np.abs(v))):
            return d
    return cap


def _float(series: pd.Series) -> pd.Series:
    """Numbers as floats; infinite values (the CV of a zero estimate) become missing: no figure to show."""
    values = pd.Series(pd.to_numeric(series, errors="coerce"), index=series.index, dtype=float)
    return values.where(np.isfinite(values))


def _id_columns(level: str) -> list[str]:
    return ["bps_code", "name", "prov_name"] if level == "kabkota" else ["bps_code", "name"]


def _rows_of_level(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    if level == "kabkota":
        return frame[frame["level"].isin(["kabupaten", "kota"])] if "level" in frame.columns else frame
    return frame[frame["level"] == level]


def _id_header(level: str) -> tuple[dict[str, str], dict[str, str]]:
    labels = {"bps_code": column_info("bps_code").label, "prov_name": column_info("prov_name").label,
              "name": LEVEL_ID[level] if level != "indonesia" else column_info("name").label}
    return labels, dict.fromkeys(labels, "")


def wide_table(frame: pd.DataFrame, value: str, level: str, *, key: str, sheet: str, title: str,
               year_labels: Mapping[int, str] | None = None, source: str | None = None) -> ReaderTable:
    """Regions in rows, one column per year with a figure of `value` (years without any figure are left out)."""
    info = column_info(value)
    ids = _id_columns(level)
    rows = _rows_of_level(frame, level)
    rows = rows[[*ids, "year"]].assign(**{value: _float(rows[value]) * info.percent_factor})
    rows = rows[rows[value].notna()]
    names = rows.drop_duplicates("bps_code").set_index("bps_code")[ids[1:]].sort_index()
    wide = rows.pivot(index="bps_code", columns="year", values=value).sort_index(axis=1).reindex(names.index)
    cap = info.decimals if info.decimals is not None else 2
    decimals = {str(int(year)): (published_decimals(wide[year], cap) if value in AS_PUBLISHED else cap)
                for year in wide.columns}
    wide.columns = list(decimals)
    out = names.join(wide.round(decimals)).reset_index()[[*ids, *decimals]]
    labels, units = _id_header(level)
    for column in decimals:
        labels[column] = (year_labels or {}).get(int(column), column)
        units[column] = info.display_unit
    return ReaderTable(key=key, sheet=sheet, title=title, unit=info.display_unit, source=source or info.source,
                       frame=out.reset_index(drop=True), labels=labels, units=units, decimals=decimals,
                       id_columns=len(ids))


_PANEL_FAMILIES = (  # value column, key, sheet prefix, title
    ("p0", "p0", "P0", "Persentase Penduduk Miskin (P0) Menurut {level} (Persen)"),
    ("poor_thousand", "penduduk_miskin", "Penduduk Miskin", "Jumlah Penduduk Miskin Menurut {level} (Ribu Jiwa)"),
    ("poverty_line_rp", "garis_kemiskinan", "GK", "Garis Kemiskinan Menurut {level} (Rupiah/Kapita/Bulan)"),
    ("p1", "p1", "P1", "Indeks Kedalaman Kemiskinan (P1) Menurut {level}"),
    ("p2", "p2", "P2", "Indeks Keparahan Kemiskinan (P2) Menurut {level}"),
)
_DELTA_FAMILIES = (
    ("delta_p0_pp", "perubahan_p0", "Perubahan P0",
     "Perubahan Persentase Penduduk Miskin (P0) dari Tahun Sebelumnya Menurut {level} (Poin Persen)"),
    ("delta_poor_persons", "perubahan_penduduk_miskin", "Perubahan Miskin",
     "Perubahan Jumlah Penduduk Miskin dari Tahun Sebelumnya Menurut {level} (Jiwa)"),
)
_SHEET_LEVEL = {"kabkota": "KabKota", "provinsi": "Provinsi", "indonesia": "Indonesia"}
_TITLE_LEVEL = {"kabkota": "Kabupaten/Kota", "provinsi": "Provinsi", "indonesia": "Indonesia"}


def _title(template: str, level: str, years: Sequence[str]) -> str:
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (years[0] if years else "")
    title = template.format(level=_TITLE_LEVEL[level])
    if level == "indonesia":
        title = title.replace(" Menurut Indonesia", " Indonesia")
    return f"{title}, {span}" if span else title


def _family_tables(frame: pd.DataFrame, level: str, families: Sequence[tuple[str, str, str, str]],
                   year_labels: Mapping[int, str] | None = None, optional: bool = False) -> list[ReaderTable]:
    """One wide table per indicator family with at least one year of figures; with `optional`, a family whose
    column `frame` lacks is left out (P1, P2 exist only for kab/kota), else that is an error."""
    tables = []
    for value, key, prefix, template in families:
        if value not in frame.columns:
            if optional:
                continue
            raise KeyError(f"{level} table has no column {value!r}")
        table = wide_table(frame, value, level, key=f"{key}_{level}", sheet=f"{prefix} {_SHEET_LEVEL[level]}",
                           title="", year_labels=year_labels)
        years = [c for c in table.frame.columns if c not in _id_columns(level)]
        if years:
            table.title = _title(template, level, years)
            tables.append(table)
    return tables


def panel_tables(kabkota: pd.DataFrame, province: pd.DataFrame) -> list[ReaderTable]:
    """P0, number of poor, poverty line, P1, P2 for each level, as BPS lays them out (empty ones left out)."""
    return [table for level, frame in (("kabkota", kabkota), ("provinsi", province), ("indonesia", province))
            for table in _family_tables(frame, level, _PANEL_FAMILIES, optional=True)]


def delta_tables(kabkota: pd.DataFrame, province: pd.DataFrame) -> list[ReaderTable]:
    """Year-over-year changes of P0 (pp) and of the number of poor (persons), columns labelled 'year_prev–year'."""
    tables = []
    for level, frame in (("kabkota", kabkota), ("provinsi", province), ("indonesia", province)):
        if frame.empty:
            continue
        pairs = frame.drop_duplicates("year").set_index("year")["year_prev"]
        year_labels = {int(y): f"{int(p)}–{int(y)}" for y, p in pairs.items() if pd.notna(p)}
        tables += _family_tables(frame, level, _DELTA_FAMILIES, year_labels)
    return tables


ESTIMATE_COLUMNS = ("bps_code", "name", "year", "line_definition", "direct", "cv", "eblup", "rse", "ci_low",
                    "ci_high", "benchmarked", "persons", "flag")


def extreme_estimates_table(sae: pd.DataFrame, direct: pd.DataFrame, names: pd.DataFrame,
                            indicator: str = "extreme") -> ReaderTable:
    """Extreme-poverty estimates of every kab/kota and year: direct (with CV), EBLUP (RSE, 95% interval),
    benchmarked EBLUP, persons and the publishability class, rates in percent."""
    model = sae[sae["indicator"] == indicator]
    cv = direct[direct["indicator"] == indicator][["bps_code", "year", "cv"]]
    rows = model.drop(columns=[c for c in ("name", "cv") if c in model.columns]).merge(
        cv, on=["bps_code", "year"], how="left").merge(names[["bps_code", "name"]], on="bps_code", how="left")
    rows = rows.sort_values(["year", "bps_code"]).reset_index(drop=True)
    out = pd.DataFrame({"bps_code": rows["bps_code"].astype(str), "name": rows["name"],
                        "year": rows["year"].astype(int).astype(str),  # a label, like the years heading columns
                        "line_definition": rows["line_definition"].map(lambda v: LINE_LABELS_ID.get(str(v), str(v)))})
    decimals: dict[str, int] = {}
    labels = {"bps_code": column_info("bps_code").label, "name": "Kabupaten/Kota", "year": "Tahun",
              "line_definition": "Garis kemiskinan ekstrem"}
    units = {"bps_code": "", "name": "", "year": "", "line_definition": ""}
    for column in ESTIMATE_COLUMNS[4:-1]:
        table = "estimates_direct" if column == "cv" else "estimates_sae"
        info = column_info(column, table)
        d = info.decimals if info.decimals is not None else 2
        out[column] = (_float(rows[column]) * info.percent_factor).round(d)
        decimals[column] = d
        labels[column] = info.label
        units[column] = info.display_unit
    out["flag"] = rows["flag"].map(lambda v: FLAG_LABELS_ID.get(str(v), str(v)))
    labels["flag"], units["flag"] = column_info("flag", "estimates_sae").label, "RSE ≤ 25% / 25–50% / > 50%"
    # The synthetic mark on every row, so a row copied out of the sheet still says what it is.
    out["data_source"] = "Sampel sintetis (bukan angka resmi)"
    labels["data_source"], units["data_source"] = column_info("data_source").label, ""
    labels["cv"] = "CV estimasi langsung"
    labels["persons"] = "Jumlah penduduk miskin ekstrem (estimasi)" if indicator == "extreme" else labels["persons"]
    years = sorted(out["year"].unique())
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "")
    title = f"Estimasi Persentase Penduduk Miskin Ekstrem Menurut Kabupaten/Kota, {span} (Estimasi Model, Data Sintetis)"
    return ReaderTable(key="miskin_ekstrem_kabkota", sheet="Miskin Ekstrem KabKota", title=title,
                       unit="persen (kecuali jumlah penduduk: jiwa)", source=column_info("eblup").source,
                       frame=out, labels=labels, units=units, decimals=decimals, id_columns=2)


def reader_tables(kabkota_panel: pd.DataFrame, province_panel: pd.DataFrame, kabkota_deltas: pd.DataFrame,
                  province_deltas: pd.DataFrame, sae: pd.DataFrame | None = None, direct: pd.DataFrame | None = None,
                  names: pd.DataFrame | None = None) -> list[ReaderTable]:
    """Every reader table, in workbook order: panels, changes, then the extreme-poverty estimates."""
    for frame in (kabkota_panel, province_panel, kabkota_deltas, province_deltas, sae, direct):
        if frame is not None and identity_columns(frame):
            raise ValueError(f"refusing to publish identity columns {identity_columns(frame)}")
    tables = [*panel_tables(kabkota_panel, province_panel), *delta_tables(kabkota_deltas, province_deltas)]
    if sae is not None and direct is not None and names is not None and not sae.empty:
        tables.append(extreme_estimates_table(sae, direct, names))
    for table in tables:
        if len(table.sheet) > 31:
            raise ValueError(f"sheet name too long for Excel: {table.sheet!r}")
    return tables


def figure_notes(*panels: pd.DataFrame) -> list[str]:
    """The footnotes attached to figures (the panels' `note` column), one line per distinct note and region."""
    lines: list[str] = []
    for panel in panels:
        if "note" not in panel.columns:
            continue
        noted = panel[panel["note"].notna() & (panel["note"].astype(str).str.strip() != "")]
        for note, group in noted.groupby(noted["note"].astype(str), sort=False):
            for (code, name), years in group.groupby(["bps_code", "name"], sort=True)["year"]:
                span = ", ".join(str(int(y)) for y in sorted(years.unique()))
                lines.append(f"{name} ({code}), {span}: {translate_note(str(note))}")
    return list(dict.fromkeys(lines))


# Data notes the pipeline writes in English, as readers read them.
_NOTE_ID = {
    "source row looks garbled": "baris sumber BPS tampak rusak untuk 2007–2013 (nilai berulang antartahun); "
                                "angka dibiarkan seperti dipublikasikan, jangan digunakan",
}


def translate_note(note: str) -> str:
    """A note in Bahasa Indonesia: BPS footnotes are already; the pipeline's own English notes are translated."""
    parts = [p.strip() for p in note.split(" | ")]
    out = []
    for part in parts:
        out.append(next((text for prefix, text in _NOTE_ID.items() if part.startswith(prefix)), part))
    return " | ".join(out)

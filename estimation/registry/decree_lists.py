"""Padu padan of every decree (SK) list in an extract folder: each list matched with the registry snapshot
of its kab/kota and year and with the OPD intervention register, the by-name worklists written to the
restricted folder, and counts returned."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from estimation.registry.ingest import ingest_interventions, ingest_nik_list
from estimation.registry.padu_padan import padu_padan
from estimation.registry.pseudonym import KeySource
from estimation.registry.worklists import progress_table, write_restricted_worklists


@dataclass
class DecreeListResults:
    """Counts only: the summary per list, the TKPK progress table and the worklist files written, and every
    list row located with what is wrong with it (`list_rows`: row numbers and statuses, never a NIK)."""

    summary: pd.DataFrame
    progress: pd.DataFrame
    worklists: pd.DataFrame  # kabkota_code, kecamatan, persons, file (a name inside the worklist folder)
    list_rows: pd.DataFrame  # LIST_ROW_COLUMNS, one row per row of every decree list


LIST_ROW_COLUMNS = ["source_file", "source_row", "source_column", "region_name", "problem", "kabkota_code", "year",
                    "listed_once", "nik_valid"]
# What an unusable or impossible NIK on a list is, in words (the NIK itself is never shown). A NIK registered
# in another kab/kota (region_mismatch) is valid: people move.
NIK_PROBLEMS = {
    "missing": "no NIK",
    "scientific_notation": "a NIK in scientific notation (its digits are lost)",
    "non_digit": "a NIK with a character that is not a digit",
    "bad_length": "a NIK of {length} characters, not 16 digits",
    "bad_birth_date": "a NIK whose birth date (DDMMYY) is impossible",
}


def decree_list_rows(decree: pd.DataFrame, file: str, year: int | None = None) -> pd.DataFrame:
    """Every row of a decree list (`ingest.ingest_nik_list` output) located: file, row, column 'NIK', region
    (the kab/kota code); `listed_once` is False on a row whose NIK stands on an earlier row of the list (one
    person counted twice), `nik_valid` False on a row whose NIK cannot be right (it cannot be matched: such a
    person is reported apart, never as not found); `problem` says what is wrong and names the other rows."""
    rows = decree.reset_index(drop=True)
    problems: list[list[str]] = [[] for _ in range(len(rows))]
    listed_once = pd.Series(True, index=rows.index)
    usable = rows[rows["nik_pseudo"].notna()]
    for _pseudo, group in usable.groupby("nik_pseudo", sort=False):
        if len(group) < 2:
            continue
        where = group.sort_values("list_row")
        numbers = ", ".join(str(int(r)) for r in where["list_row"])
        first = int(where["list_row"].iloc[0])
        for i in where.index[1:]:
            listed_once[i] = False
            problems[i].append(f"the NIK of row {first} again (listed {len(where)} times: rows {numbers})")
    status = rows["nik_status"].astype("string")
    length = rows["nik_length"] if "nik_length" in rows.columns else pd.Series(pd.NA, index=rows.index)
    invalid = status.isin(list(NIK_PROBLEMS)).fillna(False).to_numpy(dtype=bool)
    for i in rows.index[invalid]:
        text = NIK_PROBLEMS[str(status[i])]
        problems[i].append(text.format(length="?" if pd.isna(length[i]) else int(length[i])))
    return pd.DataFrame({
        "source_file": file,
        "source_row": rows["list_row"].astype("int64"),
        "source_column": "NIK",
        "region_name": rows["kabkota_code"].astype("object"),
        "problem": ["; ".join(p) if p else None for p in problems],
        "kabkota_code": rows["kabkota_code"].astype("object"),
        "year": year,
        "listed_once": listed_once.to_numpy(dtype=bool),
        "nik_valid": ~invalid,
    }, columns=LIST_ROW_COLUMNS)


def match_decree_lists(extracts: pd.DataFrame, ingested: pd.DataFrame, folder: str | Path, key: bytes,
                       key_source: KeySource, worklist_dir: str | Path, period: str) -> DecreeListResults:
    """extracts: the manifest (kind sk / intervensi / p3ke / dtsen, file, kabkota_code, year);
    ingested: `ingest_folder.ingest_extracts` rows (key, source, kabkota_code, year, path).

    Each SK list of a kab/kota and year needs a registry snapshot of the same kab/kota and year.
    `period` labels the progress rows (the TKPK reporting month) and the worklist file names."""
    folder = Path(folder)
    summaries, progress_parts, worklists, list_rows = [], {}, [], []
    for sk in extracts[extracts["kind"] == "sk"].itertuples():
        later = ingested[(ingested["kabkota_code"] == sk.kabkota_code) & (ingested["year"] == sk.year)]
        if later.empty:
            raise ValueError(f"no registry snapshot of {sk.kabkota_code} for {sk.year} to match the SK list {sk.file}")
        decree, _ = ingest_nik_list(folder / sk.file, key, key_source, sk.kabkota_code)
        list_rows.append(decree_list_rows(decree, str(sk.file), int(sk.year)))
        register = extracts[(extracts["kind"] == "intervensi") & (extracts["kabkota_code"] == sk.kabkota_code)
                            & (extracts["year"] == sk.year)]
        interventions = (ingest_interventions(folder / register["file"].iloc[0], key, key_source)
                         if not register.empty else None)
        desil_field = "desil_dtsen" if later["source"].iloc[-1] == "dtsen" else "desil_p3ke"
        summary, persons = padu_padan(decree, list(later["path"]), interventions, desil_field=desil_field)
        summaries.append(summary.assign(year=int(sk.year), snapshot=",".join(later["key"])))
        progress_parts[f"{period} {sk.kabkota_code}"] = persons
        raw_extracts = [folder / f for f in extracts.loc[extracts["key"].isin(later["key"]), "file"]]
        worklists.append(write_restricted_worklists(persons, raw_extracts, key, worklist_dir, period=period,
                                                    ingested=list(later["path"])))
    return DecreeListResults(
        summary=pd.concat(summaries, ignore_index=True),
        progress=progress_table(progress_parts),
        worklists=pd.concat(worklists, ignore_index=True) if worklists else pd.DataFrame(),
        list_rows=(pd.concat(list_rows, ignore_index=True) if list_rows
                   else pd.DataFrame(columns=LIST_ROW_COLUMNS)),
    )

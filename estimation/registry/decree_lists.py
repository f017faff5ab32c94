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
    """Counts only: the summary per list, the TKPK progress table and the worklist files written."""

    summary: pd.DataFrame
    progress: pd.DataFrame
    worklists: pd.DataFrame  # kabkota_code, kecamatan, persons, file (a name inside the worklist folder)


def match_decree_lists(extracts: pd.DataFrame, ingested: pd.DataFrame, folder: str | Path, key: bytes,
                       key_source: KeySource, worklist_dir: str | Path, period: str) -> DecreeListResults:
    """extracts: the manifest (kind sk / intervensi / p3ke / dtsen, file, kabkota_code, year);
    ingested: `ingest_folder.ingest_extracts` rows (key, source, kabkota_code, year, path).

    Each SK list of a kab/kota and year needs a registry snapshot of the same kab/kota and year.
    `period` labels the progress rows (the TKPK reporting month) and the worklist file names."""
    folder = Path(folder)
    summaries, progress_parts, worklists = [], {}, []
    for sk in extracts[extracts["kind"] == "sk"].itertuples():
        later = ingested[(ingested["kabkota_code"] == sk.kabkota_code) & (ingested["year"] == sk.year)]
        if later.empty:
            raise ValueError(f"no registry snapshot of {sk.kabkota_code} for {sk.year} to match the SK list {sk.file}")
        decree, _ = ingest_nik_list(folder / sk.file, key, key_source, sk.kabkota_code)
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
    )

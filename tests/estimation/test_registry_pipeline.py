"""Generator -> pseudonymised ingestion -> aggregation / padu padan / worklists on the planted cases."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from estimation.registry.aggregate import aggregate_extract, desil1_share, year_over_year_registry
from estimation.registry.generator import (
    JOMBANG_CASE,
    SNAPSHOT_DATES,
    generate_p3ke_extract,
    generate_registry_scenario,
)
from estimation.registry.ingest import ingest_extract, ingest_interventions, ingest_nik_list
from estimation.registry.padu_padan import padu_padan
from estimation.registry.pseudonym import key_from_env, pseudonymise
from estimation.registry.schema import INGESTED_COLUMNS
from estimation.registry.worklists import progress_table, write_restricted_worklists

POPS = pd.DataFrame({
    "bps_code": ["3576", "3576", "3576", "3602", "3602", "3517", "6271", "6271"],
    "year": [2022, 2023, 2024, 2023, 2024, 2024, 2023, 2024],
    "population_thousand": [139.9, 140.6, 141.2, 1_420.5, 1_433.4, 1_351.2, 305.1, 308.9],
})


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("registry")
    raw, out, restricted = base / "raw", base / "out", base / "restricted"
    key, src = key_from_env({"P3KE_PSEUDONYM_KEY": "test-key-not-for-production-0123456789"})
    sc = generate_registry_scenario(raw, populations=POPS, sizes={"3576": 15_000, "6271": 5_000})
    reports = []
    for snap in sc.snapshots:
        rep = ingest_extract(snap["path"], out / "ingested" / f"{snap['key']}.parquet", key, src,
                             snap["snapshot_date"], source=snap["source"])
        reports.append(rep)
    (out / "ingest_reports.json").write_text(json.dumps([r.as_dict() for r in reports]))
    agg = aggregate_extract(out / "ingested", POPS)
    agg.to_csv(out / "aggregates.csv", index=False)
    yoy = year_over_year_registry(agg)
    yoy.to_csv(out / "yoy.csv", index=False)
    sk, sk_report = ingest_nik_list(sc.files["sk_jombang_2024"], key, src, "3517")
    iv = ingest_interventions(sc.files["intervensi_jombang_2024"], key, src)
    summary, persons = padu_padan(sk, out / "ingested" / "p3ke_3517_2024.parquet", iv)
    summary.to_csv(out / "padu_padan_summary.csv", index=False)
    persons.to_parquet(out / "padu_padan_persons.parquet")
    lists = write_restricted_worklists(persons, [sc.files["p3ke_3517_2024"]], key, restricted, period="2024-11")
    lists.to_csv(out / "worklist_counts.csv", index=False)
    progress = progress_table({"2024-11": persons})
    progress.to_csv(out / "progress.csv", index=False)
    return {"sc": sc, "key": key, "out": out, "restricted": restricted, "agg": agg, "yoy": yoy, "summary": summary,
                "persons": persons, "lists": lists, "progress": progress, "reports": reports, "sk_report": sk_report}


def test_jombang_case_recovered_to_the_person(run: dict) -> None:
    s = run["summary"].set_index("kabkota_code").loc["3517"]
    c = JOMBANG_CASE
    assert s["list_rows"] == s["persons"] == s["found"] == c["sk_list"] == 7_408
    assert (s["left_desil1"], s["still_desil1"]) == (5_567, 1_841)
    assert (s["optimal"], s["not_optimal"]) == (1_752, 89)
    assert (s["not_optimal_alive"], s["not_optimal_deceased"]) == (78, 11)
    assert s["not_found"] == s["duplicate_rows_on_list"] == s["invalid_nik_on_list"] == 0
    assert s["intervened"] == 7_408 and s["key_mode"] == "env"
    truth = run["sc"].truth.assign(nik_pseudo=lambda t: pseudonymise(t["nik"], run["key"]).to_numpy())
    got = run["persons"].set_index("nik_pseudo").loc[truth["nik_pseudo"], "category"].to_numpy()
    assert (got == truth["category"].to_numpy()).all()
    agg = run["agg"].set_index(["source", "kabkota_code", "year"])
    assert agg.loc[("p3ke", "3517", 2024), "individuals"] == 654_220


def test_lebak_and_mojokerto_figures(run: dict) -> None:
    yoy = run["yoy"].set_index(["source", "kabkota_code"])
    lebak = yoy.loc[("p3ke", "3602")]
    assert (lebak["extreme_families_from"], lebak["extreme_families_to"]) == (6_043, 5_698)
    assert lebak["extreme_families_change"] == -345
    mojo = yoy.loc[("p3ke", "3576")]
    assert (mojo["year_from"], mojo["year_to"]) == (2022, 2023)
    assert round(mojo["extreme_rate_pct_from"], 2) == 1.10 and mojo["extreme_rate_pct_to"] == 0.0
    assert mojo["extreme_individuals_from"] == round(0.011 * 139_900)


def test_ingest_report_counts_and_rows(run: dict) -> None:
    rep = next(r for r in run["reports"] if r.source_file == "p3ke_3517_2024.csv")
    raw = Path(run["sc"].files["p3ke_3517_2024"]).read_text().splitlines()
    sci_lines = [i + 1 for i, line in enumerate(raw) if re.match(r'^"?\d\.\d+e\+15', line)]
    assert rep.invalid_nik_rows["scientific_notation"] == sci_lines and len(sci_lines) > 0
    assert rep.nik_status_counts["scientific_notation"] == len(sci_lines)
    assert rep.n_rows == len(raw) - 1 and rep.n_rows - rep.n_duplicates == 654_220
    assert rep.nik_status_counts["region_mismatch"] > 0
    table = pq.read_table(run["out"] / "ingested" / "p3ke_3517_2024.parquet")
    assert table.column_names == list(INGESTED_COLUMNS)


def _identities(sc) -> tuple[set[str], set[str]]:
    numbers, names = set(), set()
    for path in sc.files.values():
        frame = (pd.read_excel(path, dtype=str) if str(path).endswith(".xlsx")
                 else pd.read_csv(path, dtype=str, keep_default_na=False))
        for col in frame.columns:
            if col.upper() in ("NIK", "NO KK"):
                vals = frame[col].str.replace(r"[\s']", "", regex=True)
                numbers |= set(vals[vals.str.fullmatch(r"\d{16}")])
            if col.upper() == "NAMA":
                names |= set(frame[col])
    return numbers, names


def _cells(path: Path) -> set[str]:
    if path.suffix == ".parquet":
        t = pq.read_table(path).to_pandas()
        return {str(v) for col in t.columns for v in t[col].unique()}
    text = path.read_text(errors="replace")
    return set(re.split(r"[,\n\"\[\]{}:]+", text)) | set(re.findall(r"\d{16}", text))


def test_no_identity_outside_restricted_folder(run: dict) -> None:
    numbers, names = _identities(run["sc"])
    assert len(numbers) > 654_220 and len(names) > 100
    files = [p for p in run["out"].rglob("*") if p.is_file()]
    assert len(files) >= 10
    for path in files:
        cells = _cells(path)
        assert not (cells & numbers), path.name
        assert not (cells & names), path.name
    # and the restricted worklists do carry them (the BNBA lists the camat need)
    restricted = set().union(*(_cells(p) for p in run["restricted"].iterdir()))
    assert len(restricted & numbers) >= 1_841


def test_restricted_worklists_private(run: dict) -> None:
    folder = run["restricted"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(folder.iterdir())
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert not any(p.name.startswith(".") for p in files)  # no temp leftovers
    lists = run["lists"]
    assert lists["persons"].sum() == 1_841 and set(lists.columns) == {"kabkota_code", "kecamatan", "persons", "file"}
    one = pd.read_csv(folder / lists["file"].iloc[0], dtype=str)
    assert one["NIK"].str.fullmatch(r"\d{16}").all() and one["Kategori Padu Padan"].str.startswith("desil_1").all()


def test_progress_table_counts(run: dict) -> None:
    p = run["progress"]
    assert p["persons"].sum() == 7_408 and p["still_desil1"].sum() == 1_841
    assert p["desil_1_belum_optimal_meninggal"].sum() == 11
    assert not any("pseudo" in c for c in p.columns)
    small = progress_table({"x": run["persons"]}, min_cell=5)
    assert small["desil_1_belum_optimal_meninggal"].isna().any() or (p["desil_1_belum_optimal_meninggal"] >= 5).all()


def test_dtsen_ingest_aggregate_and_padu_padan(run: dict, tmp_path: Path) -> None:
    agg = run["agg"]
    d = agg[agg["source"] == "dtsen"].iloc[0]
    assert d["individuals"] == 8_000 and sum(d[f"individuals_desil_{k}"] for k in range(1, 11)) == 8_000
    assert d["individuals_desil_10"] > 0 and np.isnan(d["extreme_rate_pct"])
    key, src = key_from_env(demo=True)
    xlsx = run["sc"].files["dtsen_6271_2025Q2"]
    dts = pd.read_excel(xlsx, dtype=str)
    ingested = tmp_path / "dtsen.parquet"
    ingest_extract(xlsx, ingested, key, src, "2025-06-30", source="dtsen")
    sk = pd.DataFrame({"NIK": list(dts["NIK"].iloc[:40]) + [dts["NIK"].iloc[0], "627101" + "010199" + "0999", "6.271e+15"]})
    sk.to_csv(tmp_path / "sk.csv", index=False)
    lst, rep = ingest_nik_list(tmp_path / "sk.csv", key, src, "6271")
    assert rep["counts"]["scientific_notation"] == 1 and rep["invalid_rows"]["scientific_notation"] == [44]
    summary, persons = padu_padan(lst, ingested, None, desil_field="desil_dtsen")
    s = summary.iloc[0]
    assert (s["list_rows"], s["persons"], s["duplicate_rows_on_list"], s["invalid_nik_on_list"]) == (43, 41, 1, 1)
    assert (s["found"], s["not_found"]) == (40, 1)
    d1 = int((dts["DESIL NASIONAL"].iloc[:40].astype(int) == 1).sum())
    assert s["still_desil1"] == d1 and s["left_desil1"] == 40 - d1 and s["no_intervention"] == d1
    assert summary["key_mode"].iloc[0] == "demo" and "nik_pseudo" in persons


def test_desil1_share_and_population_input(run: dict, tmp_path: Path) -> None:
    share = desil1_share(run["agg"], POPS).set_index(["source", "kabkota_code", "year"])
    j = share.loc[("p3ke", "3517", 2024)]
    assert j["desil1_share"] == pytest.approx(j["desil1_individuals"] / 1_351_200)
    assert 0 < j["desil1_share"] < 0.3
    # a poorer synthetic population gives a larger desil-1 share in its extract
    rng = np.random.default_rng(0)
    persons = pd.DataFrame({"bps_code": ["9901"] * 5000 + ["9902"] * 5000,
                            "expenditure_per_capita": np.r_[rng.lognormal(13.5, 0.4, 5000),
                                                            rng.lognormal(14.6, 0.4, 5000)]})
    shares = {}
    for code in ("9901", "9902"):
        path = generate_p3ke_extract(tmp_path / f"{code}.csv", code, 5_000, persons=persons, dirty=False)
        desil = pd.read_csv(path, usecols=["Desil"])["Desil"]
        shares[code] = (desil == 1).mean()
    assert shares["9901"] > shares["9902"] + 0.2
    assert SNAPSHOT_DATES[2024] == "2024-03-14"

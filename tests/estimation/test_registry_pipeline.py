"""Generator -> pseudonymised ingestion -> aggregation / padu padan / worklists on the planted cases."""

from __future__ import annotations

import csv
import json
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from estimation.registry.aggregate import aggregate_extract, desil1_share, year_over_year_registry
from estimation.registry.decree_lists import match_decree_lists
from estimation.registry.extracts import read_manifest
from estimation.registry.generator import (
    DTSEN_DEMO_INDIVIDUALS,
    JOMBANG_CASE,
    SK_BAD_BIRTH_DATES,
    SK_LIST_ERRORS,
    SNAPSHOT_DATES,
    generate_p3ke_extract,
)
from estimation.registry.ingest import ingest_extract, ingest_interventions, ingest_nik_list
from estimation.registry.padu_padan import padu_padan
from estimation.registry.pseudonym import key_from_env, pseudonymise
from estimation.registry.schema import INGESTED_COLUMNS
from estimation.registry.worklists import progress_table

# Shares the session's registry demo extracts and layer run: one xdist worker runs these modules (`make test`).
pytestmark = pytest.mark.xdist_group("registry")


ENV_KEY = {"P3KE_PSEUDONYM_KEY": "test-key-not-for-production-0123456789"}
ENV_SNAPSHOT = "p3ke_3576_2022"  # a small extract (~29 k rows): the key-from-environment path end to end


@pytest.fixture(scope="module")
def run(registry_layer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The Jombang decree case on the registry layer's pseudonymised Parquet and ingestion report (the 101 MB
    extract is ingested once per session, by the layer, with its demo key); the key-from-environment path on a
    small extract of the same demo folder (ingested and matched here with a key from the environment)."""
    base = tmp_path_factory.mktemp("registry")
    out, restricted = base / "out", base / "restricted"
    (out / "ingested").mkdir(parents=True)
    demo = registry_layer.demo
    sc, pops, folder = demo.scenario, demo.panel, demo.folder
    layer_ingested = registry_layer.value("registry_ingested")  # one report row per extract, with its Parquet
    assert set(layer_ingested["key_mode"]) == {"demo"}
    key, src = key_from_env(demo=True)  # the layer's key (PseudonymKey(mode="demo")): its pseudonyms match ours
    reports = layer_ingested.set_index("key")
    jombang_parquet = Path(reports.loc["p3ke_3517_2024", "path"])
    agg = aggregate_extract(list(layer_ingested["path"]), pops)
    agg.to_csv(out / "aggregates.csv", index=False)
    yoy = year_over_year_registry(agg)
    yoy.to_csv(out / "yoy.csv", index=False)
    sk, sk_report = ingest_nik_list(sc.files["sk_jombang_2024"], key, src, "3517")
    iv = ingest_interventions(sc.files["intervensi_jombang_2024"], key, src)
    summary, persons = padu_padan(sk, jombang_parquet, iv)
    summary.to_csv(out / "padu_padan_summary.csv", index=False)
    persons.to_parquet(out / "padu_padan_persons.parquet")
    # the assets' path over the whole folder: every SK list, its register, worklists, progress
    ingested = pd.DataFrame([{"key": "p3ke_3517_2024", "source": "p3ke", "kabkota_code": "3517", "year": 2024,
                              "path": str(jombang_parquet)}])
    matched = match_decree_lists(pd.DataFrame(read_manifest(folder)), ingested, folder, key, src, restricted,
                                 period="2024-11")
    lists = matched.worklists
    lists.to_csv(out / "worklist_counts.csv", index=False)
    progress = progress_table({"2024-11": persons})
    progress.to_csv(out / "progress.csv", index=False)
    # the key from the environment, on a small extract: ingestion, its report, a decree list of its persons
    env_key, env_src = key_from_env(ENV_KEY)
    small = next(s for s in sc.snapshots if s["key"] == ENV_SNAPSHOT)
    env_parquet = out / "ingested" / f"{ENV_SNAPSHOT}.parquet"
    env_report = ingest_extract(small["path"], env_parquet, env_key, env_src, small["snapshot_date"], source="p3ke")
    (out / "ingest_report.json").write_text(json.dumps(env_report.as_dict()))
    nik = pacsv.read_csv(small["path"], convert_options=pacsv.ConvertOptions(
        include_columns=["NIK"], column_types={"NIK": pa.string()})).column("NIK").to_pylist()
    listed = list(dict.fromkeys(n for n in nik if n and re.fullmatch(r"3576\d{12}", n)))[:50]  # 50 persons
    (base / "sk_env.csv").write_text("NIK\n" + "\n".join(listed + ["3576" + "01" + "010199" + "9999"]) + "\n")
    env_list, env_list_report = ingest_nik_list(base / "sk_env.csv", env_key, env_src, "3576")
    env_summary, env_persons = padu_padan(env_list, env_parquet, None)
    env_summary.to_csv(out / "padu_padan_summary_env.csv", index=False)
    # the same list and the same extract under the demo key: the layer's Parquet of that extract
    demo_list, _ = ingest_nik_list(base / "sk_env.csv", key, src, "3576")
    demo_summary, _ = padu_padan(demo_list, Path(reports.loc[ENV_SNAPSHOT, "path"]), None)
    mixed_summary, _ = padu_padan(demo_list, env_parquet, None)  # a list pseudonymised with another key
    return {"sc": sc, "key": key, "out": out, "restricted": restricted, "agg": agg, "yoy": yoy, "summary": summary,
            "persons": persons, "lists": lists, "progress": progress, "report": reports.loc["p3ke_3517_2024"],
            "jombang_parquet": jombang_parquet, "sk_report": sk_report,
            "matched": matched, "ingested": ingested, "folder": folder, "src": src, "pops": pops,
            "layer_ingested": [Path(p) for p in layer_ingested["path"]],
            "env": {"key": env_key, "report": env_report, "path": small["path"], "parquet": env_parquet,
                    "listed": listed, "list_report": env_list_report, "summary": env_summary,
                    "persons": env_persons, "demo_summary": demo_summary, "mixed_summary": mixed_summary,
                    "demo_parquet": Path(reports.loc[ENV_SNAPSHOT, "path"])}}


def _planted(sc) -> tuple[int, int, int, int]:
    """(not found, absent with an impossible NIK, duplicate rows, unreadable NIKs) the generator planted in the
    Jombang SK list: read from the scenario's record of the rows it wrote, never from padu padan's output."""
    n = sc.list_error_counts("sk_jombang_2024")
    planted = n["not_found"], n["invalid_nik_not_found"], n["duplicate_rows"], n["invalid_nik"]
    e = SK_LIST_ERRORS  # the record agrees with the generator's recipe, and no count is zero (a test that can fail)
    assert planted == (e["absent"], len(SK_BAD_BIRTH_DATES), e["listed_twice"] + 2 * e["listed_thrice"],
                       e["scientific_notation"] + e["bad_length"] + e["non_digit"] + e["missing"])
    # no count is zero but the duplicates: a NIK listed twice blocks padu padan (nik_once_on_list), so the demo
    # list has none
    assert min(planted[:2] + planted[3:]) > 0 and planted[2] == 0
    return planted


def test_jombang_case_recovered_to_the_person(run: dict) -> None:
    s = run["summary"].set_index("kabkota_code").loc["3517"]
    c = JOMBANG_CASE
    k, v, d, i = _planted(run["sc"])
    assert s["found"] == c["sk_list"] == 7_408  # the field notes' figures hold for the matchable rows
    assert (s["left_desil1"], s["still_desil1"]) == (5_567, 1_841)
    assert (s["optimal"], s["not_optimal"]) == (1_752, 89)
    assert (s["not_optimal_alive"], s["not_optimal_deceased"]) == (78, 11)
    assert (s["not_found"], s["invalid_nik_not_found"], s["duplicate_rows_on_list"], s["invalid_nik_on_list"]) == (
        k, v, d, i)
    assert (s["persons"], s["list_rows"]) == (7_408 + k + v, 7_408 + k + v + d + i)
    # absent persons the OPD register records are intervened, yet not found
    # (the layer's key: the key from the environment is tested on a small extract, test_key_from_environment...)
    assert s["intervened"] == 7_408 + SK_LIST_ERRORS["absent_intervened"] and s["key_mode"] == "demo"
    assert run["persons"]["duplicate_on_list"].sum() == SK_LIST_ERRORS["listed_twice"] + SK_LIST_ERRORS[
        "listed_thrice"]
    truth = run["sc"].truth.assign(nik_pseudo=lambda t: pseudonymise(t["nik"], run["key"]).to_numpy())
    assert (truth["category"] == "tidak_ditemukan").sum() == k and (truth["category"] == "nik_tidak_valid").sum() == v
    assert sorted(run["persons"]["nik_pseudo"]) == sorted(truth["nik_pseudo"])  # the persons, no more, no fewer
    got = run["persons"].set_index("nik_pseudo").loc[truth["nik_pseudo"], "category"].to_numpy()
    assert (got == truth["category"].to_numpy()).all()
    agg = run["agg"].set_index(["source", "kabkota_code", "year"])
    assert agg.loc[("p3ke", "3517", 2024), "individuals"] == 654_220


def test_decree_list_report_names_the_planted_rows(run: dict) -> None:
    """Each planted list row gets its NIK status, by row number (CSV line) and count; the values never."""
    errors = run["sc"].list_errors
    bad = errors[errors["nik_status"] != "valid"]
    rows = {status: sorted(group["list_row"].tolist()) for status, group in bad.groupby("nik_status")}
    assert set(rows) == {"bad_birth_date", "scientific_notation", "bad_length", "non_digit", "missing"}
    report = run["sk_report"]
    assert report["invalid_rows"] == rows
    counts = errors["nik_status"].value_counts().to_dict()
    counts["valid"] += JOMBANG_CASE["sk_list"]  # the matched persons' rows are all valid
    assert report["counts"] == counts
    assert report["n_invalid"] == len(bad) and report["counts"]["bad_birth_date"] == len(SK_BAD_BIRTH_DATES)
    raw = pd.read_csv(run["sc"].files["sk_jombang_2024"], dtype=str, keep_default_na=False)
    assert not {v for v in raw["NIK"].str.replace(r"[\s']", "", regex=True) if v} & set(re.findall(
        r"[\w.+]+", repr(report)))


def test_lebak_and_mojokerto_figures(run: dict) -> None:
    yoy = run["yoy"].set_index(["source", "kabkota_code"])
    lebak = yoy.loc[("p3ke", "3602")]
    assert (lebak["extreme_families_from"], lebak["extreme_families_to"]) == (6_043, 5_698)
    assert lebak["extreme_families_change"] == -345
    mojo = yoy.loc[("p3ke", "3576")]
    assert (mojo["year_from"], mojo["year_to"]) == (2022, 2023)
    assert round(mojo["extreme_rate_pct_from"], 2) == 1.10 and mojo["extreme_rate_pct_to"] == 0.0
    assert mojo["extreme_individuals_from"] == round(0.011 * 139_900)


def _scientific_lines(path: Path) -> tuple[int, list[int]]:
    """(data rows, CSV lines (header = 1) whose NIK is written in scientific notation), with a plain regex."""
    raw = Path(path).read_text().splitlines()
    return len(raw) - 1, [i + 1 for i, line in enumerate(raw) if re.match(r'^"?\d\.\d+e\+15', line)]


def test_ingest_report_counts_and_rows(run: dict) -> None:
    """The layer's ingestion report of the Jombang extract (one row of `registry_ingested`): counts, the first
    rows of each invalid kind, and every such row in its Parquet (source_row, nik_status)."""
    rep = run["report"]
    assert rep["source_file"] == "p3ke_3517_2024.csv" and rep["key_mode"] == "demo"
    raw_rows, sci_lines = _scientific_lines(run["sc"].files["p3ke_3517_2024"])
    assert len(sci_lines) > 5
    statuses = json.loads(rep["nik_invalid_by_status"])
    assert json.loads(rep["first_invalid_rows"])["scientific_notation"] == sci_lines[:5]
    assert statuses["scientific_notation"] == len(sci_lines)
    assert rep["rows"] == raw_rows and rep["rows"] - rep["duplicates"] == 654_220
    assert statuses["region_mismatch"] > 0
    assert rep["nik_valid"] + sum(statuses.values()) == rep["rows"]
    table = pq.read_table(run["jombang_parquet"])
    assert table.column_names == list(INGESTED_COLUMNS) and table.num_rows == rep["rows"]
    sci = pc.equal(table["nik_status"], "scientific_notation")
    assert sorted(table.filter(sci)["source_row"].to_pylist()) == sci_lines  # every row, by its line


def test_key_from_environment_on_a_small_extract(run: dict) -> None:
    """P3KE_PSEUDONYM_KEY from the environment, end to end on a small extract: its ingestion report (counts and
    every invalid row by line), the key mode recorded in the report, the Parquet and padu padan, and pseudonyms
    that are the environment key's (they match the list only under the same key)."""
    env = run["env"]
    rep = env["report"]
    raw_rows, sci_lines = _scientific_lines(env["path"])
    assert rep.key_mode == "env" and rep.source_file == f"{ENV_SNAPSHOT}.csv"
    assert rep.invalid_nik_rows["scientific_notation"] == sci_lines and len(sci_lines) > 0
    assert rep.nik_status_counts["scientific_notation"] == len(sci_lines)
    assert rep.n_rows == raw_rows > 10_000 and sum(rep.nik_status_counts.values()) == rep.n_rows
    assert json.loads((run["out"] / "ingest_report.json").read_text())["key_mode"] == "env"
    table = pq.read_table(env["parquet"], columns=["nik_pseudo", "key_mode", "source_row", "nik_status"])
    assert table.num_rows == rep.n_rows and set(table["key_mode"].to_pylist()) == {"env"}
    listed = env["listed"]
    assert len(listed) == 50
    pseudo = set(table["nik_pseudo"].to_pylist())
    assert set(pseudonymise(pd.Series(listed), env["key"])) <= pseudo  # the environment key's pseudonyms
    assert not set(pseudonymise(pd.Series(listed), run["key"])) & pseudo  # not the demo key's
    s = env["summary"].iloc[0]
    assert s["key_mode"] == "env" and env["list_report"]["key_mode"] == "env"
    assert (s["list_rows"], s["persons"], s["found"], s["not_found"]) == (51, 51, 50, 1)
    demo = env["demo_summary"].iloc[0]  # the layer's Parquet of the same extract, the list under the demo key
    assert demo["key_mode"] == "demo" and (demo["found"], demo["not_found"]) == (50, 1)
    mixed = env["mixed_summary"].iloc[0]  # a list pseudonymised with another key finds nobody
    assert (mixed["found"], mixed["not_found"]) == (0, 51)


def _identity_columns(path: Path) -> dict[str, pa.Array]:
    """The NIK, No. KK and name columns of an extract or list (upper-case name -> text values)."""
    wanted = {"NIK", "NO KK", "NAMA"}
    if str(path).endswith(".xlsx"):
        frame = pd.read_excel(path, dtype=str, usecols=lambda c: c.upper() in wanted)
        return {c.upper(): pa.array(frame[c], type=pa.string(), from_pandas=True) for c in frame.columns}
    with open(path, encoding="utf-8-sig") as handle:
        headers = next(csv.reader(handle))
    keep = [h for h in headers if h.upper() in wanted]
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        include_columns=keep, column_types={h: pa.string() for h in keep}))
    return {c.upper(): table[c].combine_chunks() for c in keep}


def _identities(sc) -> tuple[pa.Array, pa.Array]:
    """(every 16-digit NIK/KK number, every name) of the generated extracts and lists, distinct."""
    numbers, names = [], []
    for path in sc.files.values():
        for column, values in _identity_columns(Path(path)).items():
            distinct = pc.unique(values)
            if column in ("NIK", "NO KK"):
                digits = pc.replace_substring_regex(distinct, r"[\s']", "")
                numbers.append(pc.filter(digits, pc.match_substring_regex(digits, r"^\d{16}$")))
            else:
                names.append(distinct)
    return pc.unique(pa.chunked_array(numbers)), pc.drop_null(pc.unique(pa.chunked_array(names)))


def _cells(path: Path) -> pa.Array:
    """Every distinct value of a Parquet file as text; for a text file its fields and any 16-digit run."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        columns = [c if pa.types.is_string(c.type) else pc.cast(c, pa.string()) for c in table.columns]
        return pc.unique(pa.chunked_array([chunk for c in columns for chunk in c.chunks], type=pa.string()))
    text = path.read_text(errors="replace")
    return pa.array(sorted(set(re.split(r"[,\n\"\[\]{}:]+", text)) | set(re.findall(r"\d{16}", text))))


def _found(cells: pa.Array, identities: pa.Array) -> int:
    return int(pc.sum(pc.is_in(cells, value_set=identities)).as_py() or 0)


def test_no_identity_outside_restricted_folder(run: dict) -> None:
    numbers, names = _identities(run["sc"])
    assert len(numbers) > 654_220 and len(names) > 100
    files = [p for p in run["out"].rglob("*") if p.is_file()] + run["layer_ingested"]
    assert len(files) >= 16
    # every file's distinct cells looked up at once per identity set: arrow builds the set of ~1.3 M identities
    # once per lookup (a third of a second), not once per file; the hits are counted per file
    cells = [_cells(path) for path in files]
    owner = np.repeat(np.arange(len(files)), [len(c) for c in cells])
    everything = pa.chunked_array(cells, type=pa.string())
    for identities in (numbers, names):
        hits = pc.is_in(everything, value_set=identities).to_numpy(zero_copy_only=False)
        per_file = np.bincount(owner, weights=hits, minlength=len(files))
        assert len(hits) == len(owner) and not per_file.any(), [f.name for f in np.array(files)[per_file > 0]]
    # and the restricted worklists do carry them (the BNBA lists the camat need)
    restricted = pc.unique(pa.chunked_array([_cells(p) for p in run["restricted"].iterdir()]))
    assert _found(restricted, numbers) >= 1_841


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


def test_decree_lists_of_the_folder(run: dict) -> None:
    """match_decree_lists (the assets' path) gives what padu padan gives on the one list, labelled."""
    m = run["matched"]
    expected = run["summary"].assign(year=2024, snapshot="p3ke_3517_2024")
    pd.testing.assert_frame_equal(m.summary, expected, check_exact=True)
    assert (m.progress["period"] == "2024-11 3517").all()
    pd.testing.assert_frame_equal(m.progress.drop(columns="period"), run["progress"].drop(columns="period"),
                                  check_exact=True)
    assert m.worklists["file"].str.endswith("_2024_11.csv").all()
    extracts = pd.DataFrame(read_manifest(run["folder"]))
    no_snapshot = run["ingested"][run["ingested"]["kabkota_code"] != "3517"]
    with pytest.raises(ValueError, match="no registry snapshot of 3517 for 2024"):
        match_decree_lists(extracts, no_snapshot, run["folder"], run["key"], run["src"], run["out"] / "w", "x")


def test_progress_table_counts(run: dict) -> None:
    p = run["progress"]
    k, v, _, _ = _planted(run["sc"])
    assert p["persons"].sum() == 7_408 + k + v and p["still_desil1"].sum() == 1_841
    assert p["desil_1_belum_optimal_meninggal"].sum() == 11 and p["tidak_ditemukan"].sum() == k
    assert p["nik_tidak_valid"].sum() == v
    absent = p.set_index("kecamatan").loc["(tidak ditemukan)"]  # not in the snapshot: no kecamatan known
    assert absent["persons"] == k + v and (absent["tidak_ditemukan"], absent["nik_tidak_valid"]) == (k, v)
    assert absent["still_desil1"] == 0
    assert not any("pseudo" in c for c in p.columns)
    # suppression on the Jombang table: exactly the cells of 1-4 persons are blank, every other cell is shown
    small = progress_table({"2024-11": run["persons"]}, min_cell=5)
    num = [c for c in p.columns if c not in ("period", "kabkota_code", "kecamatan")]
    blank = (p[num] >= 1) & (p[num] <= 4)
    assert 0 < blank.to_numpy().sum() < blank.size
    assert small[num].isna().equals(blank)
    assert small[num].mask(blank, -1).astype("int64").equals(p[num].mask(blank, -1).astype("int64"))
    assert small[["period", "kabkota_code", "kecamatan"]].equals(p[["period", "kabkota_code", "kecamatan"]])


def test_progress_table_suppresses_exactly_the_small_cells() -> None:
    """min_cell=5: counts 1-4 blank; 0 and 5 or more shown, totals included."""
    categories = (["keluar_desil_1"] * 12 + ["desil_1_intervensi_optimal"] * 5 + ["desil_1_belum_optimal_hidup"] * 4
                  + ["desil_1_belum_optimal_meninggal"] + ["keluar_desil_1"] * 4 + ["desil_1_tanpa_intervensi"]
                  + ["tidak_ditemukan"] * 6)
    kecamatan = ["Bareng"] * 22 + ["Wonosalam"] * 5 + [None] * 6
    persons = pd.DataFrame({"nik_pseudo": [f"p{j:02d}" for j in range(33)], "kabkota_code": "3517",
                            "kecamatan": kecamatan, "category": categories})
    got = progress_table({"2024-11": persons}, min_cell=5)
    na = pd.NA
    expected = pd.DataFrame({  # rows: (tidak ditemukan), Bareng, Wonosalam
        "period": ["2024-11"] * 3, "kabkota_code": ["3517"] * 3,
        "kecamatan": ["(tidak ditemukan)", "Bareng", "Wonosalam"],
        "persons": [6, 22, 5], "tidak_ditemukan": [6, 0, 0], "nik_tidak_valid": [0, 0, 0],
        "keluar_desil_1": [0, 12, na],
        "desil_1_intervensi_optimal": [0, 5, 0], "desil_1_belum_optimal_hidup": [0, na, 0],
        "desil_1_belum_optimal_meninggal": [0, na, 0], "desil_1_belum_optimal_pindah": [0, 0, 0],
        "desil_1_tanpa_intervensi": [0, 0, na], "still_desil1": [0, 10, na],
    })
    expected = expected.astype({c: "Int64" for c in expected.columns[3:]})
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    unsuppressed = progress_table({"2024-11": persons})  # min_cell=0: every count shown
    assert unsuppressed.loc[1, ["desil_1_belum_optimal_hidup", "desil_1_belum_optimal_meninggal"]].tolist() == [4, 1]


def test_dtsen_ingest_aggregate_and_padu_padan(run: dict, tmp_path: Path) -> None:
    agg = run["agg"]
    d = agg[agg["source"] == "dtsen"].iloc[0]
    n = DTSEN_DEMO_INDIVIDUALS
    assert d["individuals"] == n and sum(d[f"individuals_desil_{k}"] for k in range(1, 11)) == n
    assert d["individuals_desil_10"] > 0 and np.isnan(d["extreme_rate_pct"])
    key, src = key_from_env(demo=True)
    xlsx = run["sc"].files["dtsen_6271_2025Q2"]
    dts = pd.read_excel(xlsx, dtype=str)
    # the layer ingested the xlsx with the demo key (snapshot 2025-06-30): its Parquet
    ingested = next(p for p in run["layer_ingested"] if p.name == "dtsen_6271_2025Q2.parquet")
    assert pq.read_metadata(ingested).num_rows == len(dts) == n
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
    share = desil1_share(run["agg"], run["pops"]).set_index(["source", "kabkota_code", "year"])
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

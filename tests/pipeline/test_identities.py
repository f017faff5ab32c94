"""No NIK, KK number or name of the generated extracts leaves the restricted folder: not in any output file,
the IO manager's storage, the Dagster instance (SQLite event log, run storage) or the run's logs. The run is
the session's registry layer (tests/conftest.py: the registry job's assets on the generated extracts, an
instance on disk, every log line captured)."""

import csv
import re
import sqlite3
import stat
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

SIXTEEN = re.compile(r"(?<!\d)\d{16}(?!\d)")

# The tests that read the session's registry layer run on the worker that has it (`make test`).
REGISTRY = pytest.mark.xdist_group("registry")


NUMBER_COLUMNS = ("nik", "no kk", "no_kk", "nomor kk")
NAME_COLUMNS = ("nama", "nama lengkap")


def _identities(restricted: Path) -> tuple[set[str], set[str]]:
    numbers: set[str] = set()
    names: set[str] = set()
    for path in sorted((restricted / "extracts").glob("*.csv")):
        with open(path, encoding="utf-8-sig") as handle:
            headers = next(csv.reader(handle))
        keep = [h for h in headers if h.lower() in NUMBER_COLUMNS + NAME_COLUMNS]
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            include_columns=keep, column_types={h: pa.string() for h in keep}))
        for column in keep:
            values = pc.unique(pc.drop_null(table[column].combine_chunks()))
            if column.lower() in NUMBER_COLUMNS:
                digits = pc.unique(pc.replace_substring_regex(values, r"\D", ""))
                numbers |= set(pc.filter(digits, pc.equal(pc.utf8_length(digits), 16)).to_pylist())
            else:
                names |= {v for v in values.slice(0, 3000).to_pylist() if len(v) >= 10}
    return numbers, names


def _parquet_text(path: Path) -> str:
    """Text columns as text (each distinct value once: a leak is a value, wherever it repeats); integer columns
    only where a value has 16 digits (a NIK/KK stored as a number)."""
    table = pq.read_table(path)
    parts = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_integer(column.type):
            big = pc.filter(column, pc.and_(pc.greater_equal(column, 10**15), pc.less(column, 10**16)))
            parts.append(" ".join(str(v) for v in pc.unique(big).to_pylist()))
        elif not (pa.types.is_floating(column.type) or pa.types.is_decimal(column.type)
                  or pa.types.is_boolean(column.type)):
            distinct = pc.drop_null(pc.unique(column.combine_chunks()))
            values = distinct if pa.types.is_string(distinct.type) else pc.cast(distinct, pa.string())
            parts.append(name + "\n" + "\n".join(values.to_pylist()))
    return "\n".join(parts)


def _trie_pattern(words: list[str]) -> str:
    """One regex for many literal words, shared prefixes merged (a plain alternation of ~700 names makes the
    engine try every name at every position of tens of megabytes)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
        return body + "?" if ends else body

    return pattern(trie)


def _texts(root: Path, restricted: Path):
    for path in sorted(root.rglob("*")):
        if not path.is_file() or restricted in path.parents:
            continue
        if path.suffix == ".parquet":
            yield path, _parquet_text(path)
        elif zipfile.is_zipfile(path):  # xlsx (and any zipped output): the text of every member
            with zipfile.ZipFile(path) as archive:
                yield path, "\n".join(archive.read(m).decode("utf-8", errors="ignore") for m in archive.namelist())
        elif path.suffix == ".pdf":  # the profiles: their text is compressed in the file, read it as a reader does
            from pypdf import PdfReader

            yield path, "\n".join(page.extract_text() for page in PdfReader(path).pages)
        elif path.suffix == ".db":
            with sqlite3.connect(path) as db:
                tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
                yield path, "\n".join(str(row) for t in tables for row in db.execute(f'select * from "{t}"'))
        else:
            yield path, path.read_bytes().decode("utf-8", errors="ignore")


def find_leaks(root: Path, restricted: Path, numbers: set[str], names: set[str]) -> tuple[list[str], int]:
    """(places where an identity of the extract appears outside `restricted`, number of files scanned)."""
    name_pattern = re.compile(_trie_pattern(sorted(names)))
    leaks, scanned = [], 0
    for path, text in _texts(root, restricted):
        scanned += 1
        if any(n in numbers for n in SIXTEEN.findall(text)):
            leaks.append(f"{path}: NIK/KK number")
        if name_pattern.search(text):
            leaks.append(f"{path}: name")
    return leaks, scanned


@REGISTRY
def test_no_identity_outside_restricted_folder(registry_layer):
    data_dir, restricted = registry_layer.data, registry_layer.demo.restricted
    numbers, names = _identities(restricted)
    assert len(numbers) > 600_000 and len(names) > 500  # the scan has something to look for
    leaks, scanned = find_leaks(data_dir, restricted, numbers, names)
    assert leaks == []
    assert scanned > 20  # outputs, storage, the SQLite instance, run.log
    assert {p.name for p in data_dir.iterdir()} >= {"outputs", "storage", "dagster_home", "run.log"}
    assert "DEBUG" in (data_dir / "run.log").read_text()  # every level was captured
    events = "\n".join(str(e) for e in registry_layer.result.all_events)
    assert not {n for n in SIXTEEN.findall(events) if n in numbers}


def test_the_scan_finds_a_planted_leak(tmp_path):
    restricted = tmp_path / "restricted"
    restricted.mkdir()
    fake_nik = "351701" + "450390" + "0001"  # made up: region, birth date (day + 40: a woman), serial
    (tmp_path / "table.csv").write_text(f"kabkota_code,x\n3517,{fake_nik}\n")
    pd.DataFrame({"who": ["Siti Rahayu Wulandari"]}).to_parquet(tmp_path / "storage.parquet")
    pd.DataFrame({"kode": ["3517"], "x": [fake_nik]}).to_excel(tmp_path / "buku.xlsx", index=False)  # compressed XML
    leaks, _ = find_leaks(tmp_path, restricted, {fake_nik}, {"Siti Rahayu Wulandari"})
    assert sorted(leaks) == [f"{tmp_path / 'buku.xlsx'}: NIK/KK number", f"{tmp_path / 'storage.parquet'}: name",
                             f"{tmp_path / 'table.csv'}: NIK/KK number"]


def test_the_name_pattern_matches_exactly_the_names():
    names = ["Siti Rahayu", "Siti Rahayu Wulandari", "Siti Aminah", "Sri Wahyuni", "Budi (Alm.)"]
    pattern = re.compile(_trie_pattern(sorted(names)))
    for name in names:
        assert pattern.search(f"x,{name},y") and pattern.fullmatch(name), name
    for other in ("Siti Rahay", "Siti Amin", "Sri Wahyun", "Budi Alm", "Rahayu Wulandari Siti"):
        assert not pattern.search(other), other


@REGISTRY
def test_restricted_files_are_owner_only(registry_layer):
    restricted = registry_layer.demo.restricted
    assert stat.S_IMODE(restricted.stat().st_mode) == 0o700
    files = [p for p in restricted.rglob("*") if p.is_file()]
    assert any(p.parent.name == "worklists" for p in files)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)


def test_registry_refuses_to_run_without_a_key(monkeypatch):
    import pytest

    from assets.resources import PseudonymKey

    monkeypatch.delenv("P3KE_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ValueError, match="P3KE_PSEUDONYM_KEY is not set"):
        PseudonymKey(mode="env").get()
    monkeypatch.setenv("P3KE_PSEUDONYM_KEY", "short")
    with pytest.raises(ValueError, match="too short"):
        PseudonymKey(mode="env").get()
    monkeypatch.setenv("P3KE_PSEUDONYM_KEY", "a-real-key-from-the-office-vault-0123")
    key, source = PseudonymKey(mode="env").get()
    assert source.mode == "env" and key == b"a-real-key-from-the-office-vault-0123"
    assert PseudonymKey(mode="demo").get()[1].mode == "demo"

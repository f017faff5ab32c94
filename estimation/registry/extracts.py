"""The extract folder: its manifest, the demo generation (reused while nothing it depends on changed) and
the owner-only permissions of everything in it.

A folder of extracts holds raw, identifying files (real ones as received, or the demo generator's), so the
folder is 0700 and every file 0600. The manifest (`manifest.json`) lists one entry per file: key, kind
(p3ke | dtsen | sk | intervensi), file, source, kabkota_code, year, snapshot_date.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd

from estimation.atomic import write_text_atomic
from estimation.registry.generator import DEMO_SCENARIO, DemoScenario, Scenario, generate_registry_scenario
from estimation.registry.pseudonym import KeySource
from estimation.registry.restricted import restrict

MANIFEST = "manifest.json"
ENTRY_FIELDS = ("key", "kind", "file", "source", "kabkota_code", "year", "snapshot_date")
_LIBRARY = Path(__file__).resolve().parent  # the generator and everything it calls


def read_manifest(folder: str | Path) -> list[dict[str, object]]:
    """The entries of `folder/manifest.json` (a folder of real extracts, or a previous demo generation)."""
    return json.loads((Path(folder) / MANIFEST).read_text())["files"]


def is_generated(folder: str | Path) -> bool:
    """True when `folder`'s manifest is the demo generator's (it carries the generator's fingerprint)."""
    return "fingerprint" in json.loads((Path(folder) / MANIFEST).read_text())


def require_real_key(folder: str | Path, key_source: KeySource) -> None:
    """Refuse real extracts (any manifest that is not the generator's) under the public demo key: their
    pseudonyms would be reversible by anyone who has the code."""
    if key_source.mode == "demo" and not is_generated(folder):
        raise ValueError(f"the extracts in {folder} are real (their manifest is not the demo generator's) and the "
                         f"pseudonym key is the public demo key: set P3KE_PSEUDONYM_KEY (and leave "
                         f"KEMISKINAN_REGISTRY_MODE unset) before ingesting them")


def demo_persons(households: pd.DataFrame, scenario: DemoScenario = DEMO_SCENARIO) -> pd.DataFrame:
    """Per-capita expenditure (bps_code, expenditure_per_capita) of the synthetic Susenas households of the
    scenario's kab/kota, in the population's order: the registry's welfare ranking rests on the same
    population as the survey estimates. `households`: bps_code, KAPITA (one row per household)."""
    demo = households[households["bps_code"].astype(str).isin(scenario.kabkota)]
    return pd.DataFrame({"bps_code": demo["bps_code"].astype(str).to_numpy(),
                         "expenditure_per_capita": demo["KAPITA"].to_numpy(dtype=float)})


def generator_fingerprint(populations: pd.DataFrame, persons: pd.DataFrame, seed: int) -> str:
    """Same generator code, seed, populations and synthetic persons -> same files."""
    digest = hashlib.sha256()
    for module in sorted(_LIBRARY.glob("*.py")):
        digest.update(module.read_bytes())
    digest.update(str(seed).encode())
    digest.update(pd.util.hash_pandas_object(populations, index=False).values.tobytes())
    digest.update(pd.util.hash_pandas_object(persons, index=False).values.tobytes())
    return digest.hexdigest()


def _previous(folder: Path, fingerprint: str) -> list[dict[str, object]] | None:
    """The entries of the previous generation if it was made from the same inputs and all its files exist."""
    path = folder / MANIFEST
    previous = json.loads(path.read_text()) if path.exists() else {}
    if previous.get("fingerprint") != fingerprint:
        return None
    entries = previous.get("files", [])
    return entries if all((folder / str(e["file"])).exists() for e in entries) else None


def generate_demo_extracts(
    folder: str | Path, populations: pd.DataFrame, persons: pd.DataFrame, scenario: DemoScenario = DEMO_SCENARIO,
) -> Scenario:
    """Generate the demo extracts into `folder` (0700, files 0600) and write their manifest with the
    generator's fingerprint. Returns the generator's record (its `truth` is for tests only)."""
    folder = restrict(folder)
    generated = generate_registry_scenario(folder, populations=populations, persons=persons, seed=scenario.seed)
    for path in generated.files.values():
        os.chmod(path, 0o600)  # by name and address: owner only
    entries = [{field: (Path(generated.files[str(e["key"])]).name if field == "file" else e[field])
                for field in ENTRY_FIELDS} for e in generated.entries]
    fingerprint = generator_fingerprint(populations, persons, scenario.seed)
    write_text_atomic(folder / MANIFEST, json.dumps({"fingerprint": fingerprint, "files": entries}, indent=1),
                      mode=0o600)
    return generated


def prepare_demo_extracts(
    folder: str | Path, populations: pd.DataFrame, persons: pd.DataFrame, scenario: DemoScenario = DEMO_SCENARIO,
) -> tuple[list[dict[str, object]], bool]:
    """The demo extracts in `folder`: the previous generation when generator code, seed, populations and
    persons are unchanged (same inputs, same files), else a new one. Returns (manifest entries, reused).

    populations: BPS population (bps_code, year, population_thousand); persons: `demo_persons`."""
    folder = restrict(folder)
    entries = _previous(folder, generator_fingerprint(populations, persons, scenario.seed))
    if entries is not None:
        return entries, True
    generate_demo_extracts(folder, populations, persons, scenario)
    return read_manifest(folder), False


def extract_files(entries: list[dict[str, object]], folder: str | Path) -> pd.DataFrame:
    """The manifest as a table, with each file's size in bytes (its suite flags an empty file)."""
    files = pd.DataFrame(entries)
    files["bytes"] = [(Path(folder) / f).stat().st_size for f in files["file"]]
    return files

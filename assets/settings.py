"""Where the project keeps its files. One place, so tests can point everything at a temporary tree."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """`KEMISKINAN_DATA_DIR` overrides the project's `data/` (tests, alternative deployments)."""
    return Path(os.environ.get("KEMISKINAN_DATA_DIR", PROJECT_ROOT / "data"))


def raw_dir() -> Path:
    return Path(os.environ.get("KEMISKINAN_RAW_DIR", data_dir() / "raw"))


def registry_extracts_dir() -> str:
    """`KEMISKINAN_REGISTRY_EXTRACTS`: a folder of real P3KE/DTSEN extracts with its manifest.json; unset:
    the demo extracts, generated into the restricted folder."""
    return os.environ.get("KEMISKINAN_REGISTRY_EXTRACTS", "")


def storage_dir() -> Path:
    return data_dir() / "storage"


def outputs_dir() -> Path:
    return data_dir() / "outputs"


def restricted_dir() -> Path:
    return data_dir() / "restricted"

"""Provenance records of published outputs: run, code version and the SHA-256 of every source file."""

from __future__ import annotations

import pandas as pd
from dagster import AssetExecutionContext

from assets.resources import ProjectPaths
from assets.settings import PROJECT_ROOT
from estimation.publish import code_version, sha256_file


def provenance(context: AssetExecutionContext, paths: ProjectPaths, source_files: set[str]) -> dict:
    sources = {}
    for relative in sorted(source_files):
        path = paths.raw(relative)
        sources[relative] = sha256_file(path) if path.exists() else "missing"
    return {"run_id": context.run_id, "asset": context.asset_key.to_user_string(),
            "code_version": code_version(PROJECT_ROOT), "sources_sha256": sources}


def source_files(*frames: pd.DataFrame) -> set[str]:
    """The raw files (relative to data/raw) named in the frames' `source_files` columns."""
    files: set[str] = set()
    for frame in frames:
        if "source_files" in frame.columns:
            for value in frame["source_files"].dropna():
                files.update(part for part in str(value).split(";") if part)
    return files

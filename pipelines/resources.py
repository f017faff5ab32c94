"""Dagster resources: where raw inputs are read and published outputs are written."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from pipelines import settings


class ProjectPaths(ConfigurableResource):
    """Folders of one deployment. Defaults come from `pipelines.settings` (env-overridable)."""

    raw_dir: str
    outputs_dir: str
    restricted_dir: str
    storage_dir: str  # intermediate files that are not assets (pseudonymised registry Parquet)

    @classmethod
    def default(cls) -> ProjectPaths:
        return cls(
            raw_dir=str(settings.raw_dir()),
            outputs_dir=str(settings.outputs_dir()),
            restricted_dir=str(settings.restricted_dir()),
            storage_dir=str(settings.storage_dir()),
        )

    def registry_storage(self) -> Path:
        return Path(self.storage_dir) / "registry"

    def raw(self, relative: str) -> Path:
        return Path(self.raw_dir) / relative

    def tables(self) -> Path:
        return Path(self.outputs_dir) / "tables"

    def charts(self) -> Path:
        return Path(self.outputs_dir) / "charts"

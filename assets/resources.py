"""Dagster resources shared by the assets: where files are read and written, and the pseudonym key."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from assets import settings
from estimation.registry.pseudonym import key_from_env


class ProjectPaths(ConfigurableResource):
    """Folders of one deployment. Defaults come from `assets.settings` (env-overridable)."""

    raw_dir: str
    outputs_dir: str
    restricted_dir: str
    storage_dir: str  # intermediate files that are not assets (pseudonymised registry Parquet)
    # Real P3KE/DTSEN extracts (a folder with manifest.json), one setting for the whole registry layer;
    # empty: the demo extracts, generated into restricted_dir/extracts.
    registry_extracts_dir: str = ""

    @classmethod
    def default(cls) -> ProjectPaths:
        return cls(
            raw_dir=str(settings.raw_dir()),
            outputs_dir=str(settings.outputs_dir()),
            restricted_dir=str(settings.restricted_dir()),
            storage_dir=str(settings.storage_dir()),
            registry_extracts_dir=settings.registry_extracts_dir(),
        )

    def extracts(self) -> Path:
        """The registry's extract folder: the real one when set, else the demo generation's."""
        return Path(self.registry_extracts_dir or Path(self.restricted_dir) / "extracts")

    def registry_storage(self) -> Path:
        return Path(self.storage_dir) / "registry"

    def raw(self, relative: str) -> Path:
        return Path(self.raw_dir) / relative

    def tables(self) -> Path:
        return Path(self.outputs_dir) / "tables"

    def charts(self) -> Path:
        return Path(self.outputs_dir) / "charts"

    def check_rows(self) -> Path:
        """Every failing row of a data-quality check, and the rows an exemption let through, as CSV
        (`<asset>/<check>.failing_rows.csv`, linked from the check's metadata)."""
        return Path(self.outputs_dir) / "checks"


class PseudonymKey(ConfigurableResource):
    """The HMAC key for NIK/KK pseudonyms, from the environment variable `P3KE_PSEUDONYM_KEY`.

    mode "env" refuses to run without the variable; mode "demo" uses the library's fixed, public demo key
    and every output records key_mode="demo" (pseudonyms made with it protect nothing: demo data only).
    """

    mode: str = "env"

    def get(self):
        if self.mode not in ("env", "demo"):
            raise ValueError(f"PseudonymKey.mode must be 'env' or 'demo', not {self.mode!r}")
        return key_from_env(demo=self.mode == "demo")

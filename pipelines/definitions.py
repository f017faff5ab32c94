"""The Dagster code location: assets, checks, resources, IO manager, job, schedule, sensor."""

import os
import warnings

from dagster import BetaWarning, Definitions, in_process_executor, load_assets_from_modules

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
warnings.filterwarnings("ignore", category=BetaWarning)  # BackfillPolicy is beta; we rely on single_run only

import assets.deltas
import assets.estimates
import assets.raw
import assets.registry
import assets.reports.tables_and_charts
import assets.validated
from assets import settings
from assets.resources import ProjectPaths, PseudonymKey
from pipelines.io_manager import ParquetIOManager
from pipelines.jobs import (
    annual_after_bps_release,
    annual_estimates_after_bps_release,
    annual_estimation_job,
    annual_poverty_job,
    raw_files_changed,
)

ASSET_MODULES = [assets.raw, assets.validated, assets.estimates, assets.deltas, assets.reports.tables_and_charts,
                 assets.registry]


def registry_key_mode() -> str:
    """`make run` sets KEMISKINAN_REGISTRY_MODE=demo when no P3KE_PSEUDONYM_KEY is set; otherwise "env"."""
    return os.environ.get("KEMISKINAN_REGISTRY_MODE", "env")


def build_definitions(storage_dir: str | None = None, paths: ProjectPaths | None = None,
                      key_mode: str | None = None) -> Definitions:
    """The project's Definitions; tests pass a temporary storage folder and paths."""
    return Definitions(
        assets=load_assets_from_modules(ASSET_MODULES),
        jobs=[annual_poverty_job, annual_estimation_job],
        schedules=[annual_after_bps_release, annual_estimates_after_bps_release],
        sensors=[raw_files_changed],
        resources={
            "io_manager": ParquetIOManager(base_dir=storage_dir or str(settings.storage_dir())),
            "paths": paths or ProjectPaths.default(),
            "pseudonym_key": PseudonymKey(mode=key_mode or registry_key_mode()),
        },
        executor=in_process_executor,
    )


defs = build_definitions()

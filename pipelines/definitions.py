"""The Dagster code location: the layers' assets and checks, merged with a deployment profile.

Nothing imports this package; it imports the layers (`assets`), the IO manager, jobs, schedules and sensors.
"""

import os
import warnings
from pathlib import Path

from dagster import BetaWarning, Definitions

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
warnings.filterwarnings("ignore", category=BetaWarning)  # BackfillPolicy is beta; we rely on single_run only

from assets import build_assets
from assets.partitions import DataCalendar
from assets.resources import PseudonymKey
from pipelines.io_manager import ParquetIOManager
from pipelines.jobs import build_jobs, build_schedules, build_sensors
from pipelines.profiles import DeploymentProfile, profile_from_env


def build_definitions(profile: DeploymentProfile | None = None) -> Definitions:
    """The project's Definitions for one deployment; tests pass a profile with temporary folders."""
    profile = profile or profile_from_env()
    calendar = DataCalendar.from_raw(profile.paths.raw_dir)
    jobs = build_jobs(calendar)
    return Definitions(
        assets=build_assets(calendar),
        jobs=list(jobs.values()),
        schedules=build_schedules(calendar, jobs, running=profile.automation_running),
        sensors=build_sensors(calendar, jobs, Path(profile.paths.raw_dir), running=profile.automation_running),
        resources={
            "io_manager": ParquetIOManager(base_dir=profile.paths.storage_dir),
            "paths": profile.paths,
            "pseudonym_key": PseudonymKey(mode=profile.key_mode),
        },
        executor=profile.executor,
    )


defs = build_definitions()

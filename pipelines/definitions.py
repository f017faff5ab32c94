"""The Dagster code location: the layers' assets and checks, merged with a deployment profile.

Nothing imports this package; it imports the layers (`assets`), the IO manager, jobs, schedules and sensors.
"""

import os
import warnings
from pathlib import Path

from dagster import AssetsDefinition, AssetSpec, BetaWarning, Definitions, map_asset_specs

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
warnings.filterwarnings("ignore", category=BetaWarning)  # BackfillPolicy is beta; we rely on single_run only

from assets import build_assets
from assets.partitions import DataCalendar
from assets.resources import PseudonymKey
from pipelines.io_manager import ParquetIOManager
from pipelines.jobs import build_jobs, build_schedules, build_sensors
from pipelines.profiles import DeploymentProfile, profile_from_env

# Who answers for an asset, by its group (the UI's owner filter and the catalog show them; Dagster owners are
# e-mail addresses or "team:<name>"). One place: a deployment renames its teams here.
OWNERS = {
    "raw": ["team:data-bps"],  # the published files and their parsers
    "validated": ["team:data-bps"],
    "deltas": ["team:data-bps"],
    "estimates": ["team:statistik-sae"],  # synthetic Susenas, direct and small-area estimates
    "registry": ["team:tkpk-registri"],  # P3KE/DTSEN extracts: restricted, pseudonymised
    "reports": ["team:publikasi"],  # tables, charts, maps, workbook, profiles read by Bappeda/TKPK
}
# What an asset is made with and stored as, by group, added to the kinds an asset declares itself (a raw
# asset's file format, a report's output format): every asset lands in the Parquet IO manager's storage.
GROUP_KINDS = {
    "raw": {"pandas", "parquet"},
    "validated": {"pandas", "parquet"},
    "deltas": {"pandas", "parquet"},
    "estimates": {"pandas", "parquet"},
    "registry": {"duckdb", "pandas", "parquet"},
    "reports": {"parquet"},
}


def _owned_and_kinded(spec: AssetSpec) -> AssetSpec:
    group = spec.group_name or "default"
    if group not in OWNERS:
        raise ValueError(f"asset {spec.key.to_user_string()} is in group {group!r}, which has no owner in "
                         f"pipelines/definitions.py OWNERS")
    return spec.replace_attributes(owners=OWNERS[group], kinds=set(spec.kinds) | GROUP_KINDS[group])


def with_owners_and_kinds(assets: list[AssetsDefinition]) -> list[AssetsDefinition]:
    """Every asset's owners and kinds, set here for all layers."""
    return list(map_asset_specs(_owned_and_kinded, assets))


def build_definitions(profile: DeploymentProfile | None = None) -> Definitions:
    """The project's Definitions for one deployment; tests pass a profile with temporary folders."""
    profile = profile or profile_from_env()
    calendar = DataCalendar.from_raw(profile.paths.raw_dir)
    jobs = build_jobs(calendar)
    return Definitions(
        assets=with_owners_and_kinds(build_assets(calendar)),
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

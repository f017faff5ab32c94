"""Jobs, selected by asset group (a new asset lands in the job of the layer it belongs to), and the
schedules and sensor that start them. Built per data calendar: the partitions follow the data's years."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from assets.partitions import DataCalendar
from estimation.parsers.catalog import file_digests

# define_asset_job's return type (not exported by dagster's top level)
Jobs = dict[str, Any]

# Everything downstream of a group belongs to that group's job: a new report on the estimates runs with them.
REGISTRY = AssetSelection.groups("registry").downstream()
ESTIMATES = AssetSelection.groups("estimates").downstream() - REGISTRY
TABLES = AssetSelection.all() - ESTIMATES - REGISTRY


def build_jobs(calendar: DataCalendar) -> Jobs:
    """Three jobs, run in this order by `make run`: the published tables (all years), the estimates (the
    rounds with a published extreme-poverty rate onward) and the registry (which draws its demo welfare from
    the estimates' synthetic population)."""
    jobs = [
        define_asset_job("annual_poverty_job", selection=TABLES, partitions_def=calendar.delta_partitions,
                         description="Raw -> validated -> deltas -> published tables and charts, all years."),
        define_asset_job("annual_estimation_job", selection=ESTIMATES,
                         partitions_def=calendar.estimation_partitions,
                         description="Synthetic Susenas sample -> direct and Fay-Herriot estimates -> published "
                                     "estimates and charts."),
        define_asset_job("registry_job", selection=REGISTRY,
                         description="P3KE/DTSEN extracts -> pseudonymised ingestion -> aggregates, padu padan -> "
                                     "published registry tables (demo extracts unless KEMISKINAN_REGISTRY_EXTRACTS names a folder of real ones)."),
    ]
    return {job.name: job for job in jobs}


def build_schedules(calendar: DataCalendar, jobs: Jobs, running: bool = False
                    ) -> list[ScheduleDefinition]:
    def current_year_request(context: ScheduleEvaluationContext, run_key_prefix: str):
        year = context.scheduled_execution_time.year
        if not calendar.has_year(year):
            return SkipReason(f"BPS kab/kota figures for {year} are not in data/raw yet (the newest export ends in "
                              f"{calendar.latest}): add the new export, reload the code location, then run")
        return RunRequest(run_key=f"{run_key_prefix}-{year}", partition_key=str(year))

    @schedule(job=jobs["annual_poverty_job"], cron_schedule="0 6 1 8 *", execution_timezone="Asia/Jakarta",
              default_status=DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED,
              description="1 August, after BPS's July release of the March round: materialise the current year.")
    def annual_after_bps_release(context: ScheduleEvaluationContext):
        return current_year_request(context, "annual")

    @schedule(job=jobs["annual_estimation_job"], cron_schedule="0 7 1 8 *", execution_timezone="Asia/Jakarta",
              default_status=DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED,
              description="1 August, an hour after the tables: direct and small-area estimates of the current year.")
    def annual_estimates_after_bps_release(context: ScheduleEvaluationContext):
        return current_year_request(context, "estimates")

    return [annual_after_bps_release, annual_estimates_after_bps_release]


def raw_fingerprint(raw_dir: Path) -> str:
    """One digest of every file under data/raw and its path."""
    return hashlib.sha256(json.dumps(file_digests(raw_dir), sort_keys=True).encode()).hexdigest()


def build_sensors(calendar: DataCalendar, jobs: Jobs, raw_dir: Path, running: bool = False
                  ) -> list[SensorDefinition]:
    @sensor(job=jobs["annual_poverty_job"], minimum_interval_seconds=300,
            default_status=DefaultSensorStatus.RUNNING if running else DefaultSensorStatus.STOPPED,
            description="When a file under data/raw changes (a corrected BPS table dropped in), re-run the latest "
                        "year.")
    def raw_files_changed(context: SensorEvaluationContext):
        fingerprint = raw_fingerprint(raw_dir)
        if context.cursor == fingerprint:
            return SkipReason("data/raw unchanged")
        previous = context.cursor
        context.update_cursor(fingerprint)
        if previous is None:
            return SkipReason("first evaluation: fingerprint recorded")
        return RunRequest(run_key=f"raw-{fingerprint[:12]}", partition_key=str(calendar.latest),
                          tags={"trigger": json.dumps({"raw_fingerprint": fingerprint[:12]})})

    return [raw_files_changed]

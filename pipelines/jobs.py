"""Jobs, schedule and sensor."""


import hashlib
import json

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from assets import settings
from pipelines.partitions import estimation_partitions, yearly_partitions

ESTIMATION_SELECTION = AssetSelection.groups("estimates") | AssetSelection.assets("published_estimates", "sae_charts")

# Both jobs run in one process (the multiprocess executor costs seconds per step on small machines).
annual_poverty_job = define_asset_job(
    "annual_poverty_job",
    selection=AssetSelection.all() - ESTIMATION_SELECTION,
    partitions_def=yearly_partitions,
    description="Raw -> validated -> deltas -> reports (and the registry): the published tables, all years.",
)
annual_estimation_job = define_asset_job(
    "annual_estimation_job",
    selection=ESTIMATION_SELECTION,
    partitions_def=estimation_partitions,
    description="Synthetic Susenas sample -> direct and Fay-Herriot estimates -> published estimates and charts.",
)


@schedule(job=annual_poverty_job, cron_schedule="0 6 1 8 *", execution_timezone="Asia/Jakarta",
          default_status=DefaultScheduleStatus.STOPPED,
          description="1 August, after BPS's July release of the March round: materialise the current year.")
def annual_after_bps_release(context: ScheduleEvaluationContext):
    return _current_year_request(context, "annual")


@schedule(job=annual_estimation_job, cron_schedule="0 7 1 8 *", execution_timezone="Asia/Jakarta",
          default_status=DefaultScheduleStatus.STOPPED,
          description="1 August, an hour after the tables: direct and small-area estimates of the current year.")
def annual_estimates_after_bps_release(context: ScheduleEvaluationContext):
    return _current_year_request(context, "estimates")


def _current_year_request(context: ScheduleEvaluationContext, run_key_prefix: str):
    year = context.scheduled_execution_time.year
    if year not in raw_data_years():
        return SkipReason(f"BPS kab/kota figures for {year} are not in data/raw yet: add the new export, then run")
    return RunRequest(run_key=f"{run_key_prefix}-{year}", partition_key=str(year))


def raw_data_years() -> set[int]:
    """Years of the shipped BPS kab/kota P0 export (its second header row), read without parsing the table."""
    files = sorted((settings.raw_dir() / "bps").glob("p0_kabkota_*.csv"))
    if not files:
        return set()
    header = files[-1].read_text(encoding="utf-8-sig").splitlines()[1]
    return {int(cell) for cell in header.split(",") if cell.strip().isdigit()}


def _raw_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(settings.raw_dir().rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(settings.raw_dir())).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@sensor(job=annual_poverty_job, minimum_interval_seconds=300, default_status=DefaultSensorStatus.STOPPED,
        description="When a file under data/raw changes (a new BPS release dropped in), re-run the latest year.")
def raw_files_changed(context: SensorEvaluationContext):
    fingerprint = _raw_fingerprint()
    if context.cursor == fingerprint:
        return SkipReason("data/raw unchanged")
    previous = context.cursor
    context.update_cursor(fingerprint)
    if previous is None:
        return SkipReason("first evaluation: fingerprint recorded")
    years = raw_data_years()
    if not years:
        return SkipReason("no BPS kab/kota export in data/raw")
    year = str(max(years))
    return RunRequest(run_key=f"raw-{fingerprint[:12]}", partition_key=year,
                      tags={"trigger": json.dumps({"raw_fingerprint": fingerprint[:12]})})

"""The annual schedules run after BPS's July release, for a year the raw data hold, and skip otherwise."""

from datetime import datetime
from zoneinfo import ZoneInfo

from dagster import RunRequest, SkipReason, build_schedule_context, build_sensor_context

from pipelines.definitions import defs


def _at(year: int):
    return build_schedule_context(scheduled_execution_time=datetime(year, 8, 1, 6, tzinfo=ZoneInfo("Asia/Jakarta")))


def test_schedule_materialises_a_year_with_data():
    request = defs.get_schedule_def("annual_after_bps_release")(_at(2025))
    assert isinstance(request, RunRequest) and request.partition_key == "2025"
    estimates = defs.get_schedule_def("annual_estimates_after_bps_release")(_at(2025))
    assert isinstance(estimates, RunRequest) and estimates.partition_key == "2025"


def test_schedule_skips_a_year_not_yet_in_raw_data():
    skipped = defs.get_schedule_def("annual_after_bps_release")(_at(2031))
    assert isinstance(skipped, SkipReason) and "2031" in skipped.skip_message


def test_sensor_records_fingerprint_then_fires_on_change():
    sensor = defs.get_sensor_def("raw_files_changed")
    first = sensor(build_sensor_context())
    assert isinstance(first, SkipReason)
    fired = sensor(build_sensor_context(cursor="an-older-fingerprint"))
    assert isinstance(fired, RunRequest) and fired.partition_key == "2025"

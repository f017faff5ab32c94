"""A new BPS release is a new file in data/raw, nothing else: adding a 2026 P0 export (the shipped one with
one more year column) moves the partitions, the schedules and the checks' year ranges, with no code change."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from dagster import AssetKey, RunRequest, SkipReason, build_schedule_context, materialize

from assets import build_assets
from assets.partitions import DataCalendar
from assets.resources import ProjectPaths
from pipelines.definitions import build_definitions
from pipelines.io_manager import ParquetIOManager
from pipelines.profiles import local_profile
from tests.pipeline.conftest import copy_raw

SHIPPED = "bps/p0_kabkota_2004_2025.csv"
NEW_RELEASE = "bps/p0_kabkota_2004_2026.csv"


def _add_2026_export(raw):
    """The shipped export with a 2026 column: each figure of 2025 lowered by 0.1 (a plausible release)."""
    out = []
    for number, line in enumerate((raw / SHIPPED).read_text().splitlines(keepends=True), 1):
        body, end = line.rstrip("\r\n"), line[len(line.rstrip("\r\n")):]
        cells = body.split(",")
        if number == 2:
            cells.append("2026")
        elif len(cells) == 23 and not body.startswith(("Catatan", "Provinsi")):
            last = cells[-1]
            cells.append(f"{max(float(last) - 0.1, 0):.2f}" if last not in ("", "-") else last)
        out.append(",".join(cells) + end)
    (raw / NEW_RELEASE).write_text("".join(out))


def _at(year: int):
    return build_schedule_context(scheduled_execution_time=datetime(year, 8, 1, 6, tzinfo=ZoneInfo("Asia/Jakarta")))


@pytest.fixture(scope="module")
def release_2026(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("release_2026")
    raw = copy_raw(tmp)
    _add_2026_export(raw)
    paths = ProjectPaths(raw_dir=str(raw), outputs_dir=str(tmp / "outputs"), restricted_dir=str(tmp / "restricted"),
                         storage_dir=str(tmp / "storage"))
    return paths, build_definitions(local_profile(paths=paths, key_mode="demo"))


def _last_partition(defs, job: str) -> str:
    return defs.resolve_job_def(job).partitions_def.get_partition_keys()[-1]


def test_shipped_data_end_in_2025():
    defs = build_definitions(local_profile(key_mode="demo"))
    assert _last_partition(defs, "annual_poverty_job") == "2025"
    assert defs.resolve_job_def("annual_poverty_job").partitions_def.get_partition_keys()[0] == "2005"
    assert defs.resolve_job_def("annual_estimation_job").partitions_def.get_partition_keys()[0] == "2022"
    assert isinstance(defs.get_schedule_def("annual_after_bps_release")(_at(2026)), SkipReason)


def test_partitions_and_schedules_follow_a_new_export(release_2026):
    _, defs = release_2026
    assert _last_partition(defs, "annual_poverty_job") == "2026"
    assert _last_partition(defs, "annual_estimation_job") == "2026"
    for name in ("annual_after_bps_release", "annual_estimates_after_bps_release"):
        request = defs.get_schedule_def(name)(_at(2026))
        assert isinstance(request, RunRequest) and request.partition_key == "2026"
    assert isinstance(defs.get_schedule_def("annual_after_bps_release")(_at(2027)), SkipReason)


def _upstream_of(assets, names: set[str]) -> list:
    """The assets that make `names` (themselves included): the validated panel and the sources it reads, not
    the geometry or covariates, which do not carry the P0 export's years."""
    by_key = {k: a for a in assets for k in a.keys}
    wanted, todo = set(), [AssetKey(n) for n in names]
    while todo:
        key = todo.pop()
        if key not in wanted:
            wanted.add(key)
            todo.extend(by_key[key].asset_deps[key])
    return [a for a in assets if set(a.keys) & wanted]


def test_raw_and_validated_checks_cover_the_new_year(release_2026):
    paths, _ = release_2026
    layers = _upstream_of(build_assets(DataCalendar.from_raw(paths.raw_dir)),
                          {"p0_kabkota_validated", "raw_news_quoted_figures"})
    result = materialize(layers, resources={"paths": paths, "io_manager": ParquetIOManager(base_dir=paths.storage_dir)})
    assert result.success
    raw = result.asset_value(AssetKey("raw_p0_kabkota"))
    assert raw["source_file"].iloc[0] == NEW_RELEASE and 2026 in set(raw["year"])
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    complete = checks[("p0_kabkota_validated", "all_kabkota_every_year")]
    assert complete.passed and complete.metadata["checked_count"].value == 2026 - 2016 + 1
    assert "2004-2026" in checks[("raw_news_quoted_figures", "years_in_data")].metadata["expected"].value
    panel = result.asset_value(AssetKey("p0_kabkota_validated"))
    assert panel.loc[(panel["bps_code"] == "3517") & (panel["year"] == 2026), "p0"].iloc[0] == 8.26

"""The `server` deployment profile on a real PostgreSQL (issue 10, items 1, 4 and the PostgreSQL part of 6).

A throwaway PostgreSQL 15 cluster (initdb into a temporary folder as the `postgres` user, password auth on a
free loopback port; stopped and checked gone at the end) holds the Dagster instance of
`deploy/server/dagster.yaml`. On it, `dagster-daemon run` (the server's daemon, on the code location with
KEMISKINAN_PROFILE=server) evaluates the sensor and takes a backfill of the province deltas for 2024-2025
(one run: the single-run backfill policy) through its backfill loop and the run queue to a run on the
multiprocess executor, while the test process writes another run (2023) into the same database. The upstream
tables are materialised in process first. The runs, materialisations, check results and ticks are read back
through Dagster and straight from PostgreSQL; the database text is scanned for 16-digit NIK/KK numbers (the
registry job is not run here: its demo extracts need the estimation job, ~12 s a round; the scan covers what
runs). About 35-40 s of CPU in all, most of it loading the code location in the daemon's processes.

Also: the profile switch, its refusals, and the k8s/Celery example configs validated by Dagster's own config
schemas (no cluster needed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from dagster import AssetCheckKey, AssetKey, AssetSelection, DagsterInstance, DagsterRunStatus, RunsFilter

from benchmarks.bench_server import (
    PostgresUnavailable,
    install_instance,
    process_running,
    server_env,
    throwaway_postgres,
)
from pipelines import profiles
from pipelines.definitions import build_definitions
from tests.pipeline.conftest import stop_process_group

ROOT = Path(__file__).resolve().parents[2]
# The province deltas: their upstream (6 raw files, 2 validated tables) is the cheaper half of the graph.
DELTA = AssetKey("p0_deltas_province")
QUEUED_YEARS = ["2024", "2025"]
CONCURRENT_YEAR = "2023"
# A NIK or KK number: 16 digits standing alone (not inside a hex hash, a longer number or the fraction of a
# float such as -0.1823929961089494).
SIXTEEN = re.compile(r"(?<![0-9A-Za-z.])\d{16}(?![0-9A-Za-z]|\.\d)")
DAEMONS = {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR", "BACKFILL", "MONITORING"}


def _wait(predicate, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1.0)
    tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the daemon this test started (its own session: the daemon and the processes it started)."""
    stop_process_group(process, timeout=30)


@pytest.fixture(scope="module")
def server_run():
    """Everything against one PostgreSQL: returns what the tests read back (the cluster is stopped after)."""
    from dagster._core.execution.backfill import PartitionBackfill
    from dagster._core.utils import make_new_backfill_id

    try:
        cluster = throwaway_postgres()
        server = cluster.__enter__()
    except PostgresUnavailable as missing:
        pytest.skip(f"PostgreSQL not available: {missing}")
    # A folder of its own, not under pytest's basetemp: other pytest sessions on the machine prune old basetemps
    tmp = Path(tempfile.mkdtemp(prefix="kemiskinan-server-test-"))
    home = install_instance(tmp / "dagster_home")
    env = server_env(server, home, tmp / "data", max_concurrent=2, max_runs=2)
    daemon = None
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    try:
        with pytest.MonkeyPatch.context() as patch:
            for key in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD",
                        "DAGSTER_PG_DB", "DAGSTER_MAX_CONCURRENT_RUNS", "DAGSTER_COMPUTE_LOGS_DIR"):
                patch.setenv(key, env[key])
            instance = DagsterInstance.from_config(str(home))
            log = tmp / "daemon.log"
            profile = profiles.server_profile(paths=profiles.server_paths(env), key_mode="demo", max_concurrent=2)
            defs = build_definitions(profile)
            graph = defs.resolve_asset_graph()
            job = defs.resolve_job_def("annual_poverty_job")
            upstream_keys = sorted(AssetSelection.assets(DELTA).upstream().resolve(graph) - {DELTA})
            upstream = job.execute_in_process(instance=instance, asset_selection=upstream_keys, run_config=quiet,
                                              raise_on_error=False, tags={"test": "upstream"})
            assert upstream.success
            # Run "queued": a backfill of two years, through the daemon's backfill loop and run queue to a run
            # of its own on the multiprocess executor ...
            backfill = PartitionBackfill.from_asset_partitions(
                backfill_id=make_new_backfill_id(), asset_graph=graph, partition_names=QUEUED_YEARS,
                asset_selection=[DELTA], backfill_timestamp=time.time(), tags={"test": "queued"},
                dynamic_partitions_store=instance, all_partitions=False, title=None, description=None,
                run_config=None)
            instance.add_backfill(backfill)
            # The daemon after the backfill is requested: its backfill loop runs at start and then every 30 s,
            # so started earlier it would sleep through most of a loop before taking the backfill.
            with open(log, "w") as out:
                daemon = subprocess.Popen(
                    [str(ROOT / ".venv" / "bin" / "dagster-daemon"), "run", "-m", "pipelines.definitions", "-d",
                     str(ROOT)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

            def queued_run(*statuses):
                runs = instance.get_runs(RunsFilter(tags={"test": "queued"}, statuses=list(statuses)))
                return runs[0] if runs else None

            _wait(lambda: queued_run(DagsterRunStatus.STARTED, DagsterRunStatus.SUCCESS,
                                     DagsterRunStatus.FAILURE), 300, "the backfill's run to start", log)
            # ... while this process writes another run of the same asset (another year) into the same tables.
            concurrent = job.execute_in_process(
                instance=instance, asset_selection=[DELTA], run_config=quiet, raise_on_error=False,
                tags={"test": "concurrent", "dagster/asset_partition_range_start": CONCURRENT_YEAR,
                      "dagster/asset_partition_range_end": CONCURRENT_YEAR})
            overlapped = queued_run(DagsterRunStatus.STARTED) is not None
            queued = _wait(lambda: queued_run(DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE), 300,
                           "the backfill's run to finish", log)

            def sensor_ticked():
                with server.connect() as connection, connection.cursor() as cursor:
                    cursor.execute("SELECT tick_body FROM job_ticks WHERE type = 'SENSOR'")
                    return [row[0] for row in cursor.fetchall()]

            ticks = _wait(sensor_ticked, 120, "a sensor tick by the daemon", log)
            heartbeats = _wait(lambda: (set(instance.get_daemon_heartbeats()) >= DAEMONS
                                        and instance.get_daemon_heartbeats()), 60, "daemon heartbeats", log)
            _stop(daemon)
            yield {"server": server, "instance": instance, "queued": queued, "concurrent": concurrent,
                   "overlapped": overlapped, "upstream": upstream, "defs": defs, "home": home, "ticks": ticks,
                   "heartbeats": heartbeats, "backfill_id": backfill.backfill_id, "log_text": log.read_text(),
                   "daemon": daemon}
            instance.dispose()
    finally:
        if daemon is not None:
            _stop(daemon)
        pid = server.postmaster_pid()
        cluster.__exit__(None, None, None)
        shutil.rmtree(tmp, ignore_errors=True)
        assert pid is not None and not process_running(pid)


pytestmark = pytest.mark.xdist_group("postgres")


def test_backfill_runs_through_the_queue_on_the_multiprocess_executor(server_run):
    instance, run = server_run["instance"], server_run["queued"]
    failures = [line[:1500] for line in server_run["log_text"].splitlines() if "FAILURE" in line or "Error" in line]
    assert run.status == DagsterRunStatus.SUCCESS, failures
    assert run.tags["dagster/backfill"] == server_run["backfill_id"]
    assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == (
        QUEUED_YEARS[0], QUEUED_YEARS[-1])
    records = instance.get_records_for_run(run.run_id).records
    messages = [record.event_log_entry.message or "" for record in records]
    assert any("Executing steps using multiprocess executor" in m for m in messages)
    # queued by the run coordinator, then started by the daemon, in that order
    types = [r.event_log_entry.dagster_event_type for r in records if r.event_log_entry.dagster_event]
    order = [types.index(t) for t in ("PIPELINE_ENQUEUED", "PIPELINE_STARTING", "PIPELINE_START",
                                      "STEP_START", "PIPELINE_SUCCESS")]
    assert order == sorted(order), types
    # the step ran in a process of its own, not in the run's
    pids = {r.event_log_entry.dagster_event.pid for r in records
            if r.event_log_entry.dagster_event_type in ("PIPELINE_START", "STEP_START")}
    assert len(pids) == 2, pids


def test_two_runs_at_once_do_not_mix(server_run):
    """The queued run and a run written at the same time by another process: each run's events in
    PostgreSQL carry its own run id and partitions only."""
    assert server_run["overlapped"], "the second run did not overlap the queued one"
    runs = {"queued": (server_run["queued"].run_id, QUEUED_YEARS),
            "concurrent": (server_run["concurrent"].run_id, [CONCURRENT_YEAR])}
    assert server_run["concurrent"].success
    with server_run["server"].connect() as connection, connection.cursor() as cursor:
        for run_id, years in runs.values():
            cursor.execute("SELECT partition, asset_key FROM event_logs WHERE run_id = %s AND "
                           "dagster_event_type = 'ASSET_MATERIALIZATION'", (run_id,))
            assert sorted(cursor.fetchall()) == [(year, f'["{DELTA.path[0]}"]') for year in years]
            cursor.execute("SELECT count(*) FROM event_logs WHERE run_id = %s AND event NOT LIKE %s",
                           (run_id, f"%{run_id}%"))
            assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT DISTINCT run_id FROM event_logs")
        run_ids = {row[0] for row in cursor.fetchall()} - {""}  # "": asset-level records outside any run
    assert run_ids == {run_id for run_id, _ in runs.values()} | {server_run["upstream"].run_id}


def test_runs_materialisations_and_checks_read_back_through_dagster(server_run):
    instance = server_run["instance"]
    assert len(instance.get_runs()) == 3
    records = instance.fetch_materializations(DELTA, limit=10).records
    assert sorted(r.partition_key for r in records) == sorted([*QUEUED_YEARS, CONCURRENT_YEAR])
    history = instance.event_log_storage.get_asset_check_execution_history(
        AssetCheckKey(DELTA, "delta_is_difference"), limit=10)
    done = [h for h in history if h.status.value == "SUCCEEDED"]
    assert {h.run_id for h in done} == {server_run["queued"].run_id, server_run["concurrent"].run_id}, history
    assert {h.status.value for h in history} <= {"SUCCEEDED", "PLANNED"}, history  # planned: per partition
    evaluation = done[0].event.dagster_event.asset_check_evaluation_data
    assert evaluation.passed and evaluation.metadata["message"].value.startswith("delta_is_difference: ok")


def test_storage_is_postgres_not_sqlite(server_run):
    home, server = server_run["home"], server_run["server"]
    instance = server_run["instance"]
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert sorted(p.name for p in home.rglob("*.db")) == []  # no SQLite file beside dagster.yaml
    with server.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM runs")
        assert cursor.fetchone()[0] == 3
        cursor.execute("SELECT count(*) FROM event_logs")
        assert cursor.fetchone()[0] > 100


def test_daemon_runs_the_schedules_and_sensor(server_run):
    defs = server_run["defs"]
    assert {s.name for s in defs.schedules} == {"annual_after_bps_release", "annual_estimates_after_bps_release"}
    assert all(s.default_status.value == "RUNNING" for s in defs.schedules)
    assert [(s.name, s.default_status.value) for s in defs.sensors] == [("raw_files_changed", "RUNNING")]
    assert set(server_run["heartbeats"]) >= DAEMONS
    assert any("raw_files_changed" in body and "fingerprint recorded" in body for body in server_run["ticks"])


def test_identity_pattern_finds_a_nik_but_not_hashes_or_floats():
    first, second = ("3517" + "0" * 11 + digit for digit in "12")  # made-up 16-digit numbers, built at run time
    text = (f'{{"nik": "{first}", "v": -0.1823929961089494, "id": "8c477864a1234567890123456",'
            f' "n": {first}2, "t": "NIK {second}."}}')
    assert [m.group() for m in SIXTEEN.finditer(text)] == [first, second]


def test_no_identity_number_in_postgres(server_run):
    server = server_run["server"]
    found = {}
    with server.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        assert {"runs", "event_logs", "jobs", "job_ticks", "asset_keys"} <= set(tables)
        scanned = 0
        for table in tables:
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')
            for (text,) in cursor.fetchall():
                scanned += len(text)
                for hit in SIXTEEN.finditer(text):
                    found.setdefault(table, set()).add(text[max(0, hit.start() - 80):hit.end() + 40])
    assert scanned > 100_000
    assert found == {}


def test_daemon_stopped_and_postgres_still_serving(server_run):
    """The test stops only what it started: its daemon has ended here; its PostgreSQL is stopped (and checked
    gone) when the module's fixture ends."""
    assert server_run["daemon"].poll() is not None
    assert process_running(server_run["server"].postmaster_pid() or 0)


# --- no PostgreSQL needed -------------------------------------------------------------------------------------

def test_profile_switch(monkeypatch, tmp_path):
    for var in profiles.PROFILE_VARS:
        monkeypatch.delenv(var, raising=False)
    assert profiles.profile_name() == "local"
    monkeypatch.setenv("KEMISKINAN_DEPLOYMENT", "server")
    assert profiles.profile_name() == "server"
    monkeypatch.setenv("KEMISKINAN_PROFILE", "local")
    with pytest.raises(ValueError, match="disagree"):
        profiles.profile_name()
    monkeypatch.setenv("KEMISKINAN_PROFILE", "cloud")
    monkeypatch.delenv("KEMISKINAN_DEPLOYMENT")
    with pytest.raises(ValueError, match="not a deployment profile"):
        profiles.profile_name()


def test_server_profile_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(profiles.DATA_DIR_VAR, raising=False)
    with pytest.raises(ValueError, match="needs KEMISKINAN_DATA_DIR"):
        profiles.server_paths()
    monkeypatch.setenv(profiles.DATA_DIR_VAR, str(ROOT / "data"))
    with pytest.raises(ValueError, match="inside the checkout"):
        profiles.server_paths()
    monkeypatch.setenv(profiles.DATA_DIR_VAR, str(tmp_path / "srv"))
    monkeypatch.setenv(profiles.OUTPUTS_DIR_VAR, str(ROOT / "data" / "outputs"))
    with pytest.raises(ValueError, match="KEMISKINAN_OUTPUTS_DIR.*inside the checkout"):
        profiles.server_paths()
    monkeypatch.setenv(profiles.OUTPUTS_DIR_VAR, str(tmp_path / "share"))
    monkeypatch.setenv(profiles.MAX_CONCURRENT_VAR, "3")
    monkeypatch.setenv("KEMISKINAN_REGISTRY_MODE", "demo")  # ignored: a server takes the key from the env only
    profile = profiles.server_profile()
    assert profile.paths.storage_dir == str(tmp_path / "srv" / "storage")
    assert profile.paths.outputs_dir == str(tmp_path / "share")
    assert profile.paths.raw_dir == str(ROOT / "data" / "raw")
    assert profile.key_mode == "env" and profile.automation_running
    assert profile.executor.name == "multiprocess_executor"
    config = profile.executor.apply_config_mapping({}).value["config"]  # what a run's executor receives
    assert config["max_concurrent"] == 3
    assert config["start_method"]["forkserver"]["preload_modules"][0] == "pipelines.definitions"
    monkeypatch.setenv(profiles.MAX_CONCURRENT_VAR, "two")
    with pytest.raises(ValueError, match="whole number"):
        profiles.server_profile()
    local = profiles.local_profile()
    assert local.executor.name == "in_process" and not local.automation_running


# --- more than one machine: the k8s and Celery configs, validated by Dagster's schemas ------------------------

DEPLOY_ENV = {"DAGSTER_PG_HOST": "db.example", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_USER": "dagster",
              "DAGSTER_PG_PASSWORD": "from-a-secret", "DAGSTER_PG_DB": "kemiskinan",
              "DAGSTER_MAX_CONCURRENT_RUNS": "2", "DAGSTER_COMPUTE_LOGS_DIR": "/srv/kemiskinan/logs",
              "DAGSTER_CELERY_BROKER_URL": "redis://:pw@queue.example:6379/0",
              "DAGSTER_CELERY_BACKEND_URL": "redis://:pw@queue.example:6379/1"}


def _validate_instance(folder: str, monkeypatch) -> dict:
    """What Dagster does when it loads an instance, short of connecting: the whole file against the instance
    schema, then each configurable class (storage, run coordinator, run launcher, ...) against its own."""
    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config
    from dagster._core.instance.ref import InstanceRef
    from dagster._serdes import class_from_code_pointer

    for key, value in DEPLOY_ENV.items():
        monkeypatch.setenv(key, value)
    config, custom_class = dagster_instance_config(str(ROOT / "deploy" / folder))
    assert custom_class is None
    ref = InstanceRef.from_dir(str(ROOT / "deploy" / folder))
    checked = {}
    for field in ("storage_data", "run_coordinator_data", "run_launcher_data", "compute_logs_data"):
        data = getattr(ref, field)
        if data is None:
            continue
        klass = class_from_code_pointer(data.module_name, data.class_name)
        result = process_config(klass.config_type(), yaml.safe_load(data.config_yaml))
        assert result.success, (folder, field, result.errors)
        checked[field] = (klass.__name__, result.value)
    return {"config": config, "classes": checked}


def _validate_executor(executor_def, config: dict):
    from dagster._config import process_config

    result = process_config(executor_def.config_schema.config_type, config)
    assert result.success, result.errors
    return result.value


@pytest.mark.parametrize("folder", ["server", "k8s", "celery"])
def test_instance_configs_validate(folder, monkeypatch):
    checked = _validate_instance(folder, monkeypatch)
    storage_class, storage = checked["classes"]["storage_data"]
    assert storage_class == "DagsterPostgresStorage"
    assert storage["postgres_db"]["password"] == "from-a-secret"  # resolved from the environment
    assert checked["classes"]["run_coordinator_data"][0] == "QueuedRunCoordinator"
    assert checked["classes"]["run_coordinator_data"][1]["max_concurrent_runs"] == 2
    assert checked["config"]["telemetry"]["enabled"] is False and checked["config"]["nux"]["enabled"] is False
    assert checked["config"]["run_monitoring"]["enabled"] is True
    database = yaml.safe_load((ROOT / "deploy" / folder / "dagster.yaml").read_text())["storage"]["postgres"]
    assert all(set(database["postgres_db"][k]) == {"env"} for k in ("hostname", "port", "username", "password",
                                                                      "db_name"))
    text = (ROOT / "deploy" / folder / "dagster.yaml").read_text()
    assert "from-a-secret" not in text and "P3KE_PSEUDONYM_KEY:" not in text


def test_k8s_run_launcher_and_executor_validate(monkeypatch):
    from dagster_k8s import k8s_job_executor

    checked = _validate_instance("k8s", monkeypatch)
    launcher_class, launcher = checked["classes"]["run_launcher_data"]
    assert launcher_class == "K8sRunLauncher"
    assert launcher["volume_mounts"][0]["mount_path"] == "/data"
    assert launcher["env_secrets"] == ["kemiskinan-pseudonym-key"]
    executor = _validate_executor(k8s_job_executor, profiles.executor_config("k8s"))
    assert executor["max_concurrent"] == 8
    assert executor["volumes"][0]["persistent_volume_claim"]["claim_name"] == "kemiskinan-data-rwx"
    # a misspelt key is refused: the validation is real
    with pytest.raises(AssertionError):
        _validate_executor(k8s_job_executor, {**profiles.executor_config("k8s"), "max_concurent": 8})


def test_celery_executor_and_worker_configs_validate(monkeypatch, tmp_path):
    from dagster_celery import celery_executor
    from dagster_celery.cli import get_validated_config

    for key, value in DEPLOY_ENV.items():
        monkeypatch.setenv(key, value)
    executor = _validate_executor(celery_executor, profiles.executor_config("celery"))
    assert executor["broker"] == DEPLOY_ENV["DAGSTER_CELERY_BROKER_URL"]
    assert executor["include"] == ["pipelines.definitions"]
    rendered = tmp_path / "worker.yaml"
    rendered.write_text(os.path.expandvars((ROOT / "deploy" / "celery" / "worker.yaml.tmpl").read_text()))
    worker = get_validated_config(str(rendered))  # what `dagster-celery worker start -y` does
    assert worker["broker"] == DEPLOY_ENV["DAGSTER_CELERY_BROKER_URL"]


@pytest.mark.parametrize("name", ["k8s", "celery"])
def test_multi_machine_profiles_build_the_same_definitions(name, monkeypatch, tmp_path):
    """The same code location with the k8s or Celery executor: only the executor differs from `server`."""
    monkeypatch.setenv(profiles.DATA_DIR_VAR, str(tmp_path / "data"))
    for key, value in DEPLOY_ENV.items():
        monkeypatch.setenv(key, value)
    profile = profiles.PROFILES[name]()
    assert profile.executor.name == name and profile.key_mode == "env"
    defs = build_definitions(profile)
    job = defs.resolve_job_def("annual_estimation_job")
    assert job.executor_def.name == name
    server_defs = build_definitions(profiles.server_profile())
    assert set(defs.resolve_asset_graph().get_all_asset_keys()) == set(
        server_defs.resolve_asset_graph().get_all_asset_keys())


def test_missing_postgres_is_reported_for_the_skip(monkeypatch):
    """Where PostgreSQL is not installed the fixture skips with this reason instead of failing."""
    from benchmarks import bench_server

    monkeypatch.setattr(bench_server.shutil, "which", lambda name: None)
    monkeypatch.setattr(bench_server.glob, "glob", lambda pattern: [])
    with pytest.raises(PostgresUnavailable, match="apt-get install postgresql"):
        bench_server.postgres_bindir()
    with pytest.raises(PostgresUnavailable), throwaway_postgres():
        pass

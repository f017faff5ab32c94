"""The `server` deployment profile on a real PostgreSQL (issue 10, items 1, 4 and the PostgreSQL part of 6).

A throwaway PostgreSQL 15 cluster (initdb into a temporary folder as the `postgres` user, password auth on a
free loopback port; stopped and checked gone at the end) holds the Dagster instance of
`deploy/server/dagster.yaml`, named by DAGSTER_POSTGRES_URL only (no DAGSTER_PG_* part reaches any process).
On it, `dagster-daemon run` (the server's daemon, on the code location with KEMISKINAN_PROFILE=server)
evaluates the sensor and takes a backfill of the province deltas for 2024-2025 (one run: the single-run
backfill policy) through its backfill loop and the run queue to a run on the multiprocess executor, while the
test process writes another run (2023) into the same database, then runs the registry job (its layer and
published tables) as a server does: extracts named by KEMISKINAN_REGISTRY_EXTRACTS, the key from
P3KE_PSEUDONYM_KEY. The extracts are small ones from the demo generator (fictitious persons; slices of
8,000-30,000 persons instead of ~0.9 M, ~19 MB) under a manifest without the generator's fingerprint, i.e.
treated as real extracts; the registry's two upstream frames (the kab/kota panel's populations, the synthetic
households) are stand-ins written by a run of their own, tagged `stand-in`. The upstream tables are
materialised in process first. The runs, materialisations, check results and ticks are read back through
Dagster and straight from PostgreSQL; the database text is scanned for 16-digit NIK/KK numbers and for every
NIK, KK number and name of the extracts.

Also: the profile switch, its refusals, the database URL (given, or composed from its parts), and the
k8s/Celery example configs validated by Dagster's own config schemas (no cluster needed).
"""

from __future__ import annotations

import json
import os
import re
import secrets
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
from tests.pipeline.test_identities import _identities, _trie_pattern

ROOT = Path(__file__).resolve().parents[2]
# The province deltas: their upstream (6 raw files, 2 validated tables) is the cheaper half of the graph.
DELTA = AssetKey("p0_deltas_province")
QUEUED_YEARS = ["2024", "2025"]
CONCURRENT_YEAR = "2023"
# A NIK or KK number: 16 digits standing alone (not inside a hex hash, a longer number or the fraction of a
# float such as -0.1823929961089494).
SIXTEEN = re.compile(r"(?<![0-9A-Za-z.])\d{16}(?![0-9A-Za-z]|\.\d)")
DAEMONS = {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR", "BACKFILL", "MONITORING"}
# The registry job as the server runs it, without the kab/kota profiles (they read the whole estimation job)
REGISTRY_LEFT_OUT = {AssetKey("kabkota_profiles")}
STAND_INS = ("p0_kabkota_validated", "synthetic_household_expenditure")


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


def _url(server) -> str:
    """The database as one URL, built by SQLAlchemy (not by the profile's `postgres_url`)."""
    from sqlalchemy.engine import URL

    return URL.create("postgresql+psycopg2", username=server.user, password=server.password, host=server.host,
                      port=server.port, database=server.db).render_as_string(hide_password=False)


def _small_extracts(restricted: Path) -> Path:
    """Extracts of the demo generator, small: Jombang's slice 20,000 persons (its decree-list case whole),
    Lebak 30,000, Kota Mojokerto and Kota Palangka Raya 8,000 each, no DTSEN workbook. The persons' expenditure
    is drawn low (log mean 12.6-13.4) so that the small slices still hold the planted extreme-poor families.
    The manifest has no generator fingerprint: the registry treats them as real extracts (a real key needed)."""
    import numpy as np
    import pandas as pd

    from estimation.registry.aggregate import bps_populations
    from estimation.registry.extracts import ENTRY_FIELDS, MANIFEST
    from estimation.registry.generator import (
        DEMO_SCENARIO,
        JOMBANG,
        LEBAK,
        MOJOKERTO,
        PALANGKA_RAYA,
        generate_registry_scenario,
    )
    from tests.conftest import REGISTRY_PANEL

    folder = restricted / "extracts"
    folder.mkdir(parents=True, mode=0o700)
    rng = np.random.default_rng(0)
    persons = pd.concat([pd.DataFrame({"bps_code": code,
                                       "expenditure_per_capita": np.exp(rng.normal(mean, 0.3, 2_000)).round()})
                         for code, mean in {JOMBANG: 13.4, LEBAK: 12.6, MOJOKERTO: 12.7, PALANGKA_RAYA: 12.9}.items()],
                        ignore_index=True)
    scenario = generate_registry_scenario(
        folder, populations=bps_populations(REGISTRY_PANEL, DEMO_SCENARIO.years), persons=persons,
        seed=DEMO_SCENARIO.seed, jombang_n=20_000, sizes={LEBAK: 30_000, MOJOKERTO: 8_000, PALANGKA_RAYA: 8_000},
        dtsen=False)
    entries = [{field: (Path(scenario.files[str(e["key"])]).name if field == "file" else e[field])
                for field in ENTRY_FIELDS} for e in scenario.entries]
    for path in scenario.files.values():
        os.chmod(path, 0o600)
    (folder / MANIFEST).write_text(json.dumps({"files": entries}))
    return folder


def _stand_ins(instance, storage: str):
    """The registry's upstream frames, as tests/conftest.py stands them in, written to the server's storage by
    runs of their own (tagged `stand-in`, so the database says what they are)."""
    from dagster import materialize

    from pipelines.io_manager import ParquetIOManager
    from tests.conftest import REGISTRY_PANEL, _upstream, registry_households

    panel, households = _upstream(REGISTRY_PANEL, registry_households())
    common = {"instance": instance, "resources": {"io_manager": ParquetIOManager(base_dir=storage)},
              "tags": {"test": "stand-in"}, "run_config": {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}}
    assert materialize([panel], **common).success
    assert materialize([households], partition_key="2024", **common).success


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
    # The documented way: the database as one URL; none of its parts reaches a process of the test
    env = {key: value for key, value in env.items() if not key.startswith("DAGSTER_PG_")}
    env["DAGSTER_POSTGRES_URL"] = _url(server)
    # The registry as a server runs it: extracts from KEMISKINAN_REGISTRY_EXTRACTS, the key from the environment
    restricted = tmp / "extracts_restricted"
    env["KEMISKINAN_REGISTRY_EXTRACTS"] = str(_small_extracts(restricted))
    env["P3KE_PSEUDONYM_KEY"] = secrets.token_hex(32)
    identities = _identities(restricted)
    daemon = None
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    timeline = {"start": time.monotonic()}
    try:
        with pytest.MonkeyPatch.context() as patch:
            for key in [k for k in os.environ if k.startswith("DAGSTER_PG_")]:
                patch.delenv(key)
            for key in ("DAGSTER_POSTGRES_URL", "DAGSTER_MAX_CONCURRENT_RUNS", "DAGSTER_COMPUTE_LOGS_DIR",
                        "P3KE_PSEUDONYM_KEY"):
                patch.setenv(key, env[key])
            instance = DagsterInstance.from_config(str(home))
            log = tmp / "daemon.log"
            profile = profiles.server_profile(paths=profiles.server_paths(env), max_concurrent=2)
            defs = build_definitions(profile)
            graph = defs.resolve_asset_graph()
            job = defs.resolve_job_def("annual_poverty_job")
            upstream_keys = sorted(AssetSelection.assets(DELTA).upstream().resolve(graph) - {DELTA})
            upstream = job.execute_in_process(instance=instance, asset_selection=upstream_keys, run_config=quiet,
                                              raise_on_error=False, tags={"test": "upstream"})
            assert upstream.success
            _stand_ins(instance, profile.paths.storage_dir)
            timeline["upstream_and_stand_ins"] = time.monotonic()
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
            timeline["concurrent"] = time.monotonic()
            # The registry job (its layer and published tables), in this process, on the same database
            registry_job = defs.resolve_job_def("registry_job")
            registry = registry_job.execute_in_process(
                instance=instance, run_config=quiet, raise_on_error=False, tags={"test": "registry"},
                asset_selection=sorted(registry_job.asset_layer.executable_asset_keys - REGISTRY_LEFT_OUT))
            timeline["registry"] = time.monotonic()
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
            timeline["end"] = time.monotonic()
            print("server test timeline (s):", {k: round(v - timeline["start"], 1) for k, v in timeline.items()},
                  "registry steps (s):", {s.step_key: round((s.end_time or 0) - (s.start_time or 0), 1)
                                          for s in instance.get_run_step_stats(registry.run_id)})
            yield {"server": server, "instance": instance, "queued": queued, "concurrent": concurrent,
                   "overlapped": overlapped, "upstream": upstream, "defs": defs, "home": home, "ticks": ticks,
                   "heartbeats": heartbeats, "backfill_id": backfill.backfill_id, "log_text": log.read_text(),
                   "daemon": daemon, "registry": registry, "identities": identities, "env": env}
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
    stand_ins = {run.run_id for run in server_run["instance"].get_runs(RunsFilter(tags={"test": "stand-in"}))}
    assert len(stand_ins) == 2
    assert run_ids == {run_id for run_id, _ in runs.values()} | {server_run["upstream"].run_id,
                                                                 server_run["registry"].run_id} | stand_ins


def test_runs_materialisations_and_checks_read_back_through_dagster(server_run):
    instance = server_run["instance"]
    assert len(instance.get_runs()) == 6  # upstream, 2 stand-ins, queued, concurrent, registry
    records = instance.fetch_materializations(DELTA, limit=10).records
    assert sorted(r.partition_key for r in records) == sorted([*QUEUED_YEARS, CONCURRENT_YEAR])
    history = instance.event_log_storage.get_asset_check_execution_history(
        AssetCheckKey(DELTA, "delta_is_difference"), limit=10)
    done = [h for h in history if h.status.value == "SUCCEEDED"]
    assert {h.run_id for h in done} == {server_run["queued"].run_id, server_run["concurrent"].run_id}, history
    assert {h.status.value for h in history} <= {"SUCCEEDED", "PLANNED"}, history  # planned: per partition
    evaluation = done[0].event.dagster_event.asset_check_evaluation_data
    assert evaluation.passed and evaluation.metadata["message"].value.startswith("delta_is_difference: ok")


def test_registry_job_on_postgres(server_run):
    """The registry job's run, materialisations and check results, read back through Dagster from PostgreSQL:
    every asset of the job but the profiles, from that run, every check passed; the extracts were read as real
    ones (KEMISKINAN_REGISTRY_EXTRACTS) and pseudonymised with the key from the environment."""
    instance, registry = server_run["instance"], server_run["registry"]
    assert registry.success
    [run] = instance.get_runs(RunsFilter(tags={"test": "registry"}))
    assert (run.job_name, run.status, run.run_id) == ("registry_job", DagsterRunStatus.SUCCESS, registry.run_id)
    job = server_run["defs"].resolve_job_def("registry_job")
    keys = job.asset_layer.executable_asset_keys - REGISTRY_LEFT_OUT
    assert len(keys) == 8
    for key in keys:
        [record] = instance.fetch_materializations(key, limit=5).records
        assert record.run_id == registry.run_id, key
    latest = {key.to_user_string(): instance.get_latest_materialization_event(key).asset_materialization.metadata
              for key in keys}
    assert latest["registry_extracts"]["mode"].value == "real"
    assert latest["registry_ingested"]["key_mode"].value == "env"
    assert latest["registry_ingested"]["individuals"].value > 100_000
    checks = [check for check in job.asset_layer.asset_graph.asset_check_keys if check.asset_key in keys]
    assert len(checks) >= 20
    outcomes = {}
    for check in checks:
        history = instance.event_log_storage.get_asset_check_execution_history(check, limit=5)
        assert [h.run_id for h in history] == [registry.run_id], check
        evaluation = history[0].event.dagster_event.asset_check_evaluation_data
        assert history[0].status.value == ("SUCCEEDED" if evaluation.passed else "FAILED"), check
        outcomes[check.name] = (evaluation.passed, evaluation.severity.value)
    # every blocking check passed (a warning may fail: the decree list's planted unusable NIKs are one)
    assert not [name for name, (passed, severity) in outcomes.items() if not passed and severity == "ERROR"]
    assert sum(passed for passed, _ in outcomes.values()) >= 20, outcomes
    # the stand-ins say what they are
    for name in STAND_INS:
        event = instance.get_latest_materialization_event(AssetKey(name))
        assert instance.get_run_by_id(event.run_id).tags["test"] == "stand-in"


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
        assert cursor.fetchone()[0] == 6
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
    digest = "8c477864a" + "1234567890" + "123456"  # a hash-like id whose digit run is not a NIK
    text = (f'{{"nik": "{first}", "v": -0.1823929961089494, "id": "{digest}",'
            f' "n": {first}2, "t": "NIK {second}."}}')
    assert [m.group() for m in SIXTEEN.finditer(text)] == [first, second]


def test_no_identity_in_postgres(server_run):
    """Every row of every table as text: no 16-digit number, and none of the extracts' NIKs, KK numbers and
    names (the registry run's events, their metadata and check results included)."""
    server, registry = server_run["server"], server_run["registry"].run_id
    numbers, names = server_run["identities"]
    assert len(numbers) > 50_000 and len(names) > 500  # names of 10 characters or more, as test_identities
    name_pattern = re.compile(_trie_pattern(sorted(names)))
    found: dict[str, set[str]] = {}
    with server.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        assert {"runs", "event_logs", "jobs", "job_ticks", "asset_keys", "asset_check_executions"} <= set(tables)
        scanned, registry_rows = 0, 0
        for table in tables:
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')
            for (text,) in cursor.fetchall():
                scanned += len(text)
                registry_rows += registry in text
                hits = [m.group() for m in SIXTEEN.finditer(text)] + [m.group() for m in name_pattern.finditer(text)]
                hits += [number for number in re.findall(r"\d{15,17}", text) if number in numbers]
                if hits:
                    found.setdefault(table, set()).update(hits[:5])
    assert scanned > 100_000 and registry_rows > 100
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


# --- the database: DAGSTER_POSTGRES_URL, or composed from its parts ----------------------------------------

PARTS = {"DAGSTER_PG_HOST": "db.example", "DAGSTER_PG_PORT": "6543", "DAGSTER_PG_USER": "analis@bappeda",
         "DAGSTER_PG_PASSWORD": "p@ss:w/rd%20 #?", "DAGSTER_PG_DB": "kemiskinan_dagster"}


def test_postgres_url_from_parts_matches_dagster_and_sqlalchemy():
    """The URL composed from the parts says what dagster-postgres's own composition of the same parts (its
    `postgres_db` form) says, and SQLAlchemy reads every part back, the awkward characters included (the
    profile also encodes '/', which dagster-postgres leaves as it is)."""
    from dagster_postgres.utils import get_conn_string
    from sqlalchemy.engine import make_url

    def parts(url: str) -> tuple:
        parsed = make_url(url)
        return parsed.drivername, parsed.username, parsed.password, parsed.host, parsed.port, parsed.database

    url = profiles.postgres_url(PARTS)
    assert parts(url) == parts(get_conn_string(
        username=PARTS["DAGSTER_PG_USER"], password=PARTS["DAGSTER_PG_PASSWORD"], hostname="db.example",
        db_name="kemiskinan_dagster", port="6543", scheme="postgresql+psycopg2")) == (
        "postgresql+psycopg2", "analis@bappeda", "p@ss:w/rd%20 #?", "db.example", 6543, "kemiskinan_dagster")
    # no password (peer or .pgpass), default port; a unix socket folder as the host
    assert profiles.postgres_url({"DAGSTER_PG_HOST": "db", "DAGSTER_PG_USER": "u", "DAGSTER_PG_DB": "d"}) == (
        "postgresql+psycopg2://u@db:5432/d")
    assert make_url(profiles.postgres_url({**PARTS, "DAGSTER_PG_HOST": "::1"})).host == "::1"
    socket = make_url(profiles.postgres_url({**PARTS, "DAGSTER_PG_HOST": "/var/run/postgresql"}))
    assert (socket.host, dict(socket.query), socket.password) == (
        None, {"host": "/var/run/postgresql", "port": "6543"}, "p@ss:w/rd%20 #?")


def test_postgres_url_given_wins_and_gets_its_driver():
    given = "postgresql://kemiskinan:s3cret@10.0.0.5:5432/kemiskinan_dagster"
    assert profiles.postgres_url({"DAGSTER_POSTGRES_URL": given, **PARTS}) == given.replace(
        "postgresql://", "postgresql+psycopg2://")
    assert profiles.postgres_url({"DAGSTER_POSTGRES_URL": given.replace("postgresql", "postgres")}) == (
        given.replace("postgresql://", "postgresql+psycopg2://"))
    with pytest.raises(ValueError, match=r"must start with postgresql\+psycopg2://.*not postgresql\+psycopg://") as refused:
        profiles.postgres_url({"DAGSTER_POSTGRES_URL": given.replace("postgresql", "postgresql+psycopg")})
    assert "s3cret" not in str(refused.value)  # the message never repeats the password
    with pytest.raises(ValueError, match="names no database"):
        profiles.postgres_url({"DAGSTER_POSTGRES_URL": "postgresql://u:p@db:5432/"})
    with pytest.raises(ValueError, match="DAGSTER_PG_HOST, DAGSTER_PG_DB missing"):
        profiles.postgres_url({"DAGSTER_PG_USER": "u", "DAGSTER_PG_PASSWORD": "p"})
    assert profiles.postgres_url({}) is None


def test_server_profile_exports_the_url_before_the_instance_opens(monkeypatch, tmp_path):
    """`make run` and the code location build the profile before they open the instance: with only the parts
    set, DAGSTER_POSTGRES_URL is there when deploy/server/dagster.yaml is read. The local profile sets nothing."""
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", "")  # unset (empty), and restored after the test
    for key, value in PARTS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(profiles.DATA_DIR_VAR, str(tmp_path / "data"))
    monkeypatch.setenv("KEMISKINAN_PROFILE", "local")
    profiles.profile_from_env()
    assert os.environ["DAGSTER_POSTGRES_URL"] == ""
    monkeypatch.setenv("KEMISKINAN_PROFILE", "server")
    assert profiles.profile_from_env().name == "server"
    assert os.environ["DAGSTER_POSTGRES_URL"] == profiles.postgres_url(PARTS)
    # k8s reads the parts: an incomplete set (the password only in the run pods) does not stop its code location
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", "")
    monkeypatch.setenv("DAGSTER_PG_USER", "")
    monkeypatch.setenv("KEMISKINAN_PROFILE", "k8s")
    assert profiles.profile_from_env().name == "k8s"
    assert os.environ["DAGSTER_POSTGRES_URL"] == ""


def test_with_postgres_url_wrapper(monkeypatch, capsys):
    """deploy/server/with-postgres-url (the systemd units start through it): the URL composed from the parts in
    the started command's environment. Without any setting, or with a wrong one, `python -m pipelines.profiles
    postgres-url` (which the wrapper calls, `set -e`: nothing is started) exits 1 and says why."""
    wrapper = ROOT / "deploy" / "server" / "with-postgres-url"
    started = subprocess.run([str(wrapper), "sh", "-c", 'printf %s "$DAGSTER_POSTGRES_URL"'], check=False,
                             env={"PATH": "/usr/bin:/bin", **PARTS}, capture_output=True, text=True, timeout=60)
    assert (started.returncode, started.stdout) == (0, profiles.postgres_url(PARTS)), started.stderr
    for key in ("DAGSTER_POSTGRES_URL", *profiles.POSTGRES_PART_VARS.values()):
        monkeypatch.setenv(key, "")
    assert profiles.main(["postgres-url"]) == 1
    assert "neither DAGSTER_POSTGRES_URL nor DAGSTER_PG_HOST" in capsys.readouterr().err
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", "mysql://u:secret@db/d")
    assert profiles.main(["postgres-url"]) == 1
    refused = capsys.readouterr()
    assert refused.out == "" and "not mysql://" in refused.err and "secret" not in refused.err
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", "postgresql://u:secret@db/d")
    assert profiles.main(["postgres-url"]) == 0
    assert capsys.readouterr().out == "postgresql+psycopg2://u:secret@db/d\n"
    for unit in ("daemon", "webserver"):
        text = (ROOT / "deploy" / "server" / f"kemiskinan-{unit}.service").read_text()
        assert "ExecStart=/opt/kemiskinan/deploy/server/with-postgres-url /opt/kemiskinan/.venv/bin/dagster" in text


# --- more than one machine: the k8s and Celery configs, validated by Dagster's schemas ------------------------

DEPLOY_ENV = {"DAGSTER_POSTGRES_URL": "postgresql+psycopg2://dagster:from-a-secret@db.example:5432/kemiskinan",
              "DAGSTER_PG_HOST": "db.example", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_USER": "dagster",
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
    database = yaml.safe_load((ROOT / "deploy" / folder / "dagster.yaml").read_text())["storage"]["postgres"]
    if folder == "k8s":  # by its parts: the run launcher injects DAGSTER_PG_PASSWORD from a Kubernetes secret
        assert storage["postgres_db"]["password"] == "from-a-secret"  # resolved from the environment
        assert all(set(database["postgres_db"][k]) == {"env"} for k in ("hostname", "port", "username", "password",
                                                                          "db_name"))
    else:  # the server and Celery: one URL
        assert storage["postgres_url"] == DEPLOY_ENV["DAGSTER_POSTGRES_URL"]  # resolved from the environment
        assert database == {"postgres_url": {"env": "DAGSTER_POSTGRES_URL"}}
    assert checked["classes"]["run_coordinator_data"][0] == "QueuedRunCoordinator"
    assert checked["classes"]["run_coordinator_data"][1]["max_concurrent_runs"] == 2
    assert checked["config"]["telemetry"]["enabled"] is False and checked["config"]["nux"]["enabled"] is False
    assert checked["config"]["run_monitoring"]["enabled"] is True
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

"""`make run`: materialise every asset for every year on the shipped data, in process; incremental by default.

    python -m scripts.run [JOB ...] [--full] [--select ASSET[,ASSET ...]]

JOB: annual_poverty_job, annual_estimation_job, registry_job (default: all three, in that order).

Only what changed since the job's last complete run is materialised (`scripts/incremental.py`: changed raw
files, changed code, missing or failed materialisations, and everything downstream); `--full` (`make run
FULL=1`) recomputes everything; `--select a,b` starts from named assets.

Exits non-zero when a blocking check fails (nothing downstream of it is materialised, and the published
outputs of the last good run stay as they were), and says which check, file, row and column.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DAGSTER_HOME", str(ROOT / ".dagster_home"))
# As `make run`: the registry's pseudonym key from P3KE_PSEUDONYM_KEY, else the explicit demo mode (public demo
# key, recorded as key_mode=demo; real extracts are refused with it).
os.environ.setdefault("KEMISKINAN_REGISTRY_MODE", "env" if os.environ.get("P3KE_PSEUDONYM_KEY") else "demo")
INSTANCE_CONFIG = ROOT / "deploy" / "local" / "dagster.yaml"  # telemetry off, SQLite: the local profile's instance

import pandas as pd
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    RunsFilter,
)

from assets import settings
from scripts.incremental import INPUTS_TAG

# In the order `make run` runs them: the registry's demo extracts draw on the estimates' population.
JOBS = ("annual_poverty_job", "annual_estimation_job", "registry_job")
USAGE = "usage: python -m scripts.run [JOB ...] [--full] [--select ASSET[,ASSET ...]]   (--help: more)"
# {job: the job it runs beside}: the registry reads the estimates' synthetic population but none of their
# reports (maps, charts, workbook: ~10 s of one core), so in-process it runs in a child process beside them.
RUNS_BESIDE = {"registry_job": "annual_estimation_job"}


def partition_range(defs: Definitions, job_name: str) -> tuple[str, str] | None:
    """First and last partition of a partitioned job (the partitions end at the data's last year)."""
    partitions = defs.resolve_job_def(job_name).partitions_def
    if partitions is None:
        return None
    keys = partitions.get_partition_keys()
    return keys[0], keys[-1]


# Every run of this script carries host:pid, so a later run can tell a run whose process died from one that
# is still going (the UI's runs on the same instance carry no such tag and are never touched).
RUNNER_TAG = "kemiskinan/runner"


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_orphaned_runs(instance: DagsterInstance) -> list[str]:
    """Mark as failed the runs of this script on this host left STARTED by a process that is gone (killed,
    machine reset); returns their run ids. Without this they stay "Started" in the UI forever."""
    host = socket.gethostname()
    orphaned = []
    in_flight = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.NOT_STARTED]
    for run in instance.get_runs(RunsFilter(statuses=in_flight)):
        runner_host, _, pid = run.tags.get(RUNNER_TAG, "").rpartition(":")
        if runner_host == host and pid.isdigit() and not _alive(int(pid)):
            instance.report_run_failed(run, message=f"the process that ran it ({runner_host}, pid {pid}) ended "
                                                    f"without finishing it (killed or interrupted)")
            orphaned.append(run.run_id)
    return orphaned


def write_instance_without_fsync(home: Path) -> None:
    """SQLite files of the instance under `home` (the `local` profile) are written with `PRAGMA synchronous=OFF`
    in this process: Dagster opens, commits and closes a connection per event (~1,200 in `make run FULL=1`), and
    each commit and close-time checkpoint waited for an fsync: 25-60 ms an event on this machine's shared disk
    under load, against ~10 ms of CPU. Without fsync a killed run loses nothing (the kernel holds the pages);
    only a power cut or kernel crash during a run can leave `.dagster_home` damaged, and then
    `rm -rf .dagster_home && make run FULL=1` rebuilds it (outputs and storage are written elsewhere, atomically).
    Other SQLite files and other databases (the server profiles' PostgreSQL) are left alone."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if os.environ.get("KEMISKINAN_INSTANCE_FSYNC"):  # set: keep SQLite's fsync on every commit
        return
    root = str(home.resolve())
    if root in _NO_FSYNC_HOMES:
        return
    _NO_FSYNC_HOMES.add(root)

    def _no_fsync(dbapi_connection, _record) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        cursor = dbapi_connection.cursor()
        try:
            files = [row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main"]
            if files and files[0] and os.path.realpath(files[0]).startswith(root + os.sep):
                cursor.execute("PRAGMA synchronous=OFF")
        finally:
            cursor.close()

    event.listen(Engine, "connect", _no_fsync)


_NO_FSYNC_HOMES: set[str] = set()  # instance folders whose listener this process has registered


def run_pipeline(instance: DagsterInstance | None = None, tags: dict | None = None, log_level: str = "ERROR",
                 job_name: str = "annual_poverty_job", defs: Definitions | None = None,
                 asset_selection: list[AssetKey] | None = None, asset_config: dict | None = None):
    """Run one job (or the selected assets of it) for every year partition, in one run; returns the result.

    asset_config: {asset name: its config} for assets of this job (as the UI's launchpad `ops:` section)."""
    if defs is None:
        from pipelines.definitions import defs

    job = defs.resolve_job_def(job_name)
    span = partition_range(defs, job_name)
    run_tags = {RUNNER_TAG: runner_id()}
    if span is not None:  # every partition, unless the caller's tags give a range
        run_tags.update({"dagster/asset_partition_range_start": span[0],
                         "dagster/asset_partition_range_end": span[1]})
    run_tags.update(tags or {})
    run_config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if asset_config:
        run_config["ops"] = {name: {"config": config} for name, config in asset_config.items()}
    if job.executor_def.name != "in_process":  # server profiles: the profile's executor runs the steps
        return _execute_with_profile_executor(job_name, instance, run_tags, run_config, asset_selection)
    return job.execute_in_process(instance=instance, tags=run_tags, raise_on_error=False, run_config=run_config,
                                  asset_selection=asset_selection)


def _execute_with_profile_executor(job_name, instance, tags, run_config, asset_selection):
    """The job from the code location (as the daemon loads it), on the executor of the deployment profile:
    the multiprocess executor under `server` (docs/team-server.md)."""
    from dagster import execute_job
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    job = ReconstructableRepository.for_module("pipelines.definitions", "defs", str(ROOT)).get_reconstructable_job(
        job_name)
    with execute_job(job, instance=instance or DagsterInstance.get(), tags=tags, run_config=run_config,
                     asset_selection=asset_selection) as result:
        return result


def check_failures(result) -> tuple[list, list]:
    errors, warnings = [], []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            continue
        message = evaluation.metadata.get("message")
        text = message.value if message is not None else evaluation.check_name
        entry = (evaluation.asset_key.to_user_string(), evaluation.check_name, text)
        (errors if evaluation.severity == AssetCheckSeverity.ERROR else warnings).append(entry)
    return errors, warnings


def estimates_summary(tables_dir: Path) -> str:
    sae = pd.read_parquet(tables_dir / "estimates_sae.parquet")
    direct = pd.read_parquet(tables_dir / "estimates_direct.parquet")
    rows = ["  Extreme poverty (synthetic Susenas-like sample; direct vs Fay-Herriot EBLUP, benchmarked):"]
    for code in ["3576", "3517", "3602"]:
        for year in sorted(sae["year"].unique())[-2:]:
            m = sae[(sae["bps_code"] == code) & (sae["year"] == year) & (sae["indicator"] == "extreme")]
            d = direct[(direct["bps_code"] == code) & (direct["year"] == year) & (direct["indicator"] == "extreme")]
            if m.empty or d.empty:
                continue
            m, d = m.iloc[0], d.iloc[0]
            rows.append(f"  {m['name']:<22} {year}  direct {100 * d['estimate']:5.2f}% (CV {100 * d['cv']:5.1f}%)  "
                        f"EBLUP {100 * m['benchmarked']:5.2f}% (RSE {100 * m['rse']:5.1f}%, {m['flag']})  "
                        f"{round(m['persons']):,} jiwa  [{m['line_definition']}]")
    return "\n".join(rows)


def summary_table(tables_dir: Path) -> str:
    kab = pd.read_parquet(tables_dir / "p0_deltas_kabkota.parquet")
    prov = pd.read_parquet(tables_dir / "p0_province_panel.parquet")
    latest = int(kab["year"].max())
    rows = []
    for code in ["3517", "3576", "3602", "6271"]:
        for year in (latest - 1, latest):
            row = kab[(kab["bps_code"] == code) & (kab["year"] == year)]
            if not row.empty:
                r = row.iloc[0]
                rows.append(f"  {r['name']:<22} {year}  P0 {r['p0']:6.2f}  ({r['delta_p0_pp']:+.2f} pp)  "
                            f"miskin {r['poor_thousand']:8.2f} ribu ({int(r['delta_poor_persons']):+,} jiwa)")
    for code, label in [("3500", "Jawa Timur"), ("0000", "Indonesia")]:
        for year in (latest - 1, latest):
            row = prov[(prov["bps_code"] == code) & (prov["year"] == year)]
            if not row.empty:
                rows.append(f"  {label:<22} {year}  P0 {row['p0'].iloc[0]:6.2f}")
    return "\n".join(rows)


class RunInProgress(RuntimeError):
    """Another `make run` holds the data folder."""


@contextlib.contextmanager
def exclusive_run(data_dir: Path) -> Iterator[None]:
    """Hold `data_dir/.run.lock` for the whole run, or raise RunInProgress at once.

    Two runs writing one output folder would leave it mixed from both; the second one refuses instead. The
    lock is the kernel's (flock): a killed run releases it, so there is no stale lock to clean up.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".run.lock", "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunInProgress(f"another run is writing {data_dir} ({holder}); wait for it to finish and run "
                                f"again") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {dt.datetime.now().isoformat(timespec='seconds')}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class _Outcome:
    """What one run (or a run beside it) gave: blocking and warning check lines, assets materialised, step
    failures as (step, message), and whether it succeeded."""
    ok: bool
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    materialised: set = field(default_factory=set)
    failures: list = field(default_factory=list)

    @classmethod
    def of(cls, result) -> _Outcome:
        errors, warnings = check_failures(result)
        failures = [(e.step_key, failure_text(e.event_specific_data.error))
                    for e in result.all_events if e.is_step_failure]
        return cls(result.success and not errors, errors, warnings,
                   {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}, failures)

    def merge(self, other: _Outcome) -> _Outcome:
        return _Outcome(self.ok and other.ok, self.errors + other.errors, self.warnings + other.warnings,
                        self.materialised | other.materialised, self.failures + other.failures)

    def to_json(self) -> str:
        return json.dumps({"ok": self.ok, "errors": self.errors, "warnings": self.warnings,
                           "materialised": sorted(self.materialised), "failures": self.failures})

    @classmethod
    def from_json(cls, text: str) -> _Outcome:
        data = json.loads(text)
        return cls(data["ok"], [tuple(e) for e in data["errors"]], [tuple(w) for w in data["warnings"]],
                   set(data["materialised"]), [tuple(f) for f in data["failures"]])


def failure_text(error) -> str:
    """One line for a step that raised: Dagster wraps the exception ("Error occurred while executing op ..."),
    so the innermost cause says what went wrong (`SerializableErrorInfo`: cls_name, message, cause, context)."""
    innermost = error
    while getattr(innermost, "cause", None) is not None:
        innermost = innermost.cause
    text = innermost.message if innermost is error else f"{innermost.cls_name}: {innermost.message}"
    return " ".join(str(text).split())


def _what(defs: Definitions, job_name: str, keys: list[AssetKey] | None) -> str:
    span = partition_range(defs, job_name)
    years = f" for years {span[0]}-{span[1]}" if span else ""
    return ("every asset" if keys is None else f"{len(keys)} asset(s)") + years


def _overlap(defs: Definitions, job_name: str, keys: list[AssetKey] | None,
             following: tuple[str, list[AssetKey] | None, str]) -> tuple[list[AssetKey], list[AssetKey]] | None:
    """(first, rest) when the next job can run beside part of this one: `first` is what of this job the next
    one reads (whole steps: every output of a multi-asset), `rest` the others (reports nobody in the next job
    reads). None when there is nothing to overlap. Only for in-process runs (a profile's parallel executor
    overlaps steps itself)."""
    next_job, next_keys, _ = following
    if RUNS_BESIDE.get(next_job) != job_name:
        return None
    graph = defs.resolve_asset_graph()
    mine = set(keys) if keys is not None else set(defs.resolve_job_def(job_name).asset_layer.executable_asset_keys)
    theirs = (set(next_keys) if next_keys is not None
              else set(defs.resolve_job_def(next_job).asset_layer.executable_asset_keys))
    read = set(AssetSelection.assets(*theirs).upstream().resolve(graph)) & mine
    first = (set(AssetSelection.assets(*read).required_multi_asset_neighbors().upstream().resolve(graph)) & mine
             if read else set())
    rest = mine - first
    if not first or not rest:
        return None
    return sorted(first, key=AssetKey.to_user_string), sorted(rest, key=AssetKey.to_user_string)


class _Child:
    """A child process (`python -m scripts.run --child`) that loads the pipeline (the Definitions, Great
    Expectations' context) while this process works, then runs the one job it is given (`run`) and writes its
    outcome to a file this process reads back (`outcome`). It holds no lock (this process holds the data folder's
    for both) and ends as soon as this process is gone, or without running anything when it is closed first."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="kemiskinan-child-"))
        self.result = self.folder / "outcome.json"
        self.job_name = ""
        self.process = subprocess.Popen([sys.executable, "-m", "scripts.run", "--child", str(os.getpid()),
                                         str(self.result)], cwd=ROOT, stdin=subprocess.PIPE, text=True)

    def run(self, job_name: str, keys: list[AssetKey] | None, tags: dict | None) -> None:
        """Start `job_name` (or `keys` of it) in the child; returns at once."""
        self.job_name = job_name
        spec = {"job": job_name, "keys": None if keys is None else [k.to_user_string() for k in keys],
                "tags": tags}
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):  # a child that died says so in `outcome`
            self.process.stdin.write(json.dumps(spec) + "\n")
            self.process.stdin.close()

    def outcome(self) -> _Outcome:
        code = self.process.wait()
        if code == 0 and self.result.exists():
            return _Outcome.from_json(self.result.read_text(encoding="utf-8"))
        said = f"the process running {self.job_name} exited with code {code} before reporting"
        return _Outcome(False, failures=[(self.job_name, said)])

    def close(self, killed: bool = False) -> None:
        """End the child: told nothing, it exits on its own; `killed` (this process is failing) stops a run."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.process.stdin.close()
        if killed and self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def started_child() -> Iterator[_Child]:
    child = _Child()
    try:
        yield child
    except BaseException:
        child.close(killed=True)
        raise
    child.close()


def child_main(parent: int, result: Path) -> int:
    """The child of `_Child`: loads the pipeline, then waits for one job on stdin (EOF: nothing to do) and
    runs it on the instance of DAGSTER_HOME."""
    from estimation.parallel import die_with_parent

    die_with_parent(parent)
    from checks.gx_bridge import prepare_context
    from pipelines.definitions import defs

    prepare_context()
    home = Path(os.environ["DAGSTER_HOME"])
    write_instance_without_fsync(home)
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    spec = json.loads(line)
    keys = None if spec["keys"] is None else [AssetKey.from_user_string(k) for k in spec["keys"]]
    outcome = _Outcome.of(run_pipeline(DagsterInstance.get(), job_name=spec["job"], defs=defs,
                                       asset_selection=keys, log_level="CRITICAL", tags=spec["tags"]))
    result.write_text(outcome.to_json(), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m scripts.run [job ...]`: all jobs, one run at a time per data folder (see `exclusive_run`)."""
    argv = argv if argv is not None else sys.argv[1:]
    if {"-h", "--help"} & set(argv):
        print(__doc__)
        return 0
    if argv[:1] == ["--child"]:
        return child_main(int(argv[1]), Path(argv[2]))
    try:
        with exclusive_run(settings.data_dir()):
            return _run(argv)
    except RunInProgress as busy:
        print(f"Not started: {busy}.", file=sys.stderr)
        return 3


def _arguments(argv: list[str]) -> tuple[list[str], list[str], bool]:
    """(jobs, assets of `--select a,b`, --full): the jobs to run, when given the assets to start from, and
    whether to recompute everything instead of what changed since the last complete run."""
    jobs, assets, rest, full = [], [], list(argv), False
    while rest:
        arg = rest.pop(0)
        if arg.startswith("--select"):
            value = arg.split("=", 1)[1] if "=" in arg else (rest.pop(0) if rest else "")
            names = [a for a in value.split(",") if a]
            if not names:
                raise UsageError("--select needs asset names, e.g. --select raw_p0_kabkota")
            assets += names
        elif arg == "--full":
            full = True
        elif arg.startswith("-"):
            raise UsageError(f"unknown option {arg}")
        else:
            jobs.append(arg)
    return jobs or list(JOBS), assets, full


class UsageError(ValueError):
    """A command line `scripts.run` cannot run: said in one line, with the usage."""


def _unknown_assets(unknown: set[str], every: set[str]) -> str:
    """"unknown asset(s) [...]" with the names meant (close spellings, or the outputs of a step of that name)."""
    import difflib

    hints = []
    for name in sorted(unknown):
        close = sorted(a for a in every if a.startswith(name + "_")) or difflib.get_close_matches(name, every, 3)
        if close:
            hints.append(f"{name}: did you mean {', '.join(close)}?")
    return f"unknown asset(s) {sorted(unknown)}" + (f" ({'; '.join(hints)})" if hints else "")


def _downstream_keys(defs, job_name: str, assets: list[str], instance: DagsterInstance) -> list[AssetKey] | None:
    """The assets of `job_name` that are `assets` or downstream of them, plus the upstream ones never
    materialised in this instance (their stored value is needed); None: the whole job."""
    if not assets:
        return None
    graph = defs.resolve_asset_graph()
    job_keys = defs.resolve_job_def(job_name).asset_layer.executable_asset_keys
    # one output of a multi-asset (`susenas_sample` of `poverty_estimates`) runs with its step's other outputs,
    # and what depends on any of them runs after
    wanted = set(AssetSelection.assets(*assets).required_multi_asset_neighbors().downstream()
                 .required_multi_asset_neighbors().resolve(graph))
    missing = {key for key in AssetSelection.assets(*assets).upstream().resolve(graph)
               if instance.get_latest_materialization_event(key) is None}
    wanted |= set(AssetSelection.assets(*missing).required_multi_asset_neighbors().resolve(graph)) if missing else set()
    return [key for key in wanted if key in job_keys]


def _plans(defs, instance: DagsterInstance, jobs: list[str], start_from: list[str], full: bool
           ) -> tuple[list[tuple[str, list[AssetKey] | None, str]], dict | None]:
    """[(job, asset keys or None for all, why)], and the inputs' fingerprint to record (None for --select)."""
    from scripts.incremental import fingerprint, plan

    raw_dir, extracts = settings.raw_dir(), settings.registry_extracts_dir()
    extracts_dir = Path(extracts) if extracts else None
    if start_from:
        return [(job, _downstream_keys(defs, job, start_from, instance), f"from {', '.join(start_from)}")
                for job in jobs], None
    if full:
        return [(job, None, "--full") for job in jobs], fingerprint(raw_dir, extracts_dir)
    plans, inputs = plan(defs, instance, jobs, raw_dir, extracts_dir)
    return [(p.job, p.keys, p.reason) for p in plans], inputs


def _run(argv: list[str] | None) -> int:
    """`python -m scripts.run [job ...] [--select asset,...]`: all jobs by default (tables, estimates, then
    the registry); with --select, only those assets and what depends on them (the rest is read from storage;
    what was never materialised is materialised too)."""
    try:
        selected, start_from, full = _arguments(argv if argv is not None else sys.argv[1:])
    except UsageError as wrong:
        print(f"{wrong}\n\n{USAGE}", file=sys.stderr)
        return 2
    unknown = set(selected) - set(JOBS)
    if unknown:
        print(f"unknown job(s) {sorted(unknown)}; choose from {list(JOBS)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        from pipelines.definitions import defs
    except ValueError as unreadable:  # the years come from the P0 export: unreadable, no Definitions at all
        print(f"\nNot started: the pipeline's definitions could not be built; nothing ran and the published "
              f"outputs of the last good run are unchanged in {settings.outputs_dir()}.", file=sys.stderr)
        print(f"FAILED  definitions: {' '.join(str(unreadable).split())}", file=sys.stderr)
        return 1

    every = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    if set(start_from) - every:
        print(_unknown_assets(set(start_from) - every, every), file=sys.stderr)
        return 2

    home = Path(os.environ["DAGSTER_HOME"])
    if not (home / "dagster.yaml").exists():
        home.mkdir(parents=True, exist_ok=True)
        from pipelines.profiles import profile_name

        shutil.copy(ROOT / "deploy" / profile_name() / "dagster.yaml", home / "dagster.yaml")
    write_instance_without_fsync(home)
    instance = DagsterInstance.get()
    for run_id in fail_orphaned_runs(instance):
        print(f"Marked run {run_id} as failed: the process that ran it was killed before it finished.")
    errors, warnings, materialised, success, failures = [], [], set(), True, []
    plans, inputs = _plans(defs, instance, [job for job in JOBS if job in selected], start_from, full)
    # A run that materialises what the plan asked for records the inputs it saw (--select runs do not).
    tags = {INPUTS_TAG: json.dumps(inputs, sort_keys=True)} if inputs is not None else None
    if start_from and all(keys == [] for _, keys, _ in plans):
        print(f"Nothing in {', '.join(job for job, _, _ in plans)} is or depends on {', '.join(start_from)} "
              f"(the jobs: {', '.join(JOBS)}).", file=sys.stderr)
    todo = list(plans)
    # In process, the job that runs beside another (the registry) runs in a child started now: it loads the
    # pipeline on the core this process leaves idle while it runs the tables job.
    beside_jobs = {job for job, keys, _ in todo if job in RUNS_BESIDE and keys != []}
    in_process = all(defs.resolve_job_def(job).executor_def.name == "in_process" for job, _, _ in todo)
    with started_child() if beside_jobs and in_process else contextlib.nullcontext() as child:
        while todo:
            job_name, keys, why = todo.pop(0)
            if keys == []:
                print(f"{job_name}: up to date ({why})", flush=True)
                continue
            print(f"{job_name}: materialising {_what(defs, job_name, keys)} ({why}) ...", flush=True)
            beside = _overlap(defs, job_name, keys, todo[0]) if todo and child is not None else None
            if child is not None and job_name in RUNS_BESIDE:  # nothing of its own job to run beside
                child.run(job_name, keys, tags)
                outcome = child.outcome()
            elif beside is None:
                outcome = _Outcome.of(run_pipeline(instance, job_name=job_name, defs=defs, asset_selection=keys,
                                                   log_level="CRITICAL", tags=tags))
            else:
                first, rest = beside
                outcome = _Outcome.of(run_pipeline(instance, job_name=job_name, defs=defs, asset_selection=first,
                                                   log_level="CRITICAL"))
                if outcome.ok:  # what the next job reads is there: it runs in the child beside the rest
                    next_job, next_keys, next_why = todo.pop(0)
                    print(f"{next_job}: materialising {_what(defs, next_job, next_keys)} ({next_why}), beside "
                          f"the rest of {job_name} ...", flush=True)
                    child.run(next_job, next_keys, tags)
                    outcome = outcome.merge(_Outcome.of(run_pipeline(
                        instance, job_name=job_name, defs=defs, asset_selection=rest, log_level="CRITICAL",
                        tags=tags)))
                    outcome = outcome.merge(child.outcome())
            errors += outcome.errors
            warnings += outcome.warnings
            materialised |= outcome.materialised
            failures = outcome.failures
            if not outcome.ok:
                success = False
                break
    elapsed = time.perf_counter() - started
    for asset, check, text in warnings:
        print(f"WARNING {asset}: {text}")
    if errors or not success:
        # What stopped the run comes last, one line each, without a traceback.
        print(f"\nRun stopped by a blocking check or an error after {elapsed:.1f} s; "
              f"{len(materialised)} asset(s) materialised; nothing downstream of the failure ran, and the "
              f"published outputs of the last good run are unchanged in {settings.outputs_dir()}.", file=sys.stderr)
        for step, message in failures:
            if not (errors and "asset check" in message):  # the check's own line below says it better
                print(f"FAILED  step {step}: {message}", file=sys.stderr)
        for asset, check, text in errors:
            print(f"FAILED  {asset}: {' '.join(text.split())}", file=sys.stderr)
        return 1
    print(f"\nOK: {len(materialised)} asset(s) materialised, {len(warnings)} warning check(s), in {elapsed:.1f} s.\n")
    if not (settings.outputs_dir() / "tables" / "p0_deltas_kabkota.parquet").exists():
        return 0
    print(summary_table(settings.outputs_dir() / "tables"))
    if "annual_estimation_job" in selected:
        print(estimates_summary(settings.outputs_dir() / "tables"))
    print(f"\nTables: {settings.outputs_dir() / 'tables'}\nCharts: {settings.outputs_dir() / 'charts'}")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Every output is written, closed and published by now. The interpreter's own shutdown has been seen to abort
    # ("terminate called without an active exception", exit 134) once in ten runs after a complete run: a C++
    # thread pool of a native library still up while its globals are destroyed. Exiting here skips that.
    os._exit(code)

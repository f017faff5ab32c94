"""The `server` profile under load: every yearly partition of the estimation job backfilled at once (one
single-run backfill, the project's backfill policy) with the multiprocess executor, on a throwaway PostgreSQL.

Reports the wall time, the CPU time and the peak memory of the whole process tree (the run's process, its
forkserver and the step processes, sampled from /proc every 0.2 s): PSS summed over the tree (shared pages
divided among the processes that share them: the real footprint) and RSS summed (shared pages counted in every
process: an upper bound). Also home of `throwaway_postgres`,
the PostgreSQL cluster the bench and tests/pipeline/test_server_profile.py start.

Usage: `python -m benchmarks.bench_server` (or `make bench`, lines `server_*`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_INSTANCE = ROOT / "deploy" / "server" / "dagster.yaml"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (or no user to run them as): the caller skips."""


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str
    db: str
    data_dir: Path

    def env(self) -> dict[str, str]:
        """The variable deploy/server/dagster.yaml reads (the password is URL-safe: secrets.token_urlsafe)."""
        return {"DAGSTER_POSTGRES_URL": f"postgresql+psycopg2://{self.user}:{self.password}@{self.host}:{self.port}/{self.db}"}

    def connect(self):
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                                dbname=self.db)

    def postmaster_pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return None
        first = pid_file.read_text().splitlines()[:1]
        return int(first[0]) if first and first[0].isdigit() else None


def postgres_bindir() -> Path:
    """The folder of `initdb`/`pg_ctl`: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not candidates:
        raise PostgresUnavailable("PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin; "
                                  "Debian: apt-get install postgresql)")
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_running(pid: int, wait: float = 0.0) -> bool:
    """Whether `pid` is a live process (a zombie awaiting its parent's reaping is not), waiting up to `wait` s
    for it to end."""
    deadline = time.monotonic() + wait
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        if state in ("Z", "X"):
            return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.1)


def _run_as(owner: pwd.struct_passwd | None, args: list[str], **kwargs) -> subprocess.CompletedProcess:
    if owner is not None:
        kwargs.update(user=owner.pw_uid, group=owner.pw_gid, extra_groups=[])
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


@contextlib.contextmanager
def throwaway_postgres(db: str = "kemiskinan") -> Iterator[PgServer]:
    """A PostgreSQL cluster of its own: `initdb` into a temporary folder (as the `postgres` user when run as
    root: initdb refuses root), password authentication on a free loopback port, unix socket in the same
    folder, durability off (a test cluster). Stopped and deleted on exit, whatever happens."""
    bindir = postgres_bindir()
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable("running as root and there is no `postgres` user to run initdb as") from None
    base = Path(tempfile.mkdtemp(prefix="kemiskinan-pg-"))  # /tmp, reachable by the postgres user
    data_dir, log = base / "data", base / "server.log"
    password = secrets.token_urlsafe(18)
    (base / "pwfile").write_text(password + "\n")
    os.chmod(base / "pwfile", 0o600)
    if owner is not None:
        for path in (base, base / "pwfile"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    started = False
    try:
        _run_as(owner, [str(bindir / "initdb"), "-D", str(data_dir), "-U", "dagster", "--pwfile", str(base / "pwfile"),
                        "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                        "--no-sync"])
        (base / "pwfile").unlink()
        options = (f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   f"-c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB")
        _run_as(owner, [str(bindir / "pg_ctl"), "-D", str(data_dir), "-l", str(log), "-o", options, "-w", "-t", "60",
                        "start"])
        started = True
        server = PgServer("127.0.0.1", port, "dagster", password, db, data_dir)
        import psycopg2

        admin = psycopg2.connect(host=server.host, port=port, user="dagster", password=password, dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{db}"')
        admin.close()
        yield server
    finally:
        if started:
            pid_file = data_dir / "postmaster.pid"
            pid = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
            _run_as(owner, [str(bindir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "-t", "60", "stop"])
            if pid is not None and process_running(pid, wait=10.0):
                raise RuntimeError(f"PostgreSQL (pid {pid}) still running after pg_ctl stop")
        shutil.rmtree(base, ignore_errors=True)


def install_instance(home: Path) -> Path:
    """DAGSTER_HOME with the server profile's instance configuration, as an operator installs it."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(SERVER_INSTANCE, home / "dagster.yaml")
    (home / "compute_logs").mkdir(exist_ok=True)
    return home


def server_env(server: PgServer, home: Path, data_dir: Path, max_concurrent: int = 2,
               max_runs: int = 2) -> dict[str, str]:
    """The environment a server process runs with (docs/team-server.md): profile, instance, folders, database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(
        ("DAGSTER_PG_", "DAGSTER_POSTGRES_URL", "KEMISKINAN_"))}
    env.update(server.env())
    env.update(PYTHONPATH=str(ROOT), DAGSTER_HOME=str(home), DAGSTER_DISABLE_TELEMETRY="1", MPLBACKEND="Agg",
               KEMISKINAN_PROFILE="server", KEMISKINAN_DATA_DIR=str(data_dir),
               KEMISKINAN_MAX_CONCURRENT=str(max_concurrent), DAGSTER_MAX_CONCURRENT_RUNS=str(max_runs),
               DAGSTER_COMPUTE_LOGS_DIR=str(home / "compute_logs"))
    return env


def _pss_bytes(pid: int) -> int:
    """Proportional set size: resident pages, those shared with other processes (the forkserver's children
    share its imported modules) divided among them. Sums over processes to the memory they really take."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree_sample(root_pid: int) -> tuple[int, int, dict[tuple[int, int], float]]:
    """RSS and PSS summed over a process and all its descendants (from /proc), and the CPU seconds (user +
    system) each of them has used so far, keyed by (pid, start time)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = Path(stat).read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        pid = int(stat.split("/")[2])
        stats[pid] = fields
        children.setdefault(int(fields[1]), []).append(pid)
    rss, pss, cpu, todo = 0, 0, {}, [root_pid]
    page, tick = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        fields = stats.get(pid)
        if fields is None:
            continue
        rss += int(fields[21]) * page  # field 24 of stat: resident pages
        pss += _pss_bytes(pid)
        cpu[(pid, int(fields[19]))] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return rss, pss, cpu


@dataclass
class Measured:
    wall_s: float
    peak_rss_bytes: int  # upper bound: pages shared after a fork counted in every process
    peak_pss_bytes: int  # the tree's real footprint
    cpu_s: float  # summed over the process tree (processes shorter than the sampling interval are missed)
    output: str


def run_measured(command: list[str], env: dict[str, str], interval: float = 0.2) -> Measured:
    """Run a command; wall seconds, peak RSS and PSS of its process tree, CPU seconds of the tree, output."""
    started = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        peak, peak_pss, cpu = 0, 0, {}
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, peak_pss
            while not done.is_set():
                rss, pss, seen = _tree_sample(process.pid)
                peak, peak_pss = max(peak, rss), max(peak_pss, pss)
                cpu.update(seen)
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        done.set()
        sampler.join()
        elapsed = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} exited {code}:\n{output[-4000:]}")
    return Measured(elapsed, peak, peak_pss, sum(cpu.values()), output)


def backfill_estimation(max_concurrent: int = 2) -> dict[str, float]:
    """The tables job first (what the estimates read: raw, validated, deltas), then every estimation round
    and the reports on them in one run, each as `make run` runs it under the profile (`python -m scripts.run
    <job>`: every partition in one run, the multiprocess executor), against a throwaway PostgreSQL."""
    from dagster import DagsterInstance, DagsterRunStatus

    from assets.partitions import DataCalendar

    calendar = DataCalendar.from_raw(ROOT / "data" / "raw")
    years = calendar.estimation_partitions.get_partition_keys()
    with throwaway_postgres() as server, tempfile.TemporaryDirectory(prefix="kemiskinan-server-") as tmp:
        home = install_instance(Path(tmp) / "dagster_home")
        env = server_env(server, home, Path(tmp) / "data", max_concurrent=max_concurrent)
        upstream = run_measured([sys.executable, "-m", "scripts.run", "annual_poverty_job"], env)
        backfill = run_measured([sys.executable, "-m", "scripts.run", "annual_estimation_job"], env)
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            with DagsterInstance.get() as instance:
                runs = instance.get_runs()
                assert [run.status for run in runs] == [DagsterRunStatus.SUCCESS] * 2, [r.status for r in runs]
                assert runs[0].job_name == "annual_estimation_job"
                tags = runs[0].tags
                assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
                    years[0], years[-1])
                materialised = {(r.asset_key.to_user_string(), r.partition_key)
                                for key in instance.get_asset_keys()
                                for r in instance.fetch_materializations(key, limit=100).records}
                assert {("sae_estimates", year) for year in years} <= materialised, materialised
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return {"partitions": float(len(years)), "wall_s": backfill.wall_s, "peak_rss_mb": backfill.peak_rss_bytes / 2**20,
            "peak_pss_mb": backfill.peak_pss_bytes / 2**20, "cpu_s": backfill.cpu_s,
            "upstream_wall_s": upstream.wall_s, "upstream_peak_pss_mb": upstream.peak_pss_bytes / 2**20}


def run() -> list[tuple[str, float, str]]:
    try:
        figures = backfill_estimation()
    except PostgresUnavailable as missing:
        print(f"# bench_server: skipped, {missing}", file=sys.stderr)
        return []
    return [
        ("server_backfill_estimation_partitions", figures["partitions"], "partitions"),
        ("server_backfill_estimation_wall", round(figures["wall_s"], 2), "s"),
        ("server_backfill_estimation_peak_pss", round(figures["peak_pss_mb"], 1), "MiB"),
        ("server_backfill_estimation_peak_rss_sum", round(figures["peak_rss_mb"], 1), "MiB"),
        ("server_backfill_estimation_cpu", round(figures["cpu_s"], 1), "s"),
        ("server_tables_job_wall", round(figures["upstream_wall_s"], 2), "s"),
        ("server_tables_job_peak_pss", round(figures["upstream_peak_pss_mb"], 1), "MiB"),
    ]


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name} {value:.4g} {unit}")

"""The `server` profile under load: every yearly partition of the estimation job backfilled at once (one
single-run backfill, the project's backfill policy) with the multiprocess executor, on a throwaway PostgreSQL.

Reports the wall time and the peak memory of the whole process tree (the `dagster asset materialize` process,
its forkserver and the step processes: RSS summed over the tree, sampled from /proc every 0.2 s). Also home
of `throwaway_postgres`, the PostgreSQL cluster the bench and tests/pipeline/test_server_profile.py start.

Usage: `python -m benchmarks.bench_server` (or `make bench`, line `server_backfill_*`).
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
        """The variables deploy/server/dagster.yaml reads."""
        return {"DAGSTER_PG_HOST": self.host, "DAGSTER_PG_PORT": str(self.port), "DAGSTER_PG_USER": self.user,
                "DAGSTER_PG_PASSWORD": self.password, "DAGSTER_PG_DB": self.db}

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
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DAGSTER_PG_", "KEMISKINAN_"))}
    env.update(server.env())
    env.update(PYTHONPATH=str(ROOT), DAGSTER_HOME=str(home), DAGSTER_DISABLE_TELEMETRY="1", MPLBACKEND="Agg",
               KEMISKINAN_PROFILE="server", KEMISKINAN_DATA_DIR=str(data_dir),
               KEMISKINAN_MAX_CONCURRENT=str(max_concurrent), DAGSTER_MAX_CONCURRENT_RUNS=str(max_runs),
               DAGSTER_COMPUTE_LOGS_DIR=str(home / "compute_logs"))
    return env


def dagster_cli(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "dagster"), *args]


def materialize_command(select: str, partition_range: str | None = None) -> list[str]:
    """`dagster asset materialize` on the code location: one run, the Definitions' executor (multiprocess
    under the server profile), recorded in the instance of DAGSTER_HOME."""
    command = dagster_cli("asset", "materialize", "-m", "pipelines.definitions", "-d", str(ROOT), "--select", select)
    if partition_range:
        command += ["--partition-range", partition_range]
    return command


def _tree_sample(root_pid: int) -> tuple[int, dict[tuple[int, int], float]]:
    """RSS summed over a process and all its descendants (from /proc), and the CPU seconds (user + system)
    each of them has used so far, keyed by (pid, start time)."""
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
    rss, cpu, todo = 0, {}, [root_pid]
    page, tick = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        fields = stats.get(pid)
        if fields is None:
            continue
        rss += int(fields[21]) * page  # field 24 of stat: resident pages
        cpu[(pid, int(fields[19]))] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return rss, cpu


@dataclass
class Measured:
    wall_s: float
    peak_rss_bytes: int
    cpu_s: float  # summed over the process tree (processes shorter than the sampling interval are missed)
    output: str


def run_measured(command: list[str], env: dict[str, str], interval: float = 0.2) -> Measured:
    """Run a command; wall seconds, peak RSS of its process tree, CPU seconds of the tree, its output."""
    started = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        peak, cpu = 0, {}
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                rss, seen = _tree_sample(process.pid)
                peak = max(peak, rss)
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
    return Measured(elapsed, peak, sum(cpu.values()), output)


UPSTREAM = ("raw_region_reference,raw_dapoer_2019,raw_extreme_province_2023,raw_extreme_national,raw_p0_kabkota,"
            "raw_poor_kabkota,raw_klasifikasi_2021,raw_poverty_line_2024_byname,raw_jateng_2020_2025,"
            "raw_poverty_line_2025_webapi,raw_kabkota_2023_p0_p1_p2_gk,raw_news_quoted_figures,raw_p0_daerah_rows,"
            "raw_poor_daerah_rows,region_reference,p0_province_validated,p0_kabkota_validated")
ESTIMATION = ("synthetic_population_truth,synthetic_calibration,synthetic_household_expenditure,susenas_sample,"
              "direct_estimates,sae_fit,sae_estimates")


def backfill_estimation(max_concurrent: int = 2) -> dict[str, float]:
    """Upstream tables once, then every estimation round in one run with the multiprocess executor."""
    from dagster import DagsterInstance, DagsterRunStatus

    from assets.partitions import DataCalendar

    calendar = DataCalendar.from_raw(ROOT / "data" / "raw")
    years = calendar.estimation_partitions.get_partition_keys()
    with throwaway_postgres() as server, tempfile.TemporaryDirectory(prefix="kemiskinan-server-") as tmp:
        home = install_instance(Path(tmp) / "dagster_home")
        env = server_env(server, home, Path(tmp) / "data", max_concurrent=max_concurrent)
        upstream = run_measured(materialize_command(UPSTREAM), env)
        backfill = run_measured(materialize_command(ESTIMATION, f"{years[0]}...{years[-1]}"), env)
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            with DagsterInstance.get() as instance:
                runs = instance.get_runs()
                assert all(run.status == DagsterRunStatus.SUCCESS for run in runs), [r.status for r in runs]
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return {"partitions": float(len(years)), "wall_s": backfill.wall_s, "peak_rss_mb": backfill.peak_rss_bytes / 2**20,
            "cpu_s": backfill.cpu_s, "upstream_wall_s": upstream.wall_s,
            "upstream_peak_rss_mb": upstream.peak_rss_bytes / 2**20}


def run() -> list[tuple[str, float, str]]:
    try:
        figures = backfill_estimation()
    except PostgresUnavailable as missing:
        print(f"# bench_server: skipped, {missing}", file=sys.stderr)
        return []
    return [
        ("server_backfill_estimation_partitions", figures["partitions"], "partitions"),
        ("server_backfill_estimation_wall", round(figures["wall_s"], 2), "s"),
        ("server_backfill_estimation_peak_rss", round(figures["peak_rss_mb"], 1), "MiB"),
        ("server_backfill_estimation_cpu", round(figures["cpu_s"], 1), "s"),
        ("server_upstream_tables_wall", round(figures["upstream_wall_s"], 2), "s"),
        ("server_upstream_tables_peak_rss", round(figures["upstream_peak_rss_mb"], 1), "MiB"),
    ]


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name} {value:.4g} {unit}")

"""Deployment profiles: everything that differs between one machine and another, chosen by one switch.

`KEMISKINAN_PROFILE` names the profile (default `local`; `KEMISKINAN_DEPLOYMENT` is accepted as the same
switch). A profile gives the folders (`ProjectPaths`), the IO manager's storage, how the registry obtains its
pseudonym key and the executor. The Dagster instance (run, event-log and schedule storage, run queue) is
`deploy/<profile>/dagster.yaml`, installed into `DAGSTER_HOME`. A new profile is one function here plus its
entry in PROFILES.

* `local`: one analyst's machine. Project folders, SQLite instance in `.dagster_home`, in process, offline.
* `server`: a team server (docs/team-server.md). PostgreSQL storage (the database from DAGSTER_POSTGRES_URL, or
  composed from DAGSTER_PG_HOST/PORT/USER/PASSWORD/DB: `postgres_url`), the daemon's run queue, schedules and
  sensor (on from the start), the multiprocess executor with a concurrency limit, data folders outside the checkout, the
  pseudonym key from the environment only.
* `k8s` / `celery`: the server's instance and folders, steps on Kubernetes pods (dagster-k8s) or Celery workers
  (dagster-celery), the data folder on storage every pod/worker mounts (deploy/k8s, deploy/celery).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from dagster import ExecutorDefinition, in_process_executor, multiprocess_executor

from assets import settings
from assets.resources import ProjectPaths

PROFILE_VARS = ("KEMISKINAN_PROFILE", "KEMISKINAN_DEPLOYMENT")

# Server profile settings, all from the environment (docs/team-server.md; deploy/server/kemiskinan.env.example).
DATA_DIR_VAR = "KEMISKINAN_DATA_DIR"  # outputs/, storage/, restricted/ below it; outside the checkout
STORAGE_DIR_VAR = "KEMISKINAN_STORAGE_DIR"  # optional: the IO manager's Parquet files elsewhere (a fast disk)
OUTPUTS_DIR_VAR = "KEMISKINAN_OUTPUTS_DIR"  # optional: the published tables and charts elsewhere (a share)
MAX_CONCURRENT_VAR = "KEMISKINAN_MAX_CONCURRENT"  # steps at once within one run (default: the machine's cores)

# The database of the server's Dagster instance (deploy/server/dagster.yaml: `postgres_url: {env: ...}`). The
# documented way is the URL; the parts are the alternative, composed into the URL by `postgres_url`.
POSTGRES_URL_VAR = "DAGSTER_POSTGRES_URL"
POSTGRES_PART_VARS = {"host": "DAGSTER_PG_HOST", "port": "DAGSTER_PG_PORT", "user": "DAGSTER_PG_USER",
                      "password": "DAGSTER_PG_PASSWORD", "db": "DAGSTER_PG_DB"}
# SQLAlchemy 2.1 maps a plain postgresql:// URL to psycopg 3; dagster-postgres ships with psycopg2(-binary).
POSTGRES_DRIVER = "postgresql+psycopg2"
_PLAIN_SCHEMES = ("postgres", "postgresql", POSTGRES_DRIVER)
URL_PROFILES = ("server", "celery")  # their deploy/<profile>/dagster.yaml reads DAGSTER_POSTGRES_URL

# The multiprocess executor's children fork from a server that has imported the code location and Great
# Expectations once (forkserver + preload): with the default "spawn" every step re-imports Dagster and the
# project (~4 s of CPU on this machine) and then GX for its checks (~5 s).
PRELOAD_MODULES = ["pipelines.definitions", "great_expectations", "great_expectations.expectations"]


@dataclass(frozen=True)
class DeploymentProfile:
    name: str
    paths: ProjectPaths
    key_mode: str  # "env": P3KE_PSEUDONYM_KEY required; "demo": the public demo key, recorded in every output
    executor: ExecutorDefinition
    # Schedules and sensor on from the start (the daemon runs them); off: an analyst switches them on in the UI
    automation_running: bool = False


def registry_key_mode() -> str:
    """`make run` sets KEMISKINAN_REGISTRY_MODE=demo when no P3KE_PSEUDONYM_KEY is set; otherwise "env"."""
    return os.environ.get("KEMISKINAN_REGISTRY_MODE", "env")


def local_profile(paths: ProjectPaths | None = None, key_mode: str | None = None) -> DeploymentProfile:
    """One analyst's machine: project folders, SQLite instance in `.dagster_home`, offline, in process (the
    multiprocess executor costs seconds per step on small machines)."""
    return DeploymentProfile("local", paths or ProjectPaths.default(), key_mode or registry_key_mode(),
                             in_process_executor)


def default_max_concurrent() -> int:
    """Steps at once in one run: the cores this process may use (2 on the reference machine)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def server_executor(max_concurrent: int) -> ExecutorDefinition:
    """The multiprocess executor, at most `max_concurrent` steps at once, children forked from a preloaded
    forkserver."""
    if max_concurrent < 1:
        raise ValueError(f"{MAX_CONCURRENT_VAR} must be at least 1, not {max_concurrent}")
    return multiprocess_executor.configured(
        {"max_concurrent": max_concurrent, "start_method": {"forkserver": {"preload_modules": PRELOAD_MODULES}}},
        name="multiprocess_executor")


def _outside_checkout(variable: str, path: Path) -> Path:
    path = path.expanduser().resolve()
    root = settings.PROJECT_ROOT.resolve()
    if path == root or root in path.parents:
        raise ValueError(f"{variable}={path} is inside the checkout {root}; the server profile keeps its storage "
                         f"and outputs outside it (e.g. /srv/kemiskinan/data), so that a `git clean` or a new "
                         f"clone never touches them")
    return path


def server_paths(environ: Mapping[str, str] | None = None) -> ProjectPaths:
    """The server's folders from the environment: KEMISKINAN_DATA_DIR (required, outside the checkout), with
    KEMISKINAN_STORAGE_DIR / KEMISKINAN_OUTPUTS_DIR overriding its storage/ and outputs/. The raw files stay
    where `KEMISKINAN_RAW_DIR` says (default: the checkout's committed data/raw)."""
    env = os.environ if environ is None else environ
    if not env.get(DATA_DIR_VAR):
        raise ValueError(f"the server profile needs {DATA_DIR_VAR}: a folder outside the checkout for the "
                         f"storage, outputs and restricted files (e.g. /srv/kemiskinan/data); see "
                         f"docs/team-server.md")
    data = _outside_checkout(DATA_DIR_VAR, Path(env[DATA_DIR_VAR]))
    storage = _outside_checkout(STORAGE_DIR_VAR, Path(env.get(STORAGE_DIR_VAR) or data / "storage"))
    outputs = _outside_checkout(OUTPUTS_DIR_VAR, Path(env.get(OUTPUTS_DIR_VAR) or data / "outputs"))
    raw = Path(env.get("KEMISKINAN_RAW_DIR") or settings.PROJECT_ROOT / "data" / "raw")
    return ProjectPaths(raw_dir=str(raw), outputs_dir=str(outputs), restricted_dir=str(data / "restricted"),
                        storage_dir=str(storage), registry_extracts_dir=env.get("KEMISKINAN_REGISTRY_EXTRACTS", ""))


def server_profile(paths: ProjectPaths | None = None, key_mode: str | None = None,
                   max_concurrent: int | None = None) -> DeploymentProfile:
    """A team server: folders from the environment, outside the checkout; the pseudonym key only from
    P3KE_PSEUDONYM_KEY (key mode "env"; the demo key is never used on a server unless a caller passes
    key_mode="demo" explicitly, as the tests do); the multiprocess executor with KEMISKINAN_MAX_CONCURRENT
    steps at once. Run, event-log and schedule storage in PostgreSQL, the run queue and the daemon: the
    instance, deploy/server/dagster.yaml."""
    if max_concurrent is None:
        text = os.environ.get(MAX_CONCURRENT_VAR, "")
        if text and not text.isdigit():
            raise ValueError(f"{MAX_CONCURRENT_VAR}={text!r} is not a whole number of steps")
        max_concurrent = int(text) if text else default_max_concurrent()
    return DeploymentProfile("server", paths or server_paths(), key_mode or "env", server_executor(max_concurrent),
                             automation_running=True)


def postgres_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The URL of the server instance's PostgreSQL database, with the psycopg2 driver named.

    DAGSTER_POSTGRES_URL when set (`postgres://` and `postgresql://` are given the driver; another driver is
    refused); else composed from DAGSTER_PG_HOST (a host name, or the folder of the server's unix socket),
    DAGSTER_PG_PORT (default 5432), DAGSTER_PG_USER, DAGSTER_PG_PASSWORD (optional) and DAGSTER_PG_DB, the user
    and password percent-encoded; None when neither is set."""
    env = os.environ if environ is None else environ
    given = env.get(POSTGRES_URL_VAR, "").strip()
    if given:
        scheme, separator, rest = given.partition("://")
        if not separator or scheme not in _PLAIN_SCHEMES:
            found = f"{scheme}://" if separator else "a text without a scheme"  # never the rest: a password
            raise ValueError(f"{POSTGRES_URL_VAR} must start with {POSTGRES_DRIVER}:// (or postgresql://), not "
                             f"{found}: the instance connects with psycopg2 (docs/team-server.md)")
        if not urlsplit(given).path.strip("/"):
            raise ValueError(f"{POSTGRES_URL_VAR} names no database (…/<database> at its end)")
        return f"{POSTGRES_DRIVER}://{rest}"
    parts = {name: env.get(var, "").strip() for name, var in POSTGRES_PART_VARS.items()}
    if not any(parts.values()):
        return None
    missing = [POSTGRES_PART_VARS[name] for name in ("host", "user", "db") if not parts[name]]
    if missing:
        raise ValueError(f"{POSTGRES_URL_VAR} is not set and the parts it would be composed from are incomplete: "
                         f"{', '.join(missing)} missing (docs/team-server.md)")
    port = parts["port"] or "5432"
    if not port.isdigit():
        raise ValueError(f"{POSTGRES_PART_VARS['port']}={port!r} is not a port number")
    user = quote(parts["user"], safe="")
    userinfo = f"{user}:{quote(parts['password'], safe='')}" if parts["password"] else user
    database = quote(parts["db"], safe="")
    if parts["host"].startswith("/"):  # a unix socket folder: libpq takes it as the `host` parameter
        return f"{POSTGRES_DRIVER}://{userinfo}@/{database}?host={quote(parts['host'], safe='/')}&port={port}"
    host = f"[{parts['host']}]" if ":" in parts["host"] else parts["host"]  # an IPv6 address
    return f"{POSTGRES_DRIVER}://{userinfo}@{host}:{port}/{database}"


def export_postgres_url(environ: MutableMapping[str, str] | None = None) -> str | None:
    """Set DAGSTER_POSTGRES_URL to `postgres_url` (composed from the parts when unset) before a Dagster
    instance is opened; returns it (None: no PostgreSQL settings, nothing set)."""
    env = os.environ if environ is None else environ
    url = postgres_url(env)
    if url is not None:
        env[POSTGRES_URL_VAR] = url
    return url


DEPLOY_DIR = settings.PROJECT_ROOT / "deploy"


def executor_config(profile: str) -> dict:
    """The executor configuration shipped in deploy/<profile>/executor.yaml (env: references allowed)."""
    import yaml

    return yaml.safe_load((DEPLOY_DIR / profile / "executor.yaml").read_text())


def k8s_profile(paths: ProjectPaths | None = None) -> DeploymentProfile:
    """More than one machine, on Kubernetes: the server profile's folders (KEMISKINAN_DATA_DIR on a volume
    every pod mounts) and key, with dagster-k8s's executor, one pod per step (deploy/k8s/executor.yaml)."""
    from dagster_k8s import k8s_job_executor

    server = server_profile(paths=paths, max_concurrent=1)
    return DeploymentProfile("k8s", server.paths, server.key_mode,
                             k8s_job_executor.configured(executor_config("k8s"), name="k8s"), automation_running=True)


def celery_profile(paths: ProjectPaths | None = None) -> DeploymentProfile:
    """More than one machine, on Celery workers: the server profile's folders (KEMISKINAN_DATA_DIR on a share
    every worker mounts) and key, steps sent to a Celery queue (deploy/celery/executor.yaml)."""
    from dagster_celery import celery_executor

    server = server_profile(paths=paths, max_concurrent=1)
    return DeploymentProfile("celery", server.paths, server.key_mode,
                             celery_executor.configured(executor_config("celery"), name="celery"),
                             automation_running=True)


PROFILES: dict[str, Callable[[], DeploymentProfile]] = {"local": local_profile, "server": server_profile,
                                                        "k8s": k8s_profile, "celery": celery_profile}


def profile_name(environ: Mapping[str, str] | None = None) -> str:
    """The selected profile's name: KEMISKINAN_PROFILE (or KEMISKINAN_DEPLOYMENT), default `local`."""
    env = os.environ if environ is None else environ
    given = {var: env[var] for var in PROFILE_VARS if env.get(var)}
    if len(set(given.values())) > 1:
        raise ValueError(f"{' and '.join(f'{k}={v!r}' for k, v in given.items())} disagree; set one of them")
    name = next(iter(given.values()), "local")
    if name not in PROFILES:
        raise ValueError(f"KEMISKINAN_PROFILE={name!r} is not a deployment profile; choose from {sorted(PROFILES)}")
    return name


def profile_from_env() -> DeploymentProfile:
    """The selected profile. Under the profiles whose instance reads DAGSTER_POSTGRES_URL (server, celery) it
    also sets that variable from the parts when only those are given: the code location and `make run` build
    the profile before they open the instance. (k8s reads the parts themselves: deploy/k8s/dagster.yaml.)"""
    name = profile_name()
    if name in URL_PROFILES:
        export_postgres_url()
    return PROFILES[name]()


def main(argv: list[str] | None = None) -> int:
    """`python -m pipelines.profiles postgres-url`: print the instance's database URL (deploy/server/
    with-postgres-url sets DAGSTER_POSTGRES_URL from it before starting a Dagster process)."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["postgres-url"]:
        print("usage: python -m pipelines.profiles postgres-url", file=sys.stderr)
        return 2
    try:
        url = postgres_url()
    except ValueError as wrong:
        print(f"kemiskinan: {wrong}", file=sys.stderr)
        return 1
    if url is None:
        print(f"kemiskinan: neither {POSTGRES_URL_VAR} nor {', '.join(POSTGRES_PART_VARS.values())} is set "
              f"(docs/team-server.md)", file=sys.stderr)
        return 1
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())

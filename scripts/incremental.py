"""Incremental `make run`: re-run only what changed since the last complete run, read from the Dagster instance.

Every complete run of a job by `scripts.run` carries the fingerprint of what it was computed from in a run tag
(`INPUTS_TAG`): the code (every Python file of the project and the dependency lock) and each input file
(`data/raw`, and the registry extracts when real ones are configured). The next `make run` compares the
current fingerprint with the one of the job's last successful run and starts from:

* the raw assets that read a changed file (found through the catalog, so a new yearly export counts as a
  change of the asset that will read it);
* every asset when the code changed (the code version is the project's, not per asset: a changed helper can
  move any figure);
* assets never materialised for every year of the job, whose stored value or published folder is gone, or
  whose latest materialisation came from a run that did not succeed (a blocking check stopped it: its value
  must not feed a later run);

then everything downstream of those, across jobs. Nothing left: the job is skipped.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dagster import AssetKey, AssetSelection, DagsterInstance, DagsterRunStatus, Definitions, RunsFilter

from assets.raw import raw_asset_files
from estimation.parsers.catalog import file_digests

INPUTS_TAG = "kemiskinan/inputs"
ROOT = Path(__file__).resolve().parent.parent
CODE_FOLDERS = ("estimation", "assets", "checks", "pipelines", "scripts")
CODE_FILES = ("requirements.lock.txt",)
EXTRACTS_PREFIX = "extracts/"


@functools.cache
def code_fingerprint(root: Path = ROOT) -> str:
    """One digest of every Python file of the project's packages and of the dependency lock; computed once per
    process, as the code a process runs is the code it imported."""
    digest = hashlib.sha256()
    files = [p for folder in CODE_FOLDERS for p in (root / folder).rglob("*.py") if "__pycache__" not in p.parts]
    files += [root / name for name in CODE_FILES if (root / name).exists()]
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def input_fingerprint(raw_dir: Path, extracts_dir: Path | None = None) -> dict[str, str]:
    """{file relative to data/raw (real extracts: 'extracts/<file>'): sha256}."""
    files = file_digests(raw_dir)
    if extracts_dir is not None and Path(extracts_dir).is_dir():
        files.update({EXTRACTS_PREFIX + name: digest for name, digest in file_digests(extracts_dir).items()})
    return files


def fingerprint(raw_dir: Path, extracts_dir: Path | None = None) -> dict:
    return {"code": code_fingerprint(), "files": input_fingerprint(raw_dir, extracts_dir)}


@dataclass(frozen=True)
class JobPlan:
    job: str
    keys: list[AssetKey] | None  # None: the whole job; []: nothing to do
    reason: str


def last_complete_run(instance: DagsterInstance, job_name: str):
    """The latest successful run of `job_name` that recorded its inputs' fingerprint (None if none)."""
    runs = instance.get_runs(RunsFilter(job_name=job_name, statuses=[DagsterRunStatus.SUCCESS]), limit=50)
    return next((run for run in runs if INPUTS_TAG in run.tags), None)


def _stale_outputs(instance: DagsterInstance, defs: Definitions, job_name: str) -> dict[AssetKey, str]:
    """Assets of the job that must run whatever the inputs say, with why."""
    job = defs.resolve_job_def(job_name)
    expected = set(job.partitions_def.get_partition_keys()) if job.partitions_def is not None else set()
    graph = defs.resolve_asset_graph()
    status_of: dict[str, DagsterRunStatus | None] = {}
    stale: dict[AssetKey, str] = {}
    keys = sorted(job.asset_layer.executable_asset_keys, key=lambda k: k.to_user_string())
    latest = instance.get_latest_materialization_events(keys)  # one query for the job
    for key in keys:
        event = latest.get(key)
        if event is None:
            stale[key] = "never materialised"
            continue
        if graph.get(key).partitions_def is not None:
            missing = expected - set(instance.get_materialized_partitions(key))
            if missing:
                stale[key] = f"years {', '.join(sorted(missing))} never materialised"
                continue
        if event.run_id not in status_of:
            record = instance.get_run_record_by_id(event.run_id)
            status_of[event.run_id] = record.dagster_run.status if record is not None else None
        if status_of[event.run_id] != DagsterRunStatus.SUCCESS:
            stale[key] = "its latest value comes from a run that did not succeed"
            continue
        metadata = event.asset_materialization.metadata if event.asset_materialization else {}
        for name in ("path", "directory"):
            value = metadata.get(name)
            if value is not None:
                place = Path(str(value.value))
                if not (place.exists() or place.with_suffix(".parquet").exists()):
                    stale[key] = f"its {name} {place} is gone"
                    break
    return stale


def _changed_files(recorded: Mapping[str, str], current: Mapping[str, str]) -> set[str]:
    return {name for name in set(recorded) | set(current) if recorded.get(name) != current.get(name)}


def plan(defs: Definitions, instance: DagsterInstance, jobs: Iterable[str], raw_dir: Path,
         extracts_dir: Path | None = None) -> tuple[list[JobPlan], dict]:
    """What each job must materialise now, and the fingerprint to record on the runs that do it."""
    current = fingerprint(raw_dir, extracts_dir)
    owners = raw_asset_files(raw_dir)
    graph = defs.resolve_asset_graph()
    roots: set[AssetKey] = set()
    whole: dict[str, str] = {}
    reasons: dict[str, list[str]] = {}
    jobs = list(jobs)
    for job_name in jobs:
        last = last_complete_run(instance, job_name)
        if last is None:
            whole[job_name] = "no complete run of this job in the instance yet"
            continue
        recorded = json.loads(last.tags[INPUTS_TAG])
        if recorded.get("code") != current["code"]:
            whole[job_name] = f"the code changed since run {last.run_id[:8]}"
            continue
        changed = _changed_files(recorded.get("files", {}), current["files"])
        job_keys = defs.resolve_job_def(job_name).asset_layer.executable_asset_keys
        notes = []
        if any(name.startswith(EXTRACTS_PREFIX) for name in changed) and job_name == "registry_job":
            whole[job_name] = "the registry extracts changed"
            continue
        for name in sorted(changed):
            readers = {AssetKey(asset) for asset, files in owners.items() if name in files} & job_keys
            roots |= readers
            if readers:
                notes.append(f"{name} changed")
        for key, why in _stale_outputs(instance, defs, job_name).items():
            roots.add(key)
            notes.append(f"{key.to_user_string()}: {why}")
        reasons[job_name] = notes
    # a stale output of a multi-asset runs with its step's other outputs (one step), then everything downstream
    downstream = (set(AssetSelection.assets(*roots).required_multi_asset_neighbors().downstream()
                      .required_multi_asset_neighbors().resolve(graph)) if roots else set())
    plans = []
    for job_name in jobs:
        job_keys = defs.resolve_job_def(job_name).asset_layer.executable_asset_keys
        if job_name in whole:
            plans.append(JobPlan(job_name, None, whole[job_name]))
            downstream |= set(AssetSelection.assets(*job_keys).downstream().resolve(graph))
            continue
        selected = sorted(downstream & job_keys, key=lambda k: k.to_user_string())
        if not selected:
            plans.append(JobPlan(job_name, [], "nothing changed since its last complete run"))
        elif set(selected) == set(job_keys):
            plans.append(JobPlan(job_name, None, "; ".join(reasons.get(job_name, [])[:3]) or "upstream changed"))
        else:
            why = "; ".join(reasons.get(job_name, [])[:3]) or "an upstream job's assets changed"
            plans.append(JobPlan(job_name, selected, why))
    return plans, current

"""Per-step wall time of the latest runs in the Dagster instance (DAGSTER_HOME), from the event log
(STEP_START to STEP_SUCCESS / STEP_FAILURE): where `make run` spends its time.

    PYTHONPATH=. DAGSTER_HOME=.dagster_home .venv/bin/python -m benchmarks.step_times [runs=3] [top=10]
"""

from __future__ import annotations

import sys
from collections import Counter

from dagster import DagsterEventType, DagsterInstance


def step_times(instance: DagsterInstance, runs: int = 3) -> tuple[list[tuple[str, float, int]],
                                                                  list[tuple[float, str, str]]]:
    """([(job, run seconds, events)] of the latest `runs` runs, [(step seconds, job, step)] longest first)."""
    jobs, steps = [], []
    for run in instance.get_runs(limit=runs):
        logs = instance.all_logs(run.run_id)
        if not logs:
            continue
        started: dict[str, float] = {}
        for entry in logs:
            kind = entry.dagster_event.event_type if entry.dagster_event is not None else None
            if kind == DagsterEventType.STEP_START and entry.step_key:
                started[entry.step_key] = entry.timestamp
            elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE) and entry.step_key:
                steps.append((entry.timestamp - started.pop(entry.step_key, entry.timestamp), run.job_name,
                              entry.step_key))
        jobs.append((run.job_name, logs[-1].timestamp - logs[0].timestamp, len(logs)))
    return jobs, sorted(steps, reverse=True)


def main(argv: list[str]) -> int:
    runs, top = (int(argv[0]) if argv else 3), (int(argv[1]) if len(argv) > 1 else 10)
    jobs, steps = step_times(DagsterInstance.get(), runs)
    for job, seconds, events in jobs:
        print(f"{job}: {seconds:.1f} s, {events} events")
    print(f"steps: {sum(s for s, _, _ in steps):.1f} s in all; per job: "
          + ", ".join(f"{job} {count}" for job, count in Counter(j for _, j, _ in steps).items()))
    for seconds, job, step in steps[:top]:
        print(f"{seconds:7.2f}  {job:24s} {step}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

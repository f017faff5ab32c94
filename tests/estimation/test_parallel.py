"""`estimation.parallel.split_between_processes`: task order kept, the same results as one process, and a
spawned worker that does not outlive a killed parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from estimation.parallel import split_between_processes
from tests.processes import alive, children

ROOT = Path(__file__).resolve().parents[2]


def _scaled_with_pid(task: int, shared: Mapping[str, Any]) -> tuple[int, int]:
    return task * shared["factor"], os.getpid()


def test_results_in_task_order_and_split_between_processes() -> None:
    tasks = list(range(7))
    done = split_between_processes(_scaled_with_pid, tasks, {"factor": 3}, workers=2, min_tasks_per_process=1)
    assert [value for value, _ in done] == [3 * t for t in tasks]
    here = {t for t, (_, pid) in zip(tasks, done, strict=True) if pid == os.getpid()}
    assert here == {0, 2, 4, 6}  # every second task here, the others in one spawned worker
    assert len({pid for _, pid in done}) == 2


def test_too_few_tasks_stay_in_this_process() -> None:
    done = split_between_processes(_scaled_with_pid, [1, 2, 3], {"factor": 1}, workers=2, min_tasks_per_process=2)
    assert done == [(1, os.getpid()), (2, os.getpid()), (3, os.getpid())]


PARENT = """
import sys, time
from estimation.parallel import split_between_processes
from tests.processes import alive, children

def slow(task, shared):
    print("task", task, flush=True)
    time.sleep(60)

if __name__ == "__main__":
    split_between_processes(slow, [0, 1], {}, workers=2, min_tasks_per_process=1)
"""


def test_worker_dies_with_a_killed_parent(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert parent.stdout is not None
    started = {parent.stdout.readline().strip(), parent.stdout.readline().strip()}
    assert started == {"task 0", "task 1"}  # one task here, one in the worker: both running
    workers = [pid for pid in children(parent.pid) if alive(pid)]
    assert workers, "no spawned worker found"
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"worker(s) {workers} outlived their killed parent"
        time.sleep(0.05)

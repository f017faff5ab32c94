"""CPU-bound work split between this process and spawned workers, with workers that never outlive it.

Two jobs only: `die_with_parent` (a pool initializer) and `split_between_processes` (this process takes every
`workers`-th task, spawned workers the others; results in task order). "spawn", never "fork": a forked copy of
the caller would inherit Dagster's threads, DuckDB connections and held locks."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

PARENT_POLL_SECONDS = 0.2

Task = TypeVar("Task")
Result = TypeVar("Result")

_SHARED: dict[str, Any] = {}  # what every task of a `split_between_processes` call reads, per process


def die_with_parent(parent_pid: int) -> None:
    """Worker initializer: the worker exits as soon as its parent is gone, even after a SIGKILL (a pool
    worker would otherwise finish its task, or several, as an orphan). A daemon thread watches the parent
    id, which changes when the worker is re-parented; a parent that died while the worker was still
    starting is seen on the first look."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _start_worker(parent_pid: int, shared: Mapping[str, Any]) -> None:
    die_with_parent(parent_pid)
    _SHARED.clear()
    _SHARED.update(shared)


def _call_with_shared(function: Callable[[Any, Mapping[str, Any]], Any], task: Any) -> Any:
    return function(task, _SHARED)


def split_between_processes(function: Callable[[Task, Mapping[str, Any]], Result], tasks: Sequence[Task],
                            shared: Mapping[str, Any], *, workers: int = 2,
                            min_tasks_per_process: int = 1) -> list[Result]:
    """[function(task, shared) for task in tasks], computed by this process and `workers` - 1 spawned ones.

    `function` must be a module-level function (workers import it by name); `shared` is sent once to each
    worker. A spawned worker costs its imports (a second or two of one core), so each process gets at least
    `min_tasks_per_process` tasks, and with fewer tasks than that everything runs here. The same code on the
    same data gives the same results whichever process computes a task."""
    workers = max(1, min(workers, len(tasks) // max(min_tasks_per_process, 1), os.cpu_count() or 1))
    theirs = [i for i in range(len(tasks)) if i % workers]
    results: dict[int, Result] = {}
    with contextlib.ExitStack() as stack:
        futures = {}
        if theirs:
            pool = stack.enter_context(ProcessPoolExecutor(
                max_workers=workers - 1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(os.getpid(), dict(shared))))
            futures = {i: pool.submit(_call_with_shared, function, tasks[i]) for i in theirs}
        for i in range(0, len(tasks), workers):
            results[i] = function(tasks[i], shared)
        results.update((i, future.result()) for i, future in futures.items())
    return [results[i] for i in range(len(tasks))]

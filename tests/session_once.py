"""Guard for the expensive session fixtures: each is computed on one xdist worker only.

`make test` runs `pytest -n 2 --dist loadgroup`, and the tests that share an expensive fixture carry the same
`xdist_group` mark so that one worker computes it once. If the grouping stops working (pytest 9.2 with
pytest-xdist 3.8 silently ignored it, and every such fixture ran on both workers), the second computation
fails loudly here instead of doubling the suite's time.
"""

from __future__ import annotations

import os

import pytest


def claim(tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    """Record that this worker computes the session fixture `name`; fail if another worker already did."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return  # a single process: nothing to share
    shared = tmp_path_factory.getbasetemp().parent  # the run's temp root, common to all workers
    marker = shared / f"session-fixture-{name}"
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        raise RuntimeError(f"session fixture {name!r} computed on {worker} after {marker.read_text()}: the "
                           f"xdist_group marks no longer keep its tests on one worker (pytest/xdist versions?)"
                           ) from None
    with os.fdopen(fd, "w") as out:
        out.write(worker)

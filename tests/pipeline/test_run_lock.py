"""Two `make run` on one data folder: the second refuses at once with one plain line, and a run that dies
(even by SIGKILL) leaves no lock behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from scripts.run import exclusive_run, main

ROOT = Path(__file__).resolve().parents[2]
HOLDER = ("import sys, time\nfrom pathlib import Path\nfrom scripts.run import exclusive_run\n"
          "with exclusive_run(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(60)\n")


def test_second_run_refuses_while_the_first_holds_the_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KEMISKINAN_DATA_DIR", str(tmp_path))
    with exclusive_run(tmp_path):
        assert main([]) == 3
    line = capsys.readouterr().err.strip()
    assert line.startswith("Not started: another run is writing") and str(tmp_path) in line
    assert f"pid {os.getpid()}" in line and "\n" not in line
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "storage").exists()  # nothing was touched


def test_a_killed_run_releases_the_folder(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        try:
            with exclusive_run(tmp_path):
                raise AssertionError("the lock of a live run was taken")
        except RuntimeError as busy:
            assert f"pid {holder.pid}" in str(busy)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        started = time.monotonic()
        with exclusive_run(tmp_path):  # free again, with no clean-up by anyone
            assert time.monotonic() - started < 5
    finally:
        holder.kill()


KILLED_RUN = """
import os, signal
from dagster import DagsterInstance, job, op
from scripts.run import RUNNER_TAG, runner_id

@op
def dies():
    os.kill(os.getpid(), signal.SIGKILL)  # as `kill -9` on make run, mid-step

@job
def killed():
    dies()

killed.execute_in_process(instance=DagsterInstance.get(), tags={RUNNER_TAG: runner_id()})
"""


def test_a_killed_run_is_marked_failed_by_the_next_run(tmp_path):
    from dagster import DagsterInstance, DagsterRunStatus

    from scripts.run import fail_orphaned_runs

    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DAGSTER_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1"}
    done = subprocess.run([sys.executable, "-c", KILLED_RUN], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == -signal.SIGKILL
    instance = DagsterInstance.local_temp(tempdir=str(home))
    [run] = instance.get_runs()
    assert run.status == DagsterRunStatus.STARTED  # what the UI would show forever
    assert fail_orphaned_runs(instance) == [run.run_id]
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
    assert fail_orphaned_runs(instance) == []  # once

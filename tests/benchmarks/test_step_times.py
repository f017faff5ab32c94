"""benchmarks.step_times reads each step's duration of the latest runs from the instance's event log."""

import time

from dagster import DagsterInstance, asset, materialize

from benchmarks.step_times import step_times


@asset
def quick() -> int:
    return 1


@asset
def slow(quick: int) -> int:
    time.sleep(0.3)
    return quick + 1


def test_steps_longest_first_with_their_job():
    with DagsterInstance.ephemeral() as instance:
        assert materialize([quick, slow], instance=instance).success
        jobs, steps = step_times(instance, runs=1)
    assert [job for job, _, _ in jobs] == ["__ephemeral_asset_job__"]
    assert [step for _, _, step in steps] == ["slow", "quick"]
    assert steps[0][0] >= 0.3 > steps[1][0]
    assert jobs[0][1] >= steps[0][0] and jobs[0][2] > 10

"""`make test` runs the suite on two workers (pytest-xdist, `--dist loadgroup`). Tests that share an expensive
session fixture run on the same worker, so it is built once: the whole-graph run (`good_run`) and the registry's
demo extracts and layer run (`registry_demo`, `registry_layer`)."""

import pytest

SHARED_FIXTURES = {"good_run": "good_run", "registry_demo": "registry", "registry_layer": "registry"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        groups = {group for fixture, group in SHARED_FIXTURES.items() if fixture in getattr(item, "fixturenames", ())}
        if len(groups) > 1:
            raise pytest.UsageError(f"{item.nodeid} needs fixtures of two worker groups: {sorted(groups)}")
        if groups:
            item.add_marker(pytest.mark.xdist_group(groups.pop()))

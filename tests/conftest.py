"""Session fixtures shared by the library and pipeline tests: the registry.

The registry's demo extracts (~0.9 M fictitious persons) are generated once per session, and the registry
layer is materialised once on them (`registry_layer`, with a Dagster instance on disk and its logs captured):
the layer's own tests, the library's tests on the ingested files and the identity scan of the storage, the
instance and the logs share that work. The whole-graph run of tests/pipeline leaves the registry job out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from estimation.registry.aggregate import bps_populations
from estimation.registry.extracts import demo_persons, generate_demo_extracts
from estimation.registry.generator import DEMO_SCENARIO, Scenario
from tests.session_once import claim


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `--dist loadgroup`, a test without an `xdist_group` joins its module's group, so a module's
    module-scoped fixtures (panels read from data/raw, the test bed, fitted models) are computed on one worker
    only, not once per worker (xdist would otherwise spread the module's tests over both)."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__ if item.module else item.nodeid))

if TYPE_CHECKING:  # Dagster is imported only by the tests of the registry layer, not by every library test
    from dagster import ExecuteInProcessResult

    from assets.resources import ProjectPaths

# BPS population (thousand) of the demo kab/kota: what the registry needs of the validated panel.
REGISTRY_PANEL = pd.DataFrame({
    "bps_code": ["3576", "3576", "3576", "3602", "3602", "3517", "6271", "6271"],
    "year": [2022, 2023, 2024, 2023, 2024, 2024, 2023, 2024],
    "population_thousand": [139.9, 140.6, 141.2, 1_420.5, 1_433.4, 1_351.2, 305.1, 308.9],
})
# log per-capita expenditure (mean, sd) of the synthetic Susenas households of 2024 in these kab/kota
_LOG_KAPITA = {"3517": (13.56, 0.31), "3576": (13.89, 0.36), "3602": (13.72, 0.54), "6271": (13.61, 0.21)}


def registry_households(n: int = 3_000, seed: int = 0) -> pd.DataFrame:
    """A stand-in for `synthetic_household_expenditure` (bps_code, year, KAPITA) of the demo kab/kota, with
    their expenditure levels, plus one kab/kota outside the demo (filtered out)."""
    rng = np.random.default_rng(seed)
    parts = [pd.DataFrame({"bps_code": code, "KAPITA": np.exp(rng.normal(mu, sd, n)).round()})
             for code, (mu, sd) in {**_LOG_KAPITA, "3578": (14.2, 0.4)}.items()]
    return pd.concat(parts, ignore_index=True).assign(year=DEMO_SCENARIO.synthetic_year)[["bps_code", "year",
                                                                                            "KAPITA"]]


@dataclass
class RegistryDemo:
    """The demo extracts generated once per session (the slow part: ~0.9 M persons, identifying)."""

    restricted: Path  # the restricted root; the extracts are in restricted/extracts
    panel: pd.DataFrame  # the validated panel's population columns
    populations: pd.DataFrame
    households: pd.DataFrame
    scenario: Scenario  # with the planted truth

    @property
    def folder(self) -> Path:
        return self.restricted / "extracts"


@pytest.fixture(scope="session")
def registry_demo(tmp_path_factory: pytest.TempPathFactory) -> RegistryDemo:
    claim(tmp_path_factory, "registry_demo")
    restricted = tmp_path_factory.mktemp("registry_demo") / "restricted"
    households = registry_households()
    populations = bps_populations(REGISTRY_PANEL, DEMO_SCENARIO.years)
    scenario = generate_demo_extracts(restricted / "extracts", populations, demo_persons(households))
    return RegistryDemo(restricted, REGISTRY_PANEL, populations, households, scenario)


@dataclass
class RegistryLayer:
    """The registry layer (and its published tables) materialised once, in demo key mode."""

    result: ExecuteInProcessResult
    data: Path  # storage/, outputs/, dagster_home/ (SQLite instance) and run.log of the run
    paths: ProjectPaths
    demo: RegistryDemo

    def value(self, asset_name: str) -> pd.DataFrame:
        return self.result.asset_value(asset_name)  # loaded by the run's IO manager


def _upstream(panel: pd.DataFrame, households: pd.DataFrame) -> list:
    """Stand-ins for the validated panel and the estimates' synthetic households (one yearly partition)."""
    from dagster import StaticPartitionsDefinition, asset

    @asset(name="p0_kabkota_validated")
    def panel_asset() -> pd.DataFrame:
        return panel

    @asset(name="synthetic_household_expenditure",
           partitions_def=StaticPartitionsDefinition([str(DEMO_SCENARIO.synthetic_year)]))
    def households_asset() -> pd.DataFrame:
        return households

    return [panel_asset, households_asset]


@pytest.fixture(scope="session")
def registry_layer(registry_demo: RegistryDemo, tmp_path_factory: pytest.TempPathFactory) -> RegistryLayer:
    import contextlib
    import io

    from dagster import AssetKey, DagsterInstance, materialize

    from assets.registry import registry_assets
    from assets.reports.registry_tables import registry_report_assets
    from assets.resources import ProjectPaths, PseudonymKey
    from pipelines.io_manager import ParquetIOManager

    data = tmp_path_factory.mktemp("registry_layer")
    paths = ProjectPaths(raw_dir=str(data / "raw"), outputs_dir=str(data / "outputs"),
                         restricted_dir=str(registry_demo.restricted), storage_dir=str(data / "storage"))
    resources = {"io_manager": ParquetIOManager(base_dir=str(data / "storage")), "paths": paths,
                 "pseudonym_key": PseudonymKey(mode="demo")}
    panel, households = _upstream(registry_demo.panel, registry_demo.households)
    assert materialize([households], resources=resources, partition_key=str(DEMO_SCENARIO.synthetic_year)).success
    layer = [*registry_assets, *registry_report_assets]
    # An instance on disk (SQLite event log, as `make run` has) and every log line captured: the identity scan
    # reads them (tests/pipeline/test_identities.py).
    (data / "dagster_home").mkdir()
    instance = DagsterInstance.local_temp(tempdir=str(data / "dagster_home"))
    captured = io.StringIO()
    with contextlib.redirect_stderr(captured), contextlib.redirect_stdout(captured):
        result = materialize([panel, households, *layer], resources=resources, raise_on_error=False,
                             selection=[AssetKey("p0_kabkota_validated"), *(key for a in layer for key in a.keys)],
                             instance=instance,
                             run_config={"loggers": {"console": {"config": {"log_level": "DEBUG"}}}})
    (data / "run.log").write_text(captured.getvalue())
    return RegistryLayer(result, data, paths, registry_demo)

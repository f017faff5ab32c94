"""What the UI shows after the shared whole-graph run: each year's own metadata on every partitioned asset (so
the Plots view draws a series), no missing partition, a preview table on the table assets, and check results
with every failing row and the exemptions that applied."""

import re
from collections import defaultdict

import pandas as pd
import pytest

from assets.partitions import DataCalendar
from tests.pipeline.conftest import GOOD_RUN_ESTIMATION_YEARS, PROJECT_RAW

# Shares the session's whole-graph run: one xdist worker runs every test of this module (`make test`).
pytestmark = pytest.mark.xdist_group("good_run")


def _by_partition(result, asset: str) -> dict[str, dict]:
    found = {}
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == asset:
            found[event.partition] = {k: v.value for k, v in event.materialization.metadata.items()}
    return found


def _stored(data_dir, asset: str) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted((data_dir / "storage" / asset).glob("*.parquet"))],
                     ignore_index=True)


@pytest.mark.parametrize("asset", ["p0_deltas_kabkota", "p0_deltas_province"])
def test_each_delta_partition_records_its_own_year(good_run, asset):
    data_dir, result, _ = good_run
    calendar = DataCalendar.from_raw(PROJECT_RAW)
    meta = _by_partition(result, asset)
    assert sorted(meta) == [str(y) for y in calendar.years[1:]]
    stored = _stored(data_dir, asset)
    for key, values in meta.items():
        year = stored[stored["year"] == int(key)]
        assert values["dagster/row_count"] == len(year) and values["year"] == int(key)
        assert values["mean_delta_p0_pp"] == pytest.approx(year["delta_p0_pp"].mean(), abs=1e-12)
        assert values["regions_with_lower_p0"] == int((year["delta_p0_pp"] < 0).sum())
    means = [values["mean_delta_p0_pp"] for values in meta.values()]
    assert len(set(means)) == len(means), "every year has its own mean change: the Plots view draws a series"
    assert len({values["dagster/row_count"] for values in meta.values()}) > 1 or asset == "p0_deltas_province"


def test_each_estimation_round_records_its_own_figures(good_run):
    data_dir, result, _ = good_run
    for asset, figure in [("sae_estimates", "median_rse_extreme"), ("direct_estimates", "median_cv_extreme"),
                          ("sae_fit", "sigma2_u_extreme"), ("synthetic_population_truth", "mean_true_extreme_rate")]:
        meta = _by_partition(result, asset)
        assert sorted(meta) == list(GOOD_RUN_ESTIMATION_YEARS), asset
        stored = _stored(data_dir, asset)
        assert [meta[k]["dagster/row_count"] for k in sorted(meta)] == [
            int((stored["year"] == int(k)).sum()) for k in sorted(meta)], asset
        assert meta["2023"][figure] != meta["2024"][figure], asset
    sae = _stored(data_dir, "sae_estimates")
    extreme_2024 = sae[(sae["year"] == 2024) & (sae["indicator"] == "extreme")]
    assert _by_partition(result, "sae_estimates")["2024"]["median_rse_extreme"] == pytest.approx(
        extreme_2024["rse"].median())


def test_no_partition_missing_after_the_whole_graph_run(good_run):
    """Partitions end at the last year with data (no empty future partition), and every partition the run
    was asked for is materialised: all years of the deltas; the estimation rounds of GOOD_RUN_ESTIMATION_YEARS
    (the test run's choice, to save time: `make run` asks for every round)."""
    from pipelines.definitions import defs

    _, result, _ = good_run
    calendar = DataCalendar.from_raw(PROJECT_RAW)
    materialised: dict[str, set[str]] = defaultdict(set)
    for event in result.get_asset_materialization_events():
        if event.partition is not None:
            materialised[event.asset_key.to_user_string()].add(event.partition)
    graph = defs.resolve_asset_graph()
    partitioned = {key.to_user_string(): graph.get(key).partitions_def for key in graph.get_all_asset_keys()
                   if graph.get(key).partitions_def is not None}
    assert {"p0_deltas_kabkota", "p0_deltas_province", "sae_estimates"} <= set(partitioned)
    first_round, last_round = GOOD_RUN_ESTIMATION_YEARS
    for asset, partitions in partitioned.items():
        keys = partitions.get_partition_keys()
        assert keys[-1] == str(calendar.latest), f"{asset}: partitions end at {keys[-1]}, the data at {calendar.latest}"
        estimation_rounds = keys[0] == str(calendar.first_estimation_year)  # the estimation job's partitions
        asked = [k for k in keys if not estimation_rounds or first_round <= k <= last_round]
        assert sorted(set(asked) - materialised[asset]) == [], f"{asset}: missing partitions"


def _key(name: str):
    from dagster import AssetKey

    return AssetKey(name)


def _latest(result, asset: str) -> dict:
    meta = _by_partition(result, asset)
    return meta[max(meta, key=lambda k: (k is not None, k or ""))]


def test_table_assets_show_a_preview_in_indonesian_format(good_run):
    data_dir, result, _ = good_run
    previews = {asset: _latest(result, asset)["preview"] for asset in (
        "region_reference", "p0_kabkota_validated", "p0_province_validated", "p0_deltas_kabkota",
        "p0_deltas_province", "direct_estimates", "sae_estimates", "synthetic_population_truth", "raw_p0_kabkota")}
    for asset, text in previews.items():
        assert "tertinggi" in text and "terendah" in text, asset
        assert re.search(r"\b(nan|NaN|None|<NA>)\b", text) is None, asset
    # the configured kab/kota (Jombang by default), numbers with a decimal comma and a thousands dot
    assert "| 3517 | Jombang | 2025 | 8,36 | 107,82 | 532.053 | – | – |" in previews["p0_kabkota_validated"]
    assert "| 3517 | Jombang | 2025 | 8,60 | 8,36 | -0,24 |" in previews["p0_deltas_kabkota"]
    # a raw asset shows the text as published, with the row and column of the file it was read from
    assert "| 3517 | Jombang | 2025 | p0 | 8.36 | 261 | 2025 |" in previews["raw_p0_kabkota"]
    delta_2024 = _by_partition(result, "p0_deltas_kabkota")["2024"]["preview"]
    assert "| 3517 | Jombang | 2024 | 9,15 | 8,60 | -0,55 | 110,57 | -6.790 |" in delta_2024
    # the top of the latest year is the stored table's, independently sorted
    panel = pd.read_parquet(data_dir / "storage" / "p0_kabkota_validated.parquet")
    latest = panel[(panel["year"] == panel["year"].max()) & panel["p0"].notna()]
    top = latest.sort_values(["p0", "bps_code"], ascending=[False, True]).head(5)["bps_code"].tolist()
    shown = previews["p0_kabkota_validated"].split("terendah")[0]
    assert [line.split(" | ")[0].lstrip("| ") for line in shown.splitlines() if line.startswith("| ")
            and line[2:6].isdigit()] == top


def _checks(result) -> dict[tuple[str, str], object]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def test_check_results_list_every_failing_row_and_their_csv(good_run):
    data_dir, result, _ = good_run
    checks = _checks(result)
    failing = {k: e for k, e in checks.items() if not e.passed}
    assert failing, "the shipped data has warnings (news quotes, source conflicts)"
    for (asset, check), evaluation in failing.items():
        count = evaluation.metadata["unexpected_count"].value
        table = evaluation.metadata["failing_rows"].value
        path = data_dir / "outputs" / "checks" / asset / f"{check}.failing_rows.csv"
        assert evaluation.metadata["failing_rows_file"].value == str(path)
        if count:
            assert len(pd.read_csv(path)) == count, (asset, check)
            assert sum(1 for line in table.splitlines()[3:] if line.startswith("| ")) == min(count, 1000)
    for evaluation in checks.values():
        for value in evaluation.metadata.values():
            assert re.search(r"\| (nan|NaN|None|<NA>) \|", str(value.value)) is None, evaluation.check_name
    passed_files = [p for p in (data_dir / "outputs" / "checks").rglob("*.failing_rows.csv")
                    if (p.parent.name, p.name.split(".")[0]) not in failing]
    assert passed_files == []


def test_exemptions_are_shown_with_their_reason(good_run):
    _, result, _ = good_run
    sums = _checks(result)[("p0_kabkota_validated", "kabkota_add_up_to_province")]
    assert sums.passed
    exemptions = sums.metadata["exemptions"].value
    assert sums.metadata["exempted_count"].value >= 2
    assert "province row before the 2022 Papua split" in exemptions
    yogya = [line for line in exemptions.splitlines() if line.startswith("| 34 |") and "| 2006 |" in line]
    assert len(yogya) == 1 and "kab/kota sum 652.0 thousand vs province 648.7" in yogya[0], exemptions[:2000]
    assert "Exempt:" in sums.description

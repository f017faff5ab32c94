"""The whole graph, materialised in process on the shipped data: the published truths come out."""

import json

import pandas as pd
import pytest

from pipelines.io_manager import read_provenance
from tests.pipeline.conftest import materialised

# Shares the session's whole-graph run: one xdist worker runs every test of this module (`make test`).
pytestmark = pytest.mark.xdist_group("good_run")


def test_every_asset_of_the_graph_materialises(good_run):
    """The whole-graph run materialises every asset of its jobs; the registry job's assets are materialised by
    the session's registry layer run (tests/conftest.py; tests/estimation/test_registry_assets.py)."""
    from pipelines.definitions import defs

    _, result, _ = good_run
    every = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    registry_job = {key.to_user_string() for key in defs.resolve_job_def("registry_job").asset_layer.executable_asset_keys}
    assert len(every) == 43 and len(registry_job) == 9 and materialised(result) == every - registry_job


def test_every_column_of_every_asset_has_a_description(good_run):
    """The UI's column schema of each table asset takes its descriptions from the data dictionary."""
    _, result, _ = good_run
    undescribed, tables = set(), 0
    for event in result.get_asset_materialization_events():
        schema = event.materialization.metadata.get("dagster/column_schema")
        if schema is None:
            continue
        tables += 1
        undescribed |= {f"{event.asset_key.to_user_string()}.{c.name}" for c in schema.value.columns
                        if not c.description}
    assert tables >= 25 and sorted(undescribed) == []


def test_run_made_no_network_connection(good_run):
    from tests.pipeline.conftest import NETWORK_ATTEMPTS

    assert NETWORK_ATTEMPTS == []


def test_every_asset_materialises_without_blocking_failure(good_run):
    _, result, (errors, _warnings) = good_run
    assert result.success
    assert errors == []


def test_jombang_jatim_indonesia_in_published_tables(good_run):
    data_dir, _, _ = good_run
    deltas = pd.read_parquet(data_dir / "outputs/tables/p0_deltas_kabkota.parquet")
    jombang = deltas[(deltas["bps_code"] == "3517") & (deltas["year"] == 2024)].iloc[0]
    assert (jombang["p0_prev"], jombang["p0"], jombang["delta_p0_pp"]) == (9.15, 8.6, -0.55)
    assert (jombang["poor_thousand_prev"], jombang["poor_thousand"]) == (117.36, 110.57)
    assert jombang["delta_poor_persons"] == -6790
    assert (jombang["prov_p0_prev"], jombang["prov_p0"]) == (10.35, 9.79)
    assert (jombang["indonesia_p0_prev"], jombang["indonesia_p0"]) == (9.36, 9.03)


def test_csv_carries_published_decimals(good_run):
    data_dir, _, _ = good_run
    text = (data_dir / "outputs/tables/p0_deltas_kabkota.csv").read_text()
    header = text.splitlines()[0].split(",")
    row = next(line for line in text.splitlines() if line.startswith("3517,") and ",2024," in line).split(",")
    record = dict(zip(header, row))
    assert record["p0"] == "8.60" and record["p0_prev"] == "9.15" and record["delta_p0_pp"] == "-0.55"


def test_outputs_carry_provenance(good_run):
    data_dir, _, _ = good_run
    tables = data_dir / "outputs/tables"
    record = json.loads((tables / "p0_kabkota_panel.provenance.json").read_text())
    assert record["rows"] > 514 * 20
    assert "bps/p0_kabkota_2004_2025.csv" in record["sources_sha256"]
    assert read_provenance(tables / "p0_kabkota_panel.parquet")["table"] == "p0_kabkota_panel"
    stored = sorted((data_dir / "storage" / "p0_deltas_kabkota").glob("*.parquet"))
    assert [p.stem for p in stored][:2] == ["2005", "2006"] and stored[-1].stem == "2025"
    assert read_provenance(stored[-1])["partition"] == "2025"


def test_quoted_figure_disagreement_is_a_warning(good_run):
    _, _, (_errors, warnings) = good_run
    quoted = [text for asset, check, text in warnings if check == "quoted_figures_agree"]
    assert quoted and "13.38" in quoted[0] and "13.86" in quoted[0]


def test_charts_written_and_embedded(good_run):
    data_dir, result, _ = good_run
    charts = data_dir / "outputs/charts"
    assert (charts / "p0_trend_jombang.png").stat().st_size > 1000
    assert (charts / "p0_trend_jombang.svg").stat().st_size > 1000
    event = next(e for e in result.get_asset_materialization_events()
                 if e.asset_key.to_user_string() == "p0_charts")
    assert "data:image/png;base64," in event.materialization.metadata["trend"].value


def test_charts_name_the_round_mark_synthetic_figures_and_the_kabkota(good_run):
    """Issue 8: every chart names the survey round (Susenas Maret); every chart of the synthetic Susenas says
    so in its title; the ranking marks the kab/kota the trend is about; one name for the interval (SK 95%)."""
    import re

    data_dir, _, _ = good_run
    charts = data_dir / "outputs/charts"
    svgs = {path.name: path.read_text("utf-8") for path in charts.glob("*.svg") if not path.name.startswith("peta")}
    assert {"p0_trend_jombang.svg"} < set(svgs) and any(n.startswith("sae_direct_vs_eblup") for n in svgs)
    for name, svg in svgs.items():
        assert "Maret" in svg, name
        if name.startswith("sae_"):
            assert "DATA SINTETIS" in svg and "bukan angka resmi" in svg, name
        assert "IK 95%" not in svg, name
    ranking = next(svg for name, svg in svgs.items() if name.startswith("p0_ranking_35_"))
    bold = re.findall(r"<text[^>]*font-weight[:=]\W*(?:bold|700)[^>]*>([^<]*)<", ranking)
    assert "Jombang" in bold, bold[:10]


def test_estimates_published_with_line_definition_and_precision(good_run):
    data_dir, _, _ = good_run
    sae = pd.read_parquet(data_dir / "outputs/tables/estimates_sae.parquet")
    assert sorted(sae["year"].unique()) == [2023, 2024]  # GOOD_RUN_ESTIMATION_YEARS
    assert set(sae.loc[sae["year"] == 2023, "line_definition"]) == {"usd190_2011ppp"}
    assert set(sae.loc[sae["year"] == 2024, "line_definition"]) == {"usd215_2017ppp"}
    assert sae.groupby(["year", "indicator"]).size().eq(514).all()
    assert sae[["mse_eblup_model", "mse_benchmarked"]].gt(0).all().all() and sae["benchmarked"].between(0, 1).all()
    assert set(sae["flag"]) <= {"publish", "caution", "suppress"}
    direct = pd.read_parquet(data_dir / "outputs/tables/estimates_direct.parquet")
    for name in ("estimates_sae", "estimates_direct", "estimates_sae_fit", "poverty_change_kabkota"):
        table = pd.read_csv(data_dir / f"outputs/tables/{name}.csv", usecols=["data_source"])
        assert set(table["data_source"]) == {"sampel_sintetis"}, name  # the synthetic mark on every row
    assert {"estimate", "se", "cv", "ci_low", "ci_high", "deff", "persons"} <= set(direct.columns)
    stored = sorted((data_dir / "storage" / "sae_estimates").glob("*.parquet"))
    assert [p.stem for p in stored] == ["2023", "2024"]
    households = sorted((data_dir / "storage" / "synthetic_household_expenditure").glob("*.parquet"))
    assert [p.stem for p in households] == ["2023", "2024"]

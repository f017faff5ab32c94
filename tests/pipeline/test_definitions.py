"""The code location: every asset described and checked, groups in flow order, telemetry off, loads fast."""

from pathlib import Path

import yaml

from pipelines.definitions import defs

ROOT = Path(__file__).resolve().parents[2]


def test_every_asset_has_a_description_and_a_check():
    graph = defs.resolve_asset_graph()
    checked = {key.asset_key for key in graph.asset_check_keys}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, f"{key.to_user_string()} has no description"
        assert key in checked, f"{key.to_user_string()} has no data-quality check"


def test_groups_follow_the_flow():
    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {"raw", "validated", "estimates", "deltas", "reports", "registry"}


def test_telemetry_off():
    config = yaml.safe_load((ROOT / "deploy" / "local" / "dagster.yaml").read_text())
    assert config["telemetry"]["enabled"] is False
    assert "DAGSTER_DISABLE_TELEMETRY := 1" in (ROOT / "Makefile").read_text()


def test_every_raw_asset_has_a_consumer():
    graph = defs.resolve_asset_graph()
    raw = [key for key in graph.get_all_asset_keys() if graph.get(key).group_name == "raw"]
    assert len(raw) == 15
    assert [key.to_user_string() for key in raw if not graph.get(key).child_keys] == []


def test_imports_go_one_way():
    """pipelines -> assets -> checks -> estimation; nothing imports pipelines; the library never imports Dagster."""
    def importing(folder: str, *modules: str) -> list[str]:
        found = []
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line in path.read_text().splitlines():
                words = line.strip().split()
                if words[:1] in (["import"], ["from"]) and len(words) > 1 and words[1].split(".")[0] in modules:
                    found.append(f"{path.relative_to(ROOT)}: {line.strip()}")
        return found

    assert importing("assets", "pipelines") == []
    assert importing("checks", "pipelines", "assets") == []
    assert importing("estimation", "pipelines", "assets", "checks", "dagster") == []

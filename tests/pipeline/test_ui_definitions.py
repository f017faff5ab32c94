"""What the UI shows of the definitions: an owner and kinds on every asset, a description and a default on every
field of every asset's run config."""

from pipelines.definitions import GROUP_KINDS, OWNERS, defs


def test_every_asset_has_owners_and_kinds():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert list(node.owners) == OWNERS[node.group_name], key.to_user_string()
        assert GROUP_KINDS[node.group_name] <= set(node.kinds), key.to_user_string()
    # the kinds an asset declares itself are kept beside its group's
    assert {"csv", "pandas", "parquet"} <= set(graph.get(_key("raw_p0_kabkota")).kinds)
    assert {"excel", "csv", "parquet"} <= set(graph.get(_key("published_workbook")).kinds)


def _key(name: str):
    from dagster import AssetKey

    return AssetKey(name)


def test_every_config_field_has_a_description_and_a_default():
    graph = defs.resolve_asset_graph()
    fields, seen = {}, set()
    for assets_def in graph.assets_defs:
        if not assets_def.is_executable or assets_def.node_def.name in seen:
            continue
        seen.add(assets_def.node_def.name)
        schema = assets_def.node_def.config_schema
        for name, field in getattr(schema.config_type, "fields", {}).items():
            fields[f"{assets_def.node_def.name}.{name}"] = field
    assert {"poverty_estimates.line_definition", "p0_charts.kabkota_code", "poverty_maps.provinces",
            "padu_padan.reporting_period"} <= set(fields)
    assert [name for name, field in fields.items() if not (field.description or "").strip()] == []
    assert [name for name, field in fields.items() if not field.default_provided] == []

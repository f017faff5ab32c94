"""Thin Dagster assets, one module per layer, and what they share (settings, resources, partitions).

`build_assets(calendar)` returns every asset of the project for the years of one `data/raw` folder (the
partitions and some checks follow the data's years, so the layers that need them are built per calendar).
"""

from __future__ import annotations

from dagster import AssetsDefinition

from assets.partitions import DataCalendar


def build_assets(calendar: DataCalendar) -> list[AssetsDefinition]:
    from assets.deltas import build_deltas_assets
    from assets.estimates import build_estimates_assets
    from assets.raw import build_raw_assets
    from assets.registry import registry_assets
    from assets.reports.charts import chart_assets
    from assets.reports.maps import map_assets
    from assets.reports.profiles import profile_assets
    from assets.reports.registry_tables import registry_report_assets
    from assets.reports.tables import table_assets
    from assets.reports.workbook import workbook_assets
    from assets.validated import validated_assets

    return [*build_raw_assets(calendar), *validated_assets, *build_estimates_assets(calendar),
            *build_deltas_assets(calendar), *registry_assets, *table_assets, *chart_assets,
            *map_assets, *registry_report_assets, *workbook_assets, *profile_assets]

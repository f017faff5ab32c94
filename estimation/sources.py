"""The validated panels and model inputs built straight from a `data/raw` folder, for notebooks, scripts and
tests.

The Dagster assets build the same frames step by step (one asset per file, each checked); this is the
one-call path outside Dagster, so the list of sources that feed each frame lives in one place.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# Catalog names of the files that give the kab/kota panel its P0 / poor (first two) and the poverty line,
# P1 and P2 where published (the rest).
KABKOTA_PANEL_SOURCES = ("p0_kabkota", "poor_kabkota", "kabkota_2023_p0_p1_p2_gk", "poverty_line_2024_byname",
                         "poverty_line_2025_webapi")
PROVINCE_DAERAH_SOURCES = ("p0_daerah_rows", "poor_daerah_rows")
# Catalog names of the published extreme-poverty rates: the national series, then the province list.
EXTREME_TARGET_SOURCES = ("extreme_national", "extreme_province_2023")


def region_reference(raw_dir: str | Path) -> pd.DataFrame:
    """The region list (`estimation.parsers.region_list.read_region_list`) of `raw_dir`."""
    from estimation.parsers.catalog import REGION_LIST_FILE
    from estimation.parsers.region_list import read_region_list

    return read_region_list(Path(raw_dir) / REGION_LIST_FILE)


def kabkota_panel(raw_dir: str | Path) -> pd.DataFrame:
    """Kab/kota x year panel (see `estimation.panel.build_kabkota_panel`) from the files in `raw_dir`."""
    from estimation.panel import build_kabkota_panel
    from estimation.parsers.catalog import parse_source

    cells = {name: parse_source(name, Path(raw_dir)).cells for name in KABKOTA_PANEL_SOURCES}
    p0, poor, *extra = (cells[name] for name in KABKOTA_PANEL_SOURCES)
    return build_kabkota_panel(p0, poor, region_reference(raw_dir), extra_cells=extra)


def province_panel(raw_dir: str | Path) -> pd.DataFrame:
    """Provinces + Indonesia ("0000") x year panel from the files in `raw_dir`."""
    from estimation.panel import build_province_panel
    from estimation.parsers.catalog import parse_source

    cells = {name: parse_source(name, Path(raw_dir)).cells
             for name in (*KABKOTA_PANEL_SOURCES[:2], *PROVINCE_DAERAH_SOURCES)}
    return build_province_panel(cells["p0_kabkota"], cells["poor_kabkota"], region_reference(raw_dir),
                                daerah_cells=[cells[name] for name in PROVINCE_DAERAH_SOURCES])


def dapoer_covariate_table(raw_dir: str | Path) -> pd.DataFrame:
    """DAPOER 2019 covariates per kab/kota (`estimation.covariates.dapoer_covariates`)."""
    from estimation.covariates import dapoer_covariates
    from estimation.parsers.catalog import parse_source

    return dapoer_covariates(parse_source("dapoer_2019", Path(raw_dir)).cells, region_reference(raw_dir))


def extreme_targets(raw_dir: str | Path) -> pd.DataFrame:
    """Published March extreme-poverty rates (`estimation.synthetic.targets.extreme_targets`)."""
    from estimation.parsers.catalog import parse_source
    from estimation.synthetic.targets import extreme_targets as build

    national, province = (parse_source(name, Path(raw_dir)).cells for name in EXTREME_TARGET_SOURCES)
    return build(national, province)

"""Extreme-poverty line definitions used by BPS, as data, and kab/kota extreme lines derived from them.

BPS has used two definitions of extreme poverty (data/raw/bps/kemiskinan_ekstrem_nasional_2021_2025.csv):
- "usd190_2011ppp": USD 1.90 a day (2011 PPP), one national line in Rupiah, no spatial deflator; used up to
  the releases before July 2025. The only Rupiah value in data/raw: Rp 351,957.4 per capita per month, March 2023.
- "usd215_2017ppp": USD 2.15 a day (2017 PPP) with a spatial deflator, from the July 2025 release (March 2024
  revised from 0.83% to 1.26%, then 0.99% Sept 2024 and 0.85% March 2025). data/raw holds no Rupiah value.

Assumptions (stated because BPS did not publish them in data/raw):
- A national extreme line for a year without a published Rupiah value is the nearest published one scaled by
  the ratio of national poverty lines (GK) of the two years: the GK is BPS's own price-updated basket, used
  here as the deflator between rounds.
- The spatial deflator of a kab/kota is its GK divided by the national GK, so under "usd215_2017ppp" the
  kab/kota extreme line is national_extreme_line x GK_kabkota / GK_national. Under "usd190_2011ppp" every
  kab/kota gets the national line.
- For "usd215_2017ppp" no Rupiah anchor exists in data/raw; callers supply one (`national_extreme_line_rp=`),
  e.g. estimation.synthetic derives it by calibrating to the published 2024 rates under both definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

__all__ = [
    "DEFINITIONS",
    "ExtremeLineDefinition",
    "definitions_for_period",
    "get_definition",
    "kabkota_extreme_lines",
    "national_extreme_line_rp",
]


@dataclass(frozen=True)
class ExtremeLineDefinition:
    """One extreme-poverty line definition; published national rates are keyed by period 'YYYY-MM'."""

    name: str
    ppp_dollars_per_day: float
    ppp_year: int
    spatial_deflator: bool
    valid_from_release: str  # first BPS release (YYYY-MM) using the definition
    valid_until_release: str | None  # last release before it was replaced (None = current)
    national_line_rp_by_year: Mapping[int, float] = field(default_factory=dict)  # published, March round
    national_rate_pct_by_period: Mapping[str, float] = field(default_factory=dict)  # published
    label: str = ""

    def with_national_line(self, year: int, rp: float) -> ExtremeLineDefinition:
        """A copy carrying an extra (e.g. derived) national Rupiah line for `year`."""
        lines = dict(self.national_line_rp_by_year)
        lines[int(year)] = float(rp)
        return replace(self, national_line_rp_by_year=lines)


# Values copied from data/raw/bps/kemiskinan_ekstrem_nasional_2021_2025.csv (tests check they agree).
DEFINITIONS: dict[str, ExtremeLineDefinition] = {
    "usd190_2011ppp": ExtremeLineDefinition(
        name="usd190_2011ppp",
        ppp_dollars_per_day=1.90,
        ppp_year=2011,
        spatial_deflator=False,
        valid_from_release="2021-01",
        valid_until_release="2025-06",
        national_line_rp_by_year={2023: 351_957.4},
        national_rate_pct_by_period={"2022-03": 2.04, "2022-09": 1.74, "2023-03": 1.12, "2024-03": 0.83},
        label="USD 1.90 2011 PPP",
    ),
    "usd215_2017ppp": ExtremeLineDefinition(
        name="usd215_2017ppp",
        ppp_dollars_per_day=2.15,
        ppp_year=2017,
        spatial_deflator=True,
        valid_from_release="2025-07",
        valid_until_release=None,
        national_line_rp_by_year={},
        national_rate_pct_by_period={"2024-03": 1.26, "2024-09": 0.99, "2025-03": 0.85},
        label="USD 2.15 2017 PPP with spatial deflator",
    ),
}


def get_definition(definition: str | ExtremeLineDefinition) -> ExtremeLineDefinition:
    """Look a definition up by name (or pass one through)."""
    if isinstance(definition, ExtremeLineDefinition):
        return definition
    try:
        return DEFINITIONS[definition]
    except KeyError:
        raise KeyError(f"unknown extreme line definition {definition!r}; known: {sorted(DEFINITIONS)}") from None


def definitions_for_period(period: str) -> list[str]:
    """Names of the definitions with a published national rate for period 'YYYY-MM'."""
    return [d.name for d in DEFINITIONS.values() if period in d.national_rate_pct_by_period]


def national_extreme_line_rp(
    definition: str | ExtremeLineDefinition,
    year: int,
    national_poverty_lines: Mapping[int, float] | None = None,
) -> tuple[float, str]:
    """National extreme line (Rp/capita/month) for `year` and where it comes from.

    Published value if there is one; else the nearest published year's value times GK_year / GK_anchor
    (needs both years in `national_poverty_lines`). Raises if neither is possible.
    """
    d = get_definition(definition)
    if year in d.national_line_rp_by_year:
        return float(d.national_line_rp_by_year[year]), "published"
    if not d.national_line_rp_by_year:
        raise ValueError(f"{d.name}: no Rupiah line known for any year; pass national_extreme_line_rp")
    anchor = min(d.national_line_rp_by_year, key=lambda y: (abs(y - year), -y))
    gk = national_poverty_lines or {}
    if year not in gk or anchor not in gk:
        raise ValueError(f"{d.name}: deriving {year} from {anchor} needs national poverty lines of both years")
    value = d.national_line_rp_by_year[anchor] * gk[year] / gk[anchor]
    return float(value), f"derived: {anchor} line x GK ratio {year}/{anchor}"


_national_line = national_extreme_line_rp  # the keyword below shadows the function name


def kabkota_extreme_lines(
    poverty_line_rp_by_kabkota: pd.Series,
    national_poverty_line: float,
    definition: str | ExtremeLineDefinition,
    year: int,
    *,
    national_extreme_line_rp: float | None = None,
    national_poverty_lines: Mapping[int, float] | None = None,
) -> pd.DataFrame:
    """Extreme line per kab/kota for one year under one definition.

    Columns: bps_code, year, definition, poverty_line_rp, spatial_deflator, national_extreme_line_rp,
    extreme_line_rp, line_source. The spatial deflator is GK_kabkota / `national_poverty_line` when the
    definition uses one, else 1.
    """
    d = get_definition(definition)
    if national_extreme_line_rp is not None:
        national, source = float(national_extreme_line_rp), "given"
    else:
        lines = dict(national_poverty_lines or {})
        lines.setdefault(int(year), float(national_poverty_line))
        national, source = _national_line(d, year, lines)
    gk = pd.Series(poverty_line_rp_by_kabkota, dtype=float)
    if d.spatial_deflator:
        if not np.isfinite(national_poverty_line) or national_poverty_line <= 0:
            raise ValueError("national_poverty_line must be positive for a spatially deflated definition")
        deflator = gk / float(national_poverty_line)
    else:
        deflator = pd.Series(1.0, index=gk.index)
    return pd.DataFrame(
        {
            "bps_code": gk.index,
            "year": int(year),
            "definition": d.name,
            "poverty_line_rp": gk.to_numpy(),
            "spatial_deflator": deflator.to_numpy(),
            "national_extreme_line_rp": national,
            "extreme_line_rp": national * deflator.to_numpy(),
            "line_source": source,
        }
    )

"""Extreme-poverty line definitions used by BPS, as data, and kab/kota extreme lines derived from them.

BPS has used two definitions of extreme poverty (data/raw/bps/kemiskinan_ekstrem_nasional_2021_2025.csv):
- "usd190_2011ppp": USD 1.90 a day (2011 PPP), used up to the releases before July 2025. The only Rupiah
  value in data/raw: Rp 351,957.4 per capita per month, March 2023 (a national figure).
- "usd215_2017ppp": USD 2.15 a day (2017 PPP) with a spatial deflator, from the July 2025 release (March 2024
  revised from 0.83% to 1.26%, then 0.99% Sept 2024 and 0.85% March 2025). data/raw holds no Rupiah value.

Both are applied between kab/kota through the spatial deflator GK_kabkota / GK_national (GK = poverty line,
GK_national = the population-weighted national line): kab/kota extreme line = national extreme line x
deflator. A flat national Rupiah line is impossible as a kab/kota line: 2023 kab/kota GKs go down to Rp
290,203 (Buton Selatan), below the flat Rp 351,957 line, so its extreme poor would outnumber its poor.
"usd190_2011ppp_flat" keeps that flat line selectable for comparison only (`comparison_only=True`; it carries
no published rate and is NOT what the pipeline uses).

Every definition is capped at the kab/kota poverty line (the extreme poor are a subset of the poor): where
national line x deflator would exceed GK_kabkota the line is set to GK_kabkota and flagged `line_capped`.
With a deflator this only happens if the national extreme line exceeds the national GK; under the flat
variant it happens in every kab/kota whose GK is below the flat line.

Assumptions (stated because BPS did not publish them in data/raw):
- A national extreme line for a year without a published Rupiah value is the nearest published one scaled by
  the ratio of national poverty lines (GK) of the two years: the GK is BPS's own price-updated basket, used
  here as the deflator between rounds.
- The spatial deflator of a kab/kota is its GK divided by the national GK (for USD 1.90 too: BPS published
  one national Rupiah figure, and the kab/kota GK is the only published spatial price index).
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
    "spatial_extreme_lines",
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
    label_id: str = ""  # as readers see it (Bahasa Indonesia, decimal comma)
    comparison_only: bool = False  # kept for comparison; never the default of the pipeline

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
        spatial_deflator=True,  # national Rupiah line x GK_kabkota / GK_national (module docstring)
        valid_from_release="2021-01",
        valid_until_release="2025-06",
        national_line_rp_by_year={2023: 351_957.4},
        national_rate_pct_by_period={"2022-03": 2.04, "2022-09": 1.74, "2023-03": 1.12, "2024-03": 0.83},
        label="USD 1.90 2011 PPP",
        label_id="USD 1,90 PPP 2011",
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
        label_id="USD 2,15 PPP 2017 dengan deflator spasial",
    ),
    # comparison only: the same national Rupiah line for every kab/kota (capped at its GK); no targets
    "usd190_2011ppp_flat": ExtremeLineDefinition(
        name="usd190_2011ppp_flat",
        ppp_dollars_per_day=1.90,
        ppp_year=2011,
        spatial_deflator=False,
        valid_from_release="2021-01",
        valid_until_release="2025-06",
        national_line_rp_by_year={2023: 351_957.4},
        label="USD 1.90 2011 PPP, flat national line (comparison only)",
        label_id="USD 1,90 PPP 2011 (garis tunggal nasional)",
        comparison_only=True,
    ),
}
LINE_LABELS_ID = {name: d.label_id for name, d in DEFINITIONS.items()}


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


def spatial_extreme_lines(
    poverty_line_rp: np.ndarray | pd.Series,
    national_poverty_line: float,
    definition: str | ExtremeLineDefinition,
    national_extreme_line_rp: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(extreme line, spatial deflator, line_capped) per kab/kota for given GKs and national lines.

    extreme line = min(national_extreme_line_rp x deflator, GK_kabkota); deflator = GK_kabkota /
    `national_poverty_line` when the definition uses one, else 1. line_capped marks where the cap bit.
    """
    d = get_definition(definition)
    gk = np.asarray(poverty_line_rp, dtype=float)
    if d.spatial_deflator:
        if not np.isfinite(national_poverty_line) or national_poverty_line <= 0:
            raise ValueError("national_poverty_line must be positive for a spatially deflated definition")
        deflator = gk / float(national_poverty_line)
    else:
        deflator = np.ones_like(gk)
    raw = float(national_extreme_line_rp) * deflator
    capped = raw > gk
    return np.where(capped, gk, raw), deflator, capped


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
    extreme_line_uncapped_rp (national x deflator), extreme_line_rp (capped at poverty_line_rp),
    line_capped, line_source. The spatial deflator is GK_kabkota / `national_poverty_line` when the
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
    line, deflator, capped = spatial_extreme_lines(gk.to_numpy(), national_poverty_line, d, national)
    return pd.DataFrame(
        {
            "bps_code": gk.index,
            "year": int(year),
            "definition": d.name,
            "poverty_line_rp": gk.to_numpy(),
            "spatial_deflator": deflator,
            "national_extreme_line_rp": national,
            "extreme_line_uncapped_rp": national * deflator,
            "extreme_line_rp": line,
            "line_capped": capped,
            "line_source": source,
        }
    )

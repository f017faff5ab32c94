"""Published extreme-poverty rates as calibration targets, and the line definition of a round.

Built from the parsed cells of the catalog sources `extreme_national` and `extreme_province_2023`
(`estimation.parsers.catalog.parse_source(name, raw_dir).cells`); nothing here reads a file, so a new
release only needs its file in data/raw.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from estimation.parsers.delimited import detail_fields
from estimation.poverty_lines import DEFINITIONS, get_definition

__all__ = ["TARGET_COLUMNS", "extreme_targets", "first_target_year", "line_definition_for"]

TARGET_COLUMNS = ["year", "definition", "level", "group", "target_pct"]
RATE_VARIABLE = "extreme_rate_pct"
NATIONAL_GROUP = 0  # BPS code "00" = Indonesia


def _is_march(period: str | None) -> bool:
    """Susenas March round: "YYYY-03" in the national series, "Maret" in the province list."""
    text = (period or "").strip().lower()
    return text.endswith("-03") or text == "maret"


def _march_rates(cells: pd.DataFrame) -> pd.DataFrame:
    """Published March rates in file order, with their detail fields as columns."""
    rates = cells[(cells["variable"] == RATE_VARIABLE) & cells["value"].notna()]
    details = pd.DataFrame([detail_fields(d) for d in rates["detail"]], index=rates.index)
    rates = rates.join(details.reindex(columns=["period", "line"]))
    return rates[rates["period"].map(_is_march)]


def _by_release(names: set[str]) -> list[str]:
    """Definition names, oldest first release first."""
    return sorted(names, key=lambda name: DEFINITIONS[name].valid_from_release)


def extreme_targets(national_cells: pd.DataFrame, province_cells: pd.DataFrame) -> pd.DataFrame:
    """March extreme-poverty rates: columns year, definition, level, group, target_pct (percent).

    level "national" (group 0) or "province" (group = BPS province code as published, the pre-2022-split
    codes for Papua). The national series names its line per row; the province list names none: its rates
    are on the oldest definition with a national rate that year (the province figures came out with the
    first release of the round, before any revision to a newer line).
    """
    label_to_name = {d.label: d.name for d in DEFINITIONS.values()}
    nat = _march_rates(national_cells)
    unknown = set(nat["line"]) - set(label_to_name)
    if unknown:
        raise ValueError(f"unknown extreme line label(s) {sorted(unknown)}; known: {sorted(label_to_name)}")
    rows: list[dict[str, Any]] = [{"year": int(r.year), "definition": label_to_name[r.line], "level": "national",
             "group": NATIONAL_GROUP, "target_pct": float(r.value)} for r in nat.itertuples()]
    by_year: dict[int, set[str]] = {}
    for row in rows:
        by_year.setdefault(row["year"], set()).add(row["definition"])
    prov = _march_rates(province_cells)
    prov = prov[prov["region_code"].astype(int) != NATIONAL_GROUP]
    for r in prov.itertuples():
        year = int(r.year)
        if year not in by_year:
            raise ValueError(f"province extreme rate for {year} without a national rate to take its line")
        rows.append({"year": year, "definition": _by_release(by_year[year])[0], "level": "province",
                     "group": int(r.region_code), "target_pct": float(r.value)})
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def first_target_year(targets: pd.DataFrame) -> int:
    """First year with a published national March rate (the first round that can be estimated)."""
    national = targets[targets["level"] == "national"]
    if national.empty:
        raise ValueError("no national extreme-poverty rate in the targets")
    return int(national["year"].min())


def line_definition_for(year: int, targets: pd.DataFrame, configured: str = "auto") -> str:
    """Extreme line definition of round `year`: `configured` unless "auto".

    "auto": the newest definition (by first release) with a published national March rate for `year`
    (where a year was revised to a new line, the revised series); for a year without one, the newest
    definition with a published national rate in an earlier year (the line in force).
    """
    if configured != "auto":
        return get_definition(configured).name
    national = targets[targets["level"] == "national"]
    names = set(national.loc[national["year"] == year, "definition"])
    if not names:
        names = set(national.loc[national["year"] < year, "definition"])
    if not names:
        raise ValueError(f"no published national extreme-poverty rate in or before {year}")
    return _by_release(names)[-1]

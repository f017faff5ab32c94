"""Internal consistency of the published figures: kab/kota counts add up to their province.

Tolerance (default): the rounding bound. Each of the n kab/kota figures and the province figure is rounded
to the published decimals d, so the sum may differ by at most 0.5 * 10**-d * (n + 1): 0.195 thousand for
Jawa Timur (38 kab/kota, 2 decimals since 2015), 1.0 thousand for 19 kab/kota at 1 decimal (before 2015).
What the real tables show (poor_thousand, complete provinces, Papua split exempt): at most 0.06 thousand
from 2015 on (Jawa Timur 2024: 3,982.73 vs 3,982.69), at most 0.3 before 2015, with one real exception:
D I Yogyakarta 2006 (kab/kota 652.0 vs province 648.7), listed in DOCUMENTED_INCONSISTENCIES: exempt
from the blocking check with its reason, so a new inconsistency still stops the run.

Exempt: the provinces touched by the 2022 Papua split, before the first year the new provinces have
figures (derived from the reference and the data: PAPUA and PAPUA BARAT rows before 2024 are for the
pre-split provinces while the kab/kota are listed under the 2025 provinces; BPS footnote), and
province-years where some kab/kota has no figure (the sum is then incomplete, not inconsistent).
"""

from __future__ import annotations

import pandas as pd

COMPARISON_COLUMNS = [
    "prov_code", "prov_name", "year", "kab_sum", "prov_value", "difference", "tolerance", "within_tolerance",
    "exempt", "exempt_reason", "n_kabkota", "n_with_value",
]


def _decimals(values: pd.Series) -> int:
    """Published decimals of a group of figures (at most 2), read off the rounded values."""
    decimals = 0
    for value in values.dropna():
        for d in (0, 1, 2):
            if abs(value - round(value, d)) < 1e-9:
                decimals = max(decimals, d)
                break
        else:
            decimals = 2
    return decimals


# The 2022 Papua split as data/raw/reference/regions_bps_kabkota_2025.csv records it (bps_code_pre2022):
# parents PAPUA (94) and PAPUA BARAT (91); new PAPUA SELATAN/TENGAH/PEGUNUNGAN/BARAT DAYA. Used when no
# reference is passed.
PAPUA_SPLIT = ({"91", "94"}, {"92", "95", "96", "97"})

# Inconsistencies in the published BPS tables themselves, found by this check and kept on record: the
# figures stay as published, the row is exempt from the blocking check, and the reason is carried along.
DOCUMENTED_INCONSISTENCIES: dict[tuple[str, int], str] = {
    ("34", 2006): "BPS tables disagree: D I Yogyakarta kab/kota sum 652.0 thousand vs province 648.7 "
                  "(published as is; not a parsing fault)",
}


def split_provinces(reference: pd.DataFrame | None = None) -> tuple[set[str], set[str]]:
    """(parent, new) province codes of kab/kota that changed province (code differs from the pre-2022 code)."""
    if reference is None:
        return PAPUA_SPLIT
    kab = reference[reference["level"] != "provinsi"]
    moved = kab[kab["bps_code_pre2022"].str[:2] != kab["prov_code"]]
    return set(moved["bps_code_pre2022"].str[:2]), set(moved["prov_code"])


def province_sum_comparison(
    kab_panel: pd.DataFrame,
    prov_panel: pd.DataFrame,
    variable: str = "poor_thousand",
    tolerance: float | None = None,
    *,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Sum of kab/kota figures against the province figure, per province and year where both exist.

    tolerance None: the rounding bound 0.5 * 10**-d * (n_kabkota + 1) per row (see module docstring);
    a number: that absolute tolerance for every row.
    """
    groups = kab_panel.groupby(["prov_code", "year"], sort=True)
    sums = groups[variable].agg(kab_sum="sum", n_with_value="count").reset_index()
    sums["n_kabkota"] = groups.size().to_numpy()
    decimals = groups[variable].agg(_decimals).rename("decimals").reset_index()
    sums = sums.merge(decimals, on=["prov_code", "year"])
    sums["kab_sum"] = sums["kab_sum"].round(2)

    province = prov_panel.loc[prov_panel["level"] == "provinsi", ["prov_code", "prov_name", "year", variable]]
    province = province.rename(columns={variable: "prov_value"})
    out = sums.merge(province, on=["prov_code", "year"], how="inner")
    out = out[out["prov_value"].notna() & (out["n_with_value"] > 0)].copy()
    out["difference"] = (out["kab_sum"] - out["prov_value"]).round(2)
    if tolerance is None:
        out["tolerance"] = 0.5 * 10.0 ** (-out["decimals"]) * (out["n_kabkota"] + 1)
    else:
        out["tolerance"] = float(tolerance)
    out["within_tolerance"] = out["difference"].abs() <= out["tolerance"] + 1e-9

    parents, new_provinces = split_provinces(reference)
    split = parents | new_provinces
    new_years = prov_panel.loc[prov_panel["prov_code"].isin(new_provinces) & prov_panel[variable].notna(), "year"]
    first_split_year = int(new_years.min()) if not new_years.empty else None

    reasons: list[object] = []
    for row in out.itertuples(index=False):
        if first_split_year is not None and row.prov_code in split and row.year < first_split_year:
            reasons.append(f"province row before the 2022 Papua split (new provinces have figures from "
                           f"{first_split_year}); kab/kota are listed under their 2025 provinces")
        elif (row.prov_code, int(row.year)) in DOCUMENTED_INCONSISTENCIES and not row.within_tolerance:
            reasons.append(DOCUMENTED_INCONSISTENCIES[(row.prov_code, int(row.year))])
        elif row.n_with_value < row.n_kabkota:
            reasons.append(f"incomplete: {row.n_kabkota - row.n_with_value} of {row.n_kabkota} kab/kota "
                           f"without a figure")
        else:
            reasons.append(pd.NA)
    out["exempt_reason"] = pd.array(reasons, dtype="string")
    out["exempt"] = out["exempt_reason"].notna()
    return out[COMPARISON_COLUMNS].sort_values(["prov_code", "year"]).reset_index(drop=True)

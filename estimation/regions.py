"""The 2025 region reference (38 provinces, 514 kab/kota) and matching published names to BPS codes.

BPS tables carry names only, spelt differently across years and sources; a name alone is not unique
(Kediri vs Kota Kediri, the same kab name in two provinces), so the province block a row stands in is used
as context. Kab/kota moved by the 2022 Papua split still match when listed under their old province.
Nothing is dropped: a name that does not match keeps bps_code <NA> and is listed by `unmatched_names`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

INDONESIA_CODE = "0000"
# The kab/kota of the field notes (../shared/context): Jombang, Kota Mojokerto, Lebak, Kota Palangka Raya.
FIELD_NOTES_KABKOTA = ("3517", "3576", "3602", "6271")

# Name variants met in BPS files (data/raw/SOURCES.md). Each group is one region; the optional province
# code restricts a variant to where it is known (e.g. "Kota Baru" is the kabupaten Kotabaru in Kalsel).
NAME_VARIANTS: list[tuple[tuple[str, ...], str | None]] = [
    (("Toba Samosir", "Toba"), "12"),
    (("Pontianak", "Mempawah"), "61"),
    (("Mamuju Utara", "Pasangkayu"), "76"),
    (("Maluku Tenggara Barat", "Kepulauan Tanimbar"), "81"),
    (("Kota Baru", "Kotabaru"), "63"),
    (("Pasir", "Paser"), "64"),
    (("Karang Asem", "Karangasem"), "51"),
    (("Mahakam Hulu", "Mahakam Ulu"), "64"),
]

# Province spellings seen across BPS products.
PROVINCE_VARIANTS: list[tuple[str, ...]] = [
    ("D I YOGYAKARTA", "DI YOGYAKARTA", "DAERAH ISTIMEWA YOGYAKARTA", "YOGYAKARTA"),
    ("KEP. BANGKA BELITUNG", "KEPULAUAN BANGKA BELITUNG", "BANGKA BELITUNG"),
    ("DKI JAKARTA", "DAERAH KHUSUS IBUKOTA JAKARTA", "JAKARTA"),
    ("ACEH", "NANGGROE ACEH DARUSSALAM", "NAD"),
]

MATCH_COLUMNS = ["bps_code", "match_method"]


class _Candidate(NamedTuple):
    bps_code: str
    name: str
    prov_code: str
    pre_prov: str  # province of the pre-2022 code


def normalise_name(name: str) -> str:
    """Lower case, punctuation to spaces, "Kab."/"Kabupaten" prefix dropped, "(Kota)" suffix made a prefix."""
    text = str(name).lower().strip()
    suffix_kota = re.search(r"\(\s*kota\s*\)\s*$", text) is not None
    text = re.sub(r"\(\s*(kab|kabupaten|kota)\s*\.?\s*\)\s*$", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = re.sub(r"^(kabupaten|kab)\s+", "", text)
    text = re.sub(r"^kep\s+", "kepulauan ", text)
    if suffix_kota and not text.startswith("kota "):
        text = "kota " + text
    return text


def _variant_key(key: str, prov_code: str | None) -> str:
    for keys, prov in _VARIANT_KEYS:
        if key in keys and (prov is None or prov_code is None or prov == prov_code):
            return keys[0]
    return key


_VARIANT_KEYS = [([normalise_name(n) for n in names], prov) for names, prov in NAME_VARIANTS]


def _province_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", " ", str(name).lower()).strip()
    for group in PROVINCE_VARIANTS:
        keys = [re.sub(r"[^a-z0-9]+", " ", g.lower()).strip() for g in group]
        if key in keys:
            return keys[0]
    return key


def match_region_names(cells: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Cells plus bps_code (<NA> when nothing matches) and match_method.

    match_method: "code" (region_code: BPS code, pre-2022 code or DAPOER id), "exact", "normalised" (case,
    spacing, punctuation, prefix), "variant" (a known renaming), "indonesia"; for an unmatched name "unmatched", "ambiguous" (several
    candidates the province cannot separate) or "province_mismatch".
    """
    out = cells.copy()
    provinces = reference[reference["level"] == "provinsi"]
    kabkota = reference[reference["level"] != "provinsi"]
    prov_by_key = {_province_key(n): str(c) for n, c in zip(provinces["prov_name"], provinces["prov_code"],
                                                              strict=True)}
    prov_names = set(provinces["prov_name"].dropna())
    codes = set(reference["bps_code"].dropna()) | set(reference["bps_code_pre2022"].dropna())
    pre_to_new = dict(zip(reference["bps_code_pre2022"], reference["bps_code"], strict=True))
    # current code wins over the pre-2022 code where they collide (9100 is both)
    pre_to_new.update({c: c for c in reference["bps_code"]})
    # World Bank DAPOER location ids (ID.JI.JO) are codes too
    dapoer = reference.dropna(subset=["dapoer_loc_id"])
    pre_to_new.update(dict(zip(dapoer["dapoer_loc_id"].str.upper(), dapoer["bps_code"], strict=True)))
    codes |= set(dapoer["dapoer_loc_id"].str.upper())

    # plain dicts of candidate lists: pandas filtering per name is far too slow for wide tables
    by_key: dict[str, list[_Candidate]] = {}
    by_compact: dict[str, list[_Candidate]] = {}
    for code, name, prov, pre in zip(kabkota["bps_code"], kabkota["name"], kabkota["prov_code"],
                                     kabkota["bps_code_pre2022"], strict=True):
        candidate = _Candidate(str(code), str(name), str(prov), str(pre)[:2])
        normal = normalise_name(name)
        by_key.setdefault(_variant_key(normal, str(prov)), []).append(candidate)
        by_compact.setdefault(normal.replace(" ", ""), []).append(candidate)

    keys = pd.DataFrame({
        "code": out["region_code"] if "region_code" in out.columns else pd.NA,
        "name": out["region_name"],
        "province": out["province_name"] if "province_name" in out.columns else pd.NA,
        "is_prov": out["is_province_row"] if "is_province_row" in out.columns else pd.NA,
    }).astype("object")
    keys = keys.where(keys.notna(), None)
    # match each distinct (code, name, province, row kind) once: a wide table repeats them per year
    results: dict[tuple, tuple[object, str]] = {}
    for key in set(keys.itertuples(index=False, name=None)):
        code, name, province, is_prov = key
        results[key] = _match_one(code, name, province, None if is_prov is None else bool(is_prov), codes,
                                  pre_to_new, prov_by_key, prov_names, by_key, by_compact)
    matched = [results[k] for k in keys.itertuples(index=False, name=None)]
    out["bps_code"] = pd.array([m[0] for m in matched], dtype="string")
    out["match_method"] = pd.array([m[1] for m in matched], dtype="string")
    return out


def _match_one(code, name, province, is_prov, codes, pre_to_new, prov_by_key, prov_names, by_key, by_compact):
    if code is not None and pd.notna(code) and str(code).strip():
        if str(code).strip().upper() in codes:
            return pre_to_new[str(code).strip().upper()], "code"
        digits = re.sub(r"\D", "", str(code))
        if len(digits) == 2:
            digits += "00"
        if digits in codes:
            return pre_to_new[digits], "code"
    if pd.isna(name) or not str(name).strip():
        return pd.NA, "unmatched"
    if _province_key(name) == "indonesia":
        return INDONESIA_CODE, "indonesia"
    prov_code = prov_by_key.get(_province_key(province)) if pd.notna(province) else None
    if is_prov or (is_prov is None and _province_key(name) in prov_by_key):
        found = prov_by_key.get(_province_key(name))
        if found is None:
            return pd.NA, "unmatched"
        return found + "00", "exact" if str(name).strip() in prov_names else "normalised"

    key = normalise_name(name)
    for candidates, fallback_method in (
        (by_key.get(_variant_key(key, prov_code)), "variant"),
        (by_compact.get(key.replace(" ", "")), "normalised"),
    ):
        if not candidates:
            continue
        if prov_code is not None:
            # the province a row stands under, now or before the 2022 split
            candidates = [c for c in candidates if prov_code in (c.prov_code, c.pre_prov)]
            if not candidates:
                return pd.NA, "province_mismatch"
        if len(candidates) > 1:
            return pd.NA, "ambiguous"
        hit = candidates[0]
        if str(name).strip() == hit.name:
            return hit.bps_code, "exact"
        if key == normalise_name(hit.name):
            return hit.bps_code, "normalised"
        return hit.bps_code, fallback_method
    return pd.NA, "unmatched"


def unmatched_names(matched: pd.DataFrame) -> pd.DataFrame:
    """One row per source row whose name found no code, so a check can name file and row."""
    columns = ["source_file", "source_row", "source_column", "region_name", "province_name"]
    missing = matched[matched["bps_code"].isna()]
    extra = [c for c in ("match_method",) if c in missing.columns]
    return (
        missing.drop_duplicates(subset=["source_file", "source_row", "region_name"])[columns + extra]
        .sort_values(["source_file", "source_row"])
        .reset_index(drop=True)
    )

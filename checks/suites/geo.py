"""Suite of the raw kab/kota geometry (data/raw/geo, decoded by `estimation.parsers.topojson`).

Blocking: topo ids are "PP-KK", every vertex lies in Indonesia's box, every ring is closed. Warnings (known
faults of the 2016 file, shown with their rows; the maps name these kab/kota under the map): rings the
simplification collapsed to a line (Sibolga's only ring, two Aceh Singkil entries), a topo id whose entries
carry no geometry (31-01 Kepulauan Seribu), kab/kota of the region list without a shape with an area (the
four Sulawesi Tenggara regencies 7412-7415 created after the shapefile, Kepulauan Seribu, Sibolga), names
that disagree with the attribute file.
"""

from __future__ import annotations

import pandas as pd

from checks.gx_bridge import Rule, Suite
from estimation.parsers.topojson import ring_table

# Indonesia's extent with a margin (the file spans 95.0-141.0 E, 11.0 S-5.9 N).
LON_RANGE, LAT_RANGE = (94.0, 142.0), (-12.0, 7.0)
TOPO_ID_REGEX = r"^\d{2}-\d{2}$"


def _features(rings: pd.DataFrame) -> pd.DataFrame:
    return rings.drop_duplicates(subset=["feature"])[["source_file", "feature", "topo_id", "name", "province"]]


def _drawn(rings: pd.DataFrame) -> pd.DataFrame:
    return rings[rings["vertex"].notna()]


def _rings(rings: pd.DataFrame) -> pd.DataFrame:
    """One row per ring: closed (ok) and with an area (has_area)."""
    table = ring_table(rings)
    return table.assign(ok=table["closed"])


def _ids_with_geometry(rings: pd.DataFrame) -> pd.DataFrame:
    """One row per topo id: does any of its entries have coordinates."""
    has = rings.assign(drawn=rings["vertex"].notna()).groupby("topo_id", sort=True)
    out = has.agg(name=("name", "first"), province=("province", "first"), entries=("feature", "nunique"),
                  ok=("drawn", "any"))
    return out.reset_index()


def _kabkota_coverage(rings: pd.DataFrame, raw_region_reference: pd.DataFrame) -> pd.DataFrame:
    """One row per kab/kota of the region list: its topo id has a drawn shape."""
    ref = raw_region_reference[raw_region_reference["level"] != "provinsi"]
    table = ring_table(rings)
    drawn_ids = set(table.loc[table["has_area"], "topo_id"].astype(str))
    ok = ref["topo_id"].astype("string").isin(drawn_ids).fillna(False).astype(bool)
    return pd.DataFrame({"bps_code": ref["bps_code"].astype(str).to_numpy(), "name": ref["name"].astype(str).to_numpy(),
                         "prov_name": ref["prov_name"].astype(str).to_numpy(),
                         "topo_id": ref["topo_id"].astype("string").fillna("").to_numpy(), "ok": ok.to_numpy()})


def _attribute_names(rings: pd.DataFrame, topo_attributes: pd.DataFrame) -> pd.DataFrame:
    """One row per geometry entry: the attribute file has its id with the same name."""
    features = _features(rings)
    names = topo_attributes.drop_duplicates(subset=["topo_id"]).set_index("topo_id")["name"]
    listed = features["topo_id"].map(names)
    return features.assign(attribute_name=listed, ok=(listed == features["name"]).fillna(False).astype(bool))


def geometry_suite() -> Suite:
    return Suite("raw_kabkota_geometry", [
        Rule("topo_ids_valid", "every geometry has an id 'PP-KK' (province and kab/kota code, pre-2022)",
             lambda E: E.ExpectColumnValuesToMatchRegex(column="topo_id", regex=TOPO_ID_REGEX),
             frame=_features, locate=("source_file", "feature", "topo_id", "name")),
        Rule("longitudes_in_indonesia",
             f"every vertex within {LON_RANGE[0]}-{LON_RANGE[1]} degrees longitude",
             lambda E: E.ExpectColumnValuesToBeBetween(column="lon", min_value=LON_RANGE[0], max_value=LON_RANGE[1]),
             frame=_drawn, locate=("source_file", "feature", "topo_id", "part", "ring", "vertex")),
        Rule("latitudes_in_indonesia",
             f"every vertex within {LAT_RANGE[0]}-{LAT_RANGE[1]} degrees latitude",
             lambda E: E.ExpectColumnValuesToBeBetween(column="lat", min_value=LAT_RANGE[0], max_value=LAT_RANGE[1]),
             frame=_drawn, locate=("source_file", "feature", "topo_id", "part", "ring", "vertex")),
        Rule("rings_closed", "every ring ends on its first vertex",
             lambda E: E.ExpectColumnValuesToBeInSet(column="ok", value_set=[True]),
             frame=_rings, locate=("source_file", "feature", "topo_id", "name", "part", "ring")),
        Rule("rings_have_area", "every ring encloses an area (the simplification collapsed some to a line)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="has_area", value_set=[True]), severity="WARNING",
             frame=_rings, locate=("source_file", "feature", "topo_id", "name", "part", "ring", "vertices")),
        Rule("ids_have_geometry", "every topo id has at least one entry with coordinates",
             lambda E: E.ExpectColumnValuesToBeInSet(column="ok", value_set=[True]), severity="WARNING",
             frame=_ids_with_geometry, locate=("topo_id", "name", "province")),
        Rule("kabkota_have_geometry",
             "every kab/kota of the region list has a shape with an area (the maps name the others under the map)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="ok", value_set=[True]), severity="WARNING",
             frame=_kabkota_coverage, needs=("raw_region_reference",),
             locate=("bps_code", "name", "prov_name", "topo_id")),
        Rule("names_match_attributes", "every geometry's name equals the attribute file's name for its id",
             lambda E: E.ExpectColumnValuesToBeInSet(column="ok", value_set=[True]), severity="WARNING",
             frame=_attribute_names, needs=("topo_attributes",),
             locate=("source_file", "feature", "topo_id", "name", "attribute_name")),
    ])

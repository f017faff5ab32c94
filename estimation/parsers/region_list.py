"""Reader of the BPS region list (data/raw/reference/regions_bps_kabkota_2025.csv).

38 provinces and 514 kab/kota with 2025 and pre-2022 codes, TopoJSON and DAPOER ids; codes stay text with
their leading zeros.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["read_region_list"]


def read_region_list(path: Path) -> pd.DataFrame:
    """The region list with codes kept as zero-padded strings and `population_2019_dapoer` as Int64."""
    # only empty fields are missing, plus the literal "NA" the population column uses
    ref = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", pd.NA)
    ref["population_2019_dapoer"] = ref["population_2019_dapoer"].replace("NA", pd.NA)
    ref["bps_code"] = ref["bps_code"].str.zfill(4)
    ref["bps_code_pre2022"] = ref["bps_code_pre2022"].str.zfill(4)
    ref["prov_code"] = ref["prov_code"].str.zfill(2)
    ref["population_2019_dapoer"] = pd.to_numeric(ref["population_2019_dapoer"]).astype("Int64")
    string_columns = [c for c in ref.columns if c != "population_2019_dapoer"]
    ref[string_columns] = ref[string_columns].astype("string")
    return ref.reset_index(drop=True)

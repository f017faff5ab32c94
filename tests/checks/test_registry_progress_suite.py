"""The padu padan progress suite: passes on the TKPK table, fails on a negative count or a broken sum."""

import pandas as pd

from checks.suites.registry import padu_padan_progress_suite
from estimation.registry.padu_padan import CATEGORIES
from tests.checks.test_suites import failing


def test_padu_padan_progress_suite():
    counts = dict.fromkeys(CATEGORIES, 0) | {"keluar_desil_1": 260, "desil_1_intervensi_optimal": 80,
                                              "desil_1_belum_optimal_hidup": 4, "desil_1_belum_optimal_meninggal": 1}
    progress = pd.DataFrame([{"period": "2024-11 3517", "kabkota_code": "3517", "kecamatan": "Badire",
                              "persons": 345, **counts, "still_desil1": 85}])
    suite = padu_padan_progress_suite()
    assert failing(suite, progress) == set()
    assert failing(suite, progress.assign(persons=346)) == {"categories_add_up"}
    assert failing(suite, progress.assign(still_desil1=84)) == {"categories_add_up"}
    broken = progress.assign(keluar_desil_1=-1, tidak_ditemukan=261)  # adds up, but a count is negative
    assert failing(suite, broken) == {"counts_nonnegative"}

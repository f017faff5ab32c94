"""NIK / No. KK normalisation and validation, vectorised over a pandas Series.

NIK layout (Kemendagri): PPKKCC DDMMYY SSSS
  PP province, KK kab/kota, CC kecamatan (together the 6-digit region code of registration),
  DD birth day (+40 for women), MM month, YY year, SSSS serial.
No. KK: 16 digits, the first 6 also a region code, but no birth date.

Spreadsheets mangle these numbers: a leading apostrophe (text marker), spaces, or a float export in
scientific notation (3.5171e+15). A float keeps only ~15-16 significant digits and the export usually
far fewer, so a scientific-notation value cannot be recovered: it is counted as invalid, never guessed.

Reports name invalid rows by count and row number only: a NIK is never echoed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NIK_STATUSES = (
    "valid",
    "missing",
    "scientific_notation",
    "non_digit",
    "bad_length",
    "region_mismatch",
    "bad_birth_date",
)

_SCI = r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$"


def normalise_nik(values: pd.Series) -> pd.Series:
    """Strip whitespace (incl. non-breaking and inner spaces) and a leading apostrophe; keep text."""
    s = pd.Series(values, copy=False).astype("string")
    s = s.str.replace(r"[\s\u00a0]+", "", regex=True)
    s = s.str.replace(r"^[\u2018\u2019']+", "", regex=True)
    return s.mask(s == "", pd.NA)


def validate_nik(nik_series: pd.Series, kabkota_code: str | pd.Series | None = None) -> pd.Series:
    """Per-row status, one of NIK_STATUSES; checks apply in that order, the first failure wins.

    `kabkota_code`: 4-digit Kemendagri code (equal to BPS code here) the row should belong to, or a
    Series of codes aligned with `nik_series`, or None to skip the region check. A NIK registered in
    another kab/kota (people move) is a region_mismatch: flagged for verification, not discarded here.
    """
    nik = normalise_nik(nik_series)
    status = np.full(len(nik), "valid", dtype=object)
    missing = nik.isna().to_numpy()
    filled = nik.fillna("")
    sci = filled.str.match(_SCI).to_numpy(dtype=bool) & ~missing
    digits = filled.str.fullmatch(r"\d+").to_numpy(dtype=bool)
    non_digit = ~missing & ~sci & ~digits
    bad_length = ~missing & digits & (filled.str.len().to_numpy() != 16)
    ok = ~missing & digits & ~bad_length
    region = np.zeros(len(nik), dtype=bool)
    if kabkota_code is not None:
        expected = (
            pd.Series(kabkota_code, index=nik.index).astype("string")
            if not isinstance(kabkota_code, str)
            else kabkota_code
        )
        prefix = filled.str.slice(0, 4)
        region = ok & (prefix != expected).to_numpy(dtype=bool)
    day = pd.to_numeric(filled.str.slice(6, 8).where(ok, "0"), errors="coerce").to_numpy()
    month = pd.to_numeric(filled.str.slice(8, 10).where(ok, "0"), errors="coerce").to_numpy()
    good_day = ((day >= 1) & (day <= 31)) | ((day >= 41) & (day <= 71))
    bad_date = ok & ~region & ~(good_day & (month >= 1) & (month <= 12))
    status[missing] = "missing"
    status[sci] = "scientific_notation"
    status[non_digit] = "non_digit"
    status[bad_length] = "bad_length"
    status[region] = "region_mismatch"
    status[bad_date] = "bad_birth_date"
    return pd.Series(status, index=nik.index, dtype="string", name="nik_status")


def validate_kk(kk_series: pd.Series) -> pd.Series:
    """No. KK check: normalised, 16 digits (statuses valid / missing / scientific_notation / non_digit /
    bad_length). No region or date check: the family card is issued where the family lives."""
    kk = normalise_nik(kk_series)
    filled = kk.fillna("")
    status = np.full(len(kk), "valid", dtype=object)
    digits = filled.str.fullmatch(r"\d+").to_numpy(dtype=bool)
    sci = filled.str.match(_SCI).to_numpy(dtype=bool)
    status[~digits] = "non_digit"
    status[sci] = "scientific_notation"
    status[digits & (filled.str.len().to_numpy() != 16)] = "bad_length"
    status[kk.isna().to_numpy()] = "missing"
    return pd.Series(status, index=kk.index, dtype="string", name="kk_status")


def sex_from_nik(nik: pd.Series) -> pd.Series:
    """'P' (perempuan) when the day field is > 40, else 'L'; <NA> when not 16 digits."""
    n = normalise_nik(nik).fillna("")
    ok = n.str.fullmatch(r"\d{16}").to_numpy(dtype=bool)
    day = pd.to_numeric(n.str.slice(6, 8).where(ok, "0"), errors="coerce").to_numpy(dtype=float)
    out = pd.Series(np.where(day > 40, "P", "L"), index=n.index, dtype="string")
    return out.mask(~ok, pd.NA)


def invalid_report(status: pd.Series, row_numbers: pd.Series | np.ndarray | None = None) -> dict[str, object]:
    """Counts per status and the row numbers of invalid rows (never the values).

    `row_numbers`: the source row number of each entry (defaults to 1-based position)."""
    rows = np.arange(1, len(status) + 1) if row_numbers is None else np.asarray(row_numbers)
    counts = {k: int(v) for k, v in status.value_counts().items()}
    bad = (status != "valid").to_numpy(dtype=bool)
    by_status = {
        str(k): [int(r) for r in rows[bad & (status == k).to_numpy(dtype=bool)]]
        for k in counts
        if k != "valid"
    }
    return {"counts": counts, "invalid_rows": by_status, "n_invalid": int(bad.sum())}

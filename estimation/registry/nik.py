"""NIK / No. KK normalisation and validation, vectorised over a pandas Series.

NIK layout (Kemendagri): PPKKCC DDMMYY SSSS
  PP province, KK kab/kota, CC kecamatan (together the 6-digit region code of registration),
  DD birth day (+40 for women), MM month, YY year, SSSS serial. DDMMYY must be a real date
  (day 00 or 40, 30 Feb, 31 Apr are not): a bad_birth_date NIK is still 16 digits and may match.
No. KK: 16 digits, the first 6 also a region code, but no birth date.

Spreadsheets mangle these numbers: a leading apostrophe (text marker), spaces, or a float export in
scientific notation (3.5171e+15). A float keeps only ~15-16 significant digits and the export usually
far fewer, so a scientific-notation value cannot be recovered: it is counted as invalid, never guessed.

Reports name invalid rows by count and row number only: a NIK is never echoed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


def _arrow(values: pd.Series | object) -> pa.Array:
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(s.dtype, pd.ArrowDtype):
        return pa.array(s.array).cast(pa.string())
    return pa.array(s.astype("object").where(s.notna(), None).to_numpy(), type=pa.string(), from_pandas=True)


def _series(arr: pa.Array, index: pd.Index, name: str | None = None) -> pd.Series:
    return pd.Series(arr.to_numpy(zero_copy_only=False), index=index, dtype="string", name=name)


def _normalise_arrow(values: pd.Series | object) -> pa.Array:
    a = _arrow(values)
    a = pc.replace_substring_regex(a, r"[\s\x{00a0}]+", "")
    a = pc.replace_substring_regex(a, r"^[\x{2018}\x{2019}']+", "")
    return pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a)


def normalise_nik(values: pd.Series) -> pd.Series:
    """Strip whitespace (incl. non-breaking and inner spaces) and a leading apostrophe; keep text."""
    index = values.index if isinstance(values, pd.Series) else pd.RangeIndex(len(values))
    return _series(_normalise_arrow(values), index)


def _np(mask: pa.Array) -> np.ndarray:
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False).astype(bool)


def _digits(a: pa.Array, ok: np.ndarray, start: int) -> np.ndarray:
    """The two-digit field at `start` of each 16-digit NIK as an integer (0 where not 16 digits)."""
    field = pc.if_else(pa.array(ok), pc.utf8_slice_codeunits(a, start, start + 2), "0")
    return pc.fill_null(pc.cast(field, pa.int16()), 0).to_numpy(zero_copy_only=False)


# Days per month; February gets 29 in a leap year. YY is two digits: 19YY and 20YY are both leap when
# YY % 4 == 0 (1900 aside, and nobody in a registry was born in 1900), so YY % 4 decides.
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _calendar_date(day: np.ndarray, month: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """DD (+40 for women) MM YY is a real date: day 00 / 40, 30 Feb, 31 Apr or 29 Feb 2001 are not."""
    dom = np.where(day >= 40, day - 40, day)  # day of month; day 40 (a woman's 00) gives 0
    good_month = (month >= 1) & (month <= 12)
    length = _MONTH_DAYS[np.where(good_month, month, 0)] + ((month == 2) & (yy % 4 == 0))
    return good_month & (dom >= 1) & (dom <= length)


def validate_nik(nik_series: pd.Series, kabkota_code: str | pd.Series | None = None) -> pd.Series:
    """Per-row status, one of NIK_STATUSES; checks apply in that order, the first failure wins.

    `kabkota_code`: 4-digit Kemendagri code (equal to BPS code here) the row should belong to, or a
    Series of codes aligned with `nik_series`, or None to skip the region check. A NIK registered in
    another kab/kota (people move) is a region_mismatch: flagged for verification, not discarded here.
    """
    index = nik_series.index if isinstance(nik_series, pd.Series) else pd.RangeIndex(len(nik_series))
    a = _normalise_arrow(nik_series)
    missing = _np(pc.is_null(a))
    sci = _np(pc.match_substring_regex(a, _SCI)) & ~missing
    digits = _np(pc.match_substring_regex(a, r"^\d+$"))
    non_digit = ~missing & ~sci & ~digits
    length = pc.fill_null(pc.utf8_length(a), 0).to_numpy(zero_copy_only=False)
    bad_length = ~missing & digits & (length != 16)
    ok = ~missing & digits & ~bad_length
    region = np.zeros(len(a), dtype=bool)
    if kabkota_code is not None:
        prefix = pc.utf8_slice_codeunits(a, 0, 4)
        if isinstance(kabkota_code, str):
            region = ok & ~_np(pc.equal(prefix, kabkota_code))
        else:
            region = ok & ~_np(pc.equal(prefix, _arrow(pd.Series(kabkota_code).astype("string"))))
    day, month, yy = (_digits(a, ok, start) for start in (6, 8, 10))
    bad_date = ok & ~region & ~_calendar_date(day, month, yy)
    status = np.full(len(a), "valid", dtype=object)
    status[missing] = "missing"
    status[sci] = "scientific_notation"
    status[non_digit] = "non_digit"
    status[bad_length] = "bad_length"
    status[region] = "region_mismatch"
    status[bad_date] = "bad_birth_date"
    return pd.Series(status, index=index, dtype="string", name="nik_status")


def validate_kk(kk_series: pd.Series) -> pd.Series:
    """No. KK check: normalised, 16 digits (statuses valid / missing / scientific_notation / non_digit /
    bad_length). No region or date check: the family card is issued where the family lives."""
    status = validate_nik(kk_series, None)
    status = status.where(status != "bad_birth_date", "valid")
    return status.rename("kk_status")


def sex_from_nik(nik: pd.Series) -> pd.Series:
    """'P' (perempuan) when the day field is > 40, else 'L'; <NA> when not 16 digits."""
    index = nik.index if isinstance(nik, pd.Series) else pd.RangeIndex(len(nik))
    a = _normalise_arrow(nik)
    ok = _np(pc.match_substring_regex(a, r"^\d{16}$"))
    day = pc.fill_null(pc.cast(pc.if_else(ok, pc.utf8_slice_codeunits(a, 6, 8), "0"), pa.int16()), 0)
    out = pd.Series(np.where(day.to_numpy(zero_copy_only=False) > 40, "P", "L"), index=index, dtype="string")
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

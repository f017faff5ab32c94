"""NIK validation, pseudonyms (HMAC known answers), key handling."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from estimation.registry.nik import invalid_report, normalise_nik, sex_from_nik, validate_kk, validate_nik
from estimation.registry.pseudonym import (
    DEMO_KEY,
    KEY_ENV_VAR,
    KeySource,
    hmac_sha256_hex,
    key_from_env,
    pseudonymise,
)


def nik(region: str, birth_ddmmyy: str, serial: str) -> str:
    """A made-up NIK built from its parts (Kemendagri region, birth date DDMMYY, serial): no real identity."""
    return region + birth_ddmmyy + serial

CASES = {
    nik("351701", "010190", "0001"): "valid",  # man born 1 Jan 1990
    nik("351701", "410190", "0001"): "valid",  # woman: day 01 + 40
    nik("351701", "711299", "0002"): "valid",  # woman born 31 Dec: day 71
    "'" + nik("351701", "410190", "0001"): "valid",  # leading apostrophe (spreadsheet text marker)
    " 3517 014101 900001 ": "valid",  # spaces
    "\u2019" + nik("351701", "010190", "0001"): "valid",  # typographic apostrophe
    "3.5171e+15": "scientific_notation",
    "3,5171E+15": "scientific_notation",
    nik("357801", "010190", "0001"): "region_mismatch",  # Kota Surabaya NIK in a Jombang extract
    nik("351701", "320190", "0001"): "bad_birth_date",  # day 32
    nik("351701", "720190", "0001"): "bad_birth_date",  # day 72
    nik("351701", "400190", "0001"): "bad_birth_date",  # day 40: a woman's day 00
    nik("351701", "000190", "0001"): "bad_birth_date",  # day 00
    nik("351701", "390190", "0001"): "bad_birth_date",  # day 39 (between a man's 31 and a woman's 41)
    nik("351701", "300290", "0001"): "bad_birth_date",  # 30 Feb
    nik("351701", "310490", "0001"): "bad_birth_date",  # 31 Apr
    nik("351701", "710690", "0001"): "bad_birth_date",  # woman, 31 Jun
    nik("351701", "290201", "0001"): "bad_birth_date",  # 29 Feb 2001 (no leap year, nor 1901)
    nik("351701", "690201", "0001"): "bad_birth_date",  # woman, 29 Feb 2001
    nik("351701", "290204", "0001"): "valid",  # 29 Feb 2004
    nik("351701", "690200", "0001"): "valid",  # woman, 29 Feb 2000
    nik("351701", "300490", "0001"): "valid",  # 30 Apr
    nik("351701", "700490", "0001"): "valid",  # woman, 30 Apr
    nik("351701", "310190", "0001"): "valid",  # 31 Jan
    nik("351701", "011390", "0001"): "bad_birth_date",  # month 13
    nik("351701", "010090", "0001"): "bad_birth_date",  # month 00
    "351701010190001": "bad_length",
    "35170101019000012": "bad_length",
    "35170101O1900001": "non_digit",
    "": "missing",
}


def test_validate_nik_cases() -> None:
    s = pd.Series(list(CASES))
    got = validate_nik(s, "3517")
    assert got.tolist() == list(CASES.values())
    assert validate_nik(pd.Series([nik("357801", "010190", "0001")]), None).tolist() == ["valid"]


def test_validate_nik_per_row_region_and_nulls() -> None:
    s = pd.Series([nik("351701", "010190", "0001"), nik("360201", "010190", "0001"), None])
    assert validate_nik(s, pd.Series(["3517", "3517", "3517"])).tolist() == ["valid", "region_mismatch", "missing"]


def test_normalise_and_sex() -> None:
    s = pd.Series(["'" + nik("351701", "410190", "0001"), " 3517 0101 01900001"])
    assert normalise_nik(s).tolist() == [nik("351701", "410190", "0001"), "351701010190 0001".replace(" ", "")]
    assert sex_from_nik(s).tolist() == ["P", "L"]
    assert validate_kk(pd.Series([nik("351701", "999999", "0001"), "3.5e15", "123"])).tolist() == [
        "valid", "scientific_notation", "bad_length"]


def test_invalid_report_names_rows_not_values() -> None:
    s = pd.Series([nik("351701", "010190", "0001"), "3.5171e+15", nik("357801", "010190", "0001")])
    rep = invalid_report(validate_nik(s, "3517"), row_numbers=[2, 3, 4])
    assert rep["n_invalid"] == 2
    assert rep["invalid_rows"] == {"scientific_notation": [3], "region_mismatch": [4]}
    assert nik("357801", "010190", "0001") not in repr(rep)


def test_hmac_rfc4231_known_answers() -> None:
    # RFC 4231 section 4.2 (test case 1: key 0x0b * 20, "Hi There") and 4.7 (test case 6: 131-byte key,
    # longer than the SHA-256 block, hashed first). Test case 2 ("Jefe") is refused as a too-short key.
    key1 = b"\x0b" * 20
    tc1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    assert pseudonymise(pd.Series(["Hi There"]), key1, hex_chars=64).iloc[0] == tc1
    assert pseudonymise(pd.Series(["Hi There"]), key1).iloc[0] == tc1[:16]
    assert hmac_sha256_hex(key1, b"Hi There") == tc1
    key6 = b"\xaa" * 131
    msg6 = "Test Using Larger Than Block-Size Key - Hash Key First"
    assert pseudonymise(pd.Series([msg6]), key6, hex_chars=64).iloc[0] == (
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")


def test_pseudonymise_matches_stdlib_and_truncates() -> None:
    key = b"k" * 32
    vals = pd.Series([nik("351701", "010190", "0001"), None, nik("351701", "410190", "0001")])
    got = pseudonymise(vals, key)
    assert got.isna().tolist() == [False, True, False]
    assert got.iloc[0] == hmac.new(key, nik("351701", "010190", "0001").encode(), hashlib.sha256).hexdigest()[:16]
    assert len(got.iloc[2]) == 16 and got.iloc[0] != got.iloc[2]
    assert pseudonymise(vals, b"j" * 32).iloc[0] != got.iloc[0]  # key matters


def test_key_handling() -> None:
    with pytest.raises(ValueError):
        pseudonymise(pd.Series(["1"]), b"")
    with pytest.raises(ValueError):
        pseudonymise(pd.Series(["1"]), b"short")
    with pytest.raises(ValueError):
        key_from_env({})
    with pytest.raises(ValueError):
        key_from_env({KEY_ENV_VAR: "tooshort"})
    key, src = key_from_env({KEY_ENV_VAR: "x" * 32})
    assert key == b"x" * 32 and src == KeySource("env", KEY_ENV_VAR)
    key, src = key_from_env(demo=True)
    assert key == DEMO_KEY and src.mode == "demo"
    with pytest.raises(ValueError):
        KeySource("plaintext")

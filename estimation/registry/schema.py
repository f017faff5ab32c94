"""Column names shared by the generator, ingestion and aggregation."""

from __future__ import annotations

import re

# P3KE extract as spreadsheets export it (Indonesian headers).
P3KE_HEADERS: dict[str, str] = {
    "nik": "NIK",
    "kk": "No KK",
    "name": "Nama",
    "address": "Alamat",
    "desa": "Desa/Kelurahan",
    "kecamatan": "Kecamatan",
    "kabkota_code": "Kode Kab/Kota",
    "desil": "Desil",
    "extreme": "Miskin Ekstrem",
    "sex": "Jenis Kelamin",
    "age": "Umur",
    "relation": "Hubungan dengan Kepala Keluarga",
    "status": "Status",
}

# SIKS-NG "Pemeringkatan Desil" (DTSEN) export, as generated here; ingestion matches headers loosely.
DTSEN_HEADERS: dict[str, str] = {
    "row": "NO",
    "kk": "NO KK",
    "nik": "NIK",
    "name": "NAMA",
    "kabkota_code": "KODE KAB/KOTA",
    "kecamatan": "KECAMATAN",
    "desa": "DESA/KELURAHAN",
    "address": "ALAMAT",
    "desil": "DESIL NASIONAL",
    "period": "PERIODE",
}

# Aliases (normalised: lowercase alphanumerics only) -> canonical field.
HEADER_ALIASES: dict[str, str] = {
    "nik": "nik",
    "nomorindukkependudukan": "nik",
    "nokk": "kk",
    "nomorkk": "kk",
    "kk": "kk",
    "nokartukeluarga": "kk",
    "nama": "name",
    "namalengkap": "name",
    "alamat": "address",
    "desakelurahan": "desa",
    "desa": "desa",
    "kelurahan": "desa",
    "kecamatan": "kecamatan",
    "kodekabkota": "kabkota_code",
    "kodekabupatenkota": "kabkota_code",
    "desil": "desil",
    "desilnasional": "desil",
    "peringkatdesil": "desil",
    "miskinekstrem": "extreme",
    "statusmiskinekstrem": "extreme",
    "jeniskelamin": "sex",
    "umur": "age",
    "usia": "age",
    "hubungandengankepalakeluarga": "relation",
    "hubungankeluarga": "relation",
    "status": "status",
    "statusindividu": "status",
    "periode": "period",
    "no": "row",
    "opd": "opd",
    "perangkatdaerah": "opd",
    "program": "programme",
    "statusintervensi": "intervention_status",
    "tahun": "year",
}


def header_key(header: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header).lower())


def canonical_columns(headers: list[str]) -> dict[str, str]:
    """Map each raw header to its canonical field name (unknown headers are left out)."""
    out: dict[str, str] = {}
    for h in headers:
        key = header_key(h)
        if key in HEADER_ALIASES:
            out[h] = HEADER_ALIASES[key]
    return out


# The ingested (pseudonymised) table: no NIK, KK, name, address or desa. Order and Arrow types.
INGESTED_COLUMNS: dict[str, str] = {
    "source": "string",  # "p3ke" | "dtsen"
    "snapshot_date": "date32",
    "year": "int16",
    "source_file": "string",  # basename only
    "source_row": "int64",  # 1-based line in the CSV (header = line 1) / row in the sheet
    "nik_pseudo": "string",  # HMAC pseudonym; null when the NIK is unusable
    "nik_status": "string",
    "kk_pseudo": "string",
    "kk_status": "string",
    "kabkota_code": "string",
    "kecamatan": "string",  # kecamatan name as published (a public area, tens of thousands of residents)
    "desil_p3ke": "int8",  # 1-4, null for other sources
    "desil_dtsen": "int8",  # 1-10, null for other sources
    "extreme_poor": "bool",  # null where the source has no flag (DTSEN)
    "sex": "string",  # L | P
    "age_band": "string",  # 5-year bands, 75+
    "is_head": "bool",
    "status": "string",  # hidup | meninggal | pindah
    "is_duplicate": "bool",  # NIK seen earlier in the same file
    "key_mode": "string",  # env | demo | explicit
}

IDENTITY_FIELDS = ("nik", "kk", "name", "address", "desa")

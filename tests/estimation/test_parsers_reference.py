"""Readers of the files that are not published cells: the region list and the figures quoted by news pages;
and reading back the detail text of parsed cells."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from estimation.parsers.catalog import QUOTED_FIGURES_FILE, REGION_LIST_FILE, parse_source
from estimation.parsers.delimited import detail_fields
from estimation.parsers.quoted_figures import parse_quoted_figures
from estimation.parsers.region_list import read_region_list

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"


def test_region_list_codes_as_text():
    ref = read_region_list(RAW / REGION_LIST_FILE)
    assert len(ref) == 552 and ref.index.tolist() == list(range(552))
    assert str(ref["population_2019_dapoer"].dtype) == "Int64"
    assert all(str(t) == "string" for c, t in ref.dtypes.items() if c != "population_2019_dapoer")
    assert ref["bps_code"].str.len().eq(4).all() and ref["prov_code"].str.len().eq(2).all()
    aceh = ref[ref["bps_code"] == "1101"].iloc[0]  # leading zeros kept where the file drops them
    assert aceh["prov_code"] == "11"


def test_quoted_figures_real_file_as_published():
    quotes = parse_quoted_figures(RAW / QUOTED_FIGURES_FILE, QUOTED_FIGURES_FILE)
    assert list(quotes.columns[:2]) == ["source_file", "source_row"]
    assert list(quotes.columns[2:]) == ["bps_code", "name", "year", "p0", "n_poor_thousand",
                                        "source_url_or_repo_path"]
    assert len(quotes) == 93 and (quotes["source_file"] == QUOTED_FIGURES_FILE).all()
    assert quotes["source_row"].tolist() == list(range(2, 95))  # header = line 1
    assert all(quotes[c].map(type).eq(str).all() for c in quotes.columns if c != "source_row")
    first = quotes.iloc[0]
    assert (first["bps_code"], first["year"], first["p0"], first["n_poor_thousand"]) == ("3517", "2024", "8.60",
                                                                                          "110.57")
    assert (quotes["n_poor_thousand"] == "").sum() > 0  # empty stays "", never NaN


def test_quoted_figures_lines_blank_rows_and_changed_layout(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('bps_code,name,year,p0\n3517,Jombang,2024,8.60\n\n3500,"Jawa\nTimur",2024,9.79\n'
                    "3578,Surabaya,2024\n", encoding="utf-8")
    quotes = parse_quoted_figures(path, "crosscheck/q.csv")
    # the blank line is skipped, a quoted name over two lines keeps the next row's true line number
    assert quotes["source_row"].tolist() == [2, 4, 6]
    assert quotes["name"].tolist() == ["Jombang", "Jawa\nTimur", "Surabaya"]
    assert quotes["p0"].tolist() == ["8.60", "9.79", ""]  # a short row: absent field empty
    path.write_text("bps_code,p0\n3517,8.60,extra\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"crosscheck/q\.csv, line 2: 3 fields"):
        parse_quoted_figures(path, "crosscheck/q.csv")


def test_detail_fields_read_back():
    cells = parse_source("extreme_national", RAW).cells
    fields = detail_fields(cells.loc[cells["source_row"] == 4, "detail"].iloc[0])
    assert fields["period"] == "2023-03" and fields["line"] == "USD 1.90 2011 PPP"
    assert fields["note"] == "Papua 7.67%, Papua Barat 6.43%; 18 provinces below 1%"  # "; " inside a value
    assert fields["source_url"].startswith("https://ekonomi.bisnis.com/")
    assert detail_fields(None) == {} and detail_fields(pd.NA) == {} and detail_fields("") == {}

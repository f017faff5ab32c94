"""Figures quoted by news pages and local-government reports, checked against the published BPS panels.

A quoted figure agrees when the published figure, rounded to the precision of the quote, equals it:
"9.79" against 9.79, "3983" (thousand) against 3,982.69, "25220" ("25,22 juta") against 25,219.2. The
quote's precision is read from its text (decimals, or trailing zeros of a whole number).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pandas as pd

QUOTE_COLUMNS = {"p0": "p0", "n_poor_thousand": "poor_thousand"}
COMPARISON_COLUMNS = ["bps_code", "name", "year", "variable", "quoted", "quoted_text", "published", "agrees",
                      "source_url"]


def _precision(text: str) -> int:
    """Decimal places the quote is given to. Trailing zeros of a whole number of 4+ digits are taken as not
    significant (negative places: "25220" from "25,22 juta"); "10" stays exact, so a P0 of 14.15 quoted as 10
    does not agree."""
    try:
        exponent = Decimal(text).as_tuple().exponent
    except InvalidOperation:
        return 2
    if not isinstance(exponent, int):
        return 2
    if exponent < 0:
        return -exponent
    digits = text.strip().lstrip("-").split(".")[0]
    if len(digits) < 4:
        return 0
    zeros = len(digits) - len(digits.rstrip("0"))
    return -min(zeros, len(digits) - 3)


def compare_quoted_figures(quotes: pd.DataFrame, kab_panel: pd.DataFrame, prov_panel: pd.DataFrame
                           ) -> pd.DataFrame:
    """One row per quoted figure: bps_code, name, year, variable, quoted, published, agrees, source_url.

    `quotes`: `estimation.parsers.quoted_figures.parse_quoted_figures(...)` (columns bps_code, name, year,
    p0, n_poor_thousand, source_url...; text as published).
    """
    news = quotes.astype(str).replace({"nan": "", "<NA>": ""})
    url_column = next(c for c in news.columns if c.startswith("source_url"))

    rows = []
    for record in news.to_dict("records"):
        for column, variable in QUOTE_COLUMNS.items():
            text = record.get(column, "").strip()
            if not text:
                continue
            rows.append({"bps_code": record["bps_code"].strip().zfill(4), "name": record["name"],
                         "year": int(record["year"]), "variable": variable, "quoted_text": text,
                         "quoted": float(text), "source_url": record[url_column]})
    quotes = pd.DataFrame(rows)
    published = pd.concat([kab_panel, prov_panel], ignore_index=True)
    published = published.melt(id_vars=["bps_code", "year"], value_vars=list(QUOTE_COLUMNS.values()),
                               var_name="variable", value_name="published")
    out = quotes.merge(published.astype({"bps_code": "object"}), on=["bps_code", "year", "variable"], how="left")
    out["agrees"] = [
        pd.notna(pub) and round(pub, _precision(text)) == round(quoted, _precision(text))
        for pub, quoted, text in zip(out["published"], out["quoted"], out["quoted_text"], strict=True)
    ]
    return out[COMPARISON_COLUMNS]

"""Indonesian number formatting for chart texts: decimal comma, dot as thousands separator.

Rounding is half-up on the decimal representation of the float (``Decimal(repr(x))``), the way a
reader rounds the published figure: 8.605 -> "8,61", not the binary round-half-even "8,60".
Missing values render as an en dash, the convention in BPS tables.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real

from matplotlib.ticker import Formatter, FuncFormatter

MISSING = "–"  # en dash, as BPS tables print a missing cell
MINUS = "−"  # U+2212, typographic minus for signed chart labels
HYPHEN_MINUS = "-"


def _is_missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return bool(math.isnan(float(x)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        # pandas.NA and friends refuse float(); anything else non-numeric is a caller bug.
        if type(x).__name__ in {"NAType", "NaTType"}:
            return True
        raise TypeError(f"not a number: {x!r}") from None


def format_number_id(x: Real | float | None, decimals: int = 2, *, minus: str = HYPHEN_MINUS,
                     thousands: bool = True) -> str:
    """Format `x` Indonesian style: ``3982.73 -> "3.982,73"``, ``-0.55 -> "-0,55"``, NaN -> "–".

    A value that rounds to zero never carries a sign ("-0,00" would suggest a decline that is not there).
    """
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    if _is_missing(x):
        return MISSING
    value = float(x)  # type: ignore[arg-type]
    if math.isinf(value):
        return ("" if value > 0 else minus) + "∞"
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    negative = rounded < 0  # Decimal("-0.00") < 0 is False: negative zero loses its sign here
    digits = f"{abs(rounded):f}"
    int_part, _, frac_part = digits.partition(".")
    if thousands:
        groups: list[str] = []
        while len(int_part) > 3:
            groups.insert(0, int_part[-3:])
            int_part = int_part[:-3]
        groups.insert(0, int_part)
        int_part = ".".join(groups)
    text = int_part + ("," + frac_part if frac_part else "")
    return (minus if negative else "") + text


def format_percent_id(x: Real | float | None, decimals: int = 2, *, minus: str = HYPHEN_MINUS) -> str:
    """``9.15 -> "9,15%"`` (x is already in percent)."""
    text = format_number_id(x, decimals, minus=minus)
    return text if text == MISSING else text + "%"


def format_pp_id(x: Real | float | None, decimals: int = 2, *, unit: str = "poin") -> str:
    """Signed change in percentage points: ``-0.55 -> "−0,55 poin"``, ``0.3 -> "+0,30 poin"``."""
    text = format_number_id(x, decimals, minus=MINUS)
    if text == MISSING:
        return MISSING
    if not text.startswith(MINUS) and text.strip("0,.") != "":
        text = "+" + text
    return f"{text} {unit}" if unit else text


def format_rupiah(x: Real | float | None, decimals: int = 0) -> str:
    """``514170 -> "Rp 514.170"`` (poverty lines are published in whole Rupiah)."""
    text = format_number_id(x, decimals)
    return text if text == MISSING else f"Rp {text}"


def format_persons_id(persons: Real | float | None, decimals: int = 2, *, scale: str = "auto") -> str:
    """Number of persons: ``117360 -> "117,36 ribu jiwa"``, ``1450 -> "1.450 jiwa"``.

    `persons` is a head count (multiply BPS "ribu jiwa" columns by 1000 first). ``scale="auto"`` keeps
    small counts exact (below 10.000 every person matters to a kab/kota), thousands up to a million,
    millions above.
    """
    if scale not in {"auto", "jiwa", "ribu", "juta"}:
        raise ValueError(f"unknown scale {scale!r}")
    if _is_missing(persons):
        return MISSING
    value = float(persons)  # type: ignore[arg-type]
    if scale == "auto":
        magnitude = abs(value)
        scale = "jiwa" if magnitude < 10_000 else "ribu" if magnitude < 1_000_000 else "juta"
    if scale == "jiwa":
        return f"{format_number_id(value, 0)} jiwa"
    divisor = 1_000.0 if scale == "ribu" else 1_000_000.0
    return f"{format_number_id(value / divisor, decimals)} {scale} jiwa"


# ---- matplotlib tick formatters -------------------------------------------------------------------

def number_formatter(decimals: int = 1) -> FuncFormatter:
    """Axis ticks with a decimal comma and a typographic minus."""
    return FuncFormatter(lambda x, _pos: format_number_id(x, decimals, minus=MINUS))


def percent_formatter(decimals: int = 0, *, sign: bool = False) -> FuncFormatter:
    """Percent axis ticks; ``sign=False`` when the axis label already says "(%)"."""
    def _fmt(x: float, _pos: int | None) -> str:
        text = format_number_id(x, decimals, minus=MINUS)
        return text + "%" if sign else text
    return FuncFormatter(_fmt)


def rupiah_formatter() -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: format_rupiah(x))


def year_formatter() -> FuncFormatter:
    """Years print without a thousands dot ("2024", never "2.024")."""
    return FuncFormatter(lambda x, _pos: f"{round(x)}" if float(x).is_integer() else "")


class IndonesianScalarFormatter(Formatter):
    """Tick labels with a decimal comma and as many decimals as the tick spacing needs (all ticks alike)."""

    def __init__(self, suffix: str = "") -> None:
        super().__init__()
        self.suffix = suffix
        self._decimals = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(list(locs))
        finite = sorted({float(v) for v in locs if math.isfinite(v)})
        self._decimals = 0
        if len(finite) > 1:
            step = min(b - a for a, b in itertools.pairwise(finite))
            if step > 0:
                # Enough decimals to tell neighbouring ticks apart; 1e-9 absorbs float noise in locs.
                self._decimals = max(0, min(4, -math.floor(math.log10(step) + 1e-9)))
                while self._decimals < 4 and abs(round(step, self._decimals) - step) > step * 1e-6:
                    self._decimals += 1

    def __call__(self, x: float, pos: int | None = None) -> str:
        return format_number_id(x, self._decimals, minus=MINUS) + self.suffix

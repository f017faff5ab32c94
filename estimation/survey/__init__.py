"""Design-based survey estimators (Susenas direct estimates)."""

from estimation.survey.direct import direct_fgt, direct_poverty, fgt_values

__all__ = ["direct_fgt", "direct_poverty", "fgt_values"]

"""Small area estimation: Fay-Herriot EBLUP, arcsine transform, variance smoothing, benchmarking."""

from estimation.sae.fay_herriot import FayHerriotResult, fay_herriot

__all__ = ["FayHerriotResult", "fay_herriot"]

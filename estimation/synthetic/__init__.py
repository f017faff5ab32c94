"""Synthetic Susenas-like populations and samples calibrated to published BPS figures (see README.md)."""

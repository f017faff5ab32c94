"""Reports layer: published tables, charts (and the registry's published tables)."""

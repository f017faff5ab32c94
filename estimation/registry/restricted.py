"""Folders that hold identities (extracts as received, by-name worklists): owner only."""

from __future__ import annotations

import os
from pathlib import Path

RESTRICTED_ROOT = "restricted"  # the deployment's folder for identifying files (`ProjectPaths.restricted_dir`)


def restrict(folder: str | Path) -> Path:
    """Create `folder` mode 0700, and make the restricted root above it (if it is one) 0700 too."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    if folder.parent.name == RESTRICTED_ROOT:
        os.chmod(folder.parent, 0o700)
    return folder

"""Deployment profiles: everything that differs between one machine and another, chosen by one switch.

`KEMISKINAN_PROFILE` names the profile (default `local`). A profile gives the folders (`ProjectPaths`), the
IO manager's storage, how the registry obtains its pseudonym key and the executor. The Dagster instance
(run, event-log and schedule storage) is `deploy/<profile>/dagster.yaml`, installed into `DAGSTER_HOME`.
A new profile is one function here plus its entry in PROFILES.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from dagster import ExecutorDefinition, in_process_executor

from assets.resources import ProjectPaths


@dataclass(frozen=True)
class DeploymentProfile:
    name: str
    paths: ProjectPaths
    key_mode: str  # "env": P3KE_PSEUDONYM_KEY required; "demo": the public demo key, recorded in every output
    executor: ExecutorDefinition


def registry_key_mode() -> str:
    """`make run` sets KEMISKINAN_REGISTRY_MODE=demo when no P3KE_PSEUDONYM_KEY is set; otherwise "env"."""
    return os.environ.get("KEMISKINAN_REGISTRY_MODE", "env")


def local_profile(paths: ProjectPaths | None = None, key_mode: str | None = None) -> DeploymentProfile:
    """One analyst's machine: project folders, SQLite instance in `.dagster_home`, offline, in process (the
    multiprocess executor costs seconds per step on small machines)."""
    return DeploymentProfile("local", paths or ProjectPaths.default(), key_mode or registry_key_mode(),
                             in_process_executor)


PROFILES: dict[str, Callable[[], DeploymentProfile]] = {"local": local_profile}


def profile_from_env() -> DeploymentProfile:
    name = os.environ.get("KEMISKINAN_PROFILE", "local")
    if name not in PROFILES:
        raise ValueError(f"KEMISKINAN_PROFILE={name!r} is not a deployment profile; choose from {sorted(PROFILES)}")
    return PROFILES[name]()


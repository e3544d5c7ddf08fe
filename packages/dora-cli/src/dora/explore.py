"""Compatibility: `dora.explore` of dora-search (what grid files use)."""

from __future__ import annotations

from dora_grid.explorer import Explorer
from dora_grid.herd import Herd
from dora_grid.launcher import Launcher

__all__ = ["Explorer", "Herd", "Launcher"]

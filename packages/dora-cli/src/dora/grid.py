"""Compatibility: `dora.grid` of dora-search (running grids from Python or a notebook)."""

from __future__ import annotations

from dora_grid.run import RunGridArgs, run_grid

__all__ = ["RunGridArgs", "run_grid"]

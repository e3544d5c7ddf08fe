"""Compatibility: `dora.shep` of dora-search (jobs of XPs)."""

from __future__ import annotations

from dora_shep.shepherd import Sheep, Shepherd

__all__ = ["Sheep", "Shepherd"]

"""Compatibility: `dora.shep` of dora-search (jobs of XPs)."""

from __future__ import annotations

from dora_shep.runner import register_preemption_callaback, register_preemption_callback
from dora_shep.shepherd import Sheep, Shepherd

__all__ = ["Sheep", "Shepherd", "register_preemption_callaback", "register_preemption_callback"]

"""Compatibility: `dora.xp` of dora-search (the XP and the current-XP context)."""

from __future__ import annotations

from dora_shep.xp import XP, get_xp, is_xp

__all__ = ["XP", "get_xp", "is_xp"]

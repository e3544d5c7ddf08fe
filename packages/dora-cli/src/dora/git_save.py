"""Compatibility: `dora.git_save` of dora-search (paths relative to the original checkout)."""

from __future__ import annotations

from dora_shep.git_save import to_absolute_path

__all__ = ["to_absolute_path"]

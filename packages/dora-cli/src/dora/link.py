"""Compatibility: `dora.link` of dora-search (the metric history of an XP)."""

from __future__ import annotations

from dora_link import Link

__all__ = ["Link"]

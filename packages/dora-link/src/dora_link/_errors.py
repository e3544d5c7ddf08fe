"""The exceptions of dora_link: one base class so callers can catch everything at once."""

from __future__ import annotations

__all__ = ["CorruptHistoryError", "LinkError"]


class LinkError(Exception):
    """Base class of every error raised by dora_link."""


class CorruptHistoryError(LinkError):
    """A history file is damaged beyond a torn last record; it is never written over."""

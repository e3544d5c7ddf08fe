"""The exceptions of dora_sig: one base class so callers can catch everything at once."""

from __future__ import annotations

__all__ = ["DeltaError", "NotJsonableError", "SigError"]


class SigError(ValueError):
    """Base class of every error raised by dora_sig."""


class NotJsonableError(SigError):
    """A value cannot be turned into plain JSON types, so it cannot take part in a signature."""


class DeltaError(SigError):
    """Two configurations cannot be compared (a key was deleted or changed its structure)."""

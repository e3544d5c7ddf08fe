"""The exceptions of dora-shep: one base, `ShepError`, that callers can catch."""

from __future__ import annotations

__all__ = [
    "BackendUnavailable",
    "ConfigError",
    "CorruptFileError",
    "DistribEnvError",
    "LockTimeout",
    "ShepError",
    "SignatureCollisionError",
    "SignatureMismatch",
    "SubmissionError",
    "UnknownSignature",
]


class ShepError(Exception):
    """Base class of every error raised by dora-shep."""


class ConfigError(ShepError, ValueError):
    """A DoraConfig or SlurmConfig field got a value it cannot take."""


class SignatureCollisionError(ShepError):
    """Two different deltas hash to the same signature; the XP folder is left untouched."""


class SignatureMismatch(ShepError):
    """The argv stored under a signature no longer gives that signature."""


class UnknownSignature(ShepError):
    """No XP folder (local or shared) knows the argv of this signature."""


class CorruptFileError(ShepError):
    """A file Dora wrote cannot be read back (damaged or edited by hand)."""


class BackendUnavailable(ShepError):
    """The job backend asked for cannot be used here.

    Attributes:
        why: the short reason (e.g. what `scontrol ping` said), for job states that
            cannot be read.
    """

    def __init__(self, message: str, why: str = "") -> None:
        super().__init__(message)
        self.why = why or message


class SubmissionError(ShepError):
    """A job could not be submitted; nothing was scheduled for the XPs named."""


class LockTimeout(ShepError):
    """A lock file stayed held by another process for longer than allowed."""


class DistribEnvError(ShepError):
    """The distributed environment variables are inconsistent (e.g. WORLD_SIZE without RANK)."""

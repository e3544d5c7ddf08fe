"""Errors of the Hydra back-end: one clear message each, for the researcher to act on.

They derive from dora-shep's `ConfigError` (a `ShepError`), so the `dora` command prints
them as one `FATAL:` line with exit status 1, and a grid that raises one while it is
evaluated stops before anything is scheduled.
"""

from __future__ import annotations

from dora_shep.errors import ConfigError

__all__ = [
    "ConfigNotFound",
    "HydraError",
    "InvalidConfigFile",
    "InvalidOverride",
    "MissingValue",
    "ResolutionError",
]


class HydraError(ConfigError):
    """Base class of the Hydra back-end's errors."""


class ConfigNotFound(HydraError):
    """The config folder or the primary config file does not exist."""


class InvalidConfigFile(HydraError):
    """A config file of the Hydra config folder cannot be read (not valid YAML)."""


class InvalidOverride(HydraError):
    """An argument is not an override Dora can use, or Hydra refused it while composing."""


class MissingValue(HydraError):
    """A mandatory value (`???`) of the config was left unset."""


class ResolutionError(HydraError):
    """An interpolation or a resolver of the config could not be resolved."""

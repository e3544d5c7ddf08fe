"""Job backends: one interface (`Backend`), the local backend and the Slurm backend.

`choose_backend` picks one from the `backend` setting; backends are imported lazily.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, Tuple

from ..errors import BackendUnavailable, ConfigError
from .base import Backend, JobStatus, is_finished

if TYPE_CHECKING:  # pragma: no cover
    from ..conf import DoraConfig

__all__ = [
    "Backend",
    "JobStatus",
    "choose_backend",
    "is_finished",
    "slurm_available",
    "slurm_status",
]

# (PATH, SLURM_CONF) -> (controller answers, what `scontrol ping` said), per process.
_PINGS: Dict[Tuple[str, str], Tuple[bool, str]] = {}


def slurm_status(refresh: bool = False) -> Tuple[bool, str]:
    """Whether a Slurm controller answers here, and what `scontrol ping` said.

    Having the Slurm client commands installed is not enough: the controller must answer
    within a few seconds. The answer is remembered for this process (per PATH and
    SLURM_CONF) unless `refresh`.
    """
    key = (os.environ.get("PATH", ""), os.environ.get("SLURM_CONF", ""))
    if refresh or key not in _PINGS:
        from .slurm.commands import ping

        _PINGS[key] = ping()
    return _PINGS[key]


def slurm_available() -> bool:
    """Whether a Slurm controller answers here (see `slurm_status`)."""
    return slurm_status()[0]


def choose_backend(name: str, dora: DoraConfig) -> Backend:
    """The backend for the setting `name` (`auto`, `local` or `slurm`).

    `auto` is Slurm when a controller answers, else the local machine.

    Raises:
        BackendUnavailable: for `slurm` when no Slurm controller answers here.
        ConfigError: for an unknown name.
    """
    if name == "auto":
        name = "slurm" if slurm_available() else "local"
    if name == "local":
        from .local.backend import LocalBackend

        return LocalBackend(dora)
    if name == "slurm":
        up, said = slurm_status()
        if not up:
            raise BackendUnavailable(
                f"The Slurm backend is not available: no Slurm controller answers here "
                f"({said}). Check that slurmctld runs and that SLURM_CONF points to its "
                "config, or run the XPs on this machine with `--backend local` (or "
                "`backend: local` in the config). Nothing was done.",
                why=f"no Slurm controller answers here ({said})",
            )
        from .slurm.backend import SlurmBackend

        return SlurmBackend(dora)
    raise ConfigError(f"Unknown backend {name!r}: choose one of auto, local, slurm.")

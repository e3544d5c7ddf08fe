"""Job backends: one interface (`Backend`), a local backend, and Slurm (later).

`choose_backend` picks one from the `backend` setting; backends are imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BackendUnavailable, ConfigError
from .base import Backend, JobStatus, is_finished

if TYPE_CHECKING:  # pragma: no cover
    from ..conf import DoraConfig

__all__ = ["Backend", "JobStatus", "choose_backend", "is_finished", "slurm_available"]


def slurm_available() -> bool:
    """Whether a Slurm controller answers here.

    TODO(slurm issue): probe the controller (`sinfo`/`scontrol ping`, with a short
    timeout) once the Slurm backend exists. Until then `auto` always means local.
    """
    return False


def choose_backend(name: str, dora: DoraConfig) -> Backend:
    """The backend for the setting `name` (`auto`, `local` or `slurm`).

    Raises:
        BackendUnavailable: for `slurm`, which is not available yet.
        ConfigError: for an unknown name.
    """
    if name == "auto":
        name = "slurm" if slurm_available() else "local"
    if name == "local":
        from .local.backend import LocalBackend

        return LocalBackend(dora)
    if name == "slurm":
        raise BackendUnavailable(
            "The Slurm backend is not available yet in this version of Dora. Run the XPs "
            "on this machine with `--backend local` (or `backend: local` in the config)."
        )
    raise ConfigError(f"Unknown backend {name!r}: choose one of auto, local, slurm.")

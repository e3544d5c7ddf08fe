"""dora-shep: XPs on disk and their jobs.

The `XP` (signature, argv, delta, folder, metric link), the current-XP context,
`DoraConfig` / `SlurmConfig` / `SubmitRules`, the `Shepherd` and its `Sheep`, and the job
backends (local now, Slurm later). Importing this package is light: names are loaded on
first use, and submitit / git are only imported by the functions that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict

from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from .backends import choose_backend as choose_backend
    from .backends.base import JobStatus as JobStatus
    from .conf import DoraConfig as DoraConfig
    from .conf import ShepConfig as ShepConfig
    from .conf import SlurmConfig as SlurmConfig
    from .conf import SubmitRules as SubmitRules
    from .conf import update_from_args as update_from_args
    from .distrib import DistribSpec as DistribSpec
    from .distrib import get_distrib_spec as get_distrib_spec
    from .errors import BackendUnavailable as BackendUnavailable
    from .errors import ConfigError as ConfigError
    from .errors import CorruptFileError as CorruptFileError
    from .errors import LockTimeout as LockTimeout
    from .errors import ShepError as ShepError
    from .errors import SignatureCollisionError as SignatureCollisionError
    from .errors import SignatureMismatch as SignatureMismatch
    from .errors import SubmissionError as SubmissionError
    from .errors import UnknownSignature as UnknownSignature
    from .git_save import to_absolute_path as to_absolute_path
    from .main import MainBase as MainBase
    from .main import MainProtocol as MainProtocol
    from .records import JobRecord as JobRecord
    from .shepherd import Sheep as Sheep
    from .shepherd import Shepherd as Shepherd
    from .xp import XP as XP
    from .xp import get_xp as get_xp
    from .xp import init_xp_folder as init_xp_folder
    from .xp import is_xp as is_xp

_LAZY: Dict[str, str] = {
    "choose_backend": "backends",
    "JobStatus": "backends.base",
    "DoraConfig": "conf",
    "ShepConfig": "conf",
    "SlurmConfig": "conf",
    "SubmitRules": "conf",
    "update_from_args": "conf",
    "DistribSpec": "distrib",
    "get_distrib_spec": "distrib",
    "BackendUnavailable": "errors",
    "ConfigError": "errors",
    "CorruptFileError": "errors",
    "LockTimeout": "errors",
    "ShepError": "errors",
    "SignatureCollisionError": "errors",
    "SignatureMismatch": "errors",
    "SubmissionError": "errors",
    "UnknownSignature": "errors",
    "to_absolute_path": "git_save",
    "MainBase": "main",
    "MainProtocol": "main",
    "JobRecord": "records",
    "Sheep": "shepherd",
    "Shepherd": "shepherd",
    "XP": "xp",
    "get_xp": "xp",
    "init_xp_folder": "xp",
    "is_xp": "xp",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))

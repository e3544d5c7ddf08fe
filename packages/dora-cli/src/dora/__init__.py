"""Dora, the experiment manager: the `dora` command and the names dora-search users import.

Everything is loaded on first use (`dora.Explorer`, `dora.get_xp`, `dora.conf`, ...), so
`import dora` stays cheap and pulls in neither torch nor the scheduler libraries.
"""

from __future__ import annotations

import importlib
from typing import Any, Dict, List, Tuple

from ._version import __version__

__all__ = [
    "Explorer",
    "Launcher",
    "Link",
    "Sheep",
    "XP",
    "__version__",
    "argparse_main",
    "get_xp",
    "hydra_main",
    "is_xp",
    "to_absolute_path",
]

_NAMES: Dict[str, Tuple[str, str]] = {
    "argparse_main": ("dora._argparse_main", "argparse_main"),
    "ArgparseMain": ("dora._argparse_main", "ArgparseMain"),
    "get_xp": ("dora_shep.xp", "get_xp"),
    "is_xp": ("dora_shep.xp", "is_xp"),
    "XP": ("dora_shep.xp", "XP"),
    "Explorer": ("dora_grid.explorer", "Explorer"),
    "Launcher": ("dora_grid.launcher", "Launcher"),
    "Link": ("dora_link", "Link"),
    "Sheep": ("dora_shep.shepherd", "Sheep"),
    "to_absolute_path": ("dora_shep.git_save", "to_absolute_path"),
}

_SUBMODULES = frozenset(
    {"conf", "explore", "git_save", "grid", "link", "log", "main", "shep", "utils", "xp"}
)

HYDRA_MISSING = (
    "Hydra support (hydra_main, dora.hydra) needs hydra-core, which is not installed. "
    'Install it with: pip install "dora-cli[hydra]" (or pip install hydra-core).'
)

_LATER = {
    "distrib": "dora.distrib (distributed training: init, rank, world_size) comes with the "
    "distributed-training release of dora-cli; it is not available yet.",
    "lightning": "dora.lightning (PyTorch Lightning integration) comes with the Lightning "
    'release of dora-cli (pip install "dora-cli[lightning]"); it is not available yet.',
    "hiplot": "dora.hiplot (HiPlot loader) comes in a later release of dora-cli; it is not "
    "available yet.",
    "share": "dora export / import (dora.share) come in a later release of dora-cli; they "
    "are not available yet.",
}


class NotAvailableYet(ImportError):
    """A part of dora-search's API that this version of dora-cli does not provide yet."""


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        module, attribute = _NAMES[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("hydra_main", "hydra"):
        try:
            hydra_module = importlib.import_module(f"{__name__}.hydra")
        except ImportError as exc:
            if name == "hydra":  # an AttributeError keeps hasattr() working
                raise AttributeError(str(exc)) from exc
            raise
        return hydra_module if name == "hydra" else hydra_module.hydra_main
    if name in _LATER:  # an AttributeError keeps hasattr() working; importing says why
        raise AttributeError(_LATER[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_NAMES) | _SUBMODULES | {"hydra", "hydra_main"})

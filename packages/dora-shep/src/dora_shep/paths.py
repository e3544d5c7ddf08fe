"""Paths relative to the folder the user started from, even inside a git_save clone.

`to_absolute_path` (also `dora.to_absolute_path` and `dora.git_save.to_absolute_path`)
takes relative paths against `original_dir()`: the original checkout when a job runs
from a clone (`_DORA_ORIGINAL_DIR`), Hydra's original working folder during a Hydra
run, else the current folder. Stdlib only: `DoraConfig` uses it for every `dir`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional, Union, overload

__all__ = ["ORIGINAL_DIR_ENV", "original_dir", "to_absolute_path"]

ORIGINAL_DIR_ENV = "_DORA_ORIGINAL_DIR"


def _hydra_original_cwd() -> Optional[str]:
    """Hydra's original working folder when a Hydra run is active, else None.

    Hydra is only consulted when it is already imported: this never imports it.
    """
    if "hydra" not in sys.modules:
        return None
    try:
        from hydra.core.hydra_config import HydraConfig
        from hydra.utils import get_original_cwd

        if HydraConfig.initialized():
            return str(get_original_cwd())
    except Exception:  # any Hydra version quirk: fall back to the cwd
        return None
    return None


def original_dir() -> str:
    """The folder relative paths are taken against.

    `_DORA_ORIGINAL_DIR` when set (inside a code clone), else Hydra's original working
    folder during a Hydra run, else the current working folder.
    """
    env = os.environ.get(ORIGINAL_DIR_ENV)
    if env:
        return env
    hydra_cwd = _hydra_original_cwd()
    if hydra_cwd is not None:
        return hydra_cwd
    return os.getcwd()


@overload
def to_absolute_path(path: str) -> str: ...


@overload
def to_absolute_path(path: Path) -> Path: ...


def to_absolute_path(path: Union[str, Path]) -> Union[str, Path]:
    """Make `path` absolute against `original_dir()`, keeping its type (str or Path).

    Symlinks are not resolved and `..` parts are kept as they are.
    """
    as_path = Path(path)
    if not as_path.is_absolute():
        as_path = Path(original_dir()) / as_path
    if isinstance(path, str):
        return str(as_path)
    return as_path

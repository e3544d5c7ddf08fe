"""Compatibility: `dora.utils` of dora-search (atomic writes, tolerant loads, helpers).

demucs uses `write_and_rename` to save checkpoints and `try_load` to read them.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Union

from dora_grid.clear import reliable_rmtree
from dora_sig import to_jsonable as jsonable

__all__ = ["import_or_fatal", "jsonable", "reliable_rmtree", "try_load", "write_and_rename"]

logger = logging.getLogger(__name__)


@contextmanager
def write_and_rename(
    path: Union[str, Path], mode: str = "wb", suffix: str = ".tmp"
) -> Iterator[IO[Any]]:
    """Write `path` atomically: yield a temporary file beside it, then rename it over `path`.

    If the block raises, the temporary file is removed and `path` is left as it was.

    Args:
        path: the file to write.
        mode: the open mode of the temporary file ("wb" or "w").
        suffix: suffix of the temporary file name.
    """
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{suffix}")
    try:
        with open(tmp, mode) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def try_load(path: Union[str, Path], load: Callable[[IO[Any]], Any] = pickle.load,
             mode: str = "rb") -> Any:
    """Load `path` with `load` (default `pickle.load`); None, with a warning, when it fails.

    As in dora-search: a missing or unreadable file (`OSError`), a damaged or truncated
    pickle (`pickle.UnpicklingError`, `EOFError`) and a `RuntimeError` (what `torch.load`
    raises on a damaged checkpoint) give None. Other errors of `load` (a `ValueError` of
    `json.load`, for instance) are raised.

    Args:
        path: the file to read.
        load: called with the open file (`torch.load`, `json.load`, ...).
        mode: the open mode ("rb" or "r").
    """
    try:
        with open(path, mode) as handle:
            return load(handle)
    except (OSError, pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        logger.warning("Could not load %s, the file is ignored: %r", path, exc)
        return None


def import_or_fatal(module_name: str) -> Any:
    """Import `module_name`, or print `FATAL:` with the reason and exit 1."""
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        from .log import fatal

        fatal(f"Could not import {module_name}: {exc}")

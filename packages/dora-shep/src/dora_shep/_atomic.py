"""Crash-safe file updates: a reader sees the old content or the new one, never a mix."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional, Union

__all__ = ["atomic_write_text", "replace_symlink"]

PathLike = Union[str, Path]


def atomic_write_text(path: PathLike, text: str, mode: Optional[int] = None) -> None:
    """Write `text` to `path` through a unique temporary file and `os.replace`.

    Args:
        path: the file to write; its folder must exist.
        text: the whole new content.
        mode: permission bits for the file (default: 0o666 minus the umask).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def replace_symlink(link: PathLike, target: PathLike) -> None:
    """Point `link` at `target`, replacing any file or link (dangling or not) atomically."""
    link = Path(link)
    fd, tmp = tempfile.mkstemp(prefix=f".{link.name}.", suffix=".lnk", dir=link.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        os.symlink(str(target), tmp)
        os.replace(tmp, link)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise

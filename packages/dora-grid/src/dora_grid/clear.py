"""Delete XP folders reliably, including on NFS where open files leave `.nfs*` entries."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Callable, List, Union

__all__ = ["reliable_rmtree"]

logger = logging.getLogger(__name__)


def _leftovers(path: Path) -> List[Path]:
    try:
        return [entry for entry in path.rglob("*") if not entry.is_dir()]
    except OSError:
        return []


def reliable_rmtree(
    path: Union[str, Path],
    attempts: int = 10,
    delay: float = 0.2,
    warn: Callable[[str], None] = logger.warning,
) -> None:
    """Delete the folder `path` and everything in it; a missing folder is fine.

    Retries, since a process that just ended (or NFS) may hold files a moment longer.
    When only `.nfs*` files remain (files still open somewhere, removed by NFS once
    closed), warn and return. A symlink is removed, never followed.

    Raises:
        OSError: when other entries cannot be deleted after every attempt.
    """
    path = Path(path)
    if path.is_symlink():
        path.unlink()
        return
    left: List[Path] = []
    for attempt in range(max(1, attempts)):
        if not path.exists():
            return
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
        left = _leftovers(path)
        if left and all(entry.name.startswith(".nfs") for entry in left):
            warn(
                f"{len(left)} .nfs* file(s) left in {path}: files still open by some "
                "process; NFS removes them once closed."
            )
            return
        time.sleep(delay * (attempt + 1))
    sample = ", ".join(str(entry) for entry in left[:3]) or str(path)
    raise OSError(f"Could not delete {path}: {len(left)} entries remain, e.g. {sample}")

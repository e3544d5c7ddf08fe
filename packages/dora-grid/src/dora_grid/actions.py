"""Per-XP actions of `dora grid`: print the folder (-f), the log (-l), or follow it (-t)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from .errors import GridError
from .follow import follow_log
from .patterns import pick_index

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol
    from dora_shep.shepherd import Sheep, Shepherd

    from .run import RunGridArgs

__all__ = ["index_action", "sheep_log"]


def sheep_log(sheep: Sheep, what: str) -> Path:
    """The log path of a sheep that has a job.

    Raises:
        GridError: when the XP was never scheduled.
    """
    log = getattr(sheep, "log", None)
    problem = getattr(sheep, "problem", None)
    if sheep.job is None and problem is not None and problem.job_unknown:
        raise GridError(f"XP {sheep.xp.sig}: no log to {what}: {problem.message}")
    if sheep.job is None or log is None:
        raise GridError(
            f"XP {sheep.xp.sig} has no job, so no log to {what}: it was never scheduled "
            "(run the grid without --dry_run first)."
        )
    return Path(log)


def index_action(
    main: MainProtocol, shepherd: Shepherd, sheeps: Sequence[Sheep], args: RunGridArgs
) -> bool:
    """Run the `folder` / `log` / `tail` action asked in `args`, if any.

    Returns:
        whether an action ran (the caller then skips monitoring).

    Raises:
        PatternError: the index selects no XP.
        GridError: the XP has no log.
    """
    index: Optional[int]
    for flag, index in (("--folder", args.folder), ("--log", args.log), ("--tail", args.tail)):
        if index is None:
            continue
        sheep = pick_index(sheeps, index, what=f"{flag} index")
        if flag == "--folder":
            print(sheep.xp.folder, flush=True)
        elif flag == "--log":
            path = sheep_log(sheep, "print")
            if not path.exists():
                raise GridError(f"The log of XP {sheep.xp.sig} does not exist yet: {path}")
            with open(path, encoding="utf-8", errors="replace") as source:
                shutil.copyfileobj(source, sys.stdout)
            sys.stdout.flush()
        else:
            path = sheep_log(sheep, "follow")

            def done(sheep: Sheep = sheep) -> bool:
                shepherd.update()
                return sheep.is_done()

            follow_log(path, done)
        return True
    return False

"""Who writes the history: the rank-0 process, read from the environment without torch."""

from __future__ import annotations

import logging
import os

__all__ = ["default_is_writer"]

logger = logging.getLogger("dora_link")


def default_is_writer() -> bool:
    """Return True when this process should write the history file.

    `RANK` (set by torchrun and `dora run -d`) wins when set; otherwise, inside a job
    started by submitit on Slurm (`SUBMITIT_EXECUTOR=slurm`), `SLURM_PROCID`; otherwise
    the process is alone and writes. Rank 0 writes, every other rank keeps its history
    in memory only, so that many ranks never write one file.
    """
    rank = os.environ.get("RANK") or None
    if rank is None and os.environ.get("SUBMITIT_EXECUTOR") == "slurm":
        rank = os.environ.get("SLURM_PROCID") or None
    if rank is None:
        return True
    try:
        return int(rank) == 0
    except ValueError:
        logger.warning("Rank %r in the environment is not a number; writing the history "
                       "as if this were rank 0.", rank)
        return True

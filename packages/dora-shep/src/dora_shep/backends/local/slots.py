"""Slots of the local backend: how many, which GPUs they map to, who gets them next.

A job taking k GPUs takes max(1, k) slots. N, the number of slots, is `dora.slots` when
set, else the number of visible GPUs (counted without torch), else 1. Waiting jobs are
served first come, first served: only the lowest-numbered live waiting job may take
slots, so a large job is never starved by small ones.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import List, Optional, Tuple

from ...locks import is_locked
from ._state import LocalPaths, job_number

__all__ = [
    "acquire_slots",
    "count_slots",
    "devices_for",
    "queue_position",
    "slots_needed",
    "visible_gpus",
]


def _nvidia_smi_gpus() -> Optional[int]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "-L"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return sum(1 for line in out.splitlines() if line.strip().startswith("GPU "))


def _proc_gpus() -> Optional[int]:
    folder = Path("/proc/driver/nvidia/gpus")
    try:
        return len(list(folder.iterdir()))
    except OSError:
        return None


def visible_gpus() -> List[str]:
    """The device ids this process may use, as `CUDA_VISIBLE_DEVICES` entries.

    `CUDA_VISIBLE_DEVICES` when set (an empty value means no GPU), else one id per GPU
    listed by `nvidia-smi -L`, else per entry of `/proc/driver/nvidia/gpus`, else none.
    """
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [part.strip() for part in env.split(",") if part.strip()]
    count = _nvidia_smi_gpus()
    if count is None:
        count = _proc_gpus()
    return [str(i) for i in range(count or 0)]


def count_slots(slots: Optional[int], gpus: List[str]) -> int:
    """N: the configured slots, else one per visible GPU, else 1."""
    if slots is not None:
        return slots
    return max(1, len(gpus))


def slots_needed(gpus_asked: int) -> int:
    """Slots a job asking for `gpus_asked` GPUs takes."""
    return max(1, int(gpus_asked or 0))


def queue_position(paths: LocalPaths, job_id: str) -> int:
    """How many live jobs wait before `job_id` (0: its turn). Dead entries are removed."""
    mine = job_number(job_id)
    ahead = 0
    try:
        names = os.listdir(paths.queue)
    except FileNotFoundError:
        return 0
    for name in sorted(names, key=job_number):
        number = job_number(name)
        if number < 0 or number >= mine:
            continue
        if is_locked(paths.alive(name)):
            ahead += 1
        else:  # its processes are gone: drop it from the queue
            try:
                os.unlink(paths.queued(name))
            except OSError:
                pass
    return ahead


def acquire_slots(paths: LocalPaths, total: int, needed: int) -> Optional[List[Tuple[int, int]]]:
    """Take `needed` free slots among `total`; [(slot index, locked fd)] or None if busy."""
    taken: List[Tuple[int, int]] = []
    for index in range(total):
        fd = os.open(paths.slot(index), os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        taken.append((index, fd))
        if len(taken) == needed:
            return taken
    for _, fd in taken:
        os.close(fd)
    return None


def devices_for(slot_indices: List[int], gpus: List[str]) -> Optional[str]:
    """`CUDA_VISIBLE_DEVICES` for a job holding `slot_indices`; None when there is no GPU.

    Slot i maps to the i-th visible GPU, wrapping around when there are more slots
    than GPUs (several small jobs then share a GPU).
    """
    if not gpus:
        return None
    return ",".join(gpus[i % len(gpus)] for i in slot_indices)

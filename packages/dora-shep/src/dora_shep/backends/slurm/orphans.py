"""Orphan markers: jobs that sbatch created but whose XP never recorded them.

Before each submission a marker `<dir>/orphans/<job name>.<unique>` is made: written and
locked (flock) under a hidden temporary name, then renamed into place, so it appears
already locked and already naming its XP folders; as soon as sbatch answers, the job ids
are added. It is deleted once every `job.json` is written. A process that dies in between
leaves it behind, unlocked.

The next commit (`recover_orphans`) cancels what such a marker shows was never recorded:
it takes the marker's lock and the XPs' submit locks without waiting, so a submission in
flight in another process (it holds both) is never touched; it cancels the marker's job
ids missing from the XPs' job records (or, when sbatch never answered, the jobs of that
name found by `squeue`, minus the ones those XPs record), then deletes the marker. A
marker of ours naming no job id and no XP folder, or unreadable, never leads to
cancelling by name (jobs of that name recorded elsewhere could be hit): it is deleted
with a message. Markers left by dora-search (empty files named by job name, no lock)
are only handled once they are older than `LEGACY_MIN_AGE_S`; for a single XP's job
(`<name>_<sig>`), the jobs its XP folder records are spared.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import socket
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set

from ...errors import CorruptFileError
from ...locks import FileLock
from ...records import JobRecord
from . import commands
from .legacy import read_job_pkl
from .states import main_id

__all__ = ["LEGACY_MIN_AGE_S", "OrphanMarker", "recover_orphans"]

logger = logging.getLogger(__name__)

LEGACY_MIN_AGE_S = 600.0
SUBMIT_LOCK = ".submit.lock"  # the per-XP lock of the Shepherd's commit (see _submit.py)
JOB_FILE = "job.json"
LEGACY_JOB_FILE = "job.pkl"
_OURS = re.compile(r"(.+)\.([0-9a-f]{12})")
_TEMPORARY = re.compile(r"\.(.+)\.([0-9a-f]{12})\.tmp")
_LEGACY_SINGLE = re.compile(r".+_([0-9a-f]{8})")


class OrphanMarker:
    """The marker of one submission in flight, locked by this process until discarded."""

    def __init__(self, path: Path, fd: int, content: Dict) -> None:
        self.path = path
        self._fd: Optional[int] = fd
        self.content = content

    @classmethod
    def create(cls, folder: Path, job_name: str, xp_folders: Sequence[Path]) -> OrphanMarker:
        """Create and lock a new marker for a submission of `xp_folders` as `job_name`.

        The marker is complete and locked before it appears under its name: no other
        process's recovery ever sees it empty or unlocked while this one lives.
        """
        folder.mkdir(parents=True, exist_ok=True)
        unique = uuid.uuid4().hex[:12]
        path = folder / f"{job_name}.{unique}"
        temporary = folder / f".{job_name}.{unique}.tmp"  # recovery skips hidden names
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            content = {
                "job_name": job_name,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "created": time.time(),
                "xp_folders": [str(item) for item in xp_folders],
                "job_ids": [],
            }
            marker = cls(path, fd, content)
            marker._write()
            os.rename(temporary, path)
        except BaseException:
            os.close(fd)
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass
            raise
        return marker

    def _write(self) -> None:
        """Write the content in place. It only grows (ids are added), so it is written
        over the old one without truncating first: a crash never leaves it empty."""
        assert self._fd is not None
        data = (json.dumps(self.content) + "\n").encode("utf-8")
        written = 0
        while written < len(data):
            written += os.pwrite(self._fd, data[written:], written)
        os.ftruncate(self._fd, len(data))

    def add_job_ids(self, job_ids: Sequence[str]) -> None:
        """Record ids that sbatch returned (before anything else happens)."""
        self.content["job_ids"].extend(job_ids)
        self._write()

    @property
    def job_ids(self) -> List[str]:
        """The job ids submitted so far under this marker."""
        return list(self.content["job_ids"])

    def release(self) -> None:
        """Keep the marker but release its lock: the next commit decides what to cancel."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def discard(self) -> None:
        """Delete the marker and release its lock (the submission is recorded or undone)."""
        fd, self._fd = self._fd, None
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        if fd is not None:
            os.close(fd)


def _recorded_ids(folder: Path) -> Set[str]:
    """The job ids the XP folder records (its job.json, or dora-search's job.pkl)."""
    ids: Set[str] = set()
    try:
        data = json.loads((folder / JOB_FILE).read_text(encoding="utf-8"))
        ids |= set(JobRecord.from_json(data).all_job_ids)
    except (OSError, ValueError, TypeError):
        pass
    if (folder / LEGACY_JOB_FILE).exists():
        try:
            ids |= set(read_job_pkl(folder / LEGACY_JOB_FILE).all_job_ids)
        except CorruptFileError:
            pass
    return ids


def _lock_if_free(path: Path, stack: ExitStack) -> bool:
    """Take the lock on `path` when free now (released with `stack`); False when held."""
    lock = FileLock(path)
    try:
        if not lock.try_acquire():
            return False
    except FileNotFoundError:  # the XP folder is gone: nobody can submit it right now
        return True
    stack.callback(lock.release)
    return True


def _job_name(marker: str) -> str:
    """The job name of a marker file name (`<job name>.<unique>`, or dora-search's bare name)."""
    match = _OURS.fullmatch(marker)
    return match.group(1) if match else marker


def _to_cancel(content: Dict, recorded: Set[str]) -> List[str]:
    """Ids of the marker's jobs that no XP recorded (whole arrays collapsed to one id)."""
    ids = [str(job_id) for job_id in content.get("job_ids") or []]
    if ids:
        missing = [job_id for job_id in ids if job_id not in recorded]
        recorded_mains = {main_id(job_id) for job_id in recorded}
        out: List[str] = []
        for job_id in missing:
            target = job_id if main_id(job_id) in recorded_mains else main_id(job_id)
            if target not in out:
                out.append(target)
        return out
    name = content.get("job_name")
    if not name:
        return []
    found = commands.squeue_ids(str(name), commands.current_user())
    recorded_mains = {main_id(job_id) for job_id in recorded}
    return sorted({main_id(job_id) for job_id in found} - recorded_mains)


def _read(fd: int) -> Optional[Dict]:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _handle(
    path: Path,
    cancel: Callable[[List[str]], None],
    log: Callable[[str], None],
    xps: Optional[Path],
) -> None:
    with ExitStack() as stack:
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return
        stack.callback(os.close, fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # its submission is in flight in a live process
        if not path.exists() or os.stat(path).st_ino != os.fstat(fd).st_ino:
            return  # discarded meanwhile
        ours = _OURS.fullmatch(path.name) is not None
        content = _read(fd)
        if content is None and ours:
            path.unlink()
            log(_unsafe_message(path, "cannot be read"))
            return
        if content is None:  # dora-search's empty marker
            if time.time() - os.fstat(fd).st_mtime < LEGACY_MIN_AGE_S:
                return  # dora-search takes no lock: wait until it cannot be in flight
            content = {"job_name": path.name, "xp_folders": _legacy_folders(path.name, xps)}
        folders = [Path(item) for item in content.get("xp_folders") or []]
        if ours and not folders and not content.get("job_ids"):
            path.unlink()
            log(_unsafe_message(path, "names no XP folder and no job id"))
            return
        for folder in sorted(folders):
            if not _lock_if_free(folder / SUBMIT_LOCK, stack):
                return  # an XP is being submitted right now: look again next time
        recorded: Set[str] = set()
        for folder in folders:
            recorded |= _recorded_ids(folder)
        ids = _to_cancel(content, recorded)
        if ids:
            cancel(ids)
            log(
                f"Cancelled orphan job(s) {', '.join(ids)} ({content.get('job_name')}): "
                "a Dora process stopped between submitting them and recording them."
            )
        path.unlink()


def _legacy_folders(name: str, xps: Optional[Path]) -> List[str]:
    """The XP folder of a dora-search marker `<main name>_<sig>` (none for arrays)."""
    match = _LEGACY_SINGLE.fullmatch(name)
    if xps is None or match is None or "_array_" in name:
        return []
    return [str(xps / match.group(1))]


def _unsafe_message(path: Path, why: str) -> str:
    name = _job_name(path.name)
    return (
        f"Removed the orphan marker {path}: it {why}, so the jobs it stands for are "
        f"unknown and none was cancelled (cancelling every job named {name} could hit "
        f"recorded ones). If `squeue -n {name}` lists a job that no XP records, cancel it "
        "with `scancel`."
    )


def _remove_stale_temporary(path: Path) -> None:
    """Delete a marker a process died creating (before any sbatch), once surely dead."""
    try:
        if time.time() - path.stat().st_mtime < LEGACY_MIN_AGE_S:
            return
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return
    try:
        if os.stat(path).st_ino == os.fstat(fd).st_ino:
            path.unlink()
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)


def recover_orphans(
    folder: Path,
    cancel: Callable[[List[str]], None],
    log: Callable[[str], None],
    xps: Optional[Path] = None,
) -> None:
    """Cancel the jobs of the orphan markers in `folder` that nobody recorded.

    `xps` is the folder of the XP folders (`<dir>/xps`), to find the XP of a dora-search
    marker. A marker that cannot be handled now (locked, or its cancellation failed) is
    kept for the next run; failures are logged, never raised.
    """
    try:
        entries = sorted(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return
    for path in entries:
        if path.name.startswith("."):
            if _TEMPORARY.fullmatch(path.name):
                _remove_stale_temporary(path)
            continue
        try:
            _handle(path, cancel, log, xps)
        except Exception as exc:
            logger.warning("Could not handle the orphan marker %s: %s", path, exc)
            log(f"Could not handle the orphan marker {path}: {exc}")

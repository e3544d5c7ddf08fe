"""The commit step of the Shepherd: cancellations, then submissions under per-XP locks."""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple

from ._atomic import replace_symlink
from .backends.base import COMPLETED, FAILURES, normalize_state
from .errors import ShepError
from .git_save import submit_from_clone
from .locks import FileLock
from .records import JobRecord, read_job_record, write_job_record

if TYPE_CHECKING:  # pragma: no cover
    from .conf import SlurmConfig, SubmitRules
    from .shepherd import Shepherd, _Queued
    from .xp import XP

__all__ = ["LOCK_FILE", "cancel_records", "submit_batch"]

logger = logging.getLogger(__name__)

LOCK_FILE = ".submit.lock"
LOCK_TIMEOUT_S = 120.0


def cancel_records(shepherd: Shepherd, records: List[JobRecord]) -> None:
    """Cancel `records`: one call per backend; a failure is logged and does not stop others."""
    groups: Dict[str, List[JobRecord]] = {}
    for record in records:
        groups.setdefault(record.backend, []).append(record)
    for name, group in groups.items():
        backend = shepherd._backend_named(name)
        ids = [job_id for rec in group for job_id in rec.all_job_ids]
        try:
            if isinstance(backend, ShepError):
                raise backend
            backend.cancel(group)
        except Exception as exc:
            logger.warning("Could not cancel %s jobs %s: %s", name, ", ".join(ids), exc)
            shepherd.log(f"Could not cancel jobs {', '.join(ids)}: {exc}")
        for job_id in ids:
            shepherd._statuses.pop(job_id, None)


def _ensure_fd_room(count: int) -> None:
    """Raise the soft limit on open files when `count` locks would not fit (best effort)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        except (ValueError, OSError):
            pass


def _eligible(state: Optional[str], rules: SubmitRules) -> bool:
    """Whether a job that appeared meanwhile may still be replaced under `rules`."""
    if state == COMPLETED:
        return rules.replace_done
    return state in FAILURES and rules.retry


def _recheck(
    shepherd: Shepherd, changed: List[Tuple[_Queued, Optional[JobRecord]]]
) -> List[_Queued]:
    """Among XPs whose record changed since they were queued, those still to submit."""
    present = [record for _, record in changed if record is not None]
    if present:
        for rec in present:
            for job_id in rec.all_job_ids:
                shepherd._statuses.pop(job_id, None)
        shepherd._fetch(present)
    keep = []
    for item, record in changed:
        if record is None:
            keep.append(item)
            continue
        status = shepherd._statuses.get(record.job_id)
        state = None if status is None else normalize_state(status.state)
        if _eligible(state, item.rules):
            keep.append(item)
        else:
            item.sheep.job = record
            shepherd._register(record)
            shepherd.log(
                f"Skipped sheep {item.sheep.xp.sig}: job {record.job_id} was submitted "
                "meanwhile by another process."
            )
    return keep


def _link(shepherd: Shepherd, xp: XP, record: JobRecord) -> None:
    """`by_id/<job id>` -> XP folder for every job of the record; `latest` -> log folder."""
    by_id = shepherd.by_id
    by_id.mkdir(parents=True, exist_ok=True)
    folder = os.path.realpath(xp.folder)
    for job_id in record.all_job_ids:
        replace_symlink(by_id / job_id, folder)
    if record.log:
        log_folder = Path(record.log).parent
        try:
            target = os.path.relpath(log_folder, xp.folder)
        except ValueError:
            target = str(log_folder)
        replace_symlink(xp._latest_submitit, target)


def submit_batch(
    shepherd: Shepherd, slurm: SlurmConfig, items: List[_Queued], done: Set[str]
) -> None:
    """Submit the XPs of one batch that nobody submitted meanwhile, under their locks."""
    unique: Dict[str, _Queued] = {}
    for item in items:
        sig = item.sheep.xp.sig
        if sig not in done and sig not in unique:
            unique[sig] = item
    if not unique:
        return
    _ensure_fd_room(len(unique))
    with ExitStack() as stack:
        for sig in sorted(unique):  # one global order: no deadlock between processes
            lock = FileLock(unique[sig].sheep.xp.folder / LOCK_FILE, timeout=LOCK_TIMEOUT_S)
            lock.acquire()
            stack.callback(lock.release)
        ready: List[_Queued] = []
        changed: List[Tuple[_Queued, Optional[JobRecord]]] = []
        for item in unique.values():
            current = read_job_record(item.sheep.xp)
            current_id = None if current is None else current.job_id
            if current_id == item.expected_job_id:
                ready.append(item)
            else:
                changed.append((item, current))
        if changed:
            kept = {id(item) for item in ready + _recheck(shepherd, changed)}
            ready = [item for item in unique.values() if id(item) in kept]
        if not ready:
            return
        xps = [item.sheep.xp for item in ready]
        for xp in xps:
            if xp.rendezvous_file.exists():
                xp.rendezvous_file.unlink()
        with submit_from_clone(shepherd.main, shepherd._git_clone, xps) as main:  # git_save
            records = shepherd.backend.submit(main, xps, slurm)
        for item, record in zip(ready, records):
            xp = item.sheep.xp
            write_job_record(xp, record)
            item.sheep.job = record
            shepherd._register(record)
            done.add(xp.sig)
            _link(shepherd, xp, record)
            name = shepherd.main.get_name(xp)
            shepherd.log(f"Scheduled job {record.job_id} for sheep {xp.sig}/{name}")
        committed = getattr(shepherd.backend, "committed", None)
        if committed is not None:  # e.g. Slurm drops the orphan marker of the submission
            committed(records)

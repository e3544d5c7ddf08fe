"""`LocalBackend`: run XPs on this machine, surviving the exit of the submitting process.

Each job gets a detached supervisor (see `worker`) that queues for slots, runs the XP
through `dora_shep.runner` and records the outcome under `<dora.dir>/local/` (layout in
`_state`). Nothing depends on the `dora` process staying alive.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ..._atomic import atomic_write_text
from ...conf import UNLIMITED, slurm_time_minutes
from ...errors import CorruptFileError, SubmissionError
from ...locks import FileLock
from ...records import JobRecord, read_job_record
from ..base import CANCELLED, FAILED, PENDING, RUNNING, JobStatus
from ._state import PREFIX, LocalPaths, read_state, write_state
from .slots import count_slots, slots_needed, visible_gpus

if TYPE_CHECKING:  # pragma: no cover
    from ...conf import DoraConfig, SlurmConfig
    from ...xp import XP

__all__ = ["LocalBackend"]

logger = logging.getLogger(__name__)

WORKER = "dora_shep.backends.local.worker"
CANCEL_WAIT_S = 2.0
_ACTIVE = (PENDING, RUNNING)

# Supervisors started by this process, kept so they are reaped (no zombie, no warning).
_children: List[subprocess.Popen] = []


def _reap() -> None:
    _children[:] = [child for child in _children if child.poll() is None]


def _time_limit_s(time: Any) -> Optional[float]:
    """`SlurmConfig.time` (minutes, or a Slurm duration string) in seconds; None: no limit."""
    minutes = slurm_time_minutes(time)
    if not minutes or minutes == UNLIMITED:  # Slurm reads --time=0 as no limit too
        return None
    return minutes * 60


class LocalBackend:
    """Jobs on the local machine, at most N at once (N slots), the rest queued FIFO.

    Args:
        dora: the project's DoraConfig; state lives in `<dora.dir>/local/`.
    """

    name = "local"

    def __init__(self, dora: DoraConfig) -> None:
        self.dora = dora
        self.paths = LocalPaths(dora.dir / "local")
        self._gpus: Optional[List[str]] = None
        self._warned_no_gpu = False

    def visible_gpus(self) -> List[str]:
        """The GPUs jobs may use, read once per backend (see `slots.visible_gpus`)."""
        if self._gpus is None:
            self._gpus = visible_gpus()
        return list(self._gpus)

    def log_path(self, xp: XP, job_id: str) -> Path:
        """The log of job `job_id` of `xp`: `<xp folder>/local/<job id>.log`."""
        return xp.folder / "local" / f"{job_id}.log"

    def check(self, slurm: SlurmConfig) -> None:
        """Refuse a resource request this machine can never satisfy, before anything is written.

        Raises:
            SubmissionError: when the XPs ask for more GPUs than there are slots.
            ConfigError: when `time` is not a duration.
        """
        self._slots_for(slurm)
        _time_limit_s(slurm.time)

    def _slots_for(self, slurm: SlurmConfig) -> Tuple[int, int]:
        """(N slots of this machine, slots one XP of `slurm` takes), checked."""
        gpus = self.visible_gpus()
        total = count_slots(self.dora.slots, gpus)
        needed = slots_needed(slurm.gpus)
        if needed > total:
            raise SubmissionError(
                f"The XPs ask for {slurm.gpus} GPUs but the local backend has {total} "
                f"slot(s) ({len(gpus)} visible GPU(s), slots={self.dora.slots}). Ask for "
                "fewer GPUs, or set more slots (`--slots N` or `dora.slots`)."
            )
        return total, needed

    def submit(self, main: Any, xps: List[XP], slurm: SlurmConfig) -> List[JobRecord]:
        """Start one supervised job per XP; one record per XP, in order.

        Raises:
            SubmissionError: when an XP asks for more GPUs than there are slots (checked
                before anything is written), or a supervisor cannot be started.
        """
        if not xps:
            return []
        gpus = self.visible_gpus()
        total, needed = self._slots_for(slurm)
        if slurm.dependents:
            logger.warning("The local backend ignores `dependents` (%d).", slurm.dependents)
        # One GPU is the Slurm default, so asking one on a laptop is no news; asking
        # several takes as many slots, which is worth a word.
        if (slurm.gpus or 0) > 1 and not gpus and not self._warned_no_gpu:
            self._warned_no_gpu = True
            logger.warning(
                "The XPs ask for %s GPU(s) but no GPU is visible here: they run on the CPU, "
                "each still taking %d of the %d local slot(s).", slurm.gpus, needed, total)
        for xp in xps:
            self._cancel_orphans(xp)
        module, attribute = main.import_path
        common: Dict[str, Any] = {
            "gpus": gpus,
            "gpus_asked": int(slurm.gpus or 0),
            "slots_needed": needed,
            "num_slots": total,
            "time_limit_s": _time_limit_s(slurm.time),
            "python": shlex.split(slurm.python) if slurm.python else [sys.executable],
        }
        payload = {
            "module": module,
            "attribute": attribute,
            "import_root": main.import_root,
            "cwd": os.getcwd(),
            "requeue": False,
        }
        self.paths.make()
        self.paths.set_slot_count(total)
        ids = self.paths.allocate_ids(len(xps))
        submitted_at = time.time()
        slurm_json = dataclasses.asdict(slurm)
        records: List[JobRecord] = []
        for xp, job_id in zip(xps, ids):
            try:
                log = self._start(xp, job_id, dict(payload, argv=list(xp.argv)), common)
            except Exception as exc:
                self.cancel(records)
                raise SubmissionError(
                    f"Could not start the local job of XP {xp.sig}: {exc}. The jobs "
                    "started in the same batch were cancelled."
                ) from exc
            records.append(
                JobRecord(
                    job_id=job_id,
                    backend=self.name,
                    array_job_ids=list(ids),
                    slurm_config=slurm_json,
                    submitted_at=submitted_at,
                    log=str(log),
                )
            )
        return records

    def _cancel_orphans(self, xp: XP) -> None:
        """Cancel live jobs of `xp` that its `job.json` does not name.

        A `dora` process killed between starting a job and writing `job.json` leaves such
        a job behind; the Shepherd calls `submit` holding the XP's submit lock, so no other
        submission of this XP is in flight and the job cannot be one about to be recorded.
        The XP's log folder lists every local job it ever had (`local/<job id>.log`).
        """
        try:
            logs = sorted((xp.folder / "local").glob(f"{PREFIX}*.log"))
        except OSError:
            return
        if not logs:
            return
        try:
            record = read_job_record(xp)
        except CorruptFileError:
            return  # a damaged record: we cannot tell which job is the XP's
        recorded = set() if record is None else set(record.all_job_ids)
        for log in logs:
            job_id = log.stem
            if job_id in recorded or not self._is_active(job_id):
                continue
            logger.warning(
                "Cancelling local job %s of XP %s: it was started but never recorded "
                "(a Dora process stopped in between).", job_id, xp.sig)
            try:
                self._cancel_one(job_id)
            except Exception as exc:
                logger.warning("Could not cancel local job %s: %s", job_id, exc)

    def _start(self, xp: XP, job_id: str, payload: dict, common: dict) -> Path:
        """Write the job's files and start its supervisor; the log path."""
        log = self.log_path(xp, job_id)
        log.parent.mkdir(parents=True, exist_ok=True)
        alive = FileLock(self.paths.alive(job_id))
        if not alive.try_acquire():
            raise SubmissionError(f"{self.paths.alive(job_id)} is locked by another process")
        try:
            atomic_write_text(self.paths.payload(job_id), json.dumps(payload, indent=1))
            state = dict(
                common,
                job_id=job_id,
                state=PENDING,
                reason=None,
                sig=xp.sig,
                xp_folder=str(xp.folder),
                log=str(log),
                submitted_at=time.time(),
            )
            job_file = self.paths.job(job_id)
            write_state(job_file, state)
            self.paths.queued(job_id).touch()
            fd = alive.fd
            assert fd is not None
            _reap()
            with open(log, "ab") as out:
                child = subprocess.Popen(
                    [sys.executable, "-m", WORKER, str(job_file), "--alive-fd", str(fd)],
                    start_new_session=True,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    pass_fds=(fd,),
                )
            _children.append(child)
        finally:
            alive.release()  # the supervisor holds its own copy now
        return log

    def states(self, records: List[JobRecord]) -> Dict[str, JobStatus]:
        """The status of every job of `records`, in one pass over the state files."""
        return {job_id: self._status(job_id) for rec in records for job_id in rec.all_job_ids}

    def _status(self, job_id: str) -> JobStatus:
        path = self.paths.job(job_id)
        data = read_state(path)
        if data is None:
            return JobStatus(
                FAILED, f"the local state of job {job_id} is missing from {self.paths.jobs}"
            )
        if data.get("state") in _ACTIVE:
            data = self._settle_if_gone(job_id, data, None)
        return JobStatus(str(data.get("state")), data.get("reason"))

    def _settle_if_gone(
        self, job_id: str, data: Dict[str, Any], final: Optional[str]
    ) -> Dict[str, Any]:
        """When no process of an active job is left, record it as `final` (or FAILED)."""
        lock = FileLock(self.paths.alive(job_id))
        try:
            if not lock.try_acquire():
                return data
        except OSError:
            return data
        try:
            data = read_state(self.paths.job(job_id)) or data
            state = data.get("state")
            if state in _ACTIVE:
                if final is None:
                    reason: Optional[str] = (
                        f"the job's process vanished (reboot, kill or crash) while {state}"
                    )
                    data.update(state=FAILED, reason=reason, ended_at=time.time())
                else:
                    data.update(state=final, reason=None, ended_at=time.time())
                try:
                    write_state(self.paths.job(job_id), data)
                except OSError as exc:
                    logger.warning("Could not record the end of %s: %s", job_id, exc)
        finally:
            lock.release()
        return data

    def cancel(self, records: List[JobRecord]) -> None:
        """Cancel the jobs of `records`; a failure on one job is logged, not raised.

        Waits briefly (up to a couple of seconds) for the supervisors to record the
        cancellation.
        """
        waiting = []
        for rec in records:
            for job_id in rec.all_job_ids:
                try:
                    if self._cancel_one(job_id):
                        waiting.append(job_id)
                except Exception as exc:
                    logger.warning("Could not cancel local job %s: %s", job_id, exc)
        deadline = time.monotonic() + CANCEL_WAIT_S
        while waiting and time.monotonic() < deadline:
            time.sleep(0.05)
            waiting = [job_id for job_id in waiting if self._is_active(job_id)]

    def _is_active(self, job_id: str) -> bool:
        data = read_state(self.paths.job(job_id))
        return data is not None and data.get("state") in _ACTIVE

    def _cancel_one(self, job_id: str) -> bool:
        """Ask one job to stop; whether its supervisor is still there to record it."""
        data = read_state(self.paths.job(job_id))
        if data is None or data.get("state") not in _ACTIVE:
            return False
        self.paths.cancel(job_id).touch()
        data = self._settle_if_gone(job_id, data, CANCELLED)
        if data.get("state") not in _ACTIVE:
            return False
        pgid = data.get("pgid")
        if pgid:
            try:
                os.killpg(int(pgid), signal.SIGTERM)
            except ProcessLookupError:
                pass
        return True

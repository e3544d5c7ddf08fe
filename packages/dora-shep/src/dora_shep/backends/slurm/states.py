"""Job states from one `sacct` call, for any number of jobs.

The table is parsed by submitit's parser (array ranges expanded, job steps skipped).
`CANCELLED by N` reads as CANCELLED. An array element that sacct no longer knows while
other elements of its array are known reads as MISSING (sacct forgets elements cancelled
one by one).

Accounting lags behind the controller: a job just submitted, and array elements, which
get a job record of their own when they start, can be missing from sacct for seconds or
for their whole (short) life. So when sacct has no row for some jobs, one `squeue -t all`
call asks the controller about those only; it knows the jobs queued, running or ended
within its MinJobAge, and its state wins over UNKNOWN or MISSING. When sacct fails
altogether (no accounting), squeue gives the states it knows, and the other jobs read
UNKNOWN with sacct's error.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Dict, Iterable, List, Mapping, Optional

from ...records import JobRecord
from ..base import CANCELLED, MISSING, UNKNOWN, JobStatus
from . import commands

__all__ = ["MISSING_GRACE_S", "main_id", "parse_sacct", "read_states", "status_of_row"]

logger = logging.getLogger(__name__)

#: An element absent from sacct this long after submission is MISSING, not just late.
MISSING_GRACE_S = 60.0

_REASONS = {
    "TIMEOUT": "time limit reached",
    "OUT_OF_MEMORY": "out of memory",
    "NODE_FAIL": "a node of the job failed",
    "BOOT_FAIL": "a node failed to boot",
    "DEADLINE": "deadline reached",
    "PREEMPTED": "preempted",
}


#: States that mean the same, for Dora's rules, as one it knows.
_ALIASES = {
    "CONFIGURING": "RUNNING",
    "RESIZING": "RUNNING",
    "SIGNALING": "RUNNING",
    "STAGE_OUT": "COMPLETING",
    "REQUEUE_FED": "REQUEUED",
    "REQUEUE_HOLD": "PENDING",
    "RESV_DEL_HOLD": "PENDING",
    "STOPPED": "SUSPENDED",
}


def main_id(job_id: str) -> str:
    """`123_4` -> `123`; `123` -> `123`."""
    return job_id.split("_", 1)[0]


def parse_sacct(text: str) -> Dict[str, Dict[str, str]]:
    """The rows of a `--parsable2` sacct table by job id (array ranges expanded)."""
    import warnings

    from submitit.slurm.slurm import SlurmInfoWatcher

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return SlurmInfoWatcher(delay_s=600).read_info(text)


def _exit_reason(code: Optional[str]) -> Optional[str]:
    match = re.fullmatch(r"(\d+):(\d+)", (code or "").strip())
    if match is None:
        return None
    status, signal = int(match.group(1)), int(match.group(2))
    if signal:
        return f"killed by signal {signal}"
    if status:
        return f"exit code {status}"
    return None


def status_of_row(row: Mapping[str, str]) -> JobStatus:
    """The status of one sacct row (`State`, `ExitCode`)."""
    raw = (row.get("State") or UNKNOWN).strip()
    if raw.startswith(CANCELLED):
        by = raw[len(CANCELLED):].strip()
        return JobStatus(CANCELLED, f"cancelled {by}" if by else None)
    state = raw.split()[0].rstrip("+") if raw else UNKNOWN
    state = _ALIASES.get(state, state)
    reason = _exit_reason(row.get("ExitCode")) if state == "FAILED" else _REASONS.get(state)
    return JobStatus(state, reason)


def _ids(records: Iterable[JobRecord]) -> Dict[str, float]:
    """Every job id of `records` with its submission time."""
    ids: Dict[str, float] = {}
    for record in records:
        for job_id in record.all_job_ids:
            ids[job_id] = record.submitted_at
    return ids


def _controller_states(mains: List[str]) -> Optional[Dict[str, str]]:
    """squeue's states of the active jobs among `mains`, None when squeue fails."""
    try:
        return commands.squeue_states(mains)
    except commands.SlurmCommandError as exc:
        logger.debug("Could not ask squeue: %s", exc)
        return None


def read_states(records: List[JobRecord], now: Optional[float] = None) -> Dict[str, JobStatus]:
    """The status of every job of `records`: one sacct call (plus one squeue call for the
    jobs sacct does not show, if any).

    When sacct fails (no accounting, controller down), the jobs squeue does not list read
    UNKNOWN with sacct's message as the reason, and a warning is logged.
    """
    ids = _ids(records)
    if not ids:
        return {}
    mains = list(dict.fromkeys(main_id(job_id) for job_id in ids))
    unknown_reason: Optional[str] = None
    try:
        rows = parse_sacct(commands.sacct(mains))
    except commands.SlurmCommandError as exc:
        logger.warning("Could not read job states: %s", exc)
        unknown_reason = f"sacct failed, states unknown: {exc}"
        rows = {}
    statuses = {job_id: status_of_row(rows[job_id]) for job_id in ids if job_id in rows}
    absent = [job_id for job_id in ids if job_id not in rows]
    if not absent:
        return statuses
    queued = _controller_states(list(dict.fromkeys(main_id(job_id) for job_id in absent)))
    known_arrays = {main_id(job_id) for job_id in rows if "_" in job_id}
    now = time.time() if now is None else now
    for job_id in absent:
        if queued is not None and job_id in queued:
            statuses[job_id] = status_of_row({"State": queued[job_id]})
        elif (
            "_" in job_id
            and main_id(job_id) in known_arrays
            # without squeue's word, only trust sacct's silence once it had time to catch up
            and (queued is not None or now - ids[job_id] > MISSING_GRACE_S)
        ):
            statuses[job_id] = JobStatus(
                MISSING, "Slurm accounting no longer knows this array element"
            )
        else:
            statuses[job_id] = JobStatus(UNKNOWN, unknown_reason)
    return statuses

"""The job backend interface shared by the local and Slurm backends, and job states.

States use Slurm's names so the table reads the same on both backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from ..conf import SlurmConfig
    from ..records import JobRecord
    from ..xp import XP

__all__ = [
    "ACTIVE",
    "Backend",
    "CANCELLED",
    "COMPLETED",
    "FAILED",
    "FAILURES",
    "FINISHED",
    "JobStatus",
    "MISSING",
    "PENDING",
    "RUNNING",
    "TIMEOUT",
    "UNKNOWN",
    "is_finished",
    "normalize_state",
]

PENDING = "PENDING"
RUNNING = "RUNNING"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"
TIMEOUT = "TIMEOUT"
UNKNOWN = "UNKNOWN"
MISSING = "MISSING"

#: States of a job that may still run (submitit's list): everything else is finished.
ACTIVE = frozenset(
    {"READY", PENDING, RUNNING, UNKNOWN, "REQUEUED", "COMPLETING", "PREEMPTED", "SUSPENDED"}
)

#: Finished states that `SubmitRules.retry` resubmits.
FAILURES = frozenset(
    {FAILED, CANCELLED, "OUT_OF_MEMORY", TIMEOUT, MISSING, "NODE_FAIL", "BOOT_FAIL", "DEADLINE"}
)

#: Every finished state a backend reports.
FINISHED = frozenset({COMPLETED} | FAILURES | {"REVOKED", "SPECIAL_EXIT"})


def normalize_state(state: str) -> str:
    """`CANCELLED by 1234` -> `CANCELLED`; other states unchanged."""
    if state.startswith(CANCELLED):
        return CANCELLED
    return state


def is_finished(state: Optional[str]) -> bool:
    """Whether a job in `state` will not run any more (None, never submitted, counts)."""
    return state is None or normalize_state(state) not in ACTIVE


@dataclass
class JobStatus:
    """The state of one job, with the reason when the backend knows it."""

    state: str
    reason: Optional[str] = None


class Backend(Protocol):
    """What the Shepherd needs from a job backend.

    `check` refuses a resource request that can never run, before anything is written;
    `submit` gets XPs sharing one resource config and returns one record per XP, in
    order; `states` reads many jobs in one pass; `cancel` cancels many in one call and
    never stops at the first failure.
    """

    name: str

    def check(self, slurm: SlurmConfig) -> None: ...

    def submit(self, main: Any, xps: List[XP], slurm: SlurmConfig) -> List[JobRecord]: ...

    def states(self, records: List[JobRecord]) -> Dict[str, JobStatus]: ...

    def cancel(self, records: List[JobRecord]) -> None: ...

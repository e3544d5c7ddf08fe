"""`Sheep`: one XP and its latest job, with the job's state read through the Shepherd.

Building a sheep reads its folder once and never writes: a damaged or colliding folder
is not an exception but `Sheep.problem`, so one bad XP cannot stop a whole grid.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional

from .backends.base import COMPLETED, JobStatus, is_finished, normalize_state
from .errors import CorruptFileError
from .records import JobRecord, read_job_record
from .xp import FolderProblem, check_xp_folder, folder_listing

if TYPE_CHECKING:  # pragma: no cover
    from .shepherd import Shepherd
    from .xp import XP

__all__ = ["Sheep"]


class Sheep:
    """An XP and its job record (None when it was never submitted).

    States are read through the Shepherd, which fetches the states of all its sheep in
    one backend call and caches them until `Shepherd.update()`.

    `problem` says what is wrong with the XP's folder (see `FolderProblem`): a signature
    collision, or a damaged `.delta.json`, `.argv.json`, `job.json` or `job.pkl`. When
    the folder's job cannot be taken as this XP's (`problem.job_unknown`), `job` is None
    and the Shepherd refuses to submit it: such a sheep is neither scheduled nor
    cancelled.

    Args:
        xp: the XP.
        shepherd: the Shepherd that reads job states.
    """

    def __init__(self, xp: XP, shepherd: Shepherd) -> None:
        self.xp = xp
        self._shepherd = shepherd
        folder = xp.folder
        names = folder_listing(folder)
        self.problem: Optional[FolderProblem] = check_xp_folder(xp, names, folder)
        self.job: Optional[JobRecord] = None
        if names and (self.problem is None or not self.problem.job_unknown):
            try:
                self.job = read_job_record(xp)
            except CorruptFileError as exc:
                path = xp._job_file
                if not os.path.lexists(path):
                    path = xp.folder / xp.dora.shep.job_file
                self.problem = FolderProblem("job", path, str(exc))
        shepherd._register(self.job)

    def _statuses(self) -> List[Optional[JobStatus]]:
        if self.job is None:
            return []
        statuses: Dict[str, JobStatus] = self._shepherd._statuses_for(self.job)
        return [statuses.get(job_id) for job_id in self.job.all_job_ids]

    def _current_status(self) -> Optional[JobStatus]:
        """The status that `state()` reports (first completed or unfinished job, else last)."""
        statuses = self._statuses()
        for status in statuses:
            if status is not None:
                state = normalize_state(status.state)
                if state == COMPLETED or not is_finished(state):
                    return status
        return statuses[-1] if statuses else None

    def state(self) -> Optional[str]:
        """The job's state (Slurm names); None when the XP was never submitted."""
        if self.job is None:
            return None
        status = self._current_status()
        return "UNKNOWN" if status is None else normalize_state(status.state)

    @property
    def reason(self) -> Optional[str]:
        """Why the job failed (or was cancelled, timed out...), when the backend knows."""
        status = self._current_status()
        return None if status is None else status.reason

    def is_done(self) -> bool:
        """True without a job, or when every job of the chain is finished."""
        if self.job is None:
            return True
        statuses = self._statuses()
        return all(s is not None and is_finished(normalize_state(s.state)) for s in statuses)

    @property
    def job_id(self) -> Optional[str]:
        """The id of the XP's job (the first of a dependent chain)."""
        return None if self.job is None else self.job.job_id

    @property
    def current_job_id(self) -> Optional[str]:
        """The job of the chain that runs or ran last (by its log file)."""
        if self.job is None:
            return None
        current = self.job.job_id
        for job_id in self.job.dependent_job_ids:
            if self._default_log(job_id).exists():
                current = job_id
        return current

    def _default_log(self, job_id: str) -> Path:
        return self.xp.submitit / f"{job_id}_0_log.out"

    @property
    def log(self) -> Optional[Path]:
        """The main log file of the current job; None without a job."""
        if self.job is None:
            return None
        current = self.current_job_id
        if self.job.log and current == self.job.job_id:
            return Path(self.job.log)
        assert current is not None
        return self._default_log(current)

    def __repr__(self) -> str:
        out = f"Sheep({self.xp.sig}, state={self.state()}, "
        if self.job is not None:
            out += f"sid={self.job.job_id}, "
        if self.problem is not None:
            out += f"problem={self.problem.label!r}, "
        return out + f"argv={self.xp.argv})"

"""Job records: plain data about the job(s) of an XP, saved as `job.json` in its folder.

The JSON keeps the fields dora-search 0.1.13 writes (`job_id`, `array_job_ids`,
`dependent_job_ids`, `slurm_config`) and adds `backend`, `submitted_at` and `log`. An XP
folder written by an older dora-search has only `job.pkl` (pickled submitit jobs): it is
read through the Slurm backend when `job.json` is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ._atomic import atomic_write_text
from .errors import CorruptFileError

if TYPE_CHECKING:  # pragma: no cover
    from .xp import XP

__all__ = ["JobRecord", "read_job_record", "write_job_record"]

LOCAL_PREFIX = "local-"


def _backend_of(job_id: str) -> str:
    return "local" if job_id.startswith(LOCAL_PREFIX) else "slurm"


@dataclass
class JobRecord:
    """One submission of one XP.

    Attributes:
        job_id: the scheduler's id (`local-<n>` for the local backend, Slurm ids
            otherwise, `<array id>_<index>` for array members).
        backend: `local` or `slurm`.
        array_job_ids: ids of every job submitted together with this one.
        dependent_job_ids: ids of the jobs chained after this one (Slurm `dependents`).
        slurm_config: every field of the SlurmConfig used.
        submitted_at: submission time (seconds since the epoch).
        log: the main log file of the job, when known.
    """

    job_id: str
    backend: str
    array_job_ids: List[str] = field(default_factory=list)
    dependent_job_ids: List[str] = field(default_factory=list)
    slurm_config: Dict[str, Any] = field(default_factory=dict)
    submitted_at: float = 0.0
    log: Optional[str] = None

    @property
    def all_job_ids(self) -> List[str]:
        """This job followed by its dependents."""
        return [self.job_id, *self.dependent_job_ids]

    def to_json(self) -> Dict[str, Any]:
        """The JSON object stored in `job.json`."""
        return {
            "job_id": self.job_id,
            "array_job_ids": list(self.array_job_ids),
            "dependent_job_ids": list(self.dependent_job_ids),
            "slurm_config": dict(self.slurm_config),
            "backend": self.backend,
            "submitted_at": self.submitted_at,
            "log": self.log,
        }

    @classmethod
    def from_json(cls, data: Any) -> JobRecord:
        """Read a record; files written by dora-search 0.1.13 (no backend) are accepted.

        Raises:
            ValueError: when `data` is not a record.
        """
        if not isinstance(data, dict) or "job_id" not in data:
            raise ValueError("a job record is a JSON object with a job_id")
        job_id = str(data["job_id"])
        return cls(
            job_id=job_id,
            backend=str(data.get("backend") or _backend_of(job_id)),
            array_job_ids=[str(i) for i in data.get("array_job_ids") or [job_id]],
            dependent_job_ids=[str(i) for i in data.get("dependent_job_ids") or []],
            slurm_config=dict(data.get("slurm_config") or {}),
            submitted_at=float(data.get("submitted_at") or 0.0),
            log=data.get("log"),
        )


def read_job_record(xp: XP) -> Optional[JobRecord]:
    """The record in the XP's `job.json` (else dora-search's `job.pkl`), or None when the
    XP was never submitted.

    Raises:
        CorruptFileError: when `job.json` (or `job.pkl`) exists but cannot be read as a
            record.
    """
    path = xp._job_file
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        pickled = xp.folder / xp.dora.shep.job_file
        if not pickled.exists():
            return None
        from .backends.slurm.legacy import read_job_pkl

        return read_job_pkl(pickled)
    except OSError as exc:
        raise _damaged(path, exc.strerror or str(exc)) from None
    try:
        return JobRecord.from_json(json.loads(data.decode("utf-8")))
    except (ValueError, TypeError) as exc:
        raise _damaged(path, str(exc)) from None


def _damaged(path: Path, detail: str) -> CorruptFileError:
    return CorruptFileError(
        f"The job record {path} cannot be read ({detail}). Move it away (`mv {path} "
        f"{path}.bad`) to make Dora forget the job of this XP (cancel the job by hand if "
        "it still runs)."
    )


def write_job_record(xp: XP, record: JobRecord) -> None:
    """Save `record` as the XP's `job.json`, atomically."""
    atomic_write_text(xp._job_file, json.dumps(record.to_json(), indent=2) + "\n")

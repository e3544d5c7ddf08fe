"""Reading `job.pkl`, the job record dora-search writes: pickled submitit `SlurmJob`s.

The file holds `(job, jobs, dependent_jobs)` (0.1.10 and later), the older `(job, jobs)`,
or a bare job. Only the job ids are kept, as a `JobRecord`, so an XP folder started with
dora-search is seen as submitted (and its job's state read) instead of being submitted
again. Unpickling is restricted to submitit's and pathlib's classes: a job file cannot
run arbitrary code. A file written under Python 3.13+ names pathlib's classes in
`pathlib._local` (pathlib became a package): they are read as `pathlib`'s where that
module does not exist.
"""

from __future__ import annotations

import io
import pathlib
import pickle
from pathlib import Path
from typing import Any, List

from ...errors import CorruptFileError
from ...records import JobRecord

__all__ = ["read_job_pkl"]

_SAFE_BUILTINS = frozenset({"set", "frozenset", "list", "tuple", "dict", "int", "str", "float"})
#: pathlib's modules across Python versions (3.13 moved the classes to `pathlib._local`).
_PATHLIB_MODULES = frozenset({"pathlib", "pathlib._local"})
_PATH_CLASSES = frozenset({"Path", "PosixPath", "WindowsPath", "PurePath", "PurePosixPath",
                           "PureWindowsPath"})


class _JobUnpickler(pickle.Unpickler):
    """Unpickles submitit jobs and the plain types they hold; refuses anything else."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "submitit" or module.startswith("submitit."):
            # a class of submitit itself: a dotted name could reach any module it imports
            found = None if "." in name else super().find_class(module, name)
            if isinstance(found, type) and found.__module__.startswith("submitit"):
                return found
        if module in _PATHLIB_MODULES and name in _PATH_CLASSES:
            return getattr(pathlib, name)
        if module == "builtins" and name in _SAFE_BUILTINS:
            return super().find_class(module, name)
        if module == "copyreg" and name in ("_reconstructor", "__newobj__"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a submitit job record")


def _job_id(job: Any, path: Path) -> str:
    job_id = getattr(job, "job_id", None)
    if not isinstance(job_id, str) or not job_id:
        raise CorruptFileError(
            f"The job record {path} holds {type(job).__name__}, not a submitit job."
        )
    return job_id


def read_job_pkl(path: Path) -> JobRecord:
    """The job record of a dora-search `job.pkl`.

    Raises:
        CorruptFileError: when the file cannot be read as a job record.
    """
    try:
        data = path.read_bytes()
        content = _JobUnpickler(io.BytesIO(data)).load()
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
            IndexError, TypeError, ValueError) as exc:
        raise CorruptFileError(
            f"The dora-search job record {path} cannot be read ({exc}). Delete it to make "
            "Dora forget the job of this XP (cancel the job by hand if it still runs)."
        ) from None
    jobs: List[Any] = []
    dependents: List[Any] = []
    if isinstance(content, tuple):
        if len(content) == 2:
            job, jobs = content
        elif len(content) == 3:
            job, jobs, dependents = content
        else:
            raise CorruptFileError(
                f"The dora-search job record {path} is a tuple of {len(content)} items; "
                "expected (job, jobs) or (job, jobs, dependent_jobs)."
            )
    else:
        job = content
    job_id = _job_id(job, path)
    array_ids = [_job_id(other, path) for other in jobs or [job]]
    try:
        submitted_at = path.stat().st_mtime
    except OSError:
        submitted_at = 0.0
    return JobRecord(
        job_id=job_id,
        backend="slurm",
        array_job_ids=array_ids,
        dependent_job_ids=[_job_id(dep, path) for dep in dependents or []],
        slurm_config={},
        submitted_at=submitted_at,
        log=None,
    )

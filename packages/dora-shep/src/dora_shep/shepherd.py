"""`Shepherd`: decide which XPs to submit or cancel, and do it under per-XP locks.

Nothing touches a backend until `commit()`: `maybe_submit_lazy` and `cancel_lazy` only
queue. `commit()` cancels first (one call per backend), then submits each queued batch
while holding the `.submit.lock` of every XP in it, after re-reading their `job.json`:
two processes never submit the same XP twice.
"""

from __future__ import annotations

import copy
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Union

from .backends import Backend, choose_backend
from .backends.base import COMPLETED, FAILURES, UNKNOWN, JobStatus, is_finished
from .errors import BackendUnavailable, ShepError
from .records import JobRecord
from .sheep import Sheep
from .xp import write_missing_delta

if TYPE_CHECKING:  # pragma: no cover
    from .conf import SlurmConfig, SubmitRules
    from .main import MainProtocol

__all__ = ["Sheep", "Shepherd"]


def _no_log(message: str) -> None:
    """Default log callback: drop the message."""


@dataclass
class _Queued:
    """A sheep waiting for submission, with the job id it had when it was queued."""

    sheep: Sheep
    expected_job_id: Optional[str]
    rules: SubmitRules


@dataclass
class _Batch:
    """XPs submitted together with one Slurm config (a job array when more than one)."""

    slurm: SlurmConfig
    items: List[_Queued] = field(default_factory=list)


class Shepherd:
    """Submits, cancels and reads the state of the jobs of a main's XPs.

    Args:
        main: the decorated main (`MainProtocol`).
        log: called with one line for each job scheduled or skipped.
        backend: `auto`, `local` or `slurm`; default: `main.dora.backend`.

    Raises:
        BackendUnavailable: when the chosen backend cannot be used here.
    """

    def __init__(
        self,
        main: MainProtocol,
        log: Callable[[str], None] = _no_log,
        backend: Optional[str] = None,
    ) -> None:
        self.main = main
        self.log = log
        self.backend: Backend = choose_backend(backend or main.dora.backend, main.dora)
        self._backends: Dict[str, Union[Backend, ShepError]] = {self.backend.name: self.backend}
        self._records: Dict[str, JobRecord] = {}
        self._statuses: Dict[str, JobStatus] = {}
        self._to_cancel: List[JobRecord] = []
        self._batches: List[_Batch] = []
        self._array: Optional[_Batch] = None
        self._kept: List[Sheep] = []  # asked for, kept with their job: deltas written at commit
        self._git_clone: Optional[Path] = None  # git_save: the clone of the current commit

    @property
    def by_id(self) -> Path:
        """`<dir>/by_id`: one link per job id to its XP folder."""
        return self.main.dora.dir / self.main.dora.shep.by_id

    # Sheep -------------------------------------------------------------------------------

    def get_sheep_from_argv(self, argv: Sequence[str]) -> Sheep:
        """The sheep of the XP `argv` gives."""
        if isinstance(argv, str):
            raise ShepError(f"argv must be a list of arguments, not the string {argv!r}.")
        return Sheep(self.main.get_xp(list(argv)), self)

    def get_sheep_from_sig(self, sig: str) -> Sheep:
        """The sheep of an existing XP folder (see `MainBase.get_xp_from_sig`)."""
        return Sheep(self.main.get_xp_from_sig(sig), self)

    def get_sheep_from_job_id(self, job_id: str) -> Optional[Sheep]:
        """The sheep whose job is `job_id` (through `by_id/`), or None."""
        link = self.by_id / str(job_id)
        if not os.path.lexists(link):
            return None
        folder = Path(os.path.realpath(link))
        if not folder.is_dir():
            return None
        return self.get_sheep_from_sig(folder.name)

    # States ------------------------------------------------------------------------------

    def _register(self, record: Optional[JobRecord]) -> None:
        if record is not None:
            self._records[record.job_id] = record

    def _backend_named(self, name: str) -> Union[Backend, ShepError]:
        if name not in self._backends:
            try:
                self._backends[name] = choose_backend(name, self.main.dora)
            except ShepError as exc:
                self._backends[name] = exc
        return self._backends[name]

    def _fetch(self, records: List[JobRecord]) -> None:
        """Read the states of `records`: one call per backend."""
        groups: Dict[str, List[JobRecord]] = {}
        for record in records:
            groups.setdefault(record.backend, []).append(record)
        for name, group in groups.items():
            backend = self._backend_named(name)
            if isinstance(backend, ShepError):
                why = backend.why if isinstance(backend, BackendUnavailable) else str(backend)
                unknown = JobStatus(UNKNOWN, f"its backend ({name}) cannot be read: {why}")
                self._statuses.update({i: unknown for rec in group for i in rec.all_job_ids})
                continue
            # MISSING (an array element Slurm forgot) is the backend's call: only it
            # knows how long its accounting may lag behind a submission.
            self._statuses.update(backend.states(group))

    def _statuses_for(self, record: JobRecord) -> Dict[str, JobStatus]:
        """Cached statuses, fetching (for every known job not read yet) when needed."""
        self._register(record)
        if any(job_id not in self._statuses for job_id in record.all_job_ids):
            self._fetch(
                [
                    rec
                    for rec in self._records.values()
                    if any(job_id not in self._statuses for job_id in rec.all_job_ids)
                ]
            )
        return self._statuses

    def update(self) -> None:
        """Refresh the state of every known job that is not finished (one call per backend)."""
        stale = []
        for record in self._records.values():
            states = [self._statuses.get(job_id) for job_id in record.all_job_ids]
            if any(s is None or not is_finished(s.state) for s in states):
                stale.append(record)
        if stale:
            self._fetch(stale)

    # Queueing ----------------------------------------------------------------------------

    def maybe_submit_lazy(self, sheep: Sheep, slurm: SlurmConfig, rules: SubmitRules) -> None:
        """Queue `sheep` for submission at `commit()` when the rules ask for it.

        A job that completed is forgotten only with `replace_done`; one that failed, was
        cancelled, timed out or got lost only with `retry`; one pending or running is
        cancelled and forgotten only with `replace`. A sheep without a job is queued.

        Raises:
            SignatureCollisionError: when the XP folder was made for another delta.
            CorruptFileError: when a file of the XP folder is damaged (`sheep.problem`).
            ShepError: inside `job_array()`, when `slurm` is not the array's config.
        """
        if sheep.problem is not None:  # nothing queued: the XP folder is left as it is
            raise sheep.problem.error()
        expected = sheep.job_id
        if sheep.job is not None:
            state = sheep.state()
            if state == COMPLETED:
                if rules.replace_done:
                    sheep.job = None
            elif state in FAILURES:
                if rules.retry:
                    sheep.job = None
            elif rules.replace:
                self.cancel_lazy(sheep)
                sheep.job = None
        if sheep.job is not None:
            self._kept.append(sheep)
            return
        item = _Queued(sheep, expected, copy.copy(rules))
        if self._array is not None:
            if slurm != self._array.slurm:
                raise ShepError(
                    f"XP {sheep.xp.sig} asks for a Slurm config different from its job "
                    "array's: every XP of a job array shares one config."
                )
            self._array.items.append(item)
        else:
            self._batches.append(_Batch(copy.deepcopy(slurm), [item]))

    def cancel_lazy(
        self, sheep: Optional[Sheep] = None, *, job: Optional[JobRecord] = None
    ) -> None:
        """Queue the cancellation of `job`, or of the job of `sheep` (no-op without one)."""
        record = job if job is not None else (sheep.job if sheep is not None else None)
        if record is not None:
            self._to_cancel.append(record)

    @contextmanager
    def job_array(self, slurm: SlurmConfig) -> Iterator[None]:
        """Submit every sheep queued inside the block together, with `slurm`.

        Raises:
            ShepError: when a job array is already open.
        """
        if self._array is not None:
            raise ShepError("Job arrays cannot be nested: close the open one first.")
        self._array = _Batch(copy.deepcopy(slurm))
        try:
            yield
        finally:
            if self._array.items:
                self._batches.append(self._array)
            self._array = None

    # Commit ------------------------------------------------------------------------------

    def commit(self) -> None:
        """Cancel what was queued for cancellation, then submit what was queued.

        Every resource request is checked by the backend first, and every queued XP folder
        is initialised next, so an impossible request writes nothing and a signature
        collision stops the commit before anything is cancelled or submitted. The XPs
        that kept their job get their `.delta.json` when their folder, made by
        dora-search, has none (a failure to write it only logs). A backend
        with orphan markers (Slurm) then cancels the jobs of crashed submissions. With
        `dora.git_save`, a dirty repository raises `DirtyRepoError` before anything is
        written, and the XPs are submitted from one clone of the commit (see `git_save`).
        """
        from ._submit import cancel_records, submit_batch

        for batch in self._batches:
            if batch.items:
                self.backend.check(batch.slurm)
        self._git_clone = None
        if self.main.dora.git_save and any(batch.items for batch in self._batches):
            from .git_save import get_new_clone  # refuses a dirty repo: nothing written yet

            self._git_clone = get_new_clone(self.main)
        for batch in self._batches:
            for item in batch.items:
                self.main.init_xp(item.sheep.xp)
        kept, self._kept = self._kept, []
        for sheep in kept:
            try:
                write_missing_delta(sheep.xp)
            except OSError as exc:
                self.log(f"Could not write {sheep.xp._delta_cache}: {exc}")
        to_cancel, self._to_cancel = self._to_cancel, []
        batches, self._batches = self._batches, []
        recover = getattr(self.backend, "recover_orphans", None)
        if recover is not None:  # jobs a crashed process submitted but never recorded
            recover(self.log)
        if to_cancel:
            cancel_records(self, to_cancel)
        done: set = set()
        for batch in batches:
            submit_batch(self, batch.slurm, batch.items, done)

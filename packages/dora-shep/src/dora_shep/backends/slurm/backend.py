"""`SlurmBackend`: XPs as Slurm jobs through submitit; states from one sacct call.

One XP is one job (`<main.name>_<sig>`, logs in `<xp>/submitit/`); several XPs sharing a
Slurm config are one job array (`<main.name>_array_<asig>`, logs in
`<dir>/arrays/<name>/`, one sbatch call for the whole array). With `dependents`, k more
jobs follow the XP's job, each starting only if the previous one failed (`afternotok`),
which is how a chain survives preemption on clusters without requeue.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..._atomic import replace_symlink
from ...conf import slurm_time_minutes
from ...errors import ConfigError, SubmissionError
from ...records import JobRecord
from ..base import JobStatus
from . import commands
from .orphans import OrphanMarker, recover_orphans
from .params import ExecutorSpec, executor_spec
from .states import read_states

if TYPE_CHECKING:  # pragma: no cover
    from ...conf import DoraConfig, SlurmConfig
    from ...xp import XP

__all__ = ["SlurmBackend", "array_name_sig"]

logger = logging.getLogger(__name__)

_BENIGN_CANCEL = ("already completing or completed",)


def array_name_sig(sigs: Sequence[str]) -> str:
    """The signature naming a job array: a hash of its members' sorted signatures."""
    return hashlib.sha1(json.dumps(sorted(sigs)).encode("utf8")).hexdigest()[:8]


class SlurmBackend:
    """Jobs on the Slurm cluster whose controller answers here.

    Args:
        dora: the project's DoraConfig (where `orphans/` and `arrays/` live).
    """

    name = "slurm"

    def __init__(self, dora: DoraConfig) -> None:
        self.dora = dora
        self._partitions: Optional[Dict[str, Dict[str, str]]] = None
        self._partitions_read = False
        self._in_flight: List[Tuple[OrphanMarker, Set[str]]] = []

    @property
    def orphans(self) -> Path:
        """`<dir>/orphans`: markers of submissions not recorded yet."""
        return self.dora.dir / self.dora.shep.orphans

    @property
    def arrays(self) -> Path:
        """`<dir>/arrays`: the log folders of job arrays."""
        return self.dora.dir / self.dora.shep.arrays

    def log_path(self, xp: XP, job_id: str) -> Path:
        """The main log (task 0) of job `job_id` of `xp`, when it was not in an array."""
        return xp._xp_submitit / f"{job_id}_0_log.out"

    # Checks ------------------------------------------------------------------------------

    def _known_partitions(self) -> Optional[Dict[str, Dict[str, str]]]:
        """The cluster's partitions and their fields (read once), None if unknown."""
        if not self._partitions_read:
            self._partitions = commands.partition_info()
            self._partitions_read = True
        return self._partitions

    def partition_time_limit(self, partition: Optional[str]) -> Optional[float]:
        """The time limit (minutes, `conf.UNLIMITED` for none) of a job that asks none,
        on `partition` (a comma list: the shortest; None: the default partition): its
        DefaultTime, else its MaxTime. None when the cluster does not say."""
        known = self._known_partitions()
        if not known:
            return None
        if partition:
            names = [name.strip() for name in partition.split(",") if name.strip()]
        else:
            names = [name for name, fields in known.items() if fields.get("Default") == "YES"]
        limits = []
        for name in names:
            fields = known.get(name)
            if fields is None:
                return None
            limit = _limit_of(fields)
            if limit is None:
                return None
            limits.append(limit)
        return min(limits) if limits else None

    def check(self, slurm: SlurmConfig) -> None:
        """Refuse a request Slurm can never run, before anything is written.

        Raises:
            ConfigError: a field has an impossible value (e.g. GPUs that cannot be split
                over nodes).
            SubmissionError: the partition does not exist on this cluster.
        """
        executor_spec(slurm, "check", os.getcwd())
        try:
            json.dumps(dataclasses.asdict(slurm))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"The Slurm config cannot be saved as JSON: {exc}.") from None
        if slurm.partition:
            known = self._known_partitions()
            asked = [name.strip() for name in str(slurm.partition).split(",") if name.strip()]
            missing = [name for name in asked if known is not None and name not in known]
            if missing:
                assert known is not None
                several = len(missing) > 1
                raise SubmissionError(
                    f"Slurm has no partition{'s' if several else ''} named "
                    f"{', '.join(repr(name) for name in missing)} (partitions here: "
                    f"{', '.join(known) or 'none'}). Pick one with `-p` or "
                    "`launcher.slurm_(partition=...)` (several: comma-separated), or leave "
                    "`partition` unset to use the cluster's default partition."
                )

    # Submission --------------------------------------------------------------------------

    def _executor(self, folder: Path, spec: ExecutorSpec, partition: Optional[str]) -> Any:
        from .executor import DoraSlurmExecutor

        time_limit = spec.time_limit
        if time_limit is None:  # no --time: the job gets the partition's limit
            time_limit = self.partition_time_limit(partition)
            if time_limit is None:
                logger.debug("The time limit of partition %s is unknown: a signal to the "
                             "job will count as a preemption.", partition or "(default)")
        try:
            executor = DoraSlurmExecutor(
                folder=folder, max_num_timeout=spec.max_num_timeout, python=spec.python,
                timeout_min=time_limit,
            )
            executor.update_parameters(**spec.parameters)
        except (RuntimeError, ValueError) as exc:
            raise SubmissionError(f"submitit cannot prepare the Slurm job: {exc}") from None
        return executor

    def _payload(self, main: Any, xp: XP, requeue: bool, cwd: str) -> Dict[str, Any]:
        module, attribute = main.import_path
        return {
            "module": module,
            "attribute": attribute,
            "import_root": main.import_root,
            "cwd": cwd,
            "argv": list(xp.argv),
            "requeue": requeue,
            "rendezvous_file": str(xp.rendezvous_file),
        }

    def submit(self, main: Any, xps: List[XP], slurm: SlurmConfig) -> List[JobRecord]:
        """Submit `xps` as one job (one XP) or one job array; one record per XP, in order.

        Raises:
            SubmissionError: sbatch refused the job (its message is included); nothing
                is left scheduled and no file of the attempt is kept, so a retry works.
            ConfigError: the Slurm config has an impossible value.
        """
        if not xps:
            return []
        dependents = int(slurm.dependents or 0)
        is_array = len(xps) > 1
        if is_array and dependents:
            raise SubmissionError(
                "`dependents` cannot be used with job arrays: submit these XPs outside "
                "`launcher.job_array()`, or set dependents=0."
            )
        if is_array:
            name = f"{main.name}_array_{array_name_sig([xp.sig for xp in xps])}"
            folder = self.arrays / name
        else:
            name = f"{main.name}_{xps[0].sig}"
            folder = xps[0]._xp_submitit
        cwd = os.getcwd()
        spec = executor_spec(slurm, name, cwd)
        executor = self._executor(folder, spec, slurm.partition)
        existed = folder.exists()
        before = set(os.listdir(folder)) if existed else set()
        folder.mkdir(parents=True, exist_ok=True)
        marker = OrphanMarker.create(self.orphans, name, [xp.folder for xp in xps])
        try:
            jobs, chain = self._sbatch(executor, main, xps, dependents, cwd, marker)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                # Interrupted, maybe while sbatch was creating the job: keep the marker so
                # that the next commit cancels whatever this submission left behind.
                marker.release()
                raise
            self._undo(marker, folder, existed, before)
            sigs = ", ".join(xp.sig for xp in xps)
            raise SubmissionError(
                f"Slurm refused the job {name} (XPs {sigs}): {_message(exc)}\nNothing was "
                "scheduled for these XPs; fix the cause and run again."
            ) from None
        submitted_at = time.time()
        config = dataclasses.asdict(slurm)
        array_ids = [job.job_id for job in jobs]
        records = []
        for xp, job in zip(xps, jobs):
            records.append(
                JobRecord(
                    job_id=job.job_id,
                    backend=self.name,
                    array_job_ids=array_ids,
                    dependent_job_ids=[dep.job_id for dep in chain] if not is_array else [],
                    slurm_config=config,
                    submitted_at=submitted_at,
                    log=str(folder / f"{job.job_id}_0_log.out"),
                )
            )
            if is_array:
                replace_symlink(xp.folder / name, folder)
        self._in_flight.append((marker, set(marker.job_ids)))
        return records

    def _sbatch(
        self,
        executor: Any,
        main: Any,
        xps: List[XP],
        dependents: int,
        cwd: str,
        marker: OrphanMarker,
    ) -> Tuple[List[Any], List[Any]]:
        """Run sbatch (through submitit): (the XPs' jobs, the dependent chain)."""
        from ...runner import SubmititTarget

        target = SubmititTarget()
        payloads = [self._payload(main, xp, dependents == 0, cwd) for xp in xps]
        jobs: List[Any] = []
        if len(xps) > 1:
            with executor.batch():
                for payload in payloads:
                    jobs.append(executor.submit(target, payload))
        else:
            jobs.append(executor.submit(target, payloads[0]))
        marker.add_job_ids([job.job_id for job in jobs])
        chain: List[Any] = []
        for index in range(dependents):
            previous = (chain or jobs)[-1].job_id
            executor.update_parameters(dependency=f"afternotok:{previous}")
            payload = dict(payloads[0], requeue=index == dependents - 1)
            chain.append(executor.submit(target, payload))
            marker.add_job_ids([chain[-1].job_id])
        return jobs, chain

    def _undo(self, marker: OrphanMarker, folder: Path, existed: bool, before: Set[str]) -> None:
        """After a failed submission: cancel what was submitted, delete what was written."""
        submitted = marker.job_ids
        if submitted:
            try:
                self.cancel_ids(submitted)
            except Exception as exc:  # the marker stays: the next run cancels them
                logger.warning("Could not cancel %s: %s", ", ".join(submitted), exc)
                return
        marker.discard()
        if submitted:
            return  # their files belong to cancelled jobs; keep them for inspection
        if not existed:
            shutil.rmtree(folder, ignore_errors=True)
            return
        for entry in set(os.listdir(folder)) - before:
            path = folder / entry
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    path.unlink()
                except OSError:
                    pass

    def committed(self, records: List[JobRecord]) -> None:
        """The records are saved: drop the orphan markers of their submission."""
        recorded = {job_id for record in records for job_id in record.all_job_ids}
        keep = []
        for marker, ids in self._in_flight:
            if ids <= recorded:
                marker.discard()
            else:
                keep.append((marker, ids))
        self._in_flight = keep

    def recover_orphans(self, log: Callable[[str], None]) -> None:
        """Cancel jobs that a crashed Dora process submitted but never recorded."""
        recover_orphans(self.orphans, self.cancel_ids, log, self.dora.dir / self.dora.xps)

    # States and cancellation -------------------------------------------------------------

    def states(self, records: List[JobRecord]) -> Dict[str, JobStatus]:
        """The status of every job of `records`, from one sacct call."""
        return read_states(records)

    def cancel(self, records: List[JobRecord]) -> None:
        """Cancel every job of `records` (with their dependents) in one scancel call.

        Raises:
            SlurmCommandError: naming the jobs that could not be cancelled, after every
                other job was.
        """
        ids = list(dict.fromkeys(job_id for rec in records for job_id in rec.all_job_ids))
        if ids:
            self.cancel_ids(ids)

    def cancel_ids(self, ids: List[str]) -> None:
        """`scancel` every id at once; a failure for one id does not stop the others.

        Raises:
            SlurmCommandError: naming the ids that failed and why.
        """
        status, errors = commands.scancel(ids)
        if status == 0:
            return
        problems = _real_errors(errors)
        if status != 0 and errors and not problems:
            return  # only jobs that had already ended
        failed = _failed_ids(ids, problems)
        if not failed:
            # The error does not say which id failed: try each one on its own.
            problems = []
            for job_id in ids:
                one_status, one_errors = commands.scancel([job_id])
                if one_status != 0 and (_real_errors(one_errors) or not one_errors):
                    failed.append(job_id)
                    problems.append(one_errors or f"exit status {one_status}")
        if failed:
            raise commands.SlurmCommandError(
                f"scancel could not cancel job(s) {', '.join(failed)} (the other jobs were "
                f"cancelled): {'; '.join(problems)}"
            )


def _limit_of(fields: Dict[str, str]) -> Optional[float]:
    """A partition's limit for a job asking no time (DefaultTime, else MaxTime)."""
    for key in ("DefaultTime", "MaxTime"):
        value = fields.get(key)
        if value and value.upper() != "NONE":
            try:
                return slurm_time_minutes(value)
            except ConfigError:
                return None
    return None


def _real_errors(errors: str) -> List[str]:
    """The lines of scancel's error output that are not about jobs already ended."""
    return [
        line.strip()
        for line in errors.splitlines()
        if line.strip() and not any(b in line for b in _BENIGN_CANCEL)
    ]


def _failed_ids(ids: List[str], lines: List[str]) -> List[str]:
    """The ids that these lines of scancel's error output name."""
    failed: List[str] = []
    for line in lines:
        for job_id in ids:
            if f" {job_id}:" in line or f" {job_id} " in line or line.endswith(f" {job_id}"):
                if job_id not in failed:
                    failed.append(job_id)
    return failed


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__

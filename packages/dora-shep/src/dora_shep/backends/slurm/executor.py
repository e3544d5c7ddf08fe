"""submitit's `SlurmExecutor`, with what Dora needs that it does not do itself.

- A job without `--time` (`SlurmConfig.time=None`, the partition's default applies):
  submitit's job side tells a timeout from a preemption by comparing its run time with
  the `time` parameter (`5` when absent, and a TypeError for None in the signal handler).
  The executor gives each submission the limit the cluster will apply instead
  (`timeout_min`), while the batch script still asks no time.
- Without srun (`use_srun=False`) the job's Python process is started with `exec`, so it
  *is* the batch shell and receives the `--signal=B:USR2@...` signal (a shell running a
  command does not handle signals, and dies on USR2 without passing it on).
- When sbatch refuses a job, submitit prints sbatch's error output and raises it: the
  print is dropped, so the message is shown once, by Dora.

Imported only when submitting (it imports submitit).
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any, List, Optional, Union

import submitit
from submitit.core import utils

__all__ = ["DoraSlurmExecutor", "NO_LIMIT_MIN"]

#: The limit given to submitit for a job without time limit: any signal is a preemption.
NO_LIMIT_MIN = 10**8


class _TimedSubmission(utils.DelayedSubmission):
    """A submission whose timeout accounting uses `timeout_min`, whatever submitit passes.

    submitit calls `set_timeout` right before pickling the submission for the job: from
    then on it is a plain submitit `DelayedSubmission` again (same state), so the job
    side needs nothing of Dora to read it.
    """

    def __init__(self, delayed: utils.DelayedSubmission, timeout_min: int) -> None:
        super().__init__(delayed.function, *delayed.args, **delayed.kwargs)
        self._dora_timeout_min = timeout_min

    def set_timeout(self, timeout_min: Any, max_num_timeout: int) -> None:
        super().set_timeout(self._dora_timeout_min, max_num_timeout)
        del self._dora_timeout_min
        self.__class__ = utils.DelayedSubmission  # type: ignore[assignment]


class DoraSlurmExecutor(submitit.SlurmExecutor):
    """`submitit.SlurmExecutor` with a job-side time limit of its own, and `exec` when the
    job runs without srun.

    Args:
        folder, max_num_timeout, python: as for `submitit.SlurmExecutor`.
        timeout_min: the job's time limit in minutes as the job side counts it, used
            when the `time` parameter is not a number of minutes (None, "UNLIMITED").
    """

    def __init__(
        self,
        folder: Union[str, Path],
        max_num_timeout: int,
        python: Optional[str] = None,
        timeout_min: Optional[float] = None,
    ) -> None:
        super().__init__(folder, max_num_timeout=max_num_timeout, python=python)
        self.timeout_min = NO_LIMIT_MIN if timeout_min is None else timeout_min

    def _internal_process_submissions(
        self, delayed_submissions: List[utils.DelayedSubmission]
    ) -> List[Any]:
        if not isinstance(self.parameters.get("time"), int):
            delayed_submissions = [self._timed(item) for item in delayed_submissions]
        printed = io.StringIO()
        try:
            with contextlib.redirect_stderr(printed):
                jobs = super()._internal_process_submissions(delayed_submissions)
        except utils.FailedJobError:
            raise  # its message is what submitit printed: sbatch's error output
        except BaseException:
            sys.stderr.write(printed.getvalue())
            raise
        sys.stderr.write(printed.getvalue())
        return jobs

    def _timed(self, delayed: utils.DelayedSubmission) -> utils.DelayedSubmission:
        return _TimedSubmission(delayed, max(1, int(min(self.timeout_min, NO_LIMIT_MIN))))

    @property
    def _submitit_command_str(self) -> str:
        command = super()._submitit_command_str
        if self.parameters.get("use_srun", True) is False:
            return f"exec {command}"
        return command

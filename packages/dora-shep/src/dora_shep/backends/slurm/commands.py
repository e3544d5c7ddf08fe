"""The Slurm client commands Dora runs itself (sacct, scancel, squeue, scontrol).

Submission goes through submitit (which runs sbatch); everything else goes through this
module, so one place knows the command lines, their timeouts and their errors. Tests put
fake executables of the same names first on PATH.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from typing import Dict, List, Optional, Sequence, Tuple

from ...errors import ShepError

__all__ = [
    "SlurmCommandError",
    "current_user",
    "partition_info",
    "ping",
    "sacct",
    "scancel",
    "squeue_ids",
    "squeue_states",
]

logger = logging.getLogger(__name__)

PING_TIMEOUT_S = 5.0
QUERY_TIMEOUT_S = 60.0
SACCT_FIELDS = "JobID,State,ExitCode"


class SlurmCommandError(ShepError):
    """A Slurm client command failed, timed out or is not installed."""


def _run(args: Sequence[str], timeout: float) -> subprocess.CompletedProcess:
    logger.debug("Running %s", " ".join(args))
    try:
        return subprocess.run(
            list(args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except FileNotFoundError:
        raise SlurmCommandError(f"`{args[0]}` is not installed (not found on PATH)") from None
    except subprocess.TimeoutExpired:
        raise SlurmCommandError(
            f"`{' '.join(args[:3])} ...` did not answer within {timeout:g} s."
        ) from None
    except OSError as exc:
        raise SlurmCommandError(f"`{args[0]}` could not be run: {exc}") from None


def _check(args: Sequence[str], timeout: float) -> str:
    done = _run(args, timeout)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
        raise SlurmCommandError(f"`{args[0]}` failed: {message}")
    return done.stdout


def ping(timeout: float = PING_TIMEOUT_S) -> Tuple[bool, str]:
    """Whether a Slurm controller answers (`scontrol ping`), and what was seen."""
    conf = os.environ.get("SLURM_CONF")
    if conf is not None and not os.path.isfile(conf):
        # scontrol would retry reading it for a minute
        return False, f"SLURM_CONF={conf!r} is not a file"
    try:
        done = _run(["scontrol", "ping"], timeout)
    except SlurmCommandError as exc:
        return False, str(exc)
    up = done.returncode == 0 and re.search(r"\bUP\b", done.stdout) is not None
    lines = [line.strip() for line in (done.stdout + "\n" + done.stderr).splitlines()]
    lines = [line for line in lines if line.strip("*")]  # skip the `*****` banners
    said = next((line for line in lines if "Slurmctld" in line), lines[-1] if lines else
                f"exit status {done.returncode}")
    return up, f"`scontrol ping`: {said}"


def sacct(main_ids: Sequence[str]) -> str:
    """The `--parsable2` sacct table (JobID, State, ExitCode) of the given job ids.

    One call for every id: array jobs are asked by their main id and come back with one
    row per element (or per range of pending elements).

    Raises:
        SlurmCommandError: when sacct fails (e.g. accounting is not enabled).
    """
    args = ["sacct", "-X", "--parsable2", "-o", SACCT_FIELDS, "-j", ",".join(main_ids)]
    return _check(args, QUERY_TIMEOUT_S)


def scancel(job_ids: Sequence[str]) -> Tuple[int, str]:
    """Run `scancel` on every id at once: (exit status, error output).

    scancel goes on with the other ids when one fails, and reports each failure.

    Raises:
        SlurmCommandError: when scancel cannot run at all.
    """
    done = _run(["scancel", *job_ids], QUERY_TIMEOUT_S)
    return done.returncode, (done.stderr or "").strip()


def squeue_ids(name: str, user: str) -> List[str]:
    """Ids of the queued or running jobs of `user` named `name` (array ids as printed).

    Raises:
        SlurmCommandError: when squeue fails.
    """
    out = _check(["squeue", "-h", "-o", "%i", "-n", name, "-u", user], QUERY_TIMEOUT_S)
    return [line.strip() for line in out.splitlines() if line.strip()]


def squeue_states(main_ids: Sequence[str]) -> Dict[str, str]:
    """The controller's state of the jobs among `main_ids`, by job id (one entry per
    array element): queued, running, and those that ended within the controller's
    MinJobAge (5 minutes by default), even when accounting has not recorded them yet.

    Raises:
        SlurmCommandError: when squeue fails.
    """
    args = ["squeue", "-h", "-t", "all", "-r", "-o", "%i|%T", "-j", ",".join(main_ids)]
    done = _run(args, QUERY_TIMEOUT_S)
    if done.returncode != 0:
        if "Invalid job id" in done.stderr:
            return {}  # squeue's answer when the only id asked has ended
        message = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
        raise SlurmCommandError(f"`squeue` failed: {message}")
    states = {}
    for line in done.stdout.splitlines():
        job_id, _, state = line.strip().partition("|")
        if job_id and state:
            states[job_id] = state
    return states


def partition_info() -> Optional[Dict[str, Dict[str, str]]]:
    """The partitions of the cluster with their `scontrol show partition` fields
    (`Default`, `DefaultTime`, `MaxTime`, ...), in scontrol's order; None when they
    cannot be listed."""
    try:
        out = _check(["scontrol", "-a", "-o", "show", "partition"], QUERY_TIMEOUT_S)
    except SlurmCommandError as exc:
        logger.debug("Could not list the partitions: %s", exc)
        return None
    info: Dict[str, Dict[str, str]] = {}
    for line in out.splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        name = fields.get("PartitionName")
        if name:
            info[name] = fields
    return info


def current_user() -> str:
    """The login name of this process's user (works without a terminal)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # pragma: no cover - exotic systems
        import getpass

        return getpass.getuser()

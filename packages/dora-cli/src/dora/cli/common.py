"""Helpers shared by the sub-commands: user errors, logging, argv from a sig, Slurm flags."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Callable, List, Optional

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.conf import SlurmConfig, SubmitRules
    from dora_shep.main import MainProtocol
    from dora_shep.records import JobRecord
    from dora_shep.shepherd import Sheep, Shepherd

__all__ = [
    "CliError",
    "USER_ERRORS",
    "is_user_error",
    "log_to_stderr",
    "argv_from_args",
    "slurm_from_args",
    "SLURM_FLAGS",
    "rules_from_args",
    "apply_dora_flags",
    "done_checker",
    "reading_shepherd",
    "refuse_folder_problem",
    "backend_unavailable",
    "unknown_state_reason",
]


SLURM_FLAGS = ("gpus", "partition", "comment", "constraint")


class CliError(Exception):
    """A mistake in how `dora` was called; reported as one `FATAL:` line, exit status 1."""


# (module, class) of the error bases of the lower packages: an instance is a user mistake
# or a state problem with a message meant for the user, never a bug of ours.
USER_ERRORS = (
    ("dora.cli.common", "CliError"),
    ("dora_sig", "SigError"),
    ("dora_link", "LinkError"),
    ("dora_shep.errors", "ShepError"),
    ("dora_grid.errors", "GridError"),
)


def is_user_error(exc: BaseException) -> bool:
    """Whether `exc` comes from one of the packages' error hierarchies (none is imported)."""
    for module, name in USER_ERRORS:
        base = getattr(sys.modules.get(module), name, None)
        if base is not None and isinstance(exc, base):
            return True
    return False


def log_to_stderr(prefix: str) -> Callable[[str], None]:
    """A log function printing `<prefix> message` on stderr (prefix bold on a terminal)."""
    from dora.log import simple_log

    def log(message: str) -> None:
        simple_log(prefix, message)

    return log


def apply_dora_flags(main: MainProtocol, args: Any) -> None:
    """Applies --no_git_save and --slots to the project's Dora config, for this command.

    Raises:
        ConfigError: when --slots is not a number of slots (DoraConfig checks it).
    """
    if getattr(args, "git_save", None) is not None:
        main.dora.git_save = args.git_save
    if getattr(args, "slots", None) is not None:
        main.dora.slots = args.slots


def argv_from_args(main: MainProtocol, args: Any) -> List[str]:
    """The argv of the XP named on the command line: `-f SIG`'s stored argv, then argv.

    Raises:
        UnknownSignature: when `-f` names a sig with no stored argv.
    """
    argv = list(getattr(args, "argv", None) or [])
    sig = getattr(args, "from_sig", None)
    if sig:
        argv = list(main.get_argv_from_sig(sig)) + argv
    return argv


def slurm_from_args(main: MainProtocol, args: Any) -> SlurmConfig:
    """The project's default Slurm config updated with -g/-p/--dev/-c/--constraint.

    `--dev` picks the config's `dev_partition` (and wins over `-p`).
    """
    slurm = main.get_slurm_config()
    for name in SLURM_FLAGS:
        value = getattr(args, name, None)
        if value is not None:
            setattr(slurm, name, value)
    if getattr(args, "dev", False):
        slurm.partition = slurm.dev_partition
    return slurm


def rules_from_args(args: Any) -> SubmitRules:
    """SubmitRules from -r/-R/-D."""
    from dora_shep.conf import SubmitRules

    rules = SubmitRules()
    for name in ("retry", "replace", "replace_done"):
        setattr(rules, name, bool(getattr(args, name, False)))
    return rules


def done_checker(shepherd: Any, sheep: Any, every: float = 5.0) -> Callable[[], bool]:
    """`is_done` for following a log: asks the backend (one sacct call on Slurm) at most
    every `every` seconds, whatever the caller's polling rate."""
    last = [float("-inf")]

    def done() -> bool:
        now = time.monotonic()
        if now - last[0] >= every:
            last[0] = now
            shepherd.update()
        return bool(sheep.is_done())

    return done


def reading_shepherd(main: MainProtocol, args: Any, log: Callable[[str], None]) -> Shepherd:
    """The Shepherd of a command that schedules nothing (`run`, `info`).

    A Shepherd's own backend (--backend, else the config's `backend`) only submits; every
    job is read and cancelled through the backend recorded in its job.json. So a chosen
    backend that is not available here (`slurm` without a controller answering) is no
    reason to stop such a command: the Shepherd falls back to the local backend, and a
    job of an unavailable backend reads UNKNOWN with the reason.

    Raises:
        ConfigError: when the backend name is not one of auto, local, slurm.
    """
    from dora_shep.errors import BackendUnavailable
    from dora_shep.shepherd import Shepherd

    try:
        return Shepherd(main, log=log, backend=getattr(args, "backend", None))
    except BackendUnavailable:
        return Shepherd(main, log=log, backend="local")


def backend_unavailable(main: MainProtocol, record: JobRecord) -> Optional[str]:
    """Why the backend that runs the job of `record` cannot be asked here, in words for
    an `info` line; None when it can."""
    from dora_shep.backends import choose_backend, slurm_status
    from dora_shep.errors import BackendUnavailable

    try:
        choose_backend(record.backend, main.dora)
    except BackendUnavailable as exc:
        if record.backend == "slurm":
            return (f"the Slurm backend that runs it is not available here: no Slurm "
                    f"controller answers ({slurm_status()[1]}); check that slurmctld runs "
                    "and that SLURM_CONF points to its config")
        return f"the {record.backend} backend that runs it is not available here: {exc}"
    return None


def unknown_state_reason(main: MainProtocol, sheep: Sheep) -> Optional[str]:
    """Why the state of the XP's job cannot be read here (it may still be running); None
    when it is known, or when the XP has no job."""
    if sheep.job is None or sheep.state() != "UNKNOWN":
        return None
    return (backend_unavailable(main, sheep.job) or sheep.reason
            or "its backend does not know it")


def refuse_folder_problem(sheep: Sheep, clear: bool, log: Callable[[str], None]) -> None:
    """Stop at a colliding or damaged XP folder, unless `--clear` is to delete it.

    A folder that may hold another XP (a collision, a damaged `.delta.json`) is never
    deleted; a damaged folder of this XP is, by `--clear`, whose job is then unknown.

    Raises:
        ShepError: the folder's problem, as one clear message.
    """
    problem = sheep.problem
    if problem is None:
        return
    if not clear or problem.owner_unknown:
        raise problem.error()
    if problem.job_unknown:
        log(f"The job of XP {sheep.xp.sig} is unknown ({problem.label}): cancel it by hand "
            "if it still runs.")

"""`dora info`: the state, folder, log and last metrics of one XP."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from .common import (
    CliError,
    argv_from_args,
    backend_unavailable,
    done_checker,
    log_to_stderr,
    reading_shepherd,
    unknown_state_reason,
)

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol
    from dora_shep.shepherd import Sheep, Shepherd

__all__ = ["action"]


def _find(main: MainProtocol, shepherd: Shepherd, args: Any) -> Sheep:
    if args.job_id:
        if args.argv or args.from_sig:
            raise CliError("-j/--job_id names the XP already: give no argv and no -f with it.")
        sheep = shepherd.get_sheep_from_job_id(args.job_id)
        if sheep is None:
            raise CliError(
                f"No XP found for job id {args.job_id} (no link "
                f"{main.dora.dir / main.dora.shep.by_id / args.job_id})."
            )
        return sheep
    return shepherd.get_sheep_from_argv(argv_from_args(main, args))


def _check_cancellable(main: MainProtocol, sheep: Sheep) -> None:
    """Raises CliError when the backend that runs the XP's job is not available here."""
    assert sheep.job is not None
    why = backend_unavailable(main, sheep.job)
    if why is not None:
        raise CliError(f"Cannot cancel job {sheep.job_id} of XP {sheep.xp.sig}: {why}. "
                       "Nothing was cancelled.")


_NEVER_SCHEDULED = "never scheduled by `dora launch` or `dora grid`"


def _history_size(sheep: Sheep) -> Optional[int]:
    """How many records the XP's history holds (None when it cannot be read)."""
    from dora_link import CorruptHistoryError, read_history

    try:
        return len(read_history(sheep.xp.history))
    except (CorruptHistoryError, OSError):
        return None


def _no_job(sheep: Sheep) -> str:
    """What `dora info` says of an XP without a job: never scheduled, maybe run here."""
    size = _history_size(sheep)
    if size:
        return (f"no job: {_NEVER_SCHEDULED}; run in the foreground (`dora run`), its "
                f"history has {size} record(s)")
    return f"no job: {_NEVER_SCHEDULED}"


def _hydra_log(main: MainProtocol, sheep: Sheep) -> Optional[Path]:
    """Hydra's own log of a run in the foreground, `<xp folder>/<job name>.log`, if any."""
    job_name = getattr(main, "_job_name", None)  # only a HydraMain has one
    if not isinstance(job_name, str) or not job_name:
        return None
    path = sheep.xp.folder / f"{job_name}.log"
    return path if path.is_file() else None


def _log_path(main: MainProtocol, sheep: Sheep, tail: bool, log: Callable[[str], None]) -> Path:
    """The log to print or follow.

    Raises:
        CliError: the XP has no job (and, to print, no Hydra log of a foreground run).
    """
    if sheep.job is not None:
        from dora_grid.actions import sheep_log

        return sheep_log(sheep, "follow" if tail else "print")
    hydra_log = _hydra_log(main, sheep)
    if hydra_log is not None and not tail:
        log(f"XP {sheep.xp.sig} has no job: printing Hydra's log of its run in the "
            f"foreground, {hydra_log}")
        return hydra_log
    what = "follow" if tail else "print"
    message = f"XP {sheep.xp.sig} has no job, so no log to {what}: it was {_NEVER_SCHEDULED}"
    if hydra_log is not None:  # only with -t: a foreground run's log is not followed
        message += (f"; it was run in the foreground (`dora run`), and Hydra's log of that "
                    f"run, {hydra_log}, is printed by `dora info -l`")
    elif _history_size(sheep):
        message += ("; it was run in the foreground (`dora run`, which prints to the "
                    "terminal and keeps no log)")
    else:
        message += " (they run it as a job, with a log; `dora run` keeps none)"
    raise CliError(message + ".")


def _describe(main: MainProtocol, sheep: Sheep) -> None:
    state = sheep.state()
    reason = unknown_state_reason(main, sheep) or sheep.reason
    print(f"XP {sheep.xp.sig}: {main.get_name(sheep.xp) or '(baseline)'}")
    print(f"  state:  {state or _no_job(sheep)}")
    if reason:
        print(f"  reason: {reason}")
    if sheep.job is not None:
        print(f"  job id: {sheep.job_id}")
    print(f"  argv:   {json.dumps(sheep.xp.argv)}")
    print(f"  folder: {sheep.xp.folder}")
    if sheep.log is not None:
        print(f"  log:    {sheep.log}")


def action(args: Any, main: MainProtocol) -> int:
    """Print what is known of the XP; -C cancels it, -l / -t show its log, -m its metrics."""
    log = log_to_stderr("Info:")
    shepherd = reading_shepherd(main, args, log)  # shows the XP even if no backend answers
    sheep = _find(main, shepherd, args)
    if sheep.problem is not None:  # a collision or a damaged file: nothing to trust
        raise sheep.problem.error()
    shepherd.update()
    _describe(main, sheep)
    if args.metrics:
        history = main.get_xp_history(sheep.xp)
        last = json.dumps(history[-1]) if history else "none yet"
        print(f"Metrics[{len(history)}]: {last}")
    if args.cancel:
        if sheep.job is not None and not sheep.is_done():
            _check_cancellable(main, sheep)
            log(f"Canceling job {sheep.job_id}")
            shepherd.cancel_lazy(sheep)
            shepherd.commit()
        else:
            log("No pending or running job to cancel.")
    if args.log or args.tail:
        path = _log_path(main, sheep, bool(args.tail), log)
        if args.tail:
            from dora_grid.follow import follow_log

            follow_log(path, done_checker(shepherd, sheep))
        elif not path.exists():
            raise CliError(f"The log of XP {sheep.xp.sig} does not exist yet: {path}")
        else:
            with open(path, encoding="utf-8", errors="replace") as source:
                shutil.copyfileobj(source, sys.stdout)
    return 0

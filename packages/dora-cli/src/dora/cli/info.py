"""`dora info`: the state, folder, log and last metrics of one XP."""

from __future__ import annotations

import json
import shutil
import sys
from typing import TYPE_CHECKING, Any

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


def _describe(main: MainProtocol, sheep: Sheep) -> None:
    state = sheep.state()
    reason = unknown_state_reason(main, sheep) or sheep.reason
    print(f"XP {sheep.xp.sig}: {main.get_name(sheep.xp) or '(baseline)'}")
    print(f"  state:  {state or 'never scheduled'}")
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
        from dora_grid.actions import sheep_log

        path = sheep_log(sheep, "follow" if args.tail else "print")
        if args.tail:
            from dora_grid.follow import follow_log

            follow_log(path, done_checker(shepherd, sheep))
        elif not path.exists():
            raise CliError(f"The log of XP {sheep.xp.sig} does not exist yet: {path}")
        else:
            with open(path, encoding="utf-8", errors="replace") as source:
                shutil.copyfileobj(source, sys.stdout)
    return 0

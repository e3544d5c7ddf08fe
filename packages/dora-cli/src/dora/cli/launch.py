"""`dora launch`: schedule one XP as a job (unless it already has one) and follow its log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .common import (
    apply_dora_flags,
    argv_from_args,
    done_checker,
    log_to_stderr,
    refuse_folder_problem,
    rules_from_args,
    slurm_from_args,
)

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol
    from dora_shep.shepherd import Sheep, Shepherd

__all__ = ["action"]


def _running(sheep: Sheep) -> bool:
    return sheep.job is not None and not sheep.is_done()


def _cancel(shepherd: Shepherd, sheep: Sheep, log: Any) -> None:
    log(f"Canceling job {sheep.job_id} of XP {sheep.xp.sig}")
    shepherd.cancel_lazy(sheep)
    shepherd.commit()


def _follow(shepherd: Shepherd, sheep: Sheep, attach: bool, log: Any) -> int:
    from dora_grid.actions import sheep_log
    from dora_grid.follow import follow_log

    done = done_checker(shepherd, sheep)
    try:
        follow_log(sheep_log(sheep, "follow"), done)
    except KeyboardInterrupt:
        if attach:
            _cancel(shepherd, sheep, log)
        else:
            log(f"Stopped following the log; job {sheep.job_id} keeps running (`dora info "
                f"-f {sheep.xp.sig}` to look at it, `-C` to cancel it).")
        raise
    state = sheep.state()
    reason = f": {sheep.reason}" if sheep.reason else ""
    log(f"Job {sheep.job_id} of XP {sheep.xp.sig} ended {state}{reason}")
    return 0 if state == "COMPLETED" else 1


def action(args: Any, main: MainProtocol) -> int:
    """Schedule the XP (or cancel it with -C), then follow its log unless --no_tail."""
    from dora_grid.clear import reliable_rmtree
    from dora_shep.shepherd import Shepherd

    log = log_to_stderr("Launch:")
    apply_dora_flags(main, args)
    argv = argv_from_args(main, args)
    slurm = slurm_from_args(main, args)
    shepherd = Shepherd(main, log=log, backend=args.backend)
    sheep = shepherd.get_sheep_from_argv(argv)
    refuse_folder_problem(sheep, args.clear, log)
    shepherd.update()
    if args.cancel:
        if _running(sheep):
            _cancel(shepherd, sheep, log)
        else:
            log(f"XP {sheep.xp.sig} has no pending or running job.")
        return 0
    if args.clear:
        if _running(sheep):
            _cancel(shepherd, sheep, log)
        log(f"Deleting {sheep.xp.folder}")
        reliable_rmtree(sheep.xp.folder)
        sheep = shepherd.get_sheep_from_argv(argv)
    before = sheep.job_id if sheep.job is not None else None
    shepherd.maybe_submit_lazy(sheep, slurm, rules_from_args(args))
    shepherd.commit()
    if sheep.job is not None and sheep.job_id == before:
        log(f"Reusing job {sheep.job_id} ({sheep.state()}) of XP {sheep.xp.sig}; "
            "-r, -R or -D schedule it again.")
    if args.no_tail and not args.attach:
        return 0
    return _follow(shepherd, sheep, args.attach, log)

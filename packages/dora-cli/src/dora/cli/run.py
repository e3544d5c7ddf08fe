"""`dora run`: run one XP in this process (debugging, or one rank under torchrun)."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .common import (
    CliError,
    argv_from_args,
    log_to_stderr,
    reading_shepherd,
    refuse_folder_problem,
    unknown_state_reason,
)

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol

__all__ = ["action"]


def _check_job(main: MainProtocol, args: Any, argv: list, log: Any) -> None:
    """Warn about (or with --clear, cancel) a job of this XP, then clear its folder.

    The backend does not have to be available: a job whose state cannot be read is a
    warning (the run goes on), and only stops --clear, which must not delete the folder
    of a job that may still run.
    """
    from dora_grid.clear import reliable_rmtree

    shepherd = reading_shepherd(main, args, log)
    sheep = shepherd.get_sheep_from_argv(argv)
    refuse_folder_problem(sheep, args.clear, log)
    shepherd.update()
    folder = sheep.xp.folder
    unknown = unknown_state_reason(main, sheep)
    if unknown is not None:
        if args.clear:
            raise CliError(
                f"Cannot clear XP {sheep.xp.sig}: the state of its job {sheep.job_id} is "
                f"unknown ({unknown}), so it may still be running in {folder}. Cancel it "
                f"where its backend answers (`dora info -f {sheep.xp.sig} -C`), or delete "
                "the folder yourself. Nothing was deleted."
            )
        log(f"Warning: the state of job {sheep.job_id} of this XP is unknown ({unknown}); "
            f"if it still runs, both runs will write into {folder}.")
    elif sheep.job is not None and not sheep.is_done():
        if args.clear:
            log(f"Canceling job {sheep.job_id} of XP {sheep.xp.sig} before clearing it.")
            shepherd.cancel_lazy(sheep)
            shepherd.commit()
        else:
            log(f"Warning: job {sheep.job_id} of this XP is {sheep.state()}; both runs "
                f"will write into {folder} (--clear cancels it first).")
    if args.clear:
        log(f"Deleting {folder}")
        reliable_rmtree(folder)


def _exec_in_clone(xp: Any, clone: Path, log: Any) -> None:
    """--git_save: link the XP's `code` to `clone` and re-run this `dora` command there."""
    from dora_shep.git_save import GIT_SAVE_DONE_ENV, assign_clone, enter_clone

    assign_clone(xp, clone)  # creates the XP folder when it does not exist yet
    log(f"Running from the clone {clone}")
    with enter_clone(clone):  # exec does not return: the new process starts in the clone
        os.environ[GIT_SAVE_DONE_ENV] = "1"
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "dora", *sys.argv[1:]])


def action(args: Any, main: MainProtocol) -> int:
    """Run the XP of the given argv in this process; returns 0 when main returns."""
    log = log_to_stderr("Run:")
    if args.ddp:
        raise CliError(
            "dora run -d (one worker per GPU) is not available in this version of dora-cli; "
            "run without -d, or start the ranks yourself: "
            "torchrun --nproc-per-node N -m dora run ..."
        )
    main.dora.git_save = False
    argv = argv_from_args(main, args)
    xp = main.get_xp(argv)  # argument errors stop here, before anything is touched
    from dora_shep.git_save import GIT_SAVE_DONE_ENV, get_new_clone

    reexeced = args.git_save and bool(os.environ.get(GIT_SAVE_DONE_ENV))
    clone = None
    if args.git_save and not reexeced:
        clone = get_new_clone(main)  # a dirty repository stops here, nothing touched
    if "WORLD_SIZE" not in os.environ and not reexeced:  # else done before the re-exec
        _check_job(main, args, argv, log)
    if clone is not None:
        _exec_in_clone(xp, clone, log)
    if "WORLD_SIZE" not in os.environ:
        os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0")
    sys.argv = [sys.argv[0]] + argv
    from dora.log import disable_logging

    disable_logging()
    main.init_xp(xp)  # a collision or a damaged file: one FATAL line, not a traceback
    try:
        main(argv)
    except Exception:  # the training code's own error: its full traceback, exit 1
        traceback.print_exc()
        return 1
    return 0

"""`dora run`: run one XP in this process (debugging, or one rank under torchrun)."""

from __future__ import annotations

import os
import sys
import traceback
from typing import TYPE_CHECKING, Any

from .common import CliError, argv_from_args, log_to_stderr

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol

__all__ = ["action"]


def _check_job(main: MainProtocol, argv: list, clear: bool, log: Any) -> None:
    """Warn about (or with --clear, cancel) a job of this XP, then clear its folder."""
    from dora_grid.clear import reliable_rmtree
    from dora_shep.shepherd import Shepherd

    shepherd = Shepherd(main, log=log)
    sheep = shepherd.get_sheep_from_argv(argv)
    shepherd.update()
    if sheep.job is not None and not sheep.is_done():
        if clear:
            log(f"Canceling job {sheep.job_id} of XP {sheep.xp.sig} before clearing it.")
            shepherd.cancel_lazy(sheep)
            shepherd.commit()
        else:
            log(f"Warning: job {sheep.job_id} of this XP is {sheep.state()}; both runs "
                f"will write into {sheep.xp.folder} (--clear cancels it first).")
    if clear:
        log(f"Deleting {sheep.xp.folder}")
        reliable_rmtree(sheep.xp.folder)


def action(args: Any, main: MainProtocol) -> int:
    """Run the XP of the given argv in this process; returns 0 when main returns."""
    log = log_to_stderr("Run:")
    if args.ddp:
        raise CliError(
            "dora run -d (one worker per GPU) is not available in this version of dora-cli; "
            "run without -d, or start the ranks yourself: "
            "torchrun --nproc-per-node N -m dora run ..."
        )
    if args.git_save:
        log("--git_save is accepted but not implemented yet: running from this checkout.")
    main.dora.git_save = False
    argv = argv_from_args(main, args)
    main.get_xp(argv)  # argument errors stop here, before anything is touched
    if "WORLD_SIZE" not in os.environ:
        _check_job(main, argv, args.clear, log)
        os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0")
    sys.argv = [sys.argv[0]] + argv
    from dora.log import disable_logging

    disable_logging()
    try:
        main(argv)
    except Exception:  # the training code's own error: its full traceback, exit 1
        traceback.print_exc()
        return 1
    return 0

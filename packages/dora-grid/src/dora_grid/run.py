"""`run_grid`: reconcile a grid with its jobs, then monitor it (`dora grid` and notebooks).

Order of work: the explorer is evaluated into a herd before anything is touched, so a
grid that fails to evaluate schedules, cancels, links and writes nothing.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional

from .errors import ClearDryRunError, GridError, GridEvaluationError
from .herd import Herd
from .launcher import Launcher
from .loader import user_traceback
from .reconcile import (
    clear_sheeps,
    link_sheeps,
    load_stale,
    schedule,
    unlink_stale,
)

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.conf import SlurmConfig, SubmitRules
    from dora_shep.main import MainProtocol
    from dora_shep.shepherd import Sheep

    from .explorer import Explorer

__all__ = ["RunGridArgs", "run_grid", "grid_folder", "stderr_log"]


@dataclass
class RunGridArgs:
    """What `run_grid` should do; the fields mirror the `dora grid` flags."""

    patterns: List[str] = field(default_factory=list)
    monitor: bool = True
    interval: float = 5.0
    trim: Optional[int] = None
    trim_last: bool = False
    silent: bool = False
    dry_run: bool = False
    cancel: bool = False
    clear: bool = False
    init: bool = False
    jupyter: bool = False
    folder: Optional[int] = None
    log: Optional[int] = None
    tail: Optional[int] = None
    backend: Optional[str] = None
    _from_commandline: bool = False


def stderr_log(prefix: str) -> Callable[[str], None]:
    """A log function printing `<prefix> message` to stderr, the prefix bold on a terminal."""

    def log(message: str) -> None:
        head = f"\033[1m{prefix}\033[0m" if sys.stderr.isatty() else prefix
        print(f"{head} {message}", file=sys.stderr, flush=True)

    return log


def grid_folder(main: "MainProtocol", grid_name: str) -> Path:
    """`<dir>/grids/<grid_name>`: one symlink per XP the grid held last time."""
    return Path(main.dora.dir) / main.dora._grids / grid_name


def _evaluate(explorer: "Explorer", launcher: Launcher, grid_name: str) -> None:
    try:
        explorer(launcher)
    except GridError as exc:
        raise type(exc)(f"{exc}\n{_location(exc)}") from None
    except (Exception, SystemExit) as exc:
        raise GridEvaluationError(
            f"Grid {grid_name} raised while it was evaluated; nothing was scheduled or "
            f"cancelled.\n{user_traceback(exc).rstrip()}"
        ) from None


def _location(exc: BaseException) -> str:
    """Where in user code a grid error was raised (the last frame outside dora_grid)."""
    import traceback

    here = str(Path(__file__).parent)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(here)]
    if not frames:
        return ""
    frame = frames[-1]
    return f"  File \"{frame.filename}\", line {frame.lineno}: {frame.line or ''}".rstrip()


def _confirm(count: int) -> bool:
    answer = input(f"This deletes the folders of {count} XP(s). Confirm [yN]: ")
    return answer.strip().lower() == "y"


def run_grid(
    main: "MainProtocol",
    explorer: "Explorer",
    grid_name: str,
    rules: Optional["SubmitRules"] = None,
    slurm: Optional["SlurmConfig"] = None,
    args: Optional[RunGridArgs] = None,
) -> List["Sheep"]:
    """Schedule what the grid asks for, cancel what left it, then show the table.

    Args:
        main: the project's decorated main.
        explorer: the grid's Explorer.
        grid_name: the grid's name (its folder under `<dir>/grids/`).
        rules: what to do with XPs that already have a job (default: nothing).
        slurm: the default Slurm config given to the launcher (default: the main's).
        args: the `dora grid` options (default: `RunGridArgs()`).

    Returns:
        the XPs selected by the patterns, as sheep.

    Raises:
        GridError: the grid cannot be evaluated, or the options do not fit together.
    """
    from dora_shep.conf import SubmitRules
    from dora_shep.shepherd import Shepherd

    rules = copy.deepcopy(rules) if rules is not None else SubmitRules()
    args = copy.deepcopy(args) if args is not None else RunGridArgs()
    if args.clear and args.dry_run:
        raise ClearDryRunError("--clear cannot be combined with --dry_run: clearing deletes.")
    if slurm is None:
        slurm = main.get_slurm_config()
    log = stderr_log("Grid:")
    shepherd = Shepherd(main, log=log, backend=args.backend)
    herd = Herd()
    _evaluate(explorer, Launcher(shepherd, main, herd, slurm), grid_name)
    shepherd.update()

    from .patterns import filter_sheep

    sheeps = filter_sheep(main, list(herd.sheeps.values()), args.patterns)
    folder = grid_folder(main, grid_name)
    stale = load_stale(shepherd, main, folder, set(herd.sheeps), log)

    if args.clear:
        if args._from_commandline and sheeps and not _confirm(len(sheeps)):
            log("Aborting: nothing was cleared.")
            return []
        sheeps = clear_sheeps(shepherd, herd, sheeps, log)
    shepherd.update()
    if not args.cancel:
        schedule(shepherd, herd, sheeps, rules, args.dry_run, log)
    for old in stale:
        if old.sheep is not None and old.running:
            log(f"Canceling job {old.job_id} for no longer required sheep {old.label}")
            if not args.dry_run:
                shepherd.cancel_lazy(old.sheep)
    if args.cancel:
        for sheep in sheeps:
            if sheep.job is not None and not sheep.is_done():
                log(f"Canceling job {sheep.job_id} for sheep {sheep.xp.sig}/{main.get_name(sheep.xp)}")
                if not args.dry_run:
                    shepherd.cancel_lazy(sheep)
    if not args.dry_run:
        link_sheeps(folder, sheeps, log)
        shepherd.commit()
        unlink_stale(stale, log)
    if args.init:
        for sheep in sheeps:
            main.init_xp(sheep.xp)
    if args.cancel:
        return sheeps
    if not sheeps:
        log("No sheep to handle.")
        return sheeps
    from .actions import index_action
    if index_action(main, shepherd, sheeps, args):
        return sheeps
    from .monitor import monitor

    monitor(
        main, explorer, shepherd, sheeps, grid_name, interval=args.interval,
        keep_going=args.monitor, trim=args.trim, trim_last=args.trim_last,
        silent=args.silent, jupyter=args.jupyter,
    )
    return sheeps

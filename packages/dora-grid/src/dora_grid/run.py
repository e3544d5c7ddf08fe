"""`run_grid`: reconcile a grid with its jobs, then monitor it (`dora grid` and notebooks).

Order of work: the explorer is evaluated into a herd before anything is touched, so a
grid that fails to evaluate schedules, cancels, links and writes nothing. An XP whose
folder is damaged or collides (`Sheep.problem`) is one warning line and one marked row:
the other XPs go on, and `dora grid` still exits 0, as with a damaged history.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional

from .actions import index_action
from .errors import ClearDryRunError, GridEvaluationError
from .herd import Herd
from .launcher import Launcher
from .loader import user_traceback
from .monitor import monitor
from .patterns import filter_sheep, no_match_message
from .reconcile import (
    StaleXP,
    clear_sheeps,
    clearable,
    link_sheeps,
    load_stale,
    report_problems,
    schedule,
    unlink_stale,
)

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.conf import SlurmConfig, SubmitRules
    from dora_shep.main import MainProtocol
    from dora_shep.shepherd import Sheep, Shepherd

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


def grid_folder(main: MainProtocol, grid_name: str) -> Path:
    """`<dir>/grids/<grid_name>`: one symlink per XP the grid held last time."""
    return Path(main.dora.dir) / main.dora._grids / grid_name


# Frames of the explorer call itself: noise in the user's traceback.
_WRAPPERS = (__file__, str(Path(__file__).with_name("explorer.py")))


def _evaluate(explorer: Explorer, launcher: Launcher, grid_name: str) -> None:
    """Run the explore function; nothing has been touched yet when this raises."""
    try:
        explorer(launcher)
    except Exception as exc:
        if _is_ours(exc):  # a message for the user already: add where it happened
            exc.args = (f"{exc}\n{_location(exc)}".rstrip(),)
            raise
        raise GridEvaluationError(
            f"Grid {grid_name} raised while it was evaluated; nothing was scheduled or "
            f"cancelled.\n{user_traceback(exc, _WRAPPERS).rstrip()}"
        ) from None
    except SystemExit as exc:
        raise GridEvaluationError(
            f"Grid {grid_name} exited (status {exc.code}) while it was evaluated; nothing "
            f"was scheduled or cancelled.\n{user_traceback(exc, _WRAPPERS).rstrip()}"
        ) from None


_OURS = ("dora_grid", "dora_shep", "dora_sig", "dora_link", "dora")


def _is_ours(exc: BaseException) -> bool:
    """Whether `exc` is one of the packages' own errors (GridError, ShepError, SigError...)."""
    return type(exc).__module__.split(".")[0] in _OURS


def _location(exc: BaseException) -> str:
    """Where in the user's code an error was raised: the last frame outside our packages."""
    import sys
    import traceback

    folders = []
    for name in _OURS:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            folders.append(str(Path(module.__file__).parent))  # type: ignore[arg-type]
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not any(frame.filename.startswith(folder) for folder in folders)
    ]
    if not frames:
        return ""
    frame = frames[-1]
    return f'  File "{frame.filename}", line {frame.lineno}: {frame.line or ""}'


def _confirm(count: int) -> bool:
    """Ask on the terminal; anything but y / Y (or no input at all) means no."""
    try:
        answer = input(f"This deletes the folders of {count} XP(s). Confirm [yN]: ")
    except EOFError:
        print()
        return False
    return answer.strip().lower() == "y"


def run_grid(
    main: MainProtocol,
    explorer: Explorer,
    grid_name: str,
    rules: Optional[SubmitRules] = None,
    slurm: Optional[SlurmConfig] = None,
    args: Optional[RunGridArgs] = None,
) -> List[Sheep]:
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
    if main.dora.git_save and not args.dry_run and not args.cancel:
        from dora_shep.git_save import check_repo_clean

        check_repo_clean(main)  # before any link is made or folder cleared
    shepherd.update()
    sheeps = filter_sheep(main, list(herd.sheeps.values()), args.patterns)
    folder = grid_folder(main, grid_name)
    stale = load_stale(shepherd, main, folder, set(herd.sheeps), log)
    if args.clear:
        count = len(clearable(sheeps))
        if args._from_commandline and count and not _confirm(count):
            log("Aborting: nothing was cleared.")
            return []
        sheeps = clear_sheeps(shepherd, herd, sheeps, log)
    shepherd.update()
    report_problems(main, sheeps, log, scheduling=not args.cancel)  # the others go on
    if not args.cancel:
        schedule(main, shepherd, herd, sheeps, rules, args.dry_run, log)
    _queue_cancels(main, shepherd, sheeps if args.cancel else [], stale, args.dry_run, log)
    if not args.dry_run:
        link_sheeps(folder, sheeps, log)
        shepherd.commit()
        unlink_stale(stale, log)
    if args.init:
        for sheep in sheeps:
            if sheep.problem is None:  # a damaged file is never rewritten
                main.init_xp(sheep.xp)
    if not sheeps:
        everything = list(herd.sheeps.values())
        log(no_match_message(main, everything, args.patterns)
            if args.patterns and everything else "No sheep to handle: the grid schedules no XP.")
        return sheeps
    if args.cancel:
        return sheeps
    if index_action(main, shepherd, sheeps, args):
        return sheeps
    monitor(
        main, explorer, shepherd, sheeps, grid_name, interval=args.interval,
        keep_going=args.monitor, trim=args.trim, trim_last=args.trim_last,
        silent=args.silent, jupyter=args.jupyter,
    )
    return sheeps


def _queue_cancels(
    main: MainProtocol,
    shepherd: Shepherd,
    selected: List[Sheep],
    stale: List[StaleXP],
    dry_run: bool,
    log: Callable[[str], None],
) -> None:
    """Queue the cancellation of unfinished jobs: XPs that left the grid, and `selected`."""
    verb = "Would cancel" if dry_run else "Canceling"
    for old in stale:
        if old.sheep is not None and old.running:
            log(f"{verb} job {old.job_id} for no longer required sheep {old.label}")
            if not dry_run:
                shepherd.cancel_lazy(old.sheep)
        elif old.sheep is not None and old.sheep.problem is not None and old.sheep.job is None:
            log(f"Sheep {old.label} left the grid (kept on disk); its job is unknown, so "
                f"nothing is cancelled: {old.sheep.problem.message}")
        else:
            state = old.sheep.state() if old.sheep is not None else None
            done = f" ({state}, kept on disk)" if state else " (kept on disk)"
            log(f"Sheep {old.label} left the grid{done}; nothing to cancel.")
    cancelled = 0
    for sheep in selected:
        if sheep.job is not None and not sheep.is_done():
            log(f"{verb} job {sheep.job_id} for sheep {sheep.xp.sig}/{main.get_name(sheep.xp)}")
            cancelled += 1
            if not dry_run:
                shepherd.cancel_lazy(sheep)
    if selected and not cancelled:
        log(f"Nothing to cancel: none of the {len(selected)} selected XPs has a pending or "
            "running job.")

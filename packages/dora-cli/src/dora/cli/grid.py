"""`dora grid`: reconcile a grid file with its jobs, then monitor it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .common import apply_dora_flags, rules_from_args, slurm_from_args

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol

__all__ = ["action"]


def _list(main: MainProtocol) -> int:
    from dora_grid.loader import grid_package, list_grids

    grids = list_grids(main)
    if not grids:
        print(f"No grid files in {grid_package(main)}.")
        return 0
    print("Grids available:")
    for name in grids:
        print(f"  {name}")
    return 0


def action(args: Any, main: MainProtocol) -> int:
    """List the grids (no name), or run the named one; returns 0 when it ran."""
    from dora_grid.loader import load_explorer, normalize_grid_name
    from dora_grid.run import RunGridArgs, run_grid

    if args.grid is None:
        return _list(main)
    apply_dora_flags(main, args)
    explorer = load_explorer(main, args.grid)
    grid_args = RunGridArgs(
        patterns=list(args.patterns),
        monitor=args.monitor,
        interval=args.interval,
        trim=args.trim,
        trim_last=args.trim_last,
        dry_run=args.dry_run,
        cancel=args.cancel,
        clear=args.clear,
        init=args.init,
        folder=args.folder,
        log=args.log,
        tail=args.tail,
        backend=args.backend,
        _from_commandline=True,
    )
    run_grid(main, explorer, normalize_grid_name(args.grid), rules=rules_from_args(args),
             slurm=slurm_from_args(main, args), args=grid_args)
    return 0

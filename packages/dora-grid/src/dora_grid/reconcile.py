"""The reconcile steps of `run_grid`: XPs that left the grid, clearing, scheduling, links.

The grid folder `<dir>/grids/<name>/` holds one symlink per XP the grid held last time;
it is the only memory of what the grid contained.

A sheep with a `problem` (a signature collision, a damaged `.delta.json`, `.argv.json`,
`job.json` or `job.pkl`) is reported and left as it is: never scheduled or initialised,
never cancelled when its job is unknown, never linked when its folder may be another
XP's; only `--clear` deletes its folder (not a collision's: that folder is another XP's).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Set

from .clear import reliable_rmtree

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.conf import SubmitRules
    from dora_shep.main import MainProtocol
    from dora_shep.shepherd import Sheep, Shepherd

    from .herd import Herd

__all__ = [
    "StaleXP",
    "load_stale",
    "clear_sheeps",
    "clearable",
    "report_problems",
    "schedule",
    "link_sheeps",
    "unlink_stale",
]

Log = Callable[[str], None]


@dataclass
class StaleXP:
    """An entry of the grid folder whose XP is no longer in the grid."""

    entry: Path
    sheep: Optional[Sheep]
    label: str

    @property
    def running(self) -> bool:
        """Whether it has a job that is not finished."""
        return self.sheep is not None and self.sheep.job is not None and not self.sheep.is_done()

    @property
    def job_id(self) -> Optional[str]:
        """Its job id, if any."""
        return None if self.sheep is None else self.sheep.job_id


def _bare_sheep(shepherd: Shepherd, main: MainProtocol, sig: str, log: Log) -> Optional[Sheep]:
    """A sheep built from the sig alone (its job record only), for an XP whose argv is
    unreadable: enough to cancel its job."""
    from dora_shep.shepherd import Sheep
    from dora_shep.xp import XP

    try:
        return Sheep(XP(main.dora, None, [], sig=sig), shepherd)
    except Exception as exc:
        log(f"No job can be read for XP {sig} either ({exc}); nothing to cancel.")
        return None


def load_stale(
    shepherd: Shepherd, main: MainProtocol, folder: Path, keep: Set[str], log: Log
) -> List[StaleXP]:
    """The entries of the grid folder that are not in `keep`, with their sheep when readable.

    An XP whose stored argv is unreadable (or no longer parses) is reported and still
    cancelled through its job record; nothing of it is rewritten.
    """
    if not folder.is_dir():
        return []
    stale = []
    for entry in sorted(folder.iterdir(), key=lambda path: path.name):
        sig = entry.name
        if sig in keep or sig.startswith("."):  # hidden entries are not XPs
            continue
        try:
            sheep: Optional[Sheep] = shepherd.get_sheep_from_sig(sig)
            label = f"{sig}/{main.get_name(sheep.xp)}"  # type: ignore[union-attr]
        except (Exception, SystemExit) as exc:
            detail = f"exit status {exc.code}" if isinstance(exc, SystemExit) else str(exc)
            log(f"XP {sig} left the grid but cannot be loaded: {detail}")
            sheep = _bare_sheep(shepherd, main, sig, log)
            label = sig
        stale.append(StaleXP(entry, sheep, label))
    return stale


def _collides(sheep: Sheep) -> bool:
    return sheep.problem is not None and sheep.problem.kind == "collision"


def clearable(sheeps: Sequence[Sheep]) -> List[Sheep]:
    """The sheep whose folder `--clear` may delete: all but signature collisions."""
    return [sheep for sheep in sheeps if not _collides(sheep)]


def clear_sheeps(
    shepherd: Shepherd, herd: Herd, sheeps: Sequence[Sheep], log: Log
) -> List[Sheep]:
    """Cancel the jobs of `sheeps`, delete their folders, and return fresh sheep (no job).

    A damaged folder is deleted too (that is what clearing is for); a collision's folder,
    which holds another XP, is kept and its sheep returned as it is.
    """
    for sheep in clearable(sheeps):
        if sheep.job is not None and not sheep.is_done():
            shepherd.cancel_lazy(sheep)
    shepherd.commit()
    fresh: List[Sheep] = []
    for sheep in sheeps:
        if _collides(sheep):
            fresh.append(sheep)
            continue
        if sheep.problem is not None and sheep.problem.job_unknown:
            log(f"The job of XP {sheep.xp.sig} is unknown ({sheep.problem.label}): cancel "
                "it by hand if it still runs.")
        log(f"Deleting XP folder {sheep.xp.folder}")
        reliable_rmtree(sheep.xp.folder)
        new = shepherd.get_sheep_from_argv(sheep.xp.argv)
        herd.sheeps[new.xp.sig] = new
        fresh.append(new)
    return fresh


def report_problems(
    main: MainProtocol, sheeps: Sequence[Sheep], log: Log, scheduling: bool = True
) -> int:
    """Log one warning per sheep with a problem; returns how many there are."""
    count = 0
    what = " is not scheduled" if scheduling else ""
    for sheep in sheeps:
        if sheep.problem is not None:
            count += 1
            log(f"Warning: sheep {sheep.xp.sig}/{main.get_name(sheep.xp)}{what}: "
                f"{sheep.problem.message}")
    return count


def schedule(
    main: MainProtocol,
    shepherd: Shepherd,
    herd: Herd,
    sheeps: Sequence[Sheep],
    rules: SubmitRules,
    dry_run: bool,
    log: Log,
) -> None:
    """Queue the selected sheep for submission, slot by slot (a job array per array slot).

    Sheep with a problem are left out (`report_problems` says why). In a dry run, say
    which XPs would be scheduled.
    """
    selected = {sheep.xp.sig for sheep in sheeps if sheep.problem is None}
    for slot in herd.job_arrays:
        members = [herd.sheeps[sig] for sig in slot if sig in selected]
        if not members:
            continue
        slurm = herd.slurm_configs[members[0].xp.sig]
        if len(members) == 1:
            shepherd.maybe_submit_lazy(members[0], slurm, rules)
        else:
            with shepherd.job_array(slurm):
                for sheep in members:
                    shepherd.maybe_submit_lazy(sheep, slurm, rules)
        if dry_run:
            queued = [sheep for sheep in members if sheep.job is None]
            kind = f"in a job array of {len(queued)} " if len(queued) > 1 else ""
            for sheep in queued:
                log(f"Would schedule {kind}sheep {sheep.xp.sig}/{main.get_name(sheep.xp)}")


def link_sheeps(folder: Path, sheeps: Sequence[Sheep], log: Log) -> None:
    """Make `<grid folder>/<sig>` a symlink to the XP folder of every selected sheep
    (except those whose folder may be another XP's: a collision, a damaged delta)."""
    folder.mkdir(parents=True, exist_ok=True)
    for sheep in sheeps:
        if sheep.problem is not None and sheep.problem.owner_unknown:
            continue
        link = folder / sheep.xp.sig
        target = str(sheep.xp.folder)
        if link.is_symlink():
            if os.readlink(link) == target:
                continue
            tmp = folder / f".{sheep.xp.sig}.{os.getpid()}.tmp"
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(target, tmp)
            os.replace(tmp, link)
        elif link.exists():
            log(f"{link} is not a symlink: left as it is.")
        else:
            try:
                os.symlink(target, link)
            except FileExistsError:  # another dora grid made it meanwhile
                pass


def unlink_stale(stale: Sequence[StaleXP], log: Log) -> None:
    """Remove the grid-folder links of XPs that left the grid (never a real folder)."""
    for old in stale:
        if old.entry.is_symlink():
            old.entry.unlink()
        elif old.entry.exists():
            log(f"{old.entry} is not a symlink: left as it is.")

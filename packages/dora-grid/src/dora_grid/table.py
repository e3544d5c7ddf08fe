"""The monitoring table of a grid: one row per XP, Meta columns then the explorer's metrics.

A damaged XP (unreadable history, an explorer hook that raises, a signature collision
or a damaged file in its folder: `Sheep.problem`) never breaks the table: its row is
marked and a note under the table says what is wrong. A collision or a damaged
`.delta.json` shows no state and no metrics (they may be another XP's): state `ERR`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .patterns import pick_index

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol
    from dora_shep.shepherd import Sheep

    from .explorer import Explorer

__all__ = [
    "GridTable",
    "ERROR_STATE",
    "FAILED_STATES",
    "sheep_state",
    "build_table",
    "render_table",
]

FAILED_STATES = frozenset(
    {"FAILED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "MISSING", "DEADLINE"}
)


@dataclass
class GridTable:
    """The content of one refresh of the table, before and after rendering."""

    lines: List[Dict[str, Any]]
    base_name: str
    notes: List[str] = field(default_factory=list)
    failures: List[str] = field(default_factory=list)


ERROR_STATE = "ERR"


def sheep_state(sheep: Sheep) -> Optional[str]:
    """The sheep's state, `"UNKNOWN"` when it cannot be read, `"ERR"` when its folder's
    job cannot be taken as this XP's (never raises)."""
    problem = getattr(sheep, "problem", None)
    if problem is not None and problem.job_unknown:
        return ERROR_STATE
    try:
        return sheep.state()
    except Exception:  # observability must not kill the table
        return "UNKNOWN"


def _hides_history(sheep: Sheep) -> bool:
    """Whether the sheep's folder may hold another XP's metrics (collision, damaged delta)."""
    problem = getattr(sheep, "problem", None)
    return problem is not None and problem.owner_unknown


def _histories(main: MainProtocol, sheeps: Sequence[Sheep]) -> Tuple[List[list], Dict[int, str]]:
    """The history of every sheep, and what went wrong for those that could not be read."""
    histories: List[list] = []
    errors: Dict[int, str] = {}
    for index, sheep in enumerate(sheeps):
        if _hides_history(sheep):
            histories.append([])  # maybe another XP's metrics: not read, not shown
            continue
        try:
            history = list(main.get_xp_history(sheep.xp))
        except Exception as exc:
            errors[index] = f"history.json unreadable: {exc}"
            history = []
        histories.append(history)
    return histories, errors


def _trim(
    histories: List[list], trim: Optional[int], trim_last: bool, unreadable: Iterable[int]
) -> List[list]:
    """Cut every history to the length of history `trim`, or of the shortest readable one."""
    skip = set(unreadable)
    readable = [h for i, h in enumerate(histories) if i not in skip]
    if trim is not None:
        length = len(pick_index(histories, trim, what="trim index"))
    elif trim_last and readable:
        length = min(len(history) for history in readable)
    else:
        return histories
    return [history[:length] for history in histories]


def _metrics(explorer: Explorer, sheep: Sheep, history: list) -> Dict[str, Any]:
    try:
        return dict(explorer.process_sheep(sheep, history))
    except NotImplementedError:
        return dict(explorer.process_history(history))


def _failure(index: int, sheep: Sheep, name: str) -> str:
    where = f" (log: {sheep.log})" if sheep.log else ""
    return f"{index} {sheep.xp.sig} {name}: {sheep.reason or 'no reason recorded'}{where}"


def build_table(
    main: MainProtocol,
    explorer: Explorer,
    sheeps: Sequence[Sheep],
    trim: Optional[int] = None,
    trim_last: bool = False,
) -> GridTable:
    """Compute the rows of the table for `sheeps` (states as currently known).

    Raises:
        PatternError: when `trim` is not a valid index.
    """
    notes: List[str] = []
    failures: List[str] = []
    if not sheeps:
        return GridTable([], "", notes, failures)
    names, base_name = main.get_names([sheep.xp for sheep in sheeps])
    histories, errors = _histories(main, sheeps)
    hidden = [i for i, sheep in enumerate(sheeps) if _hides_history(sheep)]
    histories = _trim(histories, trim, trim_last, [*errors, *hidden])
    lines: List[Dict[str, Any]] = []
    for index, (sheep, name, history) in enumerate(zip(sheeps, names, histories)):
        state = sheep_state(sheep)
        problem = getattr(sheep, "problem", None)
        tags = [problem.label] if problem is not None else []
        if index in errors:
            tags.append("history unreadable")
        meta = {
            "index": index,
            "name": name + "".join(f" [{tag}]" for tag in tags),
            "state": state[:3] if state else "N/A",
            "sig": sheep.xp.sig,
            "sid": sheep.current_job_id or "",
        }
        if _hides_history(sheep):
            row: Dict[str, Any] = {}
        else:
            try:
                row = _metrics(explorer, sheep, history)
            except Exception as exc:  # a failing hook shows in its row, not as a crash
                notes.append(f"{index} {sheep.xp.sig}: the explorer raised {exc!r}")
                row = {}
        row["Meta"] = meta
        lines.append(row)
        if problem is not None:
            notes.append(f"{index} {sheep.xp.sig}: {problem.message}")
        if index in errors:
            notes.append(f"{index} {sheep.xp.sig}: {errors[index]}")
        if state in FAILED_STATES:
            failures.append(_failure(index, sheep, name))
    return GridTable(lines, base_name, notes, failures)


def render_table(explorer: Explorer, table: GridTable, colors: bool = False) -> str:
    """Render a GridTable with treetable, plus the base-name line and the notes."""
    import treetable as tt

    out: List[str] = []
    if table.base_name:
        out.append(f"Base name: {table.base_name}")
    layout = tt.table(
        shorten=True,
        groups=[tt.group("Meta", explorer.get_grid_meta())] + list(explorer.get_grid_metrics()),
    )
    out.append(tt.treetable(table.lines, layout, colors=explorer.get_colors() if colors else None))
    if table.failures:
        out.append("Failed XPs (index sig name: reason):")
        out += [f"  {line}" for line in table.failures]
    if table.notes:
        out.append("Problems:")
        out += [f"  {line}" for line in table.notes]
    return "\n".join(out)

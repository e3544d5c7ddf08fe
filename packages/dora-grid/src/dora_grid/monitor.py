"""The monitoring loop of `dora grid`: refresh states, draw the table, wait, repeat."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Optional, Sequence, TextIO

from .table import build_table, render_table

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol
    from dora_shep.shepherd import Sheep, Shepherd

    from .explorer import Explorer

__all__ = ["draw", "monitor", "countdown"]


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def draw(
    main: MainProtocol,
    explorer: Explorer,
    sheeps: Sequence[Sheep],
    trim: Optional[int] = None,
    trim_last: bool = False,
    out: Optional[TextIO] = None,
    colors: Optional[bool] = None,
) -> None:
    """Print the table once (colours on a terminal only, unless `colors` says otherwise)."""
    out = out or sys.stdout
    table = build_table(main, explorer, sheeps, trim=trim, trim_last=trim_last)
    use_colors = _is_tty(out) if colors is None else colors
    print(render_table(explorer, table, colors=use_colors), file=out, flush=True)


def countdown(seconds: float, out: TextIO) -> None:
    """Sleep `seconds`, showing `Next update in N seconds` on a terminal."""
    if not _is_tty(out):
        time.sleep(seconds)
        return
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        text = f"Next update in {int(left + 0.999):4d} seconds"
        if left < 10:
            text = f"\033[31m{text}\033[0m"
        out.write("\r" + text)
        out.flush()
        time.sleep(min(1.0, left))
    out.write("\r" + " " * 40 + "\r")
    out.flush()


def monitor(
    main: MainProtocol,
    explorer: Explorer,
    shepherd: Shepherd,
    sheeps: Sequence[Sheep],
    grid_name: str,
    interval: float = 5.0,
    keep_going: bool = True,
    trim: Optional[int] = None,
    trim_last: bool = False,
    silent: bool = False,
    jupyter: bool = False,
    out: Optional[TextIO] = None,
) -> bool:
    """Draw the table every `interval` minutes until every XP is done.

    Args:
        keep_going: False draws once and returns.
        silent: refresh states without printing anything.
        jupyter: clear the notebook cell before each draw.

    Returns:
        whether every XP is done. Ctrl-C while waiting stops monitoring (jobs go on).
    """
    out = out or sys.stdout
    if not silent:
        print(f"Monitoring Grid {grid_name}", file=out, flush=True)
    while True:
        shepherd.update()
        if not silent:
            if jupyter:
                from IPython.display import clear_output

                clear_output(wait=True)
            draw(main, explorer, sheeps, trim=trim, trim_last=trim_last, out=out)
        done = all(sheep.is_done() for sheep in sheeps)
        if done or not keep_going:
            return done
        try:
            if silent:
                time.sleep(interval * 60)
            else:
                countdown(interval * 60, out)
        except KeyboardInterrupt:
            if not silent:
                print("\nStopped monitoring; the jobs keep running.", file=out, flush=True)
            return False

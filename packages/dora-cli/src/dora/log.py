"""Small logging helpers: coloured text, `FATAL:` exits, and `LogProgress` for loops.

Compatible with `dora.log` of dora-search (demucs imports `LogProgress`, `bold`, `fatal`
from here), and light: only the standard library.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Dict, Iterable, Iterator, NoReturn, Optional, TextIO

__all__ = [
    "LogProgress",
    "bold",
    "colorize",
    "disable_logging",
    "fatal",
    "red",
    "setup_logging",
    "simple_log",
]

_PACKAGES = ("dora", "dora_sig", "dora_link", "dora_shep", "dora_grid", "dora_lightning")
_handler: Optional[logging.Handler] = None


def colorize(text: str, color: str) -> str:
    """Wrap `text` in the ANSI escape code `color` (e.g. "1" bold, "31" red)."""
    return f"\033[{color}m{text}\033[0m"


def bold(text: str) -> str:
    """`text` in bold (ANSI)."""
    return colorize(text, "1")


def red(text: str) -> str:
    """`text` in red (ANSI)."""
    return colorize(text, "31")


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def simple_log(first: str, *args: Any, color: Optional[str] = None) -> None:
    """Print `first` (bold on a terminal) then `args` to stderr, e.g. `Grid: message`."""
    stream = sys.stderr
    tty = _is_tty(stream)
    head = bold(str(first)) if tty else str(first)
    rest = " ".join(str(arg) for arg in args)
    if color is not None and tty and rest:
        rest = colorize(rest, color)
    print(f"{head} {rest}" if rest else head, file=stream, flush=True)


def fatal(*args: Any) -> NoReturn:
    """Print `FATAL: <args>` to stderr and exit with status 1."""
    simple_log("FATAL:", *args)
    sys.exit(1)


def setup_logging(verbose: bool = False) -> None:
    """Send the loggers of dora and its packages to stderr, at DEBUG when `verbose`."""
    global _handler
    level = logging.DEBUG if verbose else logging.INFO
    if _handler is None:
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(
            logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - %(message)s")
        )
        for name in _PACKAGES:
            logging.getLogger(name).addHandler(_handler)
    _handler.setLevel(level)
    for name in _PACKAGES:
        logging.getLogger(name).setLevel(level)


def disable_logging() -> None:
    """Remove the handler added by `setup_logging` (the user's code configures its own)."""
    global _handler
    if _handler is not None:
        for name in _PACKAGES:
            logging.getLogger(name).removeHandler(_handler)
        _handler = None
    for name in _PACKAGES:
        logging.getLogger(name).setLevel(logging.NOTSET)


class LogProgress:
    """Iterate over `iterable`, logging progress about `updates` times in total.

    The line for iteration `i` is emitted when the next item is asked for, so the values
    given to `update(...)` during iteration `i` appear on it:
    `<name> | <i>/<total> | <speed> | Key value | ...`.

    Args:
        logger: where the lines go.
        iterable: what to iterate over.
        updates: number of lines over the whole loop (0 or less: none).
        min_interval: at least this many iterations between two lines.
        time_per_it: show the time per iteration instead of iterations per second.
        total: number of items (default `len(iterable)`).
        name: first field of each line.
        level: logging level of the lines.
    """

    def __init__(
        self,
        logger: logging.Logger,
        iterable: Iterable,
        updates: int = 5,
        min_interval: int = 1,
        time_per_it: bool = False,
        total: Optional[int] = None,
        name: str = "LogProgress",
        level: int = logging.INFO,
    ) -> None:
        self.logger = logger
        self.iterable = iterable
        self.total = len(iterable) if total is None else total  # type: ignore[arg-type]
        self.updates = updates
        self.min_interval = min_interval
        self.time_per_it = time_per_it
        self.name = name
        self.level = level
        self._infos: Dict[str, Any] = {}
        self._index = -1
        self._begin = time.time()
        self._iterator: Optional[Iterator] = None

    def update(self, **infos: Any) -> bool:
        """Set values shown on the next line; returns whether this iteration is logged."""
        self._infos = infos
        return self._will_log()

    def _period(self) -> int:
        return max(self.min_interval, self.total // self.updates)

    def _will_log(self) -> bool:
        return self.updates > 0 and self._index >= 1 and self._index % self._period() == 0

    def __iter__(self) -> LogProgress:
        self._iterator = iter(self.iterable)
        self._index = -1
        self._infos = {}
        self._begin = time.time()
        return self

    def __next__(self) -> Any:
        if self._iterator is None:
            iter(self)
        if self._will_log():
            self._log()
        value = next(self._iterator)  # type: ignore[arg-type]
        self._index += 1
        return value

    def _speed(self) -> str:
        elapsed = time.time() - self._begin
        speed = (self._index + 1) / elapsed if elapsed > 0 else float("inf")
        if speed < 1e-4:
            return "oo sec/it"
        if self.time_per_it:
            return f"{1 / speed:.2f} sec/it" if speed < 1 else f"{1000 / speed:.1f} ms/it"
        return f"{1 / speed:.1f} sec/it" if speed < 0.1 else f"{speed:.2f} it/sec"

    def _log(self) -> None:
        fields = [self.name, f"{self._index}/{self.total}", self._speed()]
        fields += [f"{key.capitalize()} {value}" for key, value in self._infos.items()]
        self.logger.log(self.level, " | ".join(fields))

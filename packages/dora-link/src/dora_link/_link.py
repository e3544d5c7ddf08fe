"""`Link`: the metric history of one run, kept in memory and mirrored in history.json."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, List, Optional, Tuple, Union

from dora_sig import to_jsonable

from ._rank import default_is_writer
from ._store import HistoryFile, read_records

__all__ = ["Link", "read_history"]

logger = logging.getLogger("dora_link")


def read_history(path: Union[str, Path]) -> list:
    """Return the records of a history file, for tables and tools that only read.

    A record being written at the same moment (or torn by a killed writer) is left out;
    a missing file gives `[]`.

    Raises:
        CorruptHistoryError: the file is damaged in another way.
    """
    result = read_records(Path(path))
    return [] if result is None else result[0].records


class Link:
    """The metric history of one run, as seen by its training loop.

    `history` is one list object for the Link's whole life, so code that keeps a
    reference to it (`self.history = link.history`) always sees the current records.
    Records are appended to `history_file` in O(1) per push; a dummy Link (no file) keeps
    the history in memory only, and so does a process that is not the writer (ranks other
    than 0 by default).

    Args:
        history_file: the `history.json` of the run, or None for a dummy Link.
        is_writer: whether this process writes the file; None asks `default_is_writer()`
            at the first write of each process (so a rank set after the Link was built,
            or in a forked child, is honoured).
    """

    def __init__(self, history_file: Union[str, Path, None] = None, *,
                 is_writer: Optional[bool] = None) -> None:
        self.history: List[Any] = []
        self._is_writer = is_writer
        self._default_writer: Optional[Tuple[int, bool]] = None  # (pid, decision)
        self._known = 0  # records of `history` that the file holds
        self._store: Optional[HistoryFile] = None
        self.history_file = None if history_file is None else Path(history_file)

    @property
    def history_file(self) -> Optional[Path]:
        """The file the history is saved to (None for a dummy Link)."""
        return None if self._store is None else self._store.path

    @history_file.setter
    def history_file(self, path: Union[str, Path, None]) -> None:
        self._store = None if path is None else HistoryFile(Path(path))
        self._known = 0

    @property
    def is_writer(self) -> bool:
        """Whether this process writes the history file."""
        if self._is_writer is not None:
            return self._is_writer
        pid = os.getpid()
        if self._default_writer is None or self._default_writer[0] != pid:
            self._default_writer = (pid, default_is_writer())
        return self._default_writer[1]

    def load(self) -> None:
        """Replace the content of `history` with the records of the file.

        A missing file gives an empty history, a torn last record (a write in flight, or
        a killed writer) is left out, and a file that cannot be read (permissions...)
        leaves the history as it is, with a warning.

        Raises:
            CorruptHistoryError: the file is damaged beyond a torn tail.
        """
        if self._store is None:
            return
        try:
            records = self._store.load()
        except OSError as error:
            logger.warning("Could not read the history %s: %s", self._store.path, error)
            return
        self.history[:] = records
        self._known = len(records)

    def push_metrics(self, metrics: dict) -> None:
        """Append one record (made plain JSON with `to_jsonable`) and save it.

        Raises:
            NotJsonableError: a value cannot be saved as JSON; nothing is appended.
            CorruptHistoryError: the file is damaged; the record stays in memory only.
        """
        self.history.append(to_jsonable(metrics))
        self._save(rewrite=False)

    def update_history(self, history: list) -> None:
        """Replace the content of `history` (e.g. from a checkpoint) and rewrite the file.

        The file is replaced atomically (a temporary file, then a rename).

        Raises:
            ValueError: `history` is not a list (or tuple).
            NotJsonableError: a value cannot be saved as JSON.
            CorruptHistoryError: the file is damaged; it is left untouched.
        """
        converted = to_jsonable(history)
        if not isinstance(converted, list):
            raise ValueError(f"history must be a list, but got {type(history)}")
        self.history[:] = converted
        self._known = 0
        self._save(rewrite=True)

    def _save(self, rewrite: bool) -> None:
        store = self._store
        if store is None or not self.is_writer:
            return
        try:
            if rewrite:
                self._known = store.rewrite(self.history)
            else:
                self._known = store.sync(self.history, self._known)
        except OSError as error:  # CorruptHistoryError is no OSError: it goes through
            store.invalidate()
            logger.warning("Could not save the history to %s (%s); training goes on and the "
                           "next push tries again.", store.path, error)

    def __repr__(self) -> str:
        return f"Link({self.history_file!r}, records={len(self.history)})"

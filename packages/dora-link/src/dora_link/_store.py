"""The on-disk side of one history: O(1) appends, torn-tail repair, atomic full rewrites.

A `HistoryFile` remembers where the last record it saw ends and the stamp (device, inode,
size, mtime) of the file as it left it. A push stats the file: when the stamp is unchanged
the records are written at the remembered offset with one `pwrite`, otherwise the file is
read again first. So appends cost O(1) and the file is never rewritten per push, while a
file changed by someone else (replaced, truncated, repaired by hand) is noticed.
"""

from __future__ import annotations

import logging
import os
import time
import weakref
from pathlib import Path
from typing import Any, List, Optional, Tuple

from ._errors import CorruptHistoryError
from ._files import Stamp, pwrite_all, read_all, stamp_of, write_atomic
from ._format import Scan, append_text, decode_history, new_file_text, parse_history

__all__ = ["HistoryFile", "read_records"]

logger = logging.getLogger("dora_link")

_READ_ATTEMPTS = 6


class _State:
    """The file as this process last saw or left it (updated in place by appends)."""

    __slots__ = ("count", "end", "header", "size", "stamp", "torn")

    def __init__(self, stamp: Stamp, count: int, header: bool, end: int, size: int,
                 torn: bool) -> None:
        self.stamp = stamp
        self.count = count  # complete records
        self.header = header  # False: empty or blank file
        self.end = end  # byte offset where the next append starts
        self.size = size
        self.torn = torn


def _state_of(scan: Scan, text: str, stamp: Stamp) -> _State:
    end = scan.end if text.isascii() else len(text[:scan.end].encode("utf8"))
    return _State(stamp, len(scan.records), scan.header, end, stamp[2], scan.torn)


#: What one read gives: the parsed file, its text, and its stamp (None when the file
#: changed while it was read, so that the text may not be what the stamp describes).
_Read = Tuple[Scan, str, Optional[Stamp]]


def _read_once(path: Path) -> Optional[_Read]:
    """Read and parse `path` once: None when it is missing."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        before = stamp_of(os.fstat(fd))
        data = read_all(fd)
        after = stamp_of(os.fstat(fd))
    finally:
        os.close(fd)
    text, cut = decode_history(data, str(path))
    scan = parse_history(text, str(path), cut)
    return scan, text, after if before == after and after[2] == len(data) else None


def read_records(path: Path) -> Optional[_Read]:
    """Read `path` tolerantly, retrying while a write in flight makes it look damaged.

    Returns:
        None when the file is missing, else what a stable read gives (or the last read,
        with no stamp, when the file kept changing).

    Raises:
        CorruptHistoryError: the file stays damaged over several reads.
    """
    for attempt in range(_READ_ATTEMPTS):
        try:
            result = _read_once(path)
        except CorruptHistoryError:
            if attempt == _READ_ATTEMPTS - 1:
                raise
        else:
            if result is None or result[2] is not None or attempt == _READ_ATTEMPTS - 1:
                return result
        time.sleep(0.002 * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


class HistoryFile:
    """Appends records to one history file and keeps it in step with a list in memory.

    Only one process should write a given history (the rank-0 process of one run). While
    both are set, the open descriptor refers to the file that `_state` describes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._name = os.fspath(path)  # a str: cheaper for the syscalls of every push
        self._fds: List[Optional[int]] = [None]  # closed when this object is collected
        self._state: Optional[_State] = None
        self._corrupt: Optional[Tuple[Stamp, CorruptHistoryError]] = None
        weakref.finalize(self, _close_fd, self._fds)

    def load(self) -> List[Any]:
        """Return the complete records of the file ([] when missing) and remember it."""
        self._drop_fd()
        self._state = None
        result = read_records(self.path)
        if result is None:
            return []
        scan, text, stamp = result
        if stamp is not None:
            self._state = _state_of(scan, text, stamp)
        return scan.records

    def sync(self, history: List[Any], known: int) -> int:
        """Make the file hold `history`, given that its first `known` records are on disk.

        When the file holds exactly `known` records, `history[known:]` is appended (after
        cutting a torn tail); otherwise the file does not mirror `history` and is replaced
        by it as a whole, as dora-search does on every write.

        Returns:
            The number of records of `history` now on disk: `len(history)`.

        Raises:
            CorruptHistoryError: the file is damaged; it is left untouched.
            OSError: writing failed; the next call reads the file again.
        """
        state = self._current()
        if state is None or not state.header or state.count != known or known > len(history):
            if state is not None and state.count and state.count != known:
                logger.warning(
                    "%s holds %d records that this Link did not load; replacing them with "
                    "its own %d (call load() first to continue a history).",
                    self.path, state.count, len(history))
            self._rewrite(history)
        elif known < len(history):
            self._append(history[known:], state)
        return len(history)

    def rewrite(self, history: List[Any]) -> int:
        """Replace the file atomically with `history` (refused when the file is damaged).

        Returns:
            `len(history)`, the number of records now on disk.
        """
        self._current()
        self._rewrite(history)
        return len(history)

    def invalidate(self) -> None:
        """Forget what is known of the file, so that the next write reads it again."""
        self._state = None

    def _rewrite(self, history: List[Any]) -> None:
        self._drop_fd()
        self._state = None
        data = new_file_text(history).encode("utf8")
        fd, stat = write_atomic(self.path, data)
        self._fds[0] = fd
        self._state = _State(stamp_of(stat), len(history), True, len(data) - 3, len(data),
                             False)

    def _append(self, records: List[Any], state: _State) -> None:
        fd = self._fds[0]
        assert fd is not None
        data = append_text(records, first=state.count == 0).encode("utf8")
        self._state = None  # unknown until the write is through
        end = state.end
        # Bytes of the old tail left after a partial record would read as damage, so the
        # tail is cut first unless the record starts past it: it starts after ",\n" (or
        # "\n" for the first record) and the clean tail "\n]\n" is 3 bytes long.
        if state.torn or state.size - end > (3 if state.count else 2):
            os.ftruncate(fd, end)
        pwrite_all(fd, data, end)
        stat = os.fstat(fd)
        size = end + len(data)
        if stat.st_size == size:
            state.stamp = (stat.st_dev, stat.st_ino, size, stat.st_mtime_ns)
            state.count += len(records)
            state.header, state.end, state.size, state.torn = True, size - 3, size, False
            self._state = state

    def _current(self) -> Optional[_State]:
        """The file's state now, with a descriptor open on it; None when it is missing.

        Cached when the file's stamp is unchanged since this object last saw it, else the
        file is read again (and a damaged file raises, without reading it again while it
        stays as it was).
        """
        try:
            stat = os.stat(self._name)
            stamp = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        except FileNotFoundError:
            self._drop_fd()
            self._state = None
            return None
        if self._corrupt is not None and self._corrupt[0] == stamp:
            raise CorruptHistoryError(str(self._corrupt[1]))
        state = self._state
        if state is not None and state.stamp == stamp:
            if self._fds[0] is not None:
                return state
            fd = self._fds[0] = os.open(self._name, os.O_RDWR)
            if stamp_of(os.fstat(fd)) == stamp:
                return state
        return self._rescan()

    def _rescan(self) -> _State:
        self._drop_fd()
        self._state = None
        fd = self._fds[0] = os.open(self._name, os.O_RDWR)
        stamp = stamp_of(os.fstat(fd))
        data = read_all(fd)
        try:
            text, cut = decode_history(data, str(self.path))
            scan = parse_history(text, str(self.path), cut)
        except CorruptHistoryError as error:
            self._corrupt = (stamp, error)
            self._drop_fd()
            raise
        self._corrupt = None
        self._state = _state_of(scan, text, stamp)
        return self._state

    def _drop_fd(self) -> None:
        fd, self._fds[0] = self._fds[0], None
        if fd is not None:
            os.close(fd)


def _close_fd(fds: List[Optional[int]]) -> None:
    if fds[0] is not None:
        os.close(fds[0])
        fds[0] = None

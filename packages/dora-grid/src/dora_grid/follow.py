"""Print the end of a job log and follow it until the job is over (a portable `tail -f`)."""

from __future__ import annotations

import codecs
import os
import sys
import time
from pathlib import Path
from typing import BinaryIO, Callable, Optional, TextIO, Union

__all__ = ["tail_lines", "follow_log"]

_CHUNK = 1 << 16


def _tail(handle: BinaryIO, count: int) -> bytes:
    """The last `count` lines of an open file; leaves the position at the end."""
    end = handle.seek(0, os.SEEK_END)
    start = end
    data = b""
    while start > 0 and data.count(b"\n") <= count:
        start = max(0, start - _CHUNK)
        handle.seek(start)
        data = handle.read(end - start)
    handle.seek(end)
    return b"".join(data.splitlines(keepends=True)[-count:]) if count > 0 else b""


def tail_lines(path: Union[str, Path], count: int = 200) -> str:
    """The last `count` lines of a file (all of it when shorter), decoded leniently."""
    with open(path, "rb") as handle:
        return _tail(handle, count).decode("utf-8", errors="replace")


def follow_log(
    path: Union[str, Path],
    is_done: Callable[[], bool],
    out: Optional[TextIO] = None,
    lines: int = 200,
    poll: float = 0.5,
    check_every: float = 5.0,
) -> None:
    """Print the last `lines` lines of `path`, then what is appended, until `is_done()`.

    Waits for the file to appear. `is_done` is asked at most every `check_every` seconds
    (it may query a scheduler); once it says yes, what is left in the file is printed.

    Args:
        path: the log file.
        is_done: tells whether the job is over.
        out: where to print (stdout by default).
        lines: how many existing lines to print first.
        poll: seconds between reads of the file.
        check_every: seconds between calls of `is_done`.
    """
    out = out or sys.stdout
    path = Path(path)
    while not path.exists():
        if is_done():
            return
        time.sleep(poll)

    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def emit(data: bytes) -> None:
        out.write(decoder.decode(data))
        out.flush()

    with open(path, "rb") as handle:
        emit(_tail(handle, lines))
        last_check = time.monotonic()
        while True:
            data = handle.read()
            if data:
                emit(data)
                continue
            if os.fstat(handle.fileno()).st_size < handle.tell():
                handle.seek(0)  # truncated: start over
                continue
            if time.monotonic() - last_check >= check_every:
                last_check = time.monotonic()
                if is_done():
                    emit(handle.read())
                    return
            time.sleep(poll)

"""Low-level file helpers: whole reads, full writes and atomic replacement, stdlib only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import List, Tuple

__all__ = ["Stamp", "pwrite_all", "read_all", "stamp_of", "write_atomic"]

#: What identifies one state of a file cheaply: (device, inode, size, mtime in ns).
Stamp = Tuple[int, int, int, int]


def stamp_of(stat: os.stat_result) -> Stamp:
    """Return the stamp of a stat result."""
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def read_all(fd: int) -> bytes:
    """Read a file from its start to its end through `fd`."""
    chunks: List[bytes] = []
    offset = 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset) if _HAS_PREAD else _read_at(fd, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


def _read_at(fd: int, offset: int) -> bytes:  # pragma: no cover - platforms without pread
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, 1 << 20)


def pwrite_all(fd: int, data: bytes, offset: int) -> None:
    """Write all of `data` at `offset`, going on after short writes."""
    written = 0
    while True:
        if _HAS_PWRITE:
            written += os.pwrite(fd, data[written:] if written else data, offset + written)
        else:  # pragma: no cover - platforms without pwrite
            os.lseek(fd, offset + written, os.SEEK_SET)
            written += os.write(fd, data[written:])
        if written >= len(data):
            return


_HAS_PWRITE = hasattr(os, "pwrite")
_HAS_PREAD = hasattr(os, "pread")


def write_atomic(path: Path, data: bytes) -> Tuple[int, os.stat_result]:
    """Replace `path` with `data` through a temporary file in the same folder.

    Returns:
        An open read-write descriptor on the new file (the caller owns it) and its stat.
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        pwrite_all(fd, data, 0)
        stat = os.fstat(fd)
        os.replace(temp, path)
    except BaseException:
        os.close(fd)
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    return fd, stat

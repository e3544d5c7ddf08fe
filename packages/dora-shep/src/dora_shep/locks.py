"""Advisory file locks (flock) for per-XP submission and the local backend.

A lock is held by an open file description: it is released when every process holding
a copy of the descriptor has closed it or died, so a crashed process never leaves a
stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Optional, Type, Union

from .errors import LockTimeout

__all__ = ["FileLock", "is_locked"]

PathLike = Union[str, Path]


class FileLock:
    """An exclusive lock on `path` (created if missing).

    Use it as a context manager (blocking, with the timeout given at construction) or
    call `acquire` / `try_acquire` / `release`.

    Args:
        path: the lock file.
        timeout: seconds to wait in `acquire` (None waits forever).
        poll: seconds between attempts while waiting with a timeout.
    """

    def __init__(self, path: PathLike, timeout: Optional[float] = None, poll: float = 0.05) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.poll = poll
        self._fd: Optional[int] = None

    @property
    def fd(self) -> Optional[int]:
        """The open descriptor while the lock is held, else None."""
        return self._fd

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; return whether it is now held."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def acquire(self, timeout: Optional[float] = -1.0) -> None:
        """Wait for the lock.

        Args:
            timeout: seconds to wait; None waits forever; the default uses the timeout
                given at construction.

        Raises:
            LockTimeout: when the lock stayed held for `timeout` seconds.
        """
        if timeout is not None and timeout < 0:
            timeout = self.timeout
        if timeout is None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            self._fd = fd
            return
        deadline = time.monotonic() + timeout
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"The lock {self.path} stayed held by another process for "
                    f"{timeout:g} s. Another Dora process is probably submitting the same "
                    "XP: wait for it, or check that no stuck process holds the file."
                )
            time.sleep(self.poll)

    def release(self) -> None:
        """Release the lock (closing the descriptor); no-op when not held."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def detach(self) -> int:
        """Forget the descriptor without closing it (to hand it to a child) and return it."""
        if self._fd is None:
            raise RuntimeError(f"Lock {self.path} is not held.")
        fd, self._fd = self._fd, None
        return fd

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.release()


def is_locked(path: PathLike) -> bool:
    """Whether some process holds the lock on `path` right now (False if it is missing)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False

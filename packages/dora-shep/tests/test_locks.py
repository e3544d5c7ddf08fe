from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from shep_helpers import wait_for

from dora_shep.errors import LockTimeout
from dora_shep.locks import FileLock, is_locked


def test_one_holder_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    first, second = FileLock(path), FileLock(path)
    assert first.try_acquire() and first.held
    assert not second.try_acquire()
    assert is_locked(path)
    first.release()
    assert not is_locked(path)
    assert second.try_acquire()
    second.release()


def test_blocking_acquire_times_out_with_the_file_named(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with FileLock(path):
        with pytest.raises(LockTimeout, match="x.lock"):
            FileLock(path, timeout=0.1).acquire()
    with FileLock(path, timeout=0.1) as lock:
        assert lock.held
    assert not lock.held


def test_missing_file_is_not_locked(tmp_path: Path) -> None:
    assert not is_locked(tmp_path / "none.lock")


def test_lock_of_a_killed_process_is_free(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from dora_shep.locks import FileLock
                lock = FileLock({str(path)!r}); lock.acquire()
                print("held", flush=True); time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    assert is_locked(path)
    holder.kill()
    holder.wait()
    wait_for(lambda: not is_locked(path), 5, "the lock to be released")

"""Helpers shared by the dora-shep tests (importable: the tests folder is on sys.path)."""

from __future__ import annotations

import time
from typing import Any, Callable


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie counts as gone)."""
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            stat = handle.read()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


def submit(main: Any, argvs: list, **slurm: Any) -> tuple:
    """Submit one XP per argv to the local backend: (backend, xps, records)."""
    from dora_shep.backends.local.backend import LocalBackend
    from dora_shep.conf import SlurmConfig

    backend = LocalBackend(main.dora)
    xps = [main.get_xp(argv) for argv in argvs]
    for xp in xps:
        main.init_xp(xp)
    records = backend.submit(main, xps, SlurmConfig(**slurm))
    return backend, xps, records


def state_of(backend: Any, record: Any) -> Any:
    """The JobStatus of one record."""
    return backend.states([record])[record.job_id]


def with_tests_on_path() -> dict:
    """os.environ with the tests folder first on PYTHONPATH (for child processes)."""
    import os
    from pathlib import Path

    tests = str(Path(__file__).resolve().parent)
    old = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=os.pathsep.join([tests, old]) if old else tests)

"""Fixtures: the test project's main writing into a fresh folder, grid files, polling."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


@pytest.fixture
def outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh Dora dir; the jobs' processes get it through GRID_TEST_DIR."""
    folder = tmp_path / "outputs"
    monkeypatch.setenv("GRID_TEST_DIR", str(folder))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "_DORA_ORIGINAL_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture
def main(outputs: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The test project's main, pointing at `outputs`, local backend with 8 slots."""
    from gridproj.train import main as project_main

    monkeypatch.setattr(project_main.dora, "dir", outputs)
    monkeypatch.setattr(project_main.dora, "backend", "local")
    monkeypatch.setattr(project_main.dora, "slots", 8)
    monkeypatch.setattr(project_main.dora, "grid_package", None)
    yield project_main
    _cancel_leftovers(project_main, outputs)


def _cancel_leftovers(main: Any, outputs: Path) -> None:
    """Cancel the jobs a test left running (slow XPs), so none outlives the test."""
    from dora_shep.backends.local.backend import LocalBackend
    from dora_shep.records import JobRecord

    records = []
    for path in outputs.glob("xps/*/job.json"):
        try:
            records.append(JobRecord.from_json(json.loads(path.read_text())))
        except ValueError:  # a test damaged it on purpose
            pass
    if records:
        LocalBackend(main.dora).cancel(records)


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)


@pytest.fixture
def waiter() -> Callable[..., Any]:
    """The `wait_for` helper, as a fixture."""
    return wait_for

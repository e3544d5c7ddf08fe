"""Fixtures: the test project's main writing into a fresh folder, and polling helpers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


@pytest.fixture
def outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh Dora dir; the jobs' processes get it through SHEP_TEST_DIR."""
    folder = tmp_path / "outputs"
    monkeypatch.setenv("SHEP_TEST_DIR", str(folder))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # no GPU unless a test asks
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "_DORA_ORIGINAL_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture
def main(outputs: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The test project's main, pointing at `outputs`, with 1 local slot."""
    from shepproj.train import main as tiny_main

    monkeypatch.setattr(tiny_main.dora, "dir", outputs)
    monkeypatch.setattr(tiny_main.dora, "slots", 1)
    monkeypatch.setattr(tiny_main.dora, "shared", None)
    yield tiny_main


from slurm_fakes import fake_slurm  # noqa: E402,F401  (a fake Slurm cluster on PATH)

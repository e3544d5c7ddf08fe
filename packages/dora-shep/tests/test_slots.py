from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dora_shep.backends.local._state import LocalPaths
from dora_shep.backends.local.slots import (
    acquire_slots,
    count_slots,
    devices_for,
    slots_needed,
    visible_gpus,
)


def test_cuda_visible_devices_is_used_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3, 5")
    assert visible_gpus() == ["3", "5"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert visible_gpus() == []


def test_gpus_are_counted_with_nvidia_smi(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "nvidia-smi"
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'GPU 0: NVIDIA H200 (UUID: GPU-a)'\n"
        "echo 'GPU 1: NVIDIA H200 (UUID: GPU-b)'\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert visible_gpus() == ["0", "1"]


def test_slot_count_and_needs() -> None:
    assert count_slots(None, []) == 1
    assert count_slots(None, ["0", "1"]) == 2
    assert count_slots(3, ["0"]) == 3
    assert [slots_needed(k) for k in (0, 1, 4)] == [1, 1, 4]


def test_slots_map_to_gpus() -> None:
    assert devices_for([1], ["3", "5"]) == "5"
    assert devices_for([0, 1], ["3", "5"]) == "3,5"
    assert devices_for([2], ["3", "5"]) == "3"  # more slots than GPUs: shared
    assert devices_for([0], []) is None


def test_busy_slots_are_skipped(tmp_path: Path) -> None:
    paths = LocalPaths(tmp_path)
    paths.make()
    first = acquire_slots(paths, 3, 2)
    assert first is not None and [i for i, _ in first] == [0, 1]
    assert acquire_slots(paths, 3, 2) is None
    second = acquire_slots(paths, 3, 1)
    assert second is not None and [i for i, _ in second] == [2]
    for _, fd in first + second:
        os.close(fd)

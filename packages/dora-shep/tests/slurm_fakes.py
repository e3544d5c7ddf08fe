"""A fake Slurm cluster on PATH for the tests (see fake_slurm.py), and its controls."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

TESTS = Path(__file__).resolve().parent
NAMES = ("sbatch", "sacct", "scancel", "squeue", "scontrol", "srun")


class FakeSlurm:
    """Controls and inspects the fake cluster whose commands are first on PATH."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "bin"
        self.state_file = root / "state.json"

    def install(self) -> None:
        self.bin.mkdir(parents=True)
        for name in NAMES:
            path = self.bin / name
            path.write_text(
                f'#!/bin/sh\nexec "{sys.executable}" "{TESTS / "fake_slurm.py"}" {name} "$@"\n'
            )
            path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        self.write({"next_id": 100, "jobs": {}, "partitions": ["debug", "devlab"]})

    def read(self) -> Dict[str, Any]:
        return json.loads(self.state_file.read_text())

    def write(self, state: Dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(state, indent=1))

    def configure(self, **values: Any) -> None:
        """Set top-level state keys: sbatch_fail, sbatch_fail_count, sacct_fail,
        sacct_lag, forget, squeue_fail, scancel_fail, down, execute, range_rows,
        partitions (names, or dicts of scontrol fields with PartitionName, such as
        DefaultTime and MaxTime; the first one is the default partition)."""
        state = self.read()
        state.update(values)
        self.write(state)

    def set_state(self, element: str, value: str, exit_code: str = "0:0") -> None:
        state = self.read()
        job = state["jobs"][element.split("_")[0]]
        targets = [element] if element in job["states"] else list(job["states"])
        for target in targets:
            job["states"][target] = value
            job["exit"][target] = exit_code
        self.write(state)

    def add_job(self, job_id: str, state: str = "RUNNING", name: str = "job",
                array: int = 0) -> None:
        """A job the cluster knows without a submission (e.g. one dora-search made)."""
        data = self.read()
        states = ({f"{job_id}_{i}": state for i in range(array)} if array
                  else {job_id: state})
        data["jobs"][job_id] = {"name": name, "array": array or None, "params": {},
                                "script": "", "states": states, "exit": {}}
        data["next_id"] = max(data["next_id"], int(job_id) + 1)
        self.write(data)

    def state_of(self, element: str) -> str:
        return self.read()["jobs"][element.split("_")[0]]["states"][element]

    def job(self, job_id: str) -> Dict[str, Any]:
        return self.read()["jobs"][job_id.split("_")[0]]

    def calls(self, name: str) -> List[List[str]]:
        path = self.root / "calls.jsonl"
        if not path.exists():
            return []
        calls = [json.loads(line) for line in path.read_text().splitlines()]
        return [call["argv"] for call in calls if call["cmd"] == name]


def use_fake_slurm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSlurm:
    """Install a fake Slurm cluster whose controller answers, first on PATH."""
    fake = FakeSlurm(tmp_path / "fakeslurm")
    fake.install()
    monkeypatch.setenv("PATH", f"{fake.bin}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_SLURM_STATE", str(fake.state_file))
    monkeypatch.delenv("SLURM_CONF", raising=False)
    for name in ("SLURM_JOB_ID", "SLURM_PROCID", "SUBMITIT_EXECUTOR", "SLURM_ARRAY_JOB_ID"):
        monkeypatch.delenv(name, raising=False)
    return fake


@pytest.fixture
def fake_slurm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSlurm:
    """A fake Slurm cluster whose controller answers, first on PATH."""
    return use_fake_slurm(tmp_path, monkeypatch)

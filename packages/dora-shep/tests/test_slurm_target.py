"""The job side of Slurm: `SubmititTarget` runs the XP, and its checkpoint hook requeues it."""

from __future__ import annotations

import pickletools
from pathlib import Path
from typing import Any, Dict, List

import pytest

import dora_shep.runner as runner
from dora_shep.runner import (
    SubmititTarget,
    register_preemption_callaback,
    register_preemption_callback,
)

TESTS = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def no_callbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "_preemption_callbacks", [])


@pytest.fixture
def in_slurm_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variables srun and submitit set for task 0 of a one-task job."""
    for name, value in {"SUBMITIT_EXECUTOR": "slurm", "SLURM_PROCID": "0", "SLURM_NTASKS": "1",
                        "SLURM_LOCALID": "0", "SLURM_JOB_ID": "77"}.items():
        monkeypatch.setenv(name, value)


def payload(main: Any, argv: List[str], requeue: bool = True) -> Dict[str, Any]:
    xp = main.get_xp(argv)
    module, attribute = main.import_path
    return {"module": module, "attribute": attribute, "import_root": str(TESTS),
            "cwd": str(main.dora.dir.parent), "argv": argv, "requeue": requeue,
            "rendezvous_file": str(xp.rendezvous_file)}


def test_checkpoint_requeues_the_same_xp(main: Any, in_slurm_task: None) -> None:
    data = payload(main, ["--seed=1", "--note=n"])
    target = SubmititTarget()
    again = target.checkpoint(data)
    assert type(again).__name__ == "DelayedSubmission"
    assert again.function is target and again.args == (data,) and again.kwargs == {}
    assert again.args[0]["argv"] == ["--seed=1", "--note=n"]
    assert main.get_xp(again.args[0]["argv"]).sig == main.get_xp(data["argv"]).sig


def test_checkpoint_removes_the_rendezvous_file(main: Any, in_slurm_task: None) -> None:
    data = payload(main, ["--seed=2"])
    rendezvous = Path(data["rendezvous_file"])
    rendezvous.parent.mkdir(parents=True)
    rendezvous.write_text("tcp://x")
    SubmititTarget().checkpoint(data)
    assert not rendezvous.exists()
    SubmititTarget().checkpoint(data)  # already gone: fine


def test_only_rank_zero_removes_the_rendezvous_file(
    main: Any, in_slurm_task: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLURM_PROCID", "1")
    monkeypatch.setenv("SLURM_NTASKS", "2")
    data = payload(main, ["--seed=3"])
    rendezvous = Path(data["rendezvous_file"])
    rendezvous.parent.mkdir(parents=True)
    rendezvous.write_text("tcp://x")
    SubmititTarget().checkpoint(data)
    assert rendezvous.exists()


def test_each_callback_runs_once(main: Any, in_slurm_task: None) -> None:
    seen: List[str] = []
    register_preemption_callback(lambda: seen.append("a"))
    register_preemption_callaback(lambda: seen.append("b"))  # dora-search's spelling

    def broken() -> None:
        seen.append("c")
        raise RuntimeError("callback bug")

    register_preemption_callback(broken)
    again = SubmititTarget().checkpoint(payload(main, ["--seed=4"]))
    assert seen == ["a", "b", "c"] and again is not None


def test_no_requeue_exits_1_after_the_callbacks(main: Any, in_slurm_task: None) -> None:
    seen: List[str] = []
    register_preemption_callback(lambda: seen.append("saved"))
    with pytest.raises(SystemExit) as info:
        SubmititTarget().checkpoint(payload(main, ["--seed=5"], requeue=False))
    assert info.value.code == 1 and seen == ["saved"]


def test_the_target_runs_the_main_with_the_argv(
    main: Any, in_slurm_task: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(sys, "path", list(sys.path))
    data = payload(main, ["--seed=6"])
    monkeypatch.setenv("WORLD_SIZE", "8")  # left over from the submitting shell
    monkeypatch.setenv("LOCAL_RANK", "3")
    monkeypatch.setenv("RANK", "5")
    assert SubmititTarget()(data) is None
    import json
    import os

    xp = main.get_xp(["--seed=6"])
    seen = json.loads((xp.folder / "started.json").read_text())
    assert seen["rank"] == "0" and "WORLD_SIZE" not in os.environ
    assert (xp.folder / "done.json").exists()


def test_the_pickled_call_holds_no_project_object(main: Any) -> None:
    import cloudpickle
    from submitit.core.utils import DelayedSubmission

    data = payload(main, ["--seed=7"])
    blob = cloudpickle.dumps(DelayedSubmission(SubmititTarget(), data))
    assert len(blob) < 2048
    strings = {arg for _, arg, _ in pickletools.genops(blob) if isinstance(arg, str)}
    assert {"dora_shep.runner", "SubmititTarget"} <= strings
    assert not any("XP" == s or "SlurmConfig" in s or "DoraConfig" in s for s in strings)
    assert not any(s.startswith("shepproj") and s != "shepproj.train" for s in strings)

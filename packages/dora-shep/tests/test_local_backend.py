from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from shep_helpers import pid_alive, state_of, submit, wait_for, with_tests_on_path

from dora_shep.backends import choose_backend
from dora_shep.backends.local.backend import LocalBackend
from dora_shep.conf import DoraConfig, SlurmConfig
from dora_shep.errors import BackendUnavailable, ConfigError, SubmissionError


def started(xp: Any) -> dict:
    path = xp.folder / "started.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_job_runs_to_completion(main: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"
    backend, [xp], [record] = submit(main, [[f"--wait_file={release}"]])
    assert record.job_id.startswith("local-") and record.backend == "local"
    assert record.log == str(xp.folder / "local" / f"{record.job_id}.log")
    wait_for(lambda: state_of(backend, record).state == "RUNNING", what="RUNNING")
    release.touch()
    wait_for(lambda: state_of(backend, record).state == "COMPLETED", what="COMPLETED")
    assert state_of(backend, record).reason is None
    seen = started(xp)
    assert seen["rank"] == "0" and seen["job_id"] == record.job_id and seen["cvd"] == ""
    log = Path(record.log).read_text()
    assert "job started" in log and "COMPLETED" in log
    assert (xp.folder / "history.json").exists()


@pytest.mark.parametrize(("fail", "reason"), [("3", "exit code 3"), ('"raise"', "exit code 1")])
def test_failing_job_reports_its_exit_code(main: Any, fail: str, reason: str) -> None:
    backend, _, [record] = submit(main, [[f"--fail={fail}"]])
    wait_for(lambda: state_of(backend, record).state == "FAILED", what="FAILED")
    assert state_of(backend, record).reason == reason
    if fail == '"raise"':
        assert "boom from the test job" in Path(record.log).read_text()


def test_jobs_wait_for_a_slot_in_order(main: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"
    backend, [first], [rec_a] = submit(main, [[f"--wait_file={release}"]])
    _, [second], [rec_b] = submit(main, [["--seed=2"]])
    _, [third], [rec_c] = submit(main, [["--seed=3"]])
    wait_for(lambda: state_of(backend, rec_a).state == "RUNNING", what="first RUNNING")
    time.sleep(0.5)
    states = backend.states([rec_b, rec_c])
    assert [states[r.job_id].state for r in (rec_b, rec_c)] == ["PENDING", "PENDING"]
    release.touch()
    for record in (rec_a, rec_b, rec_c):
        wait_for(lambda r=record: state_of(backend, r).state == "COMPLETED", what="COMPLETED")
    done_a = json.loads((first.folder / "done.json").read_text())["end"]
    assert done_a <= started(second)["start"] <= started(third)["start"]


def test_more_slots_given_later_apply_to_waiting_jobs(
    main: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = tmp_path / "release"
    backend, _, [rec_a] = submit(main, [[f"--wait_file={release}"]])
    _, _, [rec_b] = submit(main, [[f"--wait_file={release}", "--seed=2"]])
    wait_for(lambda: state_of(backend, rec_a).state == "RUNNING", what="first RUNNING")
    time.sleep(0.5)
    assert state_of(backend, rec_b).state == "PENDING"
    monkeypatch.setattr(main.dora, "slots", 3)  # like a later `dora grid --slots 3`
    _, _, [rec_c] = submit(main, [[f"--wait_file={release}", "--seed=3"]])
    for record in (rec_b, rec_c):
        wait_for(lambda r=record: state_of(backend, r).state == "RUNNING", what="RUNNING")
    release.touch()
    for record in (rec_a, rec_b, rec_c):
        wait_for(lambda r=record: state_of(backend, r).state == "COMPLETED", what="COMPLETED")


def test_each_job_sees_its_own_gpu(
    main: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    monkeypatch.setattr(main.dora, "slots", 2)
    release = tmp_path / "release"
    backend, xps, records = submit(
        main, [[f"--wait_file={release}", f"--seed={i}"] for i in (1, 2)]
    )
    wait_for(lambda: all(started(xp) for xp in xps), what="both jobs started")
    assert sorted(started(xp)["cvd"] for xp in xps) == ["3", "5"]
    release.touch()
    for record in records:
        wait_for(lambda r=record: state_of(backend, r).state == "COMPLETED", what="COMPLETED")
    _, [both], [rec] = submit(main, [["--seed=3"]], gpus=2)
    _, [none], [rec0] = submit(main, [["--seed=4"]], gpus=0)
    for record in (rec, rec0):
        wait_for(lambda r=record: state_of(backend, r).state == "COMPLETED", what="COMPLETED")
    assert started(both)["cvd"] == "3,5" and started(none)["cvd"] == ""


def test_more_gpus_than_slots_is_refused_before_anything_is_written(main: Any) -> None:
    with pytest.raises(SubmissionError, match="slots"):
        submit(main, [["--seed=1"]], gpus=2)
    assert not (main.dora.dir / "local").exists()


def test_waiting_jobs_start_after_the_submitter_exits(main: Any, tmp_path: Path) -> None:
    script = (
        "import json, sys\n"
        "from shep_helpers import submit\n"
        "from shepproj.train import main\n"
        "main.dora.slots = 1\n"
        "_, _, records = submit(main, [['--sleep=0.5'], ['--seed=1']])\n"
        "print(json.dumps([r.to_json() for r in records]))\n"
    )
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=with_tests_on_path(),
        timeout=30,
    )
    from dora_shep.records import JobRecord

    records = [JobRecord.from_json(data) for data in json.loads(done.stdout)]
    backend = LocalBackend(main.dora)
    for record in records:
        wait_for(lambda r=record: state_of(backend, r).state == "COMPLETED", what="COMPLETED")


def test_cancel_kills_the_job_and_its_children(main: Any) -> None:
    backend, [xp], [record] = submit(main, [["--spawn=true", "--wait_file=/nonexistent"]])
    pid_file = xp.folder / "grandchild.pid"
    wait_for(pid_file.exists, what="the grandchild")
    grandchild, child = int(pid_file.read_text()), started(xp)["pid"]
    assert pid_alive(grandchild) and pid_alive(child)
    backend.cancel([record])
    wait_for(lambda: state_of(backend, record).state == "CANCELLED", what="CANCELLED")
    wait_for(lambda: not pid_alive(child) and not pid_alive(grandchild), 10, "processes gone")


def test_cancel_a_pending_job(main: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"
    backend, _, [running] = submit(main, [[f"--wait_file={release}"]])
    _, [xp], [pending] = submit(main, [["--seed=9"]])
    wait_for(lambda: state_of(backend, running).state == "RUNNING", what="RUNNING")
    backend.cancel([pending])
    wait_for(lambda: state_of(backend, pending).state == "CANCELLED", what="CANCELLED")
    assert state_of(backend, running).state == "RUNNING"
    release.touch()
    wait_for(lambda: state_of(backend, running).state == "COMPLETED", what="COMPLETED")
    assert not (xp.folder / "started.json").exists()


def test_time_limit_gives_timeout(main: Any) -> None:
    backend, _, [record] = submit(main, [["--wait_file=/nonexistent"]], time=0.02)
    wait_for(lambda: state_of(backend, record).state == "TIMEOUT", what="TIMEOUT")
    assert "time limit" in (state_of(backend, record).reason or "")


def test_time_as_a_slurm_duration_string_is_a_limit_in_minutes(main: Any) -> None:
    backend, _, [record] = submit(main, [["--wait_file=/nonexistent"]], time="0:01")
    wait_for(lambda: state_of(backend, record).state == "TIMEOUT", 30, what="TIMEOUT")
    job = json.loads(backend.paths.job(record.job_id).read_text())
    assert job["time_limit_s"] == 1.0
    for unlimited in ("UNLIMITED", 0, None):  # no limit: accepted
        backend.check(SlurmConfig(time=unlimited))


def test_a_malformed_time_is_refused_before_anything_is_written(main: Any) -> None:
    with pytest.raises(ConfigError, match="Slurm duration"):
        LocalBackend(main.dora).check(SlurmConfig(time="two hours"))
    assert not (main.dora.dir / "local").exists()


@pytest.mark.parametrize("while_state", ["RUNNING", "PENDING"])
def test_vanished_job_reads_as_failed(main: Any, tmp_path: Path, while_state: str) -> None:
    release = tmp_path / "release"
    backend, _, [blocker] = submit(main, [[f"--wait_file={release}"]])
    record = blocker
    if while_state == "PENDING":
        _, _, [record] = submit(main, [["--seed=5"]])
    jobs = main.dora.dir / "local" / "jobs"

    def pgid() -> Any:
        data = json.loads((jobs / f"{record.job_id}.json").read_text())
        return data.get("pgid") if data["state"] == while_state else None

    os.killpg(wait_for(pgid, what=while_state), signal.SIGKILL)
    status = wait_for(
        lambda: (s := state_of(backend, record)).state == "FAILED" and s, what="FAILED"
    )
    assert status.reason == (
        f"the job's process vanished (reboot, kill or crash) while {while_state}"
    )
    release.touch()


def test_missing_state_file_reads_as_failed(main: Any) -> None:
    backend, _, [record] = submit(main, [["--seed=1"]])
    wait_for(lambda: state_of(backend, record).state == "COMPLETED", what="COMPLETED")
    (main.dora.dir / "local" / "jobs" / f"{record.job_id}.json").unlink()
    status = state_of(backend, record)
    assert status.state == "FAILED" and "missing" in (status.reason or "")


def test_choose_backend(outputs: Path) -> None:
    dora = DoraConfig(dir=outputs)
    assert choose_backend("auto", dora).name == "local"
    assert choose_backend("local", dora).name == "local"
    with pytest.raises(BackendUnavailable, match="--backend local"):
        choose_backend("slurm", dora)


def test_job_ids_never_repeat(main: Any) -> None:
    backend = LocalBackend(main.dora)
    backend.paths.make()
    ids = backend.paths.allocate_ids(2) + backend.paths.allocate_ids(1)
    assert ids == ["local-1", "local-2", "local-3"]
    assert SlurmConfig().gpus == 1


@pytest.mark.parametrize("worker", ["dora_shep.backends.local.worker", "fallback_worker"])
def test_processes_left_behind_by_a_finished_job_are_killed(
    main: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, worker: str
) -> None:
    """With /proc (Linux) and without (the macOS path: the whole group is killed)."""
    from dora_shep.backends.local import backend as backend_module

    monkeypatch.setenv("PYTHONPATH", with_tests_on_path()["PYTHONPATH"])
    monkeypatch.setattr(backend_module, "WORKER", worker)
    release = tmp_path / "release"
    backend, [xp], [record] = submit(main, [["--spawn=true", f"--wait_file={release}"]])
    pid_file = xp.folder / "grandchild.pid"
    wait_for(pid_file.exists, what="the grandchild")
    grandchild = int(pid_file.read_text())
    release.touch()
    wait_for(lambda: state_of(backend, record).state == "COMPLETED", what="COMPLETED")
    wait_for(lambda: not pid_alive(grandchild), 10, "the grandchild to be killed")

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from shep_helpers import wait_for, with_tests_on_path

from dora_shep.backends.base import JobStatus
from dora_shep.conf import SlurmConfig, SubmitRules
from dora_shep.errors import BackendUnavailable, ShepError, SignatureCollisionError
from dora_shep.records import JobRecord, read_job_record
from dora_shep.shepherd import Sheep, Shepherd

TESTS = Path(__file__).resolve().parent


class Logs(list):
    def __call__(self, line: str) -> None:
        self.append(line)


def shepherd(main: Any) -> Shepherd:
    return Shepherd(main, log=Logs(), backend="local")


def settle(shep: Shepherd, sheep: Sheep, timeout: float = 20.0) -> str:
    def finished() -> Any:
        shep.update()
        return sheep.is_done() and sheep.state()

    return wait_for(finished, timeout, f"{sheep} to finish")


def submit(shep: Shepherd, sheep: Sheep, **rules: bool) -> None:
    shep.maybe_submit_lazy(sheep, shep.main.get_slurm_config(), SubmitRules(**rules))
    shep.commit()


def test_commit_submits_and_records_the_job(main: Any) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=1"])
    assert sheep.state() is None and sheep.is_done() and sheep.log is None
    submit(shep, sheep)
    assert sheep.job_id is not None and sheep.job_id.startswith("local-")
    assert shep.log == [f"Scheduled job {sheep.job_id} for sheep {sheep.xp.sig}/seed=1"]
    data = json.loads(sheep.xp._job_file.read_text())
    assert {"job_id", "array_job_ids", "dependent_job_ids", "slurm_config"} <= set(data)
    assert data["slurm_config"] == json.loads(json.dumps(SlurmConfig().__dict__))
    link = main.dora.dir / "by_id" / sheep.job_id
    assert link.is_symlink() and Path(os.readlink(link)) == Path(os.path.realpath(sheep.xp.folder))
    assert os.readlink(sheep.xp.folder / "latest") == "local"
    assert sheep.log == sheep.xp.folder / "local" / f"{sheep.job_id}.log"
    assert settle(shep, sheep) == "COMPLETED"
    found = shep.get_sheep_from_job_id(sheep.job_id)
    assert found is not None and found.xp == sheep.xp
    assert shep.get_sheep_from_job_id("local-999") is None


def test_submitted_xps_are_not_submitted_again(main: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"
    shep = shepherd(main)
    running = shep.get_sheep_from_argv([f"--wait_file={release}"])
    submit(shep, running)
    first = running.job_id
    again = shepherd(main)
    sheep = again.get_sheep_from_argv([f"--wait_file={release}"])
    assert sheep.job_id == first and sheep.state() in ("PENDING", "RUNNING")
    submit(again, sheep, retry=True, replace_done=True)
    assert sheep.job_id == first and again.log == []
    release.touch()
    assert settle(again, sheep) == "COMPLETED"


def test_retry_resubmits_failed_xps_only(main: Any) -> None:
    shep = shepherd(main)
    failed, done = shep.get_sheep_from_argv(["--fail=4"]), shep.get_sheep_from_argv([])
    submit(shep, failed)
    submit(shep, done)
    assert settle(shep, failed) == "FAILED" and failed.reason == "exit code 4"
    assert settle(shep, done) == "COMPLETED"
    old_failed, old_done = failed.job_id, done.job_id
    submit(shep, failed)
    assert failed.job_id == old_failed
    submit(shep, failed, retry=True)
    submit(shep, done, retry=True)
    assert failed.job_id != old_failed and done.job_id == old_done
    assert settle(shep, failed) == "FAILED"


def test_replace_done_resubmits_completed_xps(main: Any) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=2"])
    submit(shep, sheep)
    old = sheep.job_id
    assert settle(shep, sheep) == "COMPLETED"
    submit(shep, sheep, replace_done=True)
    assert sheep.job_id != old
    assert settle(shep, sheep) == "COMPLETED"


def test_replace_cancels_the_running_job_first(main: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv([f"--wait_file={release}"])
    submit(shep, sheep)
    old = read_job_record(sheep.xp)
    assert old is not None
    wait_for(lambda: (shep.update(), sheep.state() == "RUNNING")[1], what="RUNNING")
    submit(shep, sheep, replace=True)
    assert sheep.job_id != old.job_id
    wait_for(lambda: shep.backend.states([old])[old.job_id].state == "CANCELLED", what="cancel")
    release.touch()
    assert settle(shep, sheep) == "COMPLETED"


def test_update_reads_every_state_in_one_call(main: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    shep = shepherd(main)
    sheeps = [shep.get_sheep_from_argv([f"--seed={i}"]) for i in range(3)]
    with shep.job_array(main.get_slurm_config()):
        for sheep in sheeps:
            shep.maybe_submit_lazy(sheep, main.get_slurm_config(), SubmitRules())
    calls: List[int] = []
    real = shep.backend.states

    def counting(records: List[JobRecord]) -> Dict[str, JobStatus]:
        calls.append(len(records))
        return real(records)

    monkeypatch.setattr(shep.backend, "states", counting)
    shep.commit()
    assert sheeps[0].job is not None
    assert sheeps[0].job.array_job_ids == [s.job_id for s in sheeps]
    shep.update()
    assert calls == [3]
    for sheep in sheeps:
        sheep.state()
    assert calls == [3]


def test_job_array_rules(main: Any) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=1"])
    with shep.job_array(SlurmConfig()):
        with pytest.raises(ShepError, match="different"):
            shep.maybe_submit_lazy(sheep, SlurmConfig(gpus=2), SubmitRules())
        with pytest.raises(ShepError, match="nested"):
            with shep.job_array(SlurmConfig()):
                pass


def test_a_failed_cancel_is_logged_and_the_commit_goes_on(main: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"
    shep = shepherd(main)
    running = shep.get_sheep_from_argv([f"--wait_file={release}"])
    submit(shep, running)
    slurm_job = JobRecord("1234", "slurm")
    shep.cancel_lazy(job=slurm_job)
    shep.cancel_lazy(running)
    fresh = shep.get_sheep_from_argv(["--seed=3"])
    submit(shep, fresh)
    assert any("Could not cancel jobs 1234" in line for line in shep.log)
    wait_for(lambda: (shep.update(), running.state() == "CANCELLED")[1], what="CANCELLED")
    assert fresh.job_id is not None
    assert settle(shep, fresh) == "COMPLETED"


def test_a_job_submitted_meanwhile_is_not_submitted_twice(main: Any) -> None:
    mine, theirs = shepherd(main), shepherd(main)
    sheep = mine.get_sheep_from_argv(["--seed=8"])
    mine.maybe_submit_lazy(sheep, main.get_slurm_config(), SubmitRules())
    other = theirs.get_sheep_from_argv(["--seed=8"])
    submit(theirs, other)
    mine.commit()
    assert sheep.job_id == other.job_id
    assert mine.log == [
        f"Skipped sheep {sheep.xp.sig}: job {other.job_id} was submitted "
        "meanwhile by another process."
    ]


CONCURRENT = """
import os, sys, time
from dora_shep.conf import SubmitRules
from dora_shep.shepherd import Shepherd
from shepproj.train import main
main.dora.slots = 1
shep = Shepherd(main, backend="local")
sheep = shep.get_sheep_from_argv(["--seed=42", "--fail=" + sys.argv[3]])
shep.maybe_submit_lazy(sheep, main.get_slurm_config(), SubmitRules(retry=True))
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[1]):
    time.sleep(0.002)
shep.commit()
print(sheep.job_id)
"""


@pytest.mark.parametrize("after_failure", [False, True])
def test_concurrent_commits_submit_one_job(main: Any, tmp_path: Path, after_failure: bool) -> None:
    fail = "0"
    if after_failure:
        fail = "5"
        shep = shepherd(main)
        sheep = shep.get_sheep_from_argv(["--seed=42", "--fail=5"])
        submit(shep, sheep)
        assert settle(shep, sheep) == "FAILED"
    go = tmp_path / "go"
    env = with_tests_on_path()
    procs = []
    for i in range(3):
        ready = tmp_path / f"ready{i}"
        cmd = [sys.executable, "-c", CONCURRENT, str(go), str(ready), fail]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env))
    wait_for(lambda: all((tmp_path / f"ready{i}").exists() for i in range(3)), 30, "ready")
    go.touch()
    ids = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    jobs = [
        p
        for p in (main.dora.dir / "local" / "jobs").glob("local-*.json")
        if not p.name.endswith(".payload.json")
    ]
    assert len(ids) == 1 and len(jobs) == (2 if after_failure else 1)


def test_collision_stops_the_commit_before_anything_happens(main: Any) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=6"])
    main.init_xp(sheep.xp)
    sheep.xp._delta_cache.write_text('[["seed", 7]]')
    shep.maybe_submit_lazy(sheep, main.get_slurm_config(), SubmitRules())
    with pytest.raises(SignatureCollisionError):
        shep.commit()
    assert not (main.dora.dir / "local").exists() and sheep.job is None


def test_records_of_an_unavailable_backend_read_as_unknown(main: Any) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=10"])
    main.init_xp(sheep.xp)
    sheep.xp._job_file.write_text(json.dumps({"job_id": "77", "slurm_config": {}}))
    sheep = shep.get_sheep_from_argv(["--seed=10"])
    assert sheep.state() == "UNKNOWN"
    assert (sheep.reason or "").startswith("its backend (slurm) cannot be read: no Slurm "
                                           "controller answers here")
    assert "Nothing was done" not in (sheep.reason or "")
    assert not sheep.is_done()


def test_slurm_backend_is_refused_clearly(main: Any) -> None:
    with pytest.raises(BackendUnavailable, match="--backend local"):
        Shepherd(main, backend="slurm")
    with pytest.raises(ShepError, match="not the string"):
        shepherd(main).get_sheep_from_argv("--seed=1")  # type: ignore[arg-type]


KILLED_BEFORE_RECORDING = """
import os
from dora_shep import _submit
from dora_shep.conf import SubmitRules
from dora_shep.shepherd import Shepherd
from shepproj.train import main
main.dora.slots = 1
_submit.write_job_record = lambda xp, record: os._exit(9)  # killed right after the start
shep = Shepherd(main, backend="local")
sheep = shep.get_sheep_from_argv(["--seed=43", "--wait_file=" + os.environ["RELEASE"]])
shep.maybe_submit_lazy(sheep, main.get_slurm_config(), SubmitRules())
shep.commit()
"""


def test_a_job_started_but_never_recorded_is_cancelled_by_the_next_commit(
    main: Any, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    env = dict(with_tests_on_path(), RELEASE=str(release))
    crashed = subprocess.run([sys.executable, "-c", KILLED_BEFORE_RECORDING], env=env)
    assert crashed.returncode == 9
    jobs = main.dora.dir / "local" / "jobs"
    [orphan_file] = [p for p in jobs.glob("local-*.json") if ".payload" not in p.name]
    orphan = orphan_file.name[: -len(".json")]
    wait_for(lambda: json.loads(orphan_file.read_text())["state"] == "RUNNING", what="RUNNING")

    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=43", f"--wait_file={release}"])
    assert sheep.job is None  # nothing recorded: the XP looks never submitted
    submit(shep, sheep)
    shep.commit()
    assert sheep.job is not None and sheep.job.job_id != orphan
    wait_for(lambda: json.loads(orphan_file.read_text())["state"] == "CANCELLED",
             what="the orphan CANCELLED")
    release.touch()
    assert settle(shep, sheep) == "COMPLETED"
    assert read_job_record(sheep.xp).job_id == sheep.job.job_id

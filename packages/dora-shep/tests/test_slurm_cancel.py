"""Cancelling Slurm jobs: one scancel call; a failing id does not stop the others."""

from __future__ import annotations

import time
from typing import Any, List

import pytest
from slurm_fakes import FakeSlurm

from dora_shep.backends.slurm import SlurmBackend
from dora_shep.backends.slurm.commands import SlurmCommandError
from dora_shep.conf import SlurmConfig, SubmitRules
from dora_shep.records import JobRecord, write_job_record
from dora_shep.shepherd import Shepherd


def record(job_id: str, dependents: List[str] = ()) -> JobRecord:
    return JobRecord(job_id, "slurm", [job_id], list(dependents), {}, time.time())


def test_many_jobs_are_cancelled_in_one_call(main: Any, fake_slurm: FakeSlurm) -> None:
    for job_id in ("10", "11", "12", "13"):
        fake_slurm.add_job(job_id, "RUNNING")
    SlurmBackend(main.dora).cancel([record("10", ["11"]), record("12"), record("13")])
    assert fake_slurm.calls("scancel") == [["10", "11", "12", "13"]]
    assert all(fake_slurm.state_of(i).startswith("CANCELLED") for i in ("10", "11", "12", "13"))


def test_a_failing_id_does_not_stop_the_others(main: Any, fake_slurm: FakeSlurm) -> None:
    for job_id in ("20", "21", "22"):
        fake_slurm.add_job(job_id, "RUNNING")
    fake_slurm.configure(scancel_fail=["21"])
    with pytest.raises(SlurmCommandError, match=r"could not cancel job\(s\) 21 \(") as info:
        SlurmBackend(main.dora).cancel([record("20"), record("21"), record("22")])
    assert "20" not in str(info.value).split("(")[1]
    assert fake_slurm.state_of("20").startswith("CANCELLED")
    assert fake_slurm.state_of("22").startswith("CANCELLED")
    assert fake_slurm.state_of("21") == "RUNNING"
    assert len(fake_slurm.calls("scancel")) == 1


def test_jobs_that_already_ended_are_not_an_error(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.add_job("30", "COMPLETED")
    fake_slurm.add_job("31", "RUNNING")
    SlurmBackend(main.dora).cancel([record("30"), record("31")])
    assert fake_slurm.state_of("31").startswith("CANCELLED")


def test_one_array_element_is_cancelled_alone(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.add_job("40", "RUNNING", array=3)
    SlurmBackend(main.dora).cancel([JobRecord("40_1", "slurm", ["40_0", "40_1", "40_2"])])
    assert fake_slurm.state_of("40_1").startswith("CANCELLED")
    assert fake_slurm.state_of("40_0") == fake_slurm.state_of("40_2") == "RUNNING"


def test_a_commit_logs_a_failed_cancel_and_still_submits(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.add_job("50", "RUNNING")
    fake_slurm.add_job("51", "RUNNING")
    fake_slurm.configure(scancel_fail=["50"])
    stale = main.get_xp(["--seed=1"])
    main.init_xp(stale)
    write_job_record(stale, record("50"))
    other = main.get_xp(["--seed=2"])
    main.init_xp(other)
    write_job_record(other, record("51"))
    logs: List[str] = []
    shep = Shepherd(main, log=logs.append, backend="slurm")
    shep.cancel_lazy(shep.get_sheep_from_argv(["--seed=1"]))
    shep.cancel_lazy(shep.get_sheep_from_argv(["--seed=2"]))
    new = shep.get_sheep_from_argv(["--seed=3"])
    shep.maybe_submit_lazy(new, SlurmConfig(gpus=0, mem_per_gpu=1, cpus_per_gpu=1),
                           SubmitRules())
    shep.commit()
    assert fake_slurm.state_of("51").startswith("CANCELLED")
    assert any("Could not cancel" in line and "50" in line for line in logs)
    assert new.job_id is not None and len(fake_slurm.calls("sbatch")) == 1

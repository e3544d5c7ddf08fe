"""Reading Slurm job states: one sacct call per refresh, CANCELLED by N, MISSING, failures."""

from __future__ import annotations

import time
from typing import Any, List

from slurm_fakes import FakeSlurm

from dora_shep.backends.base import JobStatus
from dora_shep.backends.slurm.states import parse_sacct, read_states, status_of_row
from dora_shep.conf import SlurmConfig, SubmitRules
from dora_shep.records import JobRecord, write_job_record
from dora_shep.shepherd import Sheep, Shepherd

OLD = time.time() - 3600


def shepherd(main: Any) -> Shepherd:
    return Shepherd(main, log=lambda line: None, backend="slurm")


def recorded(main: Any, argv: List[str], job_id: str, array: List[str] = (),
             dependents: List[str] = (), submitted_at: float = OLD) -> None:
    xp = main.get_xp(argv)
    main.init_xp(xp)
    write_job_record(xp, JobRecord(job_id, "slurm", list(array) or [job_id],
                                   list(dependents), {}, submitted_at))


def test_one_sacct_call_reads_a_hundred_sheep(main: Any, fake_slurm: FakeSlurm) -> None:
    for index in range(100):
        job_id = str(1000 + index)
        fake_slurm.add_job(job_id, "RUNNING" if index % 2 else "COMPLETED")
        recorded(main, [f"--seed={index}"], job_id)
    shep = shepherd(main)
    sheeps = [shep.get_sheep_from_argv([f"--seed={i}"]) for i in range(100)]
    states = [sheep.state() for sheep in sheeps]
    assert states == ["COMPLETED", "RUNNING"] * 50
    assert len(fake_slurm.calls("sacct")) == 1 and fake_slurm.calls("squeue") == []
    (call,) = fake_slurm.calls("sacct")
    assert call[-1] == ",".join(str(1000 + i) for i in range(100))
    shep.update()  # only the unfinished ones are asked again, still in one call
    assert len(fake_slurm.calls("sacct")) == 2
    assert len(fake_slurm.calls("sacct")[-1][-1].split(",")) == 50
    assert all(sheep.is_done() == (i % 2 == 0) for i, sheep in enumerate(sheeps))


def test_cancelled_by_someone_reads_cancelled(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.add_job("200", "CANCELLED by 1234")
    recorded(main, ["--seed=1"], "200")
    sheep = shepherd(main).get_sheep_from_argv(["--seed=1"])
    assert sheep.state() == "CANCELLED" and sheep.is_done()
    assert sheep.reason == "cancelled by 1234"


def test_a_forgotten_array_element_is_missing(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.add_job("300", "COMPLETED", array=3)
    fake_slurm.configure(forget=["300_1"])
    ids = ["300_0", "300_1", "300_2"]
    for index, job_id in enumerate(ids):
        recorded(main, [f"--seed={index}"], job_id, array=ids)
    shep = shepherd(main)
    lost = shep.get_sheep_from_argv(["--seed=1"])
    assert lost.state() == "MISSING" and lost.is_done()
    assert shep.get_sheep_from_argv(["--seed=0"]).state() == "COMPLETED"
    shep.maybe_submit_lazy(lost, SlurmConfig(gpus=0), SubmitRules())
    assert lost.job_id == "300_1"  # MISSING is a failure: only --retry resubmits it
    shep.maybe_submit_lazy(lost, SlurmConfig(gpus=0), SubmitRules(retry=True))
    assert lost.job is None


def test_the_controller_fills_in_what_accounting_does_not_show_yet(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.add_job("310", "RUNNING", array=3)
    fake_slurm.set_state("310_2", "COMPLETED")
    fake_slurm.configure(sacct_lag=["310_1", "310_2"])  # started or ended, not in sacct yet
    ids = ["310_0", "310_1", "310_2"]
    records = [JobRecord(i, "slurm", ids, [], {}, OLD) for i in ids]
    states = read_states(records)
    assert [states[i].state for i in ids] == ["RUNNING", "RUNNING", "COMPLETED"]
    assert fake_slurm.calls("squeue")[-1][-2:] == ["-j", "310"]
    assert "all" in fake_slurm.calls("squeue")[-1]
    fake_slurm.configure(forget=["310_1"])  # the controller does not know it either
    assert read_states(records)["310_1"].state == "MISSING"


def test_without_squeue_a_fresh_element_is_unknown_not_missing(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.add_job("310", "PENDING", array=2)
    fake_slurm.configure(sacct_lag=["310_1"], squeue_fail="squeue: error: timeout")
    fresh = JobRecord("310_1", "slurm", ["310_0", "310_1"], [], {}, time.time())
    assert read_states([fresh])["310_1"] == JobStatus("UNKNOWN", None)
    old = JobRecord("310_1", "slurm", ["310_0", "310_1"], [], {}, OLD)
    assert read_states([old])["310_1"].state == "MISSING"
    single = JobRecord("311", "slurm", ["311"], [], {}, OLD)  # never known: not MISSING
    assert read_states([single])["311"].state == "UNKNOWN"


def test_a_pending_array_range_is_expanded(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.add_job("320", "PENDING", array=4)
    fake_slurm.configure(range_rows=True)
    records = [JobRecord(f"320_{i}", "slurm", [f"320_{j}" for j in range(4)], [], {}, OLD)
               for i in range(4)]
    states = read_states(records)
    assert {status.state for status in states.values()} == {"PENDING"} and len(states) == 4
    assert len(fake_slurm.calls("sacct")) == 1 and fake_slurm.calls("sacct")[0][-1] == "320"


def test_sacct_failing_gives_unknown_with_the_reason(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.add_job("330", "COMPLETED")
    fake_slurm.add_job("331", "RUNNING")
    fake_slurm.configure(forget=["330"])  # ended long ago: squeue forgot it too
    fake_slurm.configure(sacct_fail="sacct: error: Slurm accounting storage is disabled")
    recorded(main, ["--seed=2"], "330")
    recorded(main, ["--seed=3"], "331")
    shep = shepherd(main)
    ended = shep.get_sheep_from_argv(["--seed=2"])
    running = shep.get_sheep_from_argv(["--seed=3"])
    assert ended.state() == "UNKNOWN" and not ended.is_done()
    assert ended.reason is not None and "accounting storage is disabled" in ended.reason
    assert running.state() == "RUNNING"  # the controller still answers for recent jobs


def test_dependents_report_the_running_job_of_the_chain(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    for job_id, state in (("340", "TIMEOUT"), ("341", "RUNNING"), ("342", "PENDING")):
        fake_slurm.add_job(job_id, state)
    recorded(main, ["--seed=3"], "340", dependents=["341", "342"])
    sheep = shepherd(main).get_sheep_from_argv(["--seed=3"])
    assert sheep.state() == "RUNNING" and not sheep.is_done()
    assert len(fake_slurm.calls("sacct")) == 1
    assert fake_slurm.calls("sacct")[0][-1] == "340,341,342"


def test_failure_reasons_come_from_the_exit_code() -> None:
    assert status_of_row({"State": "FAILED", "ExitCode": "2:0"}) == JobStatus(
        "FAILED", "exit code 2")
    assert status_of_row({"State": "FAILED", "ExitCode": "0:9"}).reason == "killed by signal 9"
    assert status_of_row({"State": "TIMEOUT", "ExitCode": "0:0"}).reason == "time limit reached"
    assert status_of_row({"State": "OUT_OF_MEMORY"}).reason == "out of memory"
    assert status_of_row({"State": "CANCELLED+"}).state == "CANCELLED"
    assert status_of_row({"State": "RUNNING"}) == JobStatus("RUNNING", None)


def test_parse_skips_steps_and_expands_ranges() -> None:
    table = "JobID|State|ExitCode\n5|COMPLETED|0:0\n5.batch|COMPLETED|0:0\n6_[0-2%1]|PENDING|0:0\n"
    rows = parse_sacct(table)
    assert set(rows) == {"5", "6_0", "6_1", "6_2"}
    assert parse_sacct("") == {}


def test_sheep_states_are_cached_until_update(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.add_job("350", "PENDING")
    recorded(main, ["--seed=4"], "350")
    shep = shepherd(main)
    sheep: Sheep = shep.get_sheep_from_argv(["--seed=4"])
    assert sheep.state() == "PENDING"
    fake_slurm.set_state("350", "COMPLETED")
    assert sheep.state() == "PENDING"
    shep.update()
    assert sheep.state() == "COMPLETED"
    shep.update()  # finished jobs are not asked again
    assert len(fake_slurm.calls("sacct")) == 2

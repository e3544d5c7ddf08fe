"""Time limits and signals of Slurm jobs, through submitit, against fake Slurm commands:
what the batch script asks, and what the job side counts its run time against."""

from __future__ import annotations

import pickle
import time
from pathlib import Path
from typing import Any

import pytest
from slurm_fakes import FakeSlurm

from dora_shep.conf import SlurmConfig, SubmitRules
from dora_shep.errors import ConfigError, SubmissionError
from dora_shep.shepherd import Sheep, Shepherd

SMALL = {"gpus": 0, "mem_per_gpu": 1, "cpus_per_gpu": 1}


def submit(main: Any, seed: int, **slurm: Any) -> Sheep:
    shep = Shepherd(main, log=lambda line: None, backend="slurm")
    sheep = shep.get_sheep_from_argv([f"--seed={seed}"])
    shep.maybe_submit_lazy(sheep, SlurmConfig(**dict(SMALL, **slurm)), SubmitRules())
    shep.commit()
    return sheep


def time_directives(fake: FakeSlurm, job_id: str) -> list:
    return [line for line in fake.job(job_id)["script"].splitlines()
            if line.startswith("#SBATCH --time")]


def submitted(sheep: Sheep) -> Any:
    """The submission the job side loads (as submitit's `_submit` does)."""
    from submitit.core.utils import DelayedSubmission

    return DelayedSubmission.load(
        sheep.xp.folder / "submitit" / f"{sheep.job_id}_submitted.pkl")


def counts_as_timeout_now(delayed: Any) -> bool:
    """What submitit's USR2 handler decides right at the start of the job."""
    from submitit.core.job_environment import SignalHandler

    return SignalHandler(None, None, delayed).has_timed_out()  # type: ignore[arg-type]


def pickled_globals(path: Path) -> set:
    """`module name` of every class or function the pickle refers to."""
    seen = set()

    class Recording(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            seen.add(f"{module} {name}")
            return super().find_class(module, name)

    with open(path, "rb") as stream:
        Recording(stream).load()
    return seen


def test_no_time_asks_no_time_and_the_job_counts_with_the_partition_default(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.configure(partitions=[
        {"PartitionName": "debug", "DefaultTime": "02:00:00", "MaxTime": "1-00:00:00"},
        "devlab"])
    sheep = submit(main, 1, time=None, max_num_timeout=4)
    assert time_directives(fake_slurm, sheep.job_id) == []  # the partition's default applies
    delayed = submitted(sheep)
    assert (delayed._timeout_min, delayed._timeout_countdown) == (120, 4)
    assert counts_as_timeout_now(delayed) is False  # a signal now is a preemption
    pkl = sheep.xp.folder / "submitit" / f"{sheep.job_id}_submitted.pkl"
    # the job side needs nothing of Dora's executor to read it
    assert pickled_globals(pkl) == {"submitit.core.utils DelayedSubmission",
                                    "dora_shep.runner SubmititTarget"}


def test_without_a_default_time_the_partition_max_time_is_the_limit(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.configure(partitions=[
        {"PartitionName": "debug", "MaxTime": "08:00:00"},
        {"PartitionName": "devlab", "DefaultTime": "00:30:00", "MaxTime": "04:00:00"}])
    assert submitted(submit(main, 2, time=None))._timeout_min == 480
    assert submitted(submit(main, 3, time=None, partition="devlab"))._timeout_min == 30
    sheep = submit(main, 4, time=None, partition="debug,devlab")  # Slurm picks one
    assert fake_slurm.job(sheep.job_id)["params"]["partition"] == "debug,devlab"
    assert submitted(sheep)._timeout_min == 30  # the shortest: never more requeues


def test_an_unlimited_partition_makes_every_signal_a_preemption(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    sheep = submit(main, 5, time=None)  # the fake's partitions: MaxTime=UNLIMITED
    delayed = submitted(sheep)
    assert delayed._timeout_min >= 10**8 and counts_as_timeout_now(delayed) is False
    unlimited = submit(main, 6, time="UNLIMITED")
    assert time_directives(fake_slurm, unlimited.job_id) == ["#SBATCH --time=UNLIMITED"]
    assert submitted(unlimited)._timeout_min >= 10**8


def test_a_slurm_duration_is_sent_and_counted_in_minutes(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    sheep = submit(main, 7, time="1:30:00")
    assert time_directives(fake_slurm, sheep.job_id) == ["#SBATCH --time=90"]
    delayed = submitted(sheep)
    assert delayed._timeout_min == 90
    assert counts_as_timeout_now(delayed) is False  # a number, not a string: no TypeError
    short = submitted(submit(main, 8, time="2:00"))  # 2 minutes
    assert short._timeout_min == 2
    assert counts_as_timeout_now(short) is True  # under 10 minutes, any signal is a timeout


def test_a_malformed_time_is_refused_before_anything_is_written(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    shep = Shepherd(main, log=lambda line: None, backend="slurm")
    sheep = shep.get_sheep_from_argv(["--seed=9"])
    with pytest.raises(ConfigError, match=r"`time` must be.*\"2-00:00:00\".*got '2 days'"):
        shep.maybe_submit_lazy(sheep, SlurmConfig(**SMALL, time="2 days"), SubmitRules())
        shep.commit()
    assert fake_slurm.calls("sbatch") == [] and not sheep.xp.folder.exists()
    assert not (main.dora.dir / "orphans").exists() or not any(
        (main.dora.dir / "orphans").iterdir())


def test_each_partition_of_a_list_is_checked(main: Any, fake_slurm: FakeSlurm) -> None:
    sheep = submit(main, 10, partition="debug,devlab")
    assert fake_slurm.job(sheep.job_id)["params"]["partition"] == "debug,devlab"
    shep = Shepherd(main, log=lambda line: None, backend="slurm")
    other = shep.get_sheep_from_argv(["--seed=11"])
    with pytest.raises(SubmissionError, match=r"no partition named 'learnlab' \(partitions "
                       r"here: debug, devlab\)"):
        shep.maybe_submit_lazy(other, SlurmConfig(**SMALL, partition="debug, learnlab"),
                               SubmitRules())
        shep.commit()
    assert len(fake_slurm.calls("sbatch")) == 1 and not other.xp.folder.exists()


def test_without_srun_python_is_the_batch_shell_and_gets_the_signal(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.configure(execute=True)
    sheep = submit(main, 12, use_srun=False, gpus=2, cpus_per_gpu=3, time=30)
    params = fake_slurm.job(sheep.job_id)["params"]
    assert (params["signal"], params["ntasks-per-node"], params["cpus-per-task"]) == (
        "B:USR2@90", "1", "6")
    command = [line for line in fake_slurm.job(sheep.job_id)["script"].splitlines()
               if "submitit.core._submit" in line]
    assert len(command) == 1 and command[0].startswith("exec ")  # no shell in between
    deadline = time.monotonic() + 60
    while fake_slurm.state_of(sheep.job_id) in ("PENDING", "RUNNING"):
        assert time.monotonic() < deadline, "the job did not end"
        time.sleep(0.1)
    assert fake_slurm.state_of(sheep.job_id) == "COMPLETED"
    log = (sheep.xp.folder / "submitit" / f"{sheep.job_id}_0_log.out").read_text()
    assert "dora: job" in log  # it ran the XP

"""XPs really run through submitit: the fake sbatch runs the batch script at once and the
fake srun runs its command with the Slurm task variables (as a real node would)."""

from __future__ import annotations

import json
from typing import Any, List, Optional

from shep_helpers import wait_for
from slurm_fakes import FakeSlurm

from dora_shep.conf import SlurmConfig, SubmitRules
from dora_shep.shepherd import Sheep, Shepherd

SMALL = SlurmConfig(gpus=0, mem_per_gpu=1, cpus_per_gpu=1, time=5)


def settle(shep: Shepherd, sheeps: List[Sheep]) -> List[Optional[str]]:
    def finished() -> bool:
        shep.update()
        return all(sheep.is_done() for sheep in sheeps)

    wait_for(finished, 60, "the jobs to end")
    return [sheep.state() for sheep in sheeps]


def test_an_xp_runs_in_its_job_and_logs_where_dora_looks(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.configure(execute=True)
    shep = Shepherd(main, backend="slurm")
    sheep = shep.get_sheep_from_argv(["--seed=1"])
    shep.maybe_submit_lazy(sheep, SMALL, SubmitRules())
    shep.commit()
    assert settle(shep, [sheep]) == ["COMPLETED"]
    seen = json.loads((sheep.xp.folder / "started.json").read_text())
    assert seen["rank"] == "0" and seen["cwd"] == str(main.dora.dir.parent)
    assert main.get_xp_history(sheep.xp) == [{"step": 1}]
    assert sheep.log is not None and "job started" in sheep.log.read_text()


def test_an_array_runs_every_xp_and_a_failure_reads_failed(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.configure(execute=True)
    shep = Shepherd(main, backend="slurm")
    sheeps = [shep.get_sheep_from_argv(["--seed=2"]), shep.get_sheep_from_argv(["--fail=3"])]
    with shep.job_array(SMALL):
        for sheep in sheeps:
            shep.maybe_submit_lazy(sheep, SMALL, SubmitRules())
    shep.commit()
    assert settle(shep, sheeps) == ["COMPLETED", "FAILED"]
    assert sheeps[1].reason == "exit code 3"
    for sheep in sheeps:
        assert sheep.log is not None and "job started" in sheep.log.read_text()
        assert sheep.log.parent.parent.name == "arrays"

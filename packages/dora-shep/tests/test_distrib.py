from __future__ import annotations

import pytest

from dora_shep.distrib import DistribSpec, get_distrib_spec
from dora_shep.errors import DistribEnvError


def test_single_process_by_default() -> None:
    assert get_distrib_spec({}) == DistribSpec(0, 1, 0, 0, 1, "empty")


def test_torchrun_variables() -> None:
    env = {"WORLD_SIZE": "8", "RANK": "5", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "4"}
    assert get_distrib_spec(env) == DistribSpec(5, 8, 1, 1, 2, "env")


def test_local_rank_defaults_to_rank() -> None:
    spec = get_distrib_spec({"WORLD_SIZE": "2", "RANK": "1"})
    assert (spec.rank, spec.local_rank, spec.node_rank, spec.num_nodes) == (1, 1, 0, 1)


def test_world_size_without_rank_is_an_error() -> None:
    with pytest.raises(DistribEnvError, match="RANK"):
        get_distrib_spec({"WORLD_SIZE": "2"})
    with pytest.raises(DistribEnvError, match="not an integer"):
        get_distrib_spec({"WORLD_SIZE": "2", "RANK": "x"})


def test_submitit_slurm_task() -> None:
    env = {
        "SUBMITIT_EXECUTOR": "slurm",
        "SLURM_PROCID": "9",
        "SLURM_NTASKS": "16",
        "SLURM_LOCALID": "1",
        "SLURM_NODEID": "1",
        "SLURM_JOB_NUM_NODES": "2",
    }
    assert get_distrib_spec(env) == DistribSpec(9, 16, 1, 1, 2, "submitit")


def test_slurm_variables_without_submitit_are_ignored() -> None:
    assert get_distrib_spec({"SLURM_PROCID": "3"}).source == "empty"


def test_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    assert get_distrib_spec().rank == 2

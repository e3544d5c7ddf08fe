"""From a SlurmConfig to the submitit executor parameters: the derivation table."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from dora_shep.backends.slurm.params import KILL_BAD_EXIT, executor_spec, format_mem
from dora_shep.conf import SlurmConfig, slurm_config_from_dict, update_slurm_config
from dora_shep.errors import ConfigError


def params(**fields: Any) -> Dict[str, Any]:
    return executor_spec(SlurmConfig(**fields), "proj_1234abcd", "/work/cwd").parameters


def test_defaults_give_one_gpu_one_task() -> None:
    got = params()
    assert got == {
        "job_name": "proj_1234abcd",
        "stderr_to_stdout": True,
        "nodes": 1,
        "mem": "40GB",
        "gres": "gpu:1",
        "ntasks_per_node": 1,
        "cpus_per_task": 10,
        "time": 1200,
        "array_parallelism": 256,
        "setup": [KILL_BAD_EXIT],
    }
    assert "partition" not in got  # the cluster's default partition


def test_sixteen_gpus_take_two_full_nodes() -> None:
    got = params(gpus=16)
    assert (got["nodes"], got["ntasks_per_node"], got["gres"], got["mem"]) == (
        2, 8, "gpu:8", "320GB")
    assert got["cpus_per_task"] == 10


def test_an_impossible_gpu_split_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"12 GPUs cannot be split over nodes of 8 GPUs.*"
                       r"8 or 16.*gpus_per_node"):
        params(gpus=12)


def test_gpus_per_node_is_configurable() -> None:
    got = params(gpus=12, gpus_per_node=4)
    assert (got["nodes"], got["ntasks_per_node"], got["gres"], got["mem"]) == (
        3, 4, "gpu:4", "160GB")
    assert params(gpus=4, gpus_per_node=4)["nodes"] == 1


def test_no_gpu_asks_no_gpu_resource_and_one_task() -> None:
    got = params(gpus=0)
    assert "gres" not in got
    assert (got["ntasks_per_node"], got["cpus_per_task"], got["mem"]) == (1, 10, "40GB")


def test_one_task_per_node_gets_the_cpus_of_every_gpu() -> None:
    got = params(gpus=16, one_task_per_node=True)
    assert (got["ntasks_per_node"], got["cpus_per_task"]) == (1, 80)
    assert params(gpus=8, one_task_per_node=True, cpus_per_task=5)["cpus_per_task"] == 5
    assert params(gpus=2, cpus_per_task=3)["cpus_per_task"] == 3


def test_none_fields_emit_nothing() -> None:
    got = params(mem_per_gpu=None, constraint=None, partition=None, exclude=None, qos=None,
                 account=None, comment=None, time=None)
    for name in ("mem", "constraint", "partition", "exclude", "qos", "account", "comment",
                 "time"):
        assert name not in got
    assert "constraint" not in params(constraint="")


def test_set_fields_are_passed() -> None:
    got = params(partition="learnlab", qos="high", account="acc", comment="hi",
                 exclude="node[1-2]", constraint="volta32gb", setup=["module load cuda"],
                 array_parallelism=4)
    assert (got["partition"], got["qos"], got["account"], got["comment"]) == (
        "learnlab", "high", "acc", "hi")
    assert (got["exclude"], got["constraint"], got["array_parallelism"]) == (
        "node[1-2]", "volta32gb", 4)
    assert got["setup"] == [KILL_BAD_EXIT, "module load cuda"]


def test_srun_args_nodelist_extra_options_and_container_chdir() -> None:
    got = params(srun_args=["--export=ALL"], nodelist=["n1", "n2"], container_chdir=True,
                 additional_parameters={"mail_type": "END"}, use_srun=False)
    assert got["srun_args"] == ["--export=ALL", "--container-workdir", "/work/cwd"]
    assert got["nodelist"] == "n1,n2"
    assert got["additional_parameters"] == {"mail_type": "END"}
    assert got["use_srun"] is False
    assert "srun_args" not in params(container_chdir=True, force_chdir=False)
    assert params(force_chdir=True)["srun_args"] == ["--container-workdir", "/work/cwd"]
    assert "use_srun" not in params() and "additional_parameters" not in params()


def test_fractional_values_are_rounded_for_sbatch() -> None:
    assert params(mem_per_gpu=7.5)["mem"] == "7680MB"
    assert params(time=1.5)["time"] == 2
    assert params(time="2-00:00:00")["time"] == "2-00:00:00"  # sbatch's own format
    assert format_mem(60.0) == "60GB"


def test_timeouts_and_interpreter_go_to_the_executor() -> None:
    spec = executor_spec(SlurmConfig(max_num_timeout=3, python="apptainer exec img python"),
                         "n", "/")
    assert (spec.max_num_timeout, spec.python) == (3, "apptainer exec img python")
    assert executor_spec(SlurmConfig(), "n", "/").python is None


@pytest.mark.parametrize(
    "fields",
    [{"gpus": -1}, {"gpus": "2"}, {"gpus": True}, {"gpus_per_node": 0},
     {"additional_parameters": ["x"]}, {"srun_args": "--export=ALL"}, {"mem_per_gpu": -3},
     {"dependents": -1}],
)
def test_invalid_values_are_clear_errors(fields: Dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="Slurm config|GPUs"):
        params(**fields)


def test_unknown_slurm_key_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"bogus.*Valid keys are: gpus, mem_per_gpu.*"
                       r"gpus_per_node, use_srun, additional_parameters, dev_partition"):
        slurm_config_from_dict({"gpus": 2, "bogus": 1})
    slurm = SlurmConfig()
    assert update_slurm_config(slurm, {"srun_args": ["--export=ALL"], "mem_per_gpu": None}) \
        is slurm
    assert slurm.srun_args == ["--export=ALL"] and slurm.mem_per_gpu is None


def test_new_fields_have_the_documented_defaults() -> None:
    slurm = SlurmConfig()
    assert (slurm.gpus_per_node, slurm.use_srun, slurm.additional_parameters,
            slurm.dev_partition, slurm.partition) == (8, True, {}, "devlab", None)
    assert SlurmConfig().additional_parameters is not slurm.additional_parameters

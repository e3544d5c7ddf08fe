"""From a SlurmConfig to the submitit executor parameters: the derivation table."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Dict, List

import pytest

from dora_shep.backends.slurm.params import KILL_BAD_EXIT, executor_spec, format_mem
from dora_shep.conf import (
    SlurmConfig,
    UnknownSlurmKey,
    slurm_config_from_dict,
    slurm_time_minutes,
    update_slurm_config,
)
from dora_shep.errors import ConfigError, ShepError


def params(**fields: Any) -> Dict[str, Any]:
    return executor_spec(SlurmConfig(**fields), "proj_1234abcd", "/work/cwd").parameters


def directives(**fields: Any) -> List[str]:
    """The `#SBATCH` lines of the batch script submitit writes for these fields."""
    from submitit.slurm.slurm import _make_sbatch_string

    text = _make_sbatch_string(command="run", folder=Path("/logs"), **params(**fields))
    return [line for line in text.splitlines() if line.startswith("#SBATCH")]


def directive(lines: List[str], name: str) -> Any:
    found = [line.split("=", 1)[1] for line in lines if line.startswith(f"#SBATCH --{name}=")]
    return found[0] if found else None


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
    names = ("mem_per_gpu", "constraint", "partition", "exclude", "qos", "account",
             "comment", "time")
    nothing: Dict[str, Any] = dict.fromkeys(names)
    got = params(**nothing)
    for name in ("mem", "constraint", "partition", "exclude", "qos", "account", "comment",
                 "time"):
        assert got.get(name) is None
    assert "constraint" not in params(constraint="")
    lines = directives(**nothing)
    for name in ("mem", "constraint", "partition", "exclude", "qos", "account", "comment",
                 "time"):
        assert directive(lines, name) is None, lines
    assert directive(directives(), "time") == "1200"  # the default, for contrast
    # no time asked: the job side counts with the partition's limit (see the backend)
    assert executor_spec(SlurmConfig(time=None), "n", "/").time_limit is None


@pytest.mark.parametrize(
    "time, minutes",
    [("90", 90), ("30:00", 30), ("0:30", 1), ("1:30:00", 90), ("1:00:30", 61),
     ("2-00:00:00", 2880), ("2-12", 3600), ("2-12:30", 3630), (" 45 ", 45), (20, 20),
     (1.5, 2)],
)
def test_slurm_durations_are_sent_as_minutes(time: Any, minutes: int) -> None:
    assert params(time=time)["time"] == minutes
    assert directive(directives(time=time), "time") == str(minutes)
    spec = executor_spec(SlurmConfig(time=time), "n", "/")
    assert spec.time_limit == minutes  # what the job side counts its run time against


def test_an_unlimited_time_is_passed_as_such() -> None:
    assert directive(directives(time="UNLIMITED"), "time") == "UNLIMITED"
    assert executor_spec(SlurmConfig(time="infinite"), "n", "/").time_limit == math.inf
    assert slurm_time_minutes("UNLIMITED") == math.inf and slurm_time_minutes(None) is None


@pytest.mark.parametrize("time", ["2h", "1:2:3:4", "2-", "-5", "", "1.5:00", True, -1, [5]])
def test_a_malformed_time_is_a_clear_error(time: Any) -> None:
    with pytest.raises(ConfigError, match=r"Slurm config `time` must be minutes"):
        params(time=time)


def test_set_fields_are_passed() -> None:
    got = params(partition="learnlab", qos="high", account="acc", comment="hi",
                 exclude="node[1-2]", constraint="volta32gb", setup=["module load cuda"],
                 array_parallelism=4)
    assert (got["partition"], got["qos"], got["account"], got["comment"]) == (
        "learnlab", "high", "acc", "hi")
    assert (got["exclude"], got["constraint"], got["array_parallelism"]) == (
        "node[1-2]", "volta32gb", 4)
    assert got["setup"] == [KILL_BAD_EXIT, "module load cuda"]
    assert params(partition="debug, devlab")["partition"] == "debug,devlab"


def test_without_srun_the_batch_shell_gets_the_signal_and_runs_one_task() -> None:
    with_srun = directives(gpus=4, cpus_per_gpu=2)
    assert directive(with_srun, "signal") == "USR2@90"  # to the job steps (srun)
    assert directive(with_srun, "ntasks-per-node") == "4"
    lines = directives(gpus=4, cpus_per_gpu=2, use_srun=False)
    assert directive(lines, "signal") == "B:USR2@90"  # no step: the batch shell
    assert directive(lines, "ntasks-per-node") == "1"
    assert directive(lines, "cpus-per-task") == "8"  # the CPUs of its 4 GPUs
    assert directive(lines, "gres") == "gpu:4"
    own = directives(use_srun=False, additional_parameters={"signal": "B:USR1@300"})
    assert directive(own, "signal") == "B:USR1@300"  # the user's own choice wins


def test_srun_args_nodelist_extra_options_and_container_chdir() -> None:
    got = params(srun_args=["--export=ALL"], nodelist=["n1", "n2"], container_chdir=True,
                 additional_parameters={"mail_type": "END"}, use_srun=False)
    assert got["srun_args"] == ["--export=ALL", "--container-workdir", "/work/cwd"]
    assert got["nodelist"] == "n1,n2"
    assert got["additional_parameters"] == {"signal": "B:USR2@90", "mail_type": "END"}
    assert got["use_srun"] is False
    assert "srun_args" not in params(container_chdir=True, force_chdir=False)
    assert params(force_chdir=True)["srun_args"] == ["--container-workdir", "/work/cwd"]
    assert "use_srun" not in params() and "additional_parameters" not in params()


def test_fractional_values_are_rounded_for_sbatch() -> None:
    assert params(mem_per_gpu=7.5)["mem"] == "7680MB"
    assert params(time=1.5)["time"] == 2
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


def test_an_unknown_keyword_is_a_clear_error_naming_the_valid_keys() -> None:
    with pytest.raises(UnknownSlurmKey, match=r"Unknown Slurm config key\(s\): gpu\. Valid "
                       r"keys are: gpus, mem_per_gpu, time.*additional_parameters"):
        SlurmConfig(gpu=2)  # type: ignore[call-arg]
    with pytest.raises(ShepError):
        SlurmConfig(gpus=1, bogus=True, other=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="bogus, other"):  # still an unexpected keyword
        SlurmConfig(gpus=1, bogus=True, other=3)  # type: ignore[call-arg]
    with pytest.raises(UnknownSlurmKey, match="bogus"):
        slurm_config_from_dict({"bogus": 1})


def test_slurm_config_is_still_a_plain_dataclass() -> None:
    slurm = SlurmConfig(2, partition="learnlab")
    assert slurm.gpus == 2 and slurm == SlurmConfig(gpus=2, partition="learnlab")
    assert slurm != SlurmConfig(gpus=3, partition="learnlab")
    assert dataclasses.asdict(slurm)["partition"] == "learnlab"
    assert dataclasses.replace(slurm, gpus=4).gpus == 4
    with pytest.raises(UnknownSlurmKey, match="gpu"):
        dataclasses.replace(slurm, gpu=4)
    assert [f.name for f in dataclasses.fields(SlurmConfig)][:3] == ["gpus", "mem_per_gpu", "time"]
    with pytest.raises(TypeError):
        SlurmConfig(*range(40))  # too many positional arguments: the dataclass says so


def test_new_fields_have_the_documented_defaults() -> None:
    slurm = SlurmConfig()
    assert (slurm.gpus_per_node, slurm.use_srun, slurm.additional_parameters,
            slurm.dev_partition, slurm.partition) == (8, True, {}, "devlab", None)
    assert SlurmConfig().additional_parameters is not slurm.additional_parameters

"""From a `SlurmConfig` to the parameters of a submitit `SlurmExecutor` (pure, no submitit).

GPUs go to nodes and tasks as in dora-search: up to `gpus_per_node` GPUs fit on one node,
more must be a multiple of it (one node per `gpus_per_node`). One task per GPU (or one
per node with `one_task_per_node`), `cpus_per_gpu` CPUs per GPU, `mem_per_gpu` GB per GPU
of a node. A job without GPU asks no GPU resource and runs one task. `None` (and the
empty string) for the optional fields emits no sbatch directive.

`time` is minutes or a Slurm duration string, sent to sbatch as whole minutes. Without
srun (`use_srun=False`) the job is one process, the batch shell itself: one task (with
the CPUs of all its GPUs), and the pre-timeout / preemption signal goes to the batch
shell (`--signal=B:USR2@90`), since there is no job step to receive it.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ...conf import UNLIMITED, SlurmConfig, slurm_time_minutes
from ...errors import ConfigError

__all__ = ["SIGNAL_DELAY_S", "ExecutorSpec", "executor_spec", "format_mem"]

#: Exported in every batch script, so that srun ends the job step when a task fails.
KILL_BAD_EXIT = "export SLURM_KILL_BAD_EXIT=1"

#: Optional fields passed verbatim to sbatch when they are neither None nor empty.
_VERBATIM = ("partition", "comment", "constraint", "exclude", "qos", "account")

#: Seconds between the USR2 signal and the end of the job's time (submitit's default).
SIGNAL_DELAY_S = 90


@dataclass(frozen=True)
class ExecutorSpec:
    """How to build the submitit executor of one submission.

    Attributes:
        parameters: keyword arguments of `SlurmExecutor.update_parameters`.
        max_num_timeout: how many times a job that timed out is requeued.
        python: the job's interpreter command, None for the submitting one.
        time_limit: the job's time limit in minutes (`conf.UNLIMITED` for none), which
            the job side compares its run time with to tell a timeout from a
            preemption; None when the config asks none (`time=None`): the partition's
            default applies, which only the cluster knows.
    """

    parameters: Dict[str, Any]
    max_num_timeout: int
    python: Optional[str]
    time_limit: Optional[float] = None


def _int_field(slurm: SlurmConfig, name: str, minimum: int) -> int:
    value = getattr(slurm, name)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(
            f"Slurm config `{name}` must be an integer >= {minimum}, got {value!r}."
        )
    return int(value)


def _number_field(slurm: SlurmConfig, name: str) -> Optional[float]:
    value = getattr(slurm, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ConfigError(
            f"Slurm config `{name}` must be a number >= 0 or None, got {value!r}."
        )
    return float(value)


def format_mem(gigabytes: float) -> str:
    """`320` -> `320GB`, `7.5` -> `7680MB` (sbatch takes integers)."""
    if gigabytes == int(gigabytes):
        return f"{int(gigabytes)}GB"
    return f"{int(round(gigabytes * 1024))}MB"


def _split_gpus(gpus: int, per_node: int) -> Tuple[int, int]:
    """(nodes, GPUs per node) for `gpus` GPUs on nodes of `per_node` GPUs."""
    if gpus <= per_node:
        return 1, gpus
    if gpus % per_node:
        lower = gpus // per_node * per_node
        raise ConfigError(
            f"{gpus} GPUs cannot be split over nodes of {per_node} GPUs: ask for at most "
            f"{per_node}, or a multiple of {per_node} (e.g. {lower} or {lower + per_node}). "
            "If your nodes have another number of GPUs, set `gpus_per_node`."
        )
    return gpus // per_node, per_node


def _list_of_str(slurm: SlurmConfig, name: str) -> List[str]:
    value = getattr(slurm, name)
    if value is None:
        return []
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"Slurm config `{name}` must be a list of strings, got {value!r}.")
    return list(value)


def executor_spec(slurm: SlurmConfig, job_name: str, cwd: str) -> ExecutorSpec:
    """The executor settings for `slurm`; `cwd` is the job's folder for `container_chdir`.

    Raises:
        ConfigError: a field has a value Slurm cannot take, or the GPUs cannot be split
            over nodes.
    """
    gpus = _int_field(slurm, "gpus", 0)
    per_node_max = _int_field(slurm, "gpus_per_node", 1)
    nodes, gpus_per_node = _split_gpus(gpus, per_node_max)
    unit = max(gpus_per_node, 1)  # a job without GPU counts as one GPU's worth
    params: Dict[str, Any] = {"job_name": job_name, "stderr_to_stdout": True, "nodes": nodes}

    mem_per_gpu = _number_field(slurm, "mem_per_gpu")
    if mem_per_gpu:
        params["mem"] = format_mem(mem_per_gpu * unit)
    if gpus:
        params["gres"] = f"gpu:{gpus_per_node}"

    cpus_per_task = slurm.cpus_per_task
    if cpus_per_task is not None:
        cpus_per_task = _int_field(slurm, "cpus_per_task", 1)
    cpus_per_gpu = slurm.cpus_per_gpu
    if cpus_per_gpu is not None:
        cpus_per_gpu = _int_field(slurm, "cpus_per_gpu", 1)
    if slurm.one_task_per_node or not slurm.use_srun:
        params["ntasks_per_node"] = 1
        if cpus_per_task is None and cpus_per_gpu is not None:
            cpus_per_task = unit * cpus_per_gpu
    else:
        params["ntasks_per_node"] = unit
        if cpus_per_task is None:
            cpus_per_task = cpus_per_gpu
    if cpus_per_task is not None:
        params["cpus_per_task"] = cpus_per_task

    time_limit = slurm_time_minutes(slurm.time)
    if time_limit is None:
        params["time"] = None  # no --time (left out, submitit would write its 5 minutes)
    elif time_limit == UNLIMITED:
        params["time"] = "UNLIMITED"
    else:
        params["time"] = max(1, int(math.ceil(time_limit)))
        time_limit = float(params["time"])
    for name in _VERBATIM:
        value = getattr(slurm, name)
        if value is not None and value != "":
            params[name] = str(value)
    if "partition" in params:  # a comma list, as sbatch takes it: "debug,devlab"
        params["partition"] = ",".join(
            part.strip() for part in params["partition"].split(",") if part.strip())
    params["array_parallelism"] = _int_field(slurm, "array_parallelism", 1)
    params["setup"] = [KILL_BAD_EXIT, *_list_of_str(slurm, "setup")]

    srun_args = _list_of_str(slurm, "srun_args")
    chdir = slurm.container_chdir if slurm.force_chdir is None else slurm.force_chdir
    if chdir:
        srun_args += ["--container-workdir", cwd]
    if srun_args:
        params["srun_args"] = srun_args
    signal: Dict[str, Any] = {}
    if not slurm.use_srun:
        params["use_srun"] = False
        # No job step gets the default `--signal=USR2@90`: signal the batch shell, which
        # the executor makes the job's Python process itself (`exec`).
        signal["signal"] = f"B:USR2@{SIGNAL_DELAY_S}"

    nodelist = slurm.nodelist
    if nodelist:
        params["nodelist"] = nodelist if isinstance(nodelist, str) else ",".join(nodelist)
    extra = slurm.additional_parameters
    if extra is None:
        extra = {}
    if not isinstance(extra, dict):
        raise ConfigError(
            f"Slurm config `additional_parameters` must be a dict of sbatch options, got "
            f"{extra!r}."
        )
    extra = {**signal, **extra}  # the user's own `signal` wins
    if extra:
        params["additional_parameters"] = extra
    _int_field(slurm, "dependents", 0)
    return ExecutorSpec(
        parameters=params,
        max_num_timeout=_int_field(slurm, "max_num_timeout", 0),
        python=slurm.python or None,
        time_limit=time_limit,
    )

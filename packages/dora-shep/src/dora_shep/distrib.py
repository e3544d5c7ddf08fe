"""Read the distributed environment (rank, world size, ...) with the standard library only.

The job side and the metric Link need the rank without importing torch: only rank 0
writes the history.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional

from .errors import DistribEnvError

__all__ = ["DistribSpec", "get_distrib_spec"]


@dataclass(frozen=True)
class DistribSpec:
    """Where this process sits in a distributed job.

    `source` tells where it was read from: `env` (torchrun-style variables),
    `submitit` (a Slurm task started by submitit) or `empty` (a single process).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    node_rank: int = 0
    num_nodes: int = 1
    source: str = "empty"


def _int(env: Mapping[str, str], name: str, default: Optional[int] = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        if default is None:
            raise DistribEnvError(
                f"{name} is not set although WORLD_SIZE is: set both (torchrun does) or neither."
            )
        return default
    try:
        return int(raw)
    except ValueError:
        raise DistribEnvError(f"{name}={raw!r} is not an integer.") from None


def _from_torch_env(env: Mapping[str, str]) -> DistribSpec:
    world_size = _int(env, "WORLD_SIZE")
    rank = _int(env, "RANK")
    local_rank = _int(env, "LOCAL_RANK", rank)
    node_rank, num_nodes = 0, 1
    if env.get("LOCAL_WORLD_SIZE"):
        local_world_size = max(1, _int(env, "LOCAL_WORLD_SIZE"))
        node_rank = rank // local_world_size
        num_nodes = max(1, world_size // local_world_size)
    return DistribSpec(rank, world_size, local_rank, node_rank, num_nodes, "env")


def _from_submitit_env(env: Mapping[str, str]) -> Optional[DistribSpec]:
    if env.get("SUBMITIT_EXECUTOR") != "slurm" or "SLURM_PROCID" not in env:
        return None
    rank = _int(env, "SLURM_PROCID")
    return DistribSpec(
        rank=rank,
        world_size=_int(env, "SLURM_NTASKS", 1),
        local_rank=_int(env, "SLURM_LOCALID", rank),
        node_rank=_int(env, "SLURM_NODEID", 0),
        num_nodes=_int(env, "SLURM_JOB_NUM_NODES", 1),
        source="submitit",
    )


def get_distrib_spec(env: Optional[Mapping[str, str]] = None) -> DistribSpec:
    """The distributed spec of this process, from `env` (default: `os.environ`).

    `WORLD_SIZE` set: `RANK` is required, `LOCAL_RANK` defaults to the rank, and
    `LOCAL_WORLD_SIZE` (when set) gives the node rank and number of nodes. Else, inside
    a submitit Slurm job, the `SLURM_*` task variables. Else rank 0 of 1.

    Raises:
        DistribEnvError: when the variables are inconsistent or not integers.
    """
    if env is None:
        env = os.environ
    if env.get("WORLD_SIZE"):
        return _from_torch_env(env)
    spec = _from_submitit_env(env)
    if spec is not None:
        return spec
    return DistribSpec()

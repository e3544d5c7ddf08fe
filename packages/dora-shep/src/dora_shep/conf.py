"""Configuration dataclasses: where XPs live (DoraConfig), what a job asks (SlurmConfig).

Field names and defaults follow dora-search 0.1.13 so Hydra `dora:` / `slurm:` sections and
`argparse_main(...)` keyword arguments written for it keep working. New fields:
`DoraConfig.backend` and `DoraConfig.slots` (local backend), and `SlurmConfig.gpus_per_node`,
`use_srun`, `additional_parameters` and `dev_partition` (Slurm backend).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

from .errors import ConfigError
from .paths import to_absolute_path

__all__ = [
    "BACKENDS",
    "DoraConfig",
    "ShepConfig",
    "SlurmConfig",
    "SubmitRules",
    "UnknownSlurmKey",
    "slurm_config_from_dict",
    "slurm_time_minutes",
    "update_from_args",
    "update_from_mapping",
    "update_slurm_config",
]

BACKENDS = ("auto", "local", "slurm")


@dataclass
class ShepConfig:
    """File and folder names used by the Shepherd inside `DoraConfig.dir`."""

    job_file: str = "job.pkl"
    json_job_file: str = "job.json"
    by_id: str = "by_id"
    orphans: str = "orphans"
    submitit_folder: str = "submitit"
    latest_submitit: str = "latest"
    arrays: str = "arrays"


def _check_backend(value: Any) -> str:
    if value not in BACKENDS:
        raise ConfigError(
            f"Unknown backend {value!r}: choose one of {', '.join(BACKENDS)} "
            "(auto uses Slurm when a controller answers, else the local machine)."
        )
    return str(value)


def _check_slots(value: Any) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"Invalid slots {value!r}: the number of local slots is an integer >= 1, "
            "or None to use one slot per visible GPU."
        )
    return value


@dataclass
class DoraConfig:
    """Where and how Dora keeps XPs.

    `dir` and `shared` are always absolute paths: relative values (at construction or
    when assigned later) are taken against the folder Dora was started from
    (`_DORA_ORIGINAL_DIR` inside a code clone, else the current folder). Symlinks are
    kept as given.
    """

    dir: Path = Path("./outputs")
    exclude: List[str] = field(default_factory=list)
    git_save: bool = False
    shared: Optional[Path] = None
    grid_package: Optional[str] = None
    history: str = "history.json"
    xps: str = "xps"
    shep: ShepConfig = field(default_factory=ShepConfig)
    rendezvous_file: str = "rendezvous.txt"
    use_rendezvous: bool = False
    post_git_save_commands: List[str] = field(default_factory=list)
    local_code: bool = False
    backend: str = "auto"
    slots: Optional[int] = None

    _grids = "grids"
    _codes = "codes"

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("dir", "shared") and value is not None:
            value = Path(to_absolute_path(Path(value)))
        elif name == "backend":
            value = _check_backend(value)
        elif name == "slots":
            value = _check_slots(value)
        super().__setattr__(name, value)

    def is_excluded(self, name: str) -> bool:
        """Whether the delta entry `name` is left out of signatures."""
        from dora_sig import is_excluded

        return is_excluded(name, self.exclude)


@dataclass
class SlurmConfig:
    """What one job asks for. `time` is in minutes; `gpus` is the total over nodes.

    `time` also takes a Slurm duration string ("90", "30:00", "1:30:00", "2-00:00:00",
    "UNLIMITED"; see `slurm_time_minutes`). An unknown keyword is an `UnknownSlurmKey`
    error naming the valid ones.

    The local backend reads `gpus` (slots taken) and `time` (limit), and `python`
    (interpreter of the job) when set; Slurm reads all of them. `None` for `mem_per_gpu`,
    `partition`, `comment`, `constraint`, `exclude`, `qos`, `account` or `time` means "emit
    no directive" (the cluster's default applies); `partition=None` is the cluster's
    default partition.

    Fields beyond dora-search 0.1.13:
        gpus_per_node: GPUs of one node; more GPUs than this span several nodes
            (a multiple of it is required).
        use_srun: start the job's tasks through `srun` (one per GPU); False runs the
            task directly in the batch script.
        additional_parameters: extra sbatch options, named as in submitit
            (e.g. `{"mail_type": "END"}`).
        dev_partition: the partition `--dev` picks.
    """

    gpus: int = 1
    mem_per_gpu: Optional[float] = 40
    time: Optional[Union[float, str]] = 1200
    cpus_per_gpu: int = 10
    cpus_per_task: Optional[int] = None
    partition: Optional[str] = None
    comment: Optional[str] = None
    setup: List[str] = field(default_factory=list)
    max_num_timeout: int = 20
    constraint: Optional[str] = ""
    one_task_per_node: bool = False
    array_parallelism: int = 256
    exclude: Optional[str] = None
    qos: Optional[str] = None
    account: Optional[str] = None
    dependents: int = 0
    container_chdir: bool = False
    force_chdir: Optional[bool] = None
    srun_args: List[str] = field(default_factory=list)
    python: Optional[str] = None
    nodelist: Optional[List[str]] = None
    gpus_per_node: int = 8
    use_srun: bool = True
    additional_parameters: Dict[str, Any] = field(default_factory=dict)
    dev_partition: str = "devlab"


class UnknownSlurmKey(ConfigError, TypeError):
    """A SlurmConfig key that is not one of its fields (also a TypeError, as for any
    unexpected keyword argument)."""


def _slurm_keys() -> List[str]:
    return [item.name for item in dataclasses.fields(SlurmConfig)]


def _check_slurm_keys(keys: Any) -> None:
    valid = _slurm_keys()
    unknown = sorted(str(key) for key in keys if key not in valid)
    if unknown:
        raise UnknownSlurmKey(
            f"Unknown Slurm config key(s): {', '.join(unknown)}. Valid keys are: "
            f"{', '.join(valid)}. Extra sbatch options go in `additional_parameters`."
        )


def _refuse_unknown_keywords(init: Any) -> Any:
    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        _check_slurm_keys(kwargs)
        init(self, *args, **kwargs)

    return __init__


SlurmConfig.__init__ = _refuse_unknown_keywords(SlurmConfig.__init__)  # type: ignore

#: `slurm_time_minutes` of "UNLIMITED" / "INFINITE": no time limit.
UNLIMITED = math.inf

_TIME_FORMATS = (
    # (pattern, the names of its groups), as sbatch reads `--time`
    (re.compile(r"(\d+)"), ("minutes",)),
    (re.compile(r"(\d+):(\d+)"), ("minutes", "seconds")),
    (re.compile(r"(\d+):(\d+):(\d+)"), ("hours", "minutes", "seconds")),
    (re.compile(r"(\d+)-(\d+)"), ("days", "hours")),
    (re.compile(r"(\d+)-(\d+):(\d+)"), ("days", "hours", "minutes")),
    (re.compile(r"(\d+)-(\d+):(\d+):(\d+)"), ("days", "hours", "minutes", "seconds")),
)
_TO_MINUTES = {"days": 24 * 60, "hours": 60, "minutes": 1, "seconds": 1 / 60}


def slurm_time_minutes(value: Any) -> Optional[float]:
    """A `SlurmConfig.time` in minutes: None stays None (no limit asked), a number is
    minutes, a string is read as sbatch reads `--time` ("90" and "30:00" are minutes
    (and seconds), "1:30:00" hours:minutes:seconds, "2-12", "2-12:30" and "2-00:00:00"
    start with days; "UNLIMITED" or "INFINITE" is `UNLIMITED`).

    Raises:
        ConfigError: for a negative number, or a string that is not a Slurm duration.
    """
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if value < 0 or math.isnan(value):
            raise ConfigError(
                f"Slurm config `time` must be minutes >= 0, got {value!r}."
            )
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.upper() in ("UNLIMITED", "INFINITE"):
            return UNLIMITED
        for pattern, names in _TIME_FORMATS:
            match = pattern.fullmatch(text)
            if match:
                return float(sum(int(part) * _TO_MINUTES[name]
                                 for part, name in zip(match.groups(), names)))
    raise ConfigError(
        f"Slurm config `time` must be minutes (a number) or a Slurm duration such as "
        f"\"90\", \"1:30:00\" or \"2-00:00:00\" (days-hours:minutes:seconds), got "
        f"{value!r}."
    )


def update_slurm_config(config: SlurmConfig, values: Mapping[str, Any]) -> SlurmConfig:
    """Set the fields named in `values` (a Hydra `slurm:` section, keyword arguments).

    Returns:
        `config`, updated in place.

    Raises:
        UnknownSlurmKey: naming the valid keys, when a key is not a SlurmConfig field.
    """
    _check_slurm_keys(values)
    for key, value in values.items():
        setattr(config, str(key), value)
    return config


def slurm_config_from_dict(values: Mapping[str, Any]) -> SlurmConfig:
    """A SlurmConfig with the defaults, updated with `values` (see `update_slurm_config`).

    Raises:
        UnknownSlurmKey: naming the valid keys, when a key is not a SlurmConfig field.
    """
    return update_slurm_config(SlurmConfig(), values)


@dataclass
class SubmitRules:
    """What to do with XPs that already have a job (see `Shepherd.maybe_submit_lazy`).

    `retry`: resubmit failed, cancelled, timed out or lost jobs. `replace`: cancel
    pending or running jobs and submit again. `replace_done`: resubmit completed jobs.
    `update` is kept for compatibility and not used.
    """

    retry: bool = False
    update: bool = False
    replace: bool = False
    replace_done: bool = False


def update_from_args(config: Any, namespace: Any) -> None:
    """Copy into the dataclass `config` every same-named, non-None attribute of `namespace`."""
    for item in dataclasses.fields(config):
        value = getattr(namespace, item.name, None)
        if value is not None:
            setattr(config, item.name, value)


def update_from_mapping(config: Any, mapping: Any, section: str) -> None:
    """Set the fields of the dataclass `config` from `mapping` (e.g. a Hydra `dora:` node).

    A nested dataclass field (`DoraConfig.shep`) is updated from a nested mapping.

    Args:
        config: the dataclass instance to update (DoraConfig, SlurmConfig, ...).
        mapping: plain keys and values, already resolved.
        section: the name of the section in the user's config, for error messages.

    Raises:
        ConfigError: for a key that is not a field of `config` (the message names the valid
            keys), or a value the field refuses.
    """
    if mapping is None:
        return
    if not isinstance(mapping, dict):
        raise ConfigError(
            f"The {section} section of the config must be a mapping of keys to values, "
            f"not {type(mapping).__name__} ({mapping!r})."
        )
    fields = {item.name: item for item in dataclasses.fields(config)}
    for key, value in mapping.items():
        if key not in fields:
            raise ConfigError(
                f"Unknown key {section}.{key} in the config: valid keys of the {section} "
                f"section are {', '.join(sorted(fields))}."
            )
        current = getattr(config, key)
        if dataclasses.is_dataclass(current) and isinstance(value, dict):
            update_from_mapping(current, value, f"{section}.{key}")
        else:
            setattr(config, key, value)

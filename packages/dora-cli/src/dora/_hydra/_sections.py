"""The `dora:` and `slurm:` sections of a Hydra config, read into DoraConfig / SlurmConfig.

Values are resolved first (`${oc.env:USER}` and other interpolations work); a relative
`dora.dir` is made absolute against the folder Dora was started from (see
`DoraConfig`), not against a working folder Hydra may change to later.
"""

from __future__ import annotations

from typing import Any, List

from dora_shep.conf import DoraConfig, SlurmConfig, update_from_mapping, update_slurm_config
from dora_shep.errors import ConfigError

from ._errors import ResolutionError

__all__ = ["AUTO_EXCLUDE", "read_dora", "read_slurm"]

# Never part of a signature: where XPs live and what a job asks for.
AUTO_EXCLUDE: List[str] = ["dora.*", "slurm.*"]


def _section(cfg: Any, name: str) -> Any:
    """The plain, resolved content of the top-level node `name` of `cfg` (None if absent)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if cfg is None or name not in cfg:
        return None
    try:
        node = cfg[name]
        if not OmegaConf.is_config(node):
            return node
        return OmegaConf.to_container(node, resolve=True)
    except OmegaConfBaseException as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ResolutionError(
            f"Could not read the {name}: section of the config: {detail}."
        ) from None


def read_dora(cfg: Any) -> DoraConfig:
    """The DoraConfig given by the `dora:` section of `cfg`, with `dora.*` and `slurm.*`
    added to its exclude patterns.

    Raises:
        ConfigError: for a key that is not a DoraConfig field (naming the valid ones), or a
            value that cannot be resolved or is refused.
    """
    dora = DoraConfig()
    update_from_mapping(dora, _section(cfg, "dora"), "dora")
    dora.exclude = list(dora.exclude) + [
        pattern for pattern in AUTO_EXCLUDE if pattern not in dora.exclude
    ]
    return dora


def read_slurm(cfg: Any) -> SlurmConfig:
    """A fresh SlurmConfig from the `slurm:` section of `cfg` (defaults for missing keys).

    Raises:
        ConfigError: for a key that is not a SlurmConfig field (naming the valid ones).
    """
    values = _section(cfg, "slurm")
    if values is None:
        return SlurmConfig()
    if not isinstance(values, dict):
        raise ConfigError(
            f"The slurm: section of the config must be a mapping of keys to values, not "
            f"{type(values).__name__} ({values!r})."
        )
    return update_slurm_config(SlurmConfig(), values)

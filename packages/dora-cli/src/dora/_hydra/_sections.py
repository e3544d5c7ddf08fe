"""The `dora:` and `slurm:` sections of a Hydra config, read into DoraConfig / SlurmConfig.

Values are resolved first (`${oc.env:USER}` and other interpolations work); a relative
`dora.dir` is made absolute against the folder Dora was started from (see
`DoraConfig`), not against a working folder Hydra may change to later.

`backend` and `slots` are DoraConfig fields, also accepted under `slurm:` (where users
of the job settings look for them): there they set the DoraConfig fields, and the
`dora:` section wins when both set one.
"""

from __future__ import annotations

from typing import Any, List

from dora_shep.conf import (
    DoraConfig,
    SlurmConfig,
    UnknownSlurmKey,
    update_from_mapping,
    update_slurm_config,
)
from dora_shep.errors import ConfigError

from ._errors import ResolutionError

__all__ = ["AUTO_EXCLUDE", "read_dora", "read_slurm"]

# Never part of a signature: where XPs live and what a job asks for.
AUTO_EXCLUDE: List[str] = ["dora.*", "slurm.*"]

# DoraConfig fields also accepted in the `slurm:` section.
DORA_KEYS_IN_SLURM = ("backend", "slots")


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
    """The DoraConfig given by the `dora:` section of `cfg` (and `slurm.backend`,
    `slurm.slots`), with `dora.*` and `slurm.*` added to its exclude patterns.

    Raises:
        ConfigError: for a key that is not a DoraConfig field (naming the valid ones), or a
            value that cannot be resolved or is refused.
    """
    dora = DoraConfig()
    slurm = _section(cfg, "slurm")
    if isinstance(slurm, dict):
        in_slurm = {key: slurm[key] for key in DORA_KEYS_IN_SLURM if key in slurm}
        update_from_mapping(dora, in_slurm, "slurm")
    update_from_mapping(dora, _section(cfg, "dora"), "dora")
    dora.exclude = list(dora.exclude) + [
        pattern for pattern in AUTO_EXCLUDE if pattern not in dora.exclude
    ]
    return dora


def read_slurm(cfg: Any) -> SlurmConfig:
    """A fresh SlurmConfig from the `slurm:` section of `cfg` (defaults for missing keys;
    `backend` and `slots` are DoraConfig fields, read by `read_dora`).

    Raises:
        ConfigError: for a key that is neither a SlurmConfig field nor `backend` or
            `slots` (naming the valid ones).
    """
    values = _section(cfg, "slurm")
    if values is None:
        return SlurmConfig()
    if not isinstance(values, dict):
        raise ConfigError(
            f"The slurm: section of the config must be a mapping of keys to values, not "
            f"{type(values).__name__} ({values!r})."
        )
    values = {key: value for key, value in values.items() if key not in DORA_KEYS_IN_SLURM}
    try:
        return update_slurm_config(SlurmConfig(), values)
    except UnknownSlurmKey as exc:
        raise UnknownSlurmKey(
            f"{exc} The slurm: section of a Hydra config also takes "
            f"{' and '.join(DORA_KEYS_IN_SLURM)} (Dora settings, as in the dora: section)."
        ) from None

"""`Herd`: the XPs a grid asks for, in order, deduplicated by signature, with their slots."""

from __future__ import annotations

import copy
import dataclasses
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence

from .errors import InvalidXPArguments, NestedJobArray, SlurmChangedInJobArray

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.conf import SlurmConfig
    from dora_shep.shepherd import Sheep, Shepherd

__all__ = ["Herd"]


def _slurm_diff(expected: Any, got: Any) -> str:
    """Describe the fields where two SlurmConfigs differ, e.g. `gpus=8 (array: 4)`."""
    parts = []
    for field in dataclasses.fields(expected):
        mine, theirs = getattr(got, field.name), getattr(expected, field.name)
        if mine != theirs:
            parts.append(f"{field.name}={mine!r} (array: {theirs!r})")
    return ", ".join(parts) or "a different config"


class Herd:
    """Ordered sig -> sheep, the Slurm config of each sig, and the job-array slots.

    Outside a job array every XP gets a slot of its own; inside one, all XPs share the
    array's slot. A sig seen a second time is ignored: the first occurrence (and its
    Slurm config) wins.
    """

    def __init__(self) -> None:
        self.sheeps: Dict[str, Sheep] = {}
        self.slurm_configs: Dict[str, SlurmConfig] = {}
        self.job_arrays: List[List[str]] = []
        self._array_slurm: Optional[SlurmConfig] = None

    def __len__(self) -> int:
        return len(self.sheeps)

    def __iter__(self) -> Iterator[Sheep]:
        return iter(self.sheeps.values())

    @property
    def in_job_array(self) -> bool:
        """Whether a job array is open."""
        return self._array_slurm is not None

    @contextmanager
    def job_array(self, slurm: SlurmConfig) -> Iterator[None]:
        """Group every XP added inside the block into one job array using `slurm`.

        Raises:
            NestedJobArray: when a job array is already open.
        """
        if self._array_slurm is not None:
            raise NestedJobArray(
                "Job arrays cannot be nested: `launcher.job_array()` was opened inside "
                "another `with launcher.job_array():` block. Close the first one before "
                "opening the next."
            )
        self._array_slurm = copy.deepcopy(slurm)
        self.job_arrays.append([])
        try:
            yield
        finally:
            self._array_slurm = None

    def add(self, shepherd: Shepherd, argv: Sequence[str], slurm: SlurmConfig) -> Sheep:
        """Evaluate `argv` into a sheep and add it, unless its sig is already in the herd.

        Raises:
            SlurmChangedInJobArray: inside a job array, when `slurm` is not the array's.
            InvalidXPArguments: when the project's parser rejects `argv`.
        """
        if self._array_slurm is not None:
            if slurm != self._array_slurm:
                raise SlurmChangedInJobArray(
                    "All XPs of a job array share one Slurm config, but this XP asks for "
                    f"{_slurm_diff(self._array_slurm, slurm)}. Call `slurm_()` before "
                    "`with launcher.job_array():`, or use one array per Slurm config."
                )
        else:
            self.job_arrays.append([])
        sheep = _evaluate(shepherd, argv)
        sig = sheep.xp.sig
        if sig in self.sheeps:
            return self.sheeps[sig]
        self.sheeps[sig] = sheep
        self.slurm_configs[sig] = copy.deepcopy(slurm)
        self.job_arrays[-1].append(sig)
        return sheep


def _evaluate(shepherd: Shepherd, argv: Sequence[str]) -> Sheep:
    """Build the sheep of `argv`; a parser exiting (argparse) becomes a grid error."""
    try:
        return shepherd.get_sheep_from_argv(list(argv))
    except SystemExit as exc:
        raise InvalidXPArguments(
            f"The project's parser rejected the arguments {list(argv)} "
            f"(exit status {exc.code}); its message is printed above."
        ) from None

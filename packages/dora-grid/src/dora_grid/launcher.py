"""`Launcher`: what a grid's explore function calls to ask for XPs."""

from __future__ import annotations

import copy
import dataclasses
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, List, Optional, Sequence

from .errors import InvalidSlurmKey

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.conf import SlurmConfig
    from dora_shep.main import MainProtocol
    from dora_shep.shepherd import Shepherd

    from .herd import Herd

__all__ = ["Launcher"]


class Launcher:
    """Accumulate arguments and a Slurm config, and add XPs to a herd when called.

    `bind_` / `slurm_` change this launcher and return it; `bind` / `slurm` return a
    changed copy and leave this one as it is. Arguments may be strings, lists of
    strings, dicts, keyword arguments or any mix; they are turned into argv by the
    main's `value_to_argv`, in call order, so later values win.

    Args:
        shepherd: the Shepherd that builds the sheep.
        main: the decorated main of the project.
        herd: the Herd collecting the XPs.
        slurm: the starting Slurm config (copied).
        argv: arguments already bound.
    """

    def __init__(
        self,
        shepherd: Shepherd,
        main: MainProtocol,
        herd: Herd,
        slurm: SlurmConfig,
        argv: Optional[Sequence[str]] = None,
    ) -> None:
        self._shepherd = shepherd
        self._main = main
        self._herd = herd
        self._slurm = copy.deepcopy(slurm)
        self._argv: List[str] = list(argv or [])

    @property
    def argv(self) -> List[str]:
        """A copy of the arguments bound so far."""
        return list(self._argv)

    @property
    def slurm_config(self) -> SlurmConfig:
        """A copy of this launcher's Slurm config."""
        return copy.deepcopy(self._slurm)

    def _copy(self) -> Launcher:
        return Launcher(self._shepherd, self._main, self._herd, self._slurm, self._argv)

    def bind_(self, *args: Any, **kwargs: Any) -> Launcher:
        """Bind arguments to this launcher, in place; returns the launcher."""
        for arg in args:
            self._argv.extend(self._main.value_to_argv(arg))
        if kwargs:
            self._argv.extend(self._main.value_to_argv(kwargs))
        return self

    def bind(self, *args: Any, **kwargs: Any) -> Launcher:
        """Return a copy of this launcher with more arguments bound (none: a plain copy)."""
        return self._copy().bind_(*args, **kwargs)

    def slurm_(self, **kwargs: Any) -> Launcher:
        """Change Slurm config fields of this launcher, in place; returns the launcher.

        Raises:
            InvalidSlurmKey: for a key that is not a SlurmConfig field.
        """
        valid = [field.name for field in dataclasses.fields(self._slurm)]
        for key, value in kwargs.items():
            if key not in valid:
                raise InvalidSlurmKey(
                    f"Invalid Slurm config key {key!r}. Valid keys: {', '.join(valid)}."
                )
            setattr(self._slurm, key, value)
        return self

    def slurm(self, **kwargs: Any) -> Launcher:
        """Return a copy of this launcher with Slurm config fields changed."""
        return self._copy().slurm_(**kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        """Ask for one XP: the bound arguments plus these ones."""
        launcher = self.bind(*args, **kwargs)
        self._herd.add(self._shepherd, launcher._argv, launcher._slurm)

    @contextmanager
    def job_array(self) -> Iterator[None]:
        """Group the XPs asked for inside the block into one job array.

        Every XP of the array must use this launcher's Slurm config as it is when the
        block opens, and arrays do not nest; both mistakes raise a JobArrayError.
        """
        with self._herd.job_array(self._slurm):
            yield

    def __repr__(self) -> str:
        return f"Launcher(argv={self._argv!r})"

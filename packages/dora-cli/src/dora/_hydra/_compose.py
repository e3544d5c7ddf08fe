"""Composing configs with Hydra, and translating Hydra's errors into Dora's.

`Composer` owns the config folder of one decorated main. It composes on first use only
(never at import), caches one composition per combination of group overrides, and keeps
Hydra's global state as it found it, so it can be used inside a running Hydra job.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterator, Optional, Sequence, Tuple

from ._errors import ConfigNotFound, HydraError, InvalidOverride, ResolutionError

__all__ = ["Composer", "config_dir_of", "translate"]

_SEARCH_PATH = re.compile(r"\n\s*Config search path:.*", re.S)


def _clean(message: str) -> str:
    """Hydra's message without the config search path dump and trailing blank lines."""
    return _SEARCH_PATH.sub("", message).strip()


def translate(exc: BaseException, argv: Sequence[str]) -> HydraError:
    """A Dora error for an exception Hydra or OmegaConf raised while composing `argv`."""
    from hydra.errors import MissingConfigException, OverrideParseException
    from omegaconf.errors import InterpolationResolutionError

    message = _clean(str(exc)) or type(exc).__name__
    where = f" (arguments: {' '.join(argv)})" if argv else ""
    if isinstance(exc, OverrideParseException):
        return InvalidOverride(f"Hydra could not parse an override{where}: {message}")
    if isinstance(exc, MissingConfigException):
        return InvalidOverride(f"Hydra could not find a config{where}: {message}")
    if isinstance(exc, InterpolationResolutionError):
        return ResolutionError(f"Hydra could not resolve the config{where}: {message}")
    cause = exc.__cause__
    if cause is not None and message.startswith("Error merging override"):
        message = f"{message}: {_clean(str(cause)).splitlines()[0]}"
    return InvalidOverride(f"Hydra could not compose the config{where}: {message}")


class Composer:
    """Compose the configs of one config folder with Hydra's compose API.

    Args:
        config_dir: absolute path of the config folder.
        config_name: name of the primary config (without `.yaml`).
        job_name: Hydra's job name (the leaf name of the training module).
        hydra_kwargs: extra arguments of `initialize_config_dir` (e.g. `version_base`).
    """

    def __init__(
        self,
        config_dir: Path,
        config_name: Optional[str],
        job_name: str,
        hydra_kwargs: Dict[str, Any],
    ) -> None:
        self.config_dir = config_dir
        self.config_name = config_name
        self.job_name = job_name
        self.hydra_kwargs = dict(hydra_kwargs)
        self._groups: Optional[FrozenSet[str]] = None
        self._group_dirs: FrozenSet[str] = frozenset()
        self._cache: Dict[Tuple[str, ...], Any] = {}

    def _check_dir(self) -> None:
        if not self.config_dir.is_dir():
            raise ConfigNotFound(
                f"The Hydra config folder {self.config_dir} does not exist. config_path is "
                "taken relative to the file of the training module; fix config_path in "
                "@hydra_main(...) or create the folder."
            )
        if self.config_name is not None:
            name = self.config_name
            if not name.endswith((".yaml", ".yml")):
                name += ".yaml"
            if not (self.config_dir / name).is_file():
                found = sorted(path.stem for path in self.config_dir.glob("*.yaml"))
                listing = ", ".join(found) if found else "none"
                raise ConfigNotFound(
                    f"The primary config {name} is not in {self.config_dir} (configs there: "
                    f"{listing}). Fix config_name in @hydra_main(...)."
                )

    @contextmanager
    def initialized(self) -> Iterator[Any]:
        """Hydra initialized on the config folder; yields the `Hydra` object.

        When Hydra is already initialized (inside a running Hydra job), its state is put
        aside for the duration and restored afterwards.
        """
        self._check_dir()
        from hydra import initialize_config_dir
        from hydra.core.global_hydra import GlobalHydra

        global_hydra = GlobalHydra.instance()
        saved = global_hydra.hydra if global_hydra.is_initialized() else None
        saved_base = _get_version_base()
        if saved is not None:
            global_hydra.clear()
        try:
            with initialize_config_dir(
                config_dir=str(self.config_dir), job_name=self.job_name, **self.hydra_kwargs
            ):
                yield GlobalHydra.instance().hydra
        finally:
            if saved is not None:
                current = GlobalHydra.instance()
                current.clear()
                current.initialize(saved)
                _set_version_base(saved_base)

    def _list_groups(self, hydra: Any) -> None:
        self._groups = frozenset(hydra.list_all_config_groups())
        loader, dirs, todo = hydra.config_loader, set(), [""]
        while todo:
            parent = todo.pop()
            for name in loader.list_groups(parent):
                full = f"{parent}/{name}" if parent else name
                dirs.add(full)
                todo.append(full)
        self._group_dirs = frozenset(dirs)

    def groups(self) -> FrozenSet[str]:
        """Every config group with configs (recursive, `a/b` for nested ones, Hydra's own
        included): the names dora-search takes as group overrides."""
        if self._groups is None:
            with self.initialized() as hydra:
                self._list_groups(hydra)
        assert self._groups is not None
        return self._groups

    def group_dirs(self) -> FrozenSet[str]:
        """Every name Hydra takes as a config group, folders without configs included."""
        self.groups()
        return self._group_dirs

    def compose(self, overrides: Sequence[str]) -> Any:
        """A fresh composition of the primary config with `overrides` (no `hydra` node).

        Raises:
            HydraError: Hydra refused the overrides (unknown key or group option, bad
                grammar, ...), with Hydra's message and hint.
        """
        from hydra import compose
        from hydra.errors import HydraException
        from omegaconf.errors import OmegaConfBaseException

        with self.initialized() as hydra:
            if self._groups is None:
                self._list_groups(hydra)
            try:
                return compose(config_name=self.config_name, overrides=list(overrides))
            except (HydraException, OmegaConfBaseException) as exc:
                raise translate(exc, overrides) from None

    def cached(self, overrides: Tuple[str, ...]) -> Any:
        """The composition of `overrides`, composed once and kept (never modify it)."""
        entry = self._cache.get(overrides)
        if entry is None:
            entry = self.compose(overrides)
            self._cache[overrides] = entry
        return entry


def _get_version_base() -> Any:
    try:
        from hydra.version import VersionBase
    except ImportError:  # Hydra 1.1
        return None
    return VersionBase.instance().version_base


def _set_version_base(value: Any) -> None:
    if value is None:
        return
    from hydra.version import VersionBase

    VersionBase.instance().version_base = value


def config_dir_of(config_path: Optional[str], module_file: Optional[str]) -> Path:
    """The absolute config folder: `config_path` relative to the module's folder."""
    path = Path(config_path) if config_path is not None else Path(".")
    if path.is_absolute():
        return path
    base = Path(os.path.abspath(module_file)).parent if module_file else Path(os.getcwd())
    return Path(os.path.normpath(base / path))


"""Composing configs with Hydra, and translating Hydra's errors into Dora's.

`Composer` owns the config folder of one decorated main. It composes on first use only
(never at import), caches one composition per combination of group overrides, and keeps
Hydra's global state as it found it, so it can be used inside a running Hydra job.

The shortcut (`_Shortcut`, Hydra 1.3, used unless `plain=True`): `compose` spends most of
its time building the `hydra` node (about ten packaged configs, merged into a structured
schema) that it then deletes, and reading the same files again for every composition.
The shortcut asks Hydra for the same composition without the `hydra` node
(`create_defaults_list(prepend_hydra=False)`, then Hydra's own merge and the value
overrides, as `compose` does), and reads each config file once per Composer, handing
Hydra a deep copy of it each time (Hydra modifies what it loads). It is only taken when
nothing of the config touches Hydra's own node: no `hydra.*` or `hydra/...` override, no
`hydra/...` config in the defaults list, no `hydra` key in the result, no
`hydra.searchpath`; any other case, and any exception, is a plain `compose` (which also
gives every error message). The `hydra` node cannot change the other keys: it is merged
first, under its own key, and deleted by `compose`.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple

from ._errors import (
    ConfigNotFound,
    HydraError,
    InvalidConfigFile,
    InvalidOverride,
    ResolutionError,
)

__all__ = ["Composer", "config_dir_of", "translate"]

_SEARCH_PATH = re.compile(r"\n\s*Config search path:.*", re.S)


def _clean(message: str) -> str:
    """Hydra's message without the config search path dump and trailing blank lines."""
    return _SEARCH_PATH.sub("", message).strip()


def _yaml_error() -> Any:
    """PyYAML's base exception (Hydra reads config files with it)."""
    from yaml import YAMLError  # type: ignore[import-untyped]

    return YAMLError


def _yaml_message(exc: BaseException) -> str:
    """One line for a YAML syntax error: the file, the line and column, the problem."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    name = str(getattr(mark, "name", "") or "")
    where = name if name and not name.startswith("<") else "of the config folder"
    if mark is not None:
        where += f" (line {mark.line + 1}, column {mark.column + 1})"
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark is not mark:
        problem += f", {context} started at line {context_mark.line + 1}"
    elif context:
        problem += f", {context}"
    return f"The Hydra config file {where} is not valid YAML: {problem}. Fix the file."


def translate(exc: BaseException, argv: Sequence[str]) -> HydraError:
    """A Dora error for an exception Hydra or OmegaConf raised while composing `argv`."""
    from hydra.errors import MissingConfigException, OverrideParseException
    from omegaconf.errors import InterpolationResolutionError

    yaml_error = _yaml_error()
    cause: Optional[BaseException] = exc
    while cause is not None and not isinstance(cause, yaml_error):
        cause = cause.__cause__ or cause.__context__
    if cause is not None:
        return InvalidConfigFile(_yaml_message(cause))
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
        self._cache: Dict[Tuple[str, ...], Any] = {}  # compositions (shortcut when possible)
        self._plain_cache: Dict[Tuple[str, ...], Any] = {}  # plain `compose` only
        self._shortcut = _Shortcut() if _Shortcut.supported() else None

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
        if self._shortcut is not None:
            self._groups, self._group_dirs = _walk_groups(hydra.config_loader.repository)
            return
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

    def compose(self, overrides: Sequence[str], plain: bool = False) -> Any:
        """A fresh composition of the primary config with `overrides` (no `hydra` node).

        Args:
            plain: always Hydra's `compose` (the reference's way), never the shortcut.

        Raises:
            HydraError: Hydra refused the overrides (unknown key or group option, bad
                grammar, ...), with Hydra's message and hint, or a config file is not
                valid YAML.
        """
        from hydra import compose
        from hydra.errors import HydraException
        from omegaconf.errors import OmegaConfBaseException

        with self.initialized() as hydra:
            if self._groups is None:
                self._list_groups(hydra)
            shortcut = self._shortcut if not plain else None
            failed = False
            if shortcut is not None and shortcut.active:
                try:
                    cfg = shortcut.compose(hydra, self.config_name, list(overrides))
                except Exception:  # compose below gives the exact error (or result)
                    cfg, failed = None, True
                if cfg is not None:
                    shortcut.taken += 1
                    return cfg
            try:
                cfg = compose(config_name=self.config_name, overrides=list(overrides))
            except (HydraException, OmegaConfBaseException, _yaml_error()) as exc:
                raise translate(exc, overrides) from None
            if failed and shortcut is not None:
                # Hydra composes what the shortcut could not: the config needs Hydra's
                # node (`override hydra/...` in a defaults list, ...).
                shortcut.active = False
            return cfg

    def cached(self, overrides: Tuple[str, ...], plain: bool = False) -> Any:
        """The composition of `overrides`, composed once and kept (never modify it)."""
        cache = self._plain_cache if plain else self._cache
        entry = cache.get(overrides)
        if entry is None:
            entry = self.compose(overrides, plain=plain)
            cache[overrides] = entry
        return entry


def _walk_groups(repository: Any) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """(groups with configs, every group folder) of a config repository, recursively.

    The groups are what `Hydra.list_all_config_groups` lists (it asks the same repository,
    through a copy made for each question).
    """
    from hydra.core.object_type import ObjectType

    groups, dirs, todo = set(), set(), [""]
    while todo:
        parent = todo.pop()
        for name in repository.get_group_options(parent, ObjectType.GROUP):
            full = f"{parent}/{name}" if parent else name
            dirs.add(full)
            todo.append(full)
            if repository.get_group_options(full, ObjectType.CONFIG):
                groups.add(full)
    return frozenset(groups), frozenset(dirs)


class _Shortcut:
    """Hydra's composition without the `hydra` node, each config file read once (see the
    module doc). One per Composer: it keeps the files read, as Hydra loaded them."""

    def __init__(self) -> None:
        self.loaded: Dict[str, Any] = {}  # config path -> Hydra's ConfigResult, only copied
        self.active = True  # False once the config was seen to touch Hydra's own node
        self.taken = 0  # compositions made here

    @staticmethod
    def supported() -> bool:
        """Whether this Hydra is one the shortcut was checked against (1.3)."""
        try:
            import hydra
            from hydra._internal.config_loader_impl import ConfigLoaderImpl
            from hydra._internal.config_repository import CachingConfigRepository  # noqa: F401
            from hydra._internal.defaults_list import create_defaults_list  # noqa: F401
        except ImportError:  # pragma: no cover - another Hydra layout
            return False
        version = getattr(hydra, "__version__", "")
        needed = ("_process_config_searchpath", "_compose_config_from_defaults_list",
                  "_apply_overrides_to_config")
        return version.split(".")[:2] == ["1", "3"] and all(
            hasattr(ConfigLoaderImpl, name) for name in needed)

    def _repository(self, delegate: Any) -> Any:
        return _shared_repository_class()(delegate, self.loaded)

    def compose(self, hydra: Any, config_name: Optional[str], overrides: List[str]) -> Any:
        """The composition of `overrides` without `hydra` node, or None when the shortcut
        does not apply (the caller then composes the plain way).

        When the config itself touches Hydra's node (a `hydra` key or config, a search
        path), the shortcut turns itself off (`active`): every later composition of this
        config would decline too (`Composer.compose` also turns it off when it raised
        and Hydra's `compose` did not). An override of `hydra` keys leaves it on.
        """
        from hydra._internal.defaults_list import create_defaults_list
        from hydra.core.override_parser.overrides_parser import OverridesParser
        from omegaconf import OmegaConf

        loader = hydra.config_loader
        parsed = OverridesParser.create().parse_overrides(overrides=overrides)
        for override in parsed:
            key = override.key_or_group
            if override.is_sweep_override() or key.split("/")[0].split(".")[0] == "hydra":
                return None
        repository = self._repository(loader.repository)
        loader._process_config_searchpath(config_name, parsed, repository)
        if repository.own_sources:  # hydra.searchpath in the primary config
            self.active = False
            return None
        defaults = create_defaults_list(
            repo=repository,
            config_name=config_name,
            overrides_list=parsed,
            prepend_hydra=False,
            skip_missing=False,
        )
        for default in defaults.defaults:
            if (default.config_path or "").split("/")[0] == "hydra":
                self.active = False
                return None
        cfg = loader._compose_config_from_defaults_list(
            defaults=defaults.defaults, repo=repository
        )
        if "hydra" in cfg:
            self.active = False
            return None
        OmegaConf.set_struct(cfg, True)
        loader._apply_overrides_to_config(defaults.config_overrides, cfg)
        return cfg


@functools.cache
def _shared_repository_class() -> Any:
    """The class of `SharedRepository` (defined on first use: Hydra is imported late)."""
    from hydra._internal.config_repository import CachingConfigRepository

    class SharedRepository(CachingConfigRepository):
        """Hydra's caching repository of one composition, whose configs come from a
        store shared by the compositions of a Composer: read once, copied for each.

        Hydra's own copies its delegate in case the search path changes; this one copies
        it only then, and stops using the store (`own_sources`).
        """

        def __init__(self, delegate: Any, loaded: Dict[str, Any]) -> None:
            self.delegate = delegate
            self.cache: Dict[str, Any] = {}
            self.loaded = loaded
            self.own_sources = False

        def initialize_sources(self, config_search_path: Any) -> None:
            self.delegate = copy.deepcopy(self.delegate)
            self.own_sources = True
            self.delegate.initialize_sources(config_search_path)

        def load_config(self, config_path: str) -> Any:
            if self.own_sources:
                return super().load_config(config_path)
            try:
                return self.cache[config_path]
            except KeyError:
                pass
            if config_path not in self.loaded:
                self.loaded[config_path] = self.delegate.load_config(config_path=config_path)
            result = self.cache[config_path] = copy.deepcopy(self.loaded[config_path])
            return result

    return SharedRepository


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


"""`HydraMain` and the `hydra_main` decorator: a training `main(cfg)` configured by Hydra.

The signature of an XP is dora-search's: group overrides by their raw value, then the
sorted recursive diff of the composed config against the config composed with the group
overrides only, minus the excluded keys (`dora.*` and `slurm.*` always). Nothing is
composed when the training module is imported: the first use does it (and the fast path
of `_fast` keeps grids of thousands of XPs quick).
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from dora_shep.conf import DoraConfig, SlurmConfig
from dora_shep.main import MainBase
from dora_shep.xp import XP

from ._compose import Composer, config_dir_of
from ._delta import config_delta, resolution_message
from ._errors import MissingValue, ResolutionError
from ._fast import FastPath
from ._overrides import group_entries, is_multirun, quote_value, simplify, value_to_argv
from ._sections import AUTO_EXCLUDE, read_dora, read_slurm

__all__ = ["HydraMain", "HydraXP", "SLOW_ENV", "hydra_main"]

SLOW_ENV = "DORA_HYDRA_SLOW"

Pair = Tuple[str, Any]

_PENDING: Any = object()
_UNSET: Any = object()


class HydraXP(XP):
    """An XP whose config is composed on first access: a grid builds thousands of XPs and
    looks at none of their configs."""

    _cfg: Any

    def __init__(
        self,
        dora: DoraConfig,
        cfg: Any,
        argv: Sequence[str],
        sig: Optional[str] = None,
        delta: Optional[Sequence[Sequence[Any]]] = None,
        compose: Optional[Callable[[], Any]] = None,
    ) -> None:
        self._compose = compose
        super().__init__(dora, cfg, argv, sig=sig, delta=delta)

    @property
    def cfg(self) -> Any:
        """The composed config of the XP (inside `main`, the one Hydra gave it)."""
        if self._cfg is _PENDING:
            assert self._compose is not None
            self._cfg = self._compose()
            self._compose = None
        return self._cfg

    @cfg.setter
    def cfg(self, value: Any) -> None:
        self._cfg = value


def _wrap_diff_error(exc: BaseException) -> Exception:
    """A Dora error for an OmegaConf error raised while diffing two configs."""
    from omegaconf.errors import MissingMandatoryValue

    key = getattr(exc, "full_key", None) or "?"
    if isinstance(exc, MissingMandatoryValue):
        return MissingValue(
            f"Mandatory config value {key} left unset (???). Set it on the command line or "
            f"in the grid (e.g. {key}=VALUE)."
        )
    return ResolutionError(resolution_message(key, exc))


class HydraMain(MainBase):
    """A decorated main whose XPs are described by Hydra overrides.

    Args:
        main: the user function, called with the composed config.
        config_name: the primary config, without `.yaml`.
        config_path: the config folder, relative to the file of the training module.
        resolvers: OmegaConf resolvers to register (name -> function) before anything is
            composed.
        hydra_kwargs: passed to Hydra (`initialize_config_dir` and `hydra.main`), e.g.
            `version_base`.
    """

    def __init__(
        self,
        main: Callable,
        config_name: Optional[str] = None,
        config_path: Optional[str] = None,
        *,
        resolvers: Optional[Dict[str, Callable]] = None,
        **hydra_kwargs: Any,
    ) -> None:
        self._dora: Optional[DoraConfig] = None
        self._base: Optional[Any] = None
        super().__init__(main, dora=None, slurm=None)  # type: ignore[arg-type]
        self.config_name = config_name
        self.config_path = config_path
        self.hydra_kwargs = dict(hydra_kwargs)
        self._job_name = self._module.rsplit(".", 1)[-1]
        if self._job_name == "__main__" and self._file:
            self._job_name = Path(self._file).stem
        self.full_config_path = config_dir_of(config_path, self._file)
        self._composer = Composer(
            self.full_config_path, config_name, self._job_name, self.hydra_kwargs
        )
        self._fast: Optional[FastPath] = None
        self._force_slow = False
        if resolvers:
            _register(resolvers)

    # -- configuration read from the config -------------------------------------------

    @property
    def dora(self) -> DoraConfig:
        """The DoraConfig from the `dora:` section (read on first use; assignable)."""
        if self._dora is None:
            self._dora = read_dora(self._composer.cached(()))
        return self._dora

    @dora.setter
    def dora(self, value: Optional[DoraConfig]) -> None:
        self._dora = value

    @property
    def _base_cfg(self) -> Any:
        """The default composed config (a copy owned by the user: `.slurm` may be changed,
        and the default Slurm config is read from it)."""
        if self._base is None:
            self._base = copy.deepcopy(self._composer.cached(()))
        return self._base

    @_base_cfg.setter
    def _base_cfg(self, value: Any) -> None:
        self._base = value

    def get_slurm_config(self) -> SlurmConfig:
        """A fresh SlurmConfig from the `slurm:` section of `main._base_cfg`."""
        return read_slurm(self._base_cfg)

    # -- signatures ------------------------------------------------------------------

    def _use_slow_path(self) -> bool:
        return self._force_slow or os.environ.get(SLOW_ENV, "") not in ("", "0")

    def _fast_path(self) -> FastPath:
        if self._fast is None:
            groups = self._composer.groups()
            self._fast = FastPath(self._composer.cached, groups, self._composer.group_dirs())
        return self._fast

    def _slow_delta(self, argv: List[str], group_args: List[str]) -> Tuple[List[Pair], Any]:
        """The reference's algorithm: compose the XP, diff it against the groups' base."""
        from omegaconf import OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        from dora_sig import DeltaError, mapping_delta

        # Hydra's own `compose` for both (no shortcut): the tests hold the fast path to this.
        cfg = self._composer.compose(argv, plain=True)
        base = self._composer.cached(tuple(group_args), plain=True)
        try:
            if OmegaConf.missing_keys(base) or OmegaConf.missing_keys(cfg):
                return config_delta(base, cfg), cfg
            return mapping_delta(base, cfg), cfg
        except DeltaError:
            raise
        except OmegaConfBaseException as exc:
            raise _wrap_diff_error(exc) from None

    def get_xp(self, argv: Sequence[str]) -> XP:
        """The XP of the Hydra overrides `argv` (repeated keys: the last one counts).

        Raises:
            HydraError: an argument that is not an override, or that Hydra refuses (the
                message says why, with Hydra's hint), a `???` left unset, an interpolation
                that cannot be resolved.
        """
        if isinstance(argv, str):
            raise TypeError(f"argv must be a list of strings, not the string {argv!r}.")
        from dora_sig import is_excluded

        argv = simplify(argv)
        groups = self._composer.groups()
        result = None if self._use_slow_path() else self._fast_path().delta(argv)
        cfg: Any = _PENDING
        compose: Optional[Callable[[], Any]] = None
        if result is None:
            group_args = [arg for arg in argv if arg.split("=", 1)[0] in groups]
            pairs, cfg = self._slow_delta(argv, group_args)
        else:
            pairs, compose = result
        dora = self.dora
        delta = [*group_entries(argv, groups), *pairs]
        if not all(pattern in dora.exclude for pattern in AUTO_EXCLUDE):  # main.dora replaced
            delta = [(name, value) for name, value in delta if not is_excluded(name, AUTO_EXCLUDE)]
        return HydraXP(dora=dora, cfg=cfg, argv=argv, delta=delta, compose=compose)

    def get_xp_from_argv(self, argv: Sequence[str]) -> XP:
        """Same as `get_xp` (the name the dora-search README uses)."""
        return self.get_xp(argv)

    def value_to_argv(self, arg: Any) -> List[str]:
        """Turn a launcher value into Hydra overrides, as dora-search does.

        Raises:
            ValueError: for a value Hydra's override grammar cannot express.
        """
        if isinstance(arg, str):
            return [arg]
        return value_to_argv(arg, self._composer.groups())

    # -- running ---------------------------------------------------------------------

    def _run_hydra(self, argv: List[str], xp: Optional[XP]) -> Any:
        """Run the user function through `hydra.main`, with `argv` as its command line."""
        import hydra

        main = self.main
        result: Dict[str, Any] = {}

        def task(cfg: Any) -> None:
            if xp is not None:
                xp.cfg = cfg
            result["value"] = main(cfg)

        # An absolute config_path and a function of `__main__`: Hydra takes the folder as
        # given, so the user's function (and its __module__) is left as it is.
        task.__module__ = "__main__"
        task.__name__ = task.__qualname__ = getattr(main, "__name__", "main")
        task.__doc__ = getattr(main, "__doc__", None)
        decorated = hydra.main(
            config_path=str(self.full_config_path),
            config_name=self.config_name,
            **self.hydra_kwargs,
        )(task)
        hydra_argv = list(argv)
        if not any(arg.lstrip("+").startswith("hydra.job.name=") for arg in argv):
            # The job's name (its log file, `${hydra:job.name}`) is the module's, as when
            # Hydra runs the script itself.
            hydra_argv.append(f"hydra.job.name={quote_value(self._job_name)}")
        saved = sys.argv
        sys.argv = [saved[0] if saved else self._job_name, *hydra_argv]
        try:
            decorated()
        finally:
            sys.argv = saved
        return result.get("value")

    def __call__(self, argv: Optional[Sequence[str]] = None) -> Any:
        """Run the XP of `argv` (default `sys.argv[1:]`) with Hydra, in its XP folder.

        With `-m` / `--multirun`, Hydra runs as it would without Dora (no XP).
        """
        if argv is None:
            argv = sys.argv[1:]
        argv = list(argv)
        if is_multirun(argv):
            return self._run_hydra(argv, None)
        from dora_shep.distrib import get_distrib_spec

        xp = self.get_xp(argv)
        self.init_xp(xp)
        extra = [f"hydra.run.dir={quote_value(str(xp.folder))}"]
        if get_distrib_spec().rank > 0:
            extra.append("hydra.output_subdir=null")
        with xp.enter():
            return self._run_hydra([*xp.argv, *extra], xp)


def _register(resolvers: Dict[str, Callable]) -> None:
    from omegaconf import OmegaConf

    for name, function in resolvers.items():
        if not isinstance(name, str) or not callable(function):
            raise TypeError(
                "resolvers must map resolver names (str) to functions, got "
                f"{name!r}: {function!r}."
            )
        OmegaConf.register_new_resolver(name, function, replace=True)


def hydra_main(
    config_name: Optional[str] = None,
    config_path: Optional[str] = None,
    *,
    version_base: Any = _UNSET,
    resolvers: Optional[Dict[str, Callable]] = None,
    **hydra_kwargs: Any,
) -> Callable[[Callable], HydraMain]:
    """Decorate the `main(cfg)` of a training script configured with Hydra.

    Args:
        config_name: the primary config, without `.yaml` (e.g. "config").
        config_path: the config folder, relative to the training module's file.
        version_base: Hydra's `version_base` (left to Hydra's default when not given).
        resolvers: OmegaConf resolvers (name -> function) registered now, before anything
            is composed.
        hydra_kwargs: anything else Hydra's `hydra.main` accepts.

    The `dora:` section of the config sets the DoraConfig (`main.dora`) and the `slurm:`
    section the default SlurmConfig; neither enters signatures.
    """
    if version_base is not _UNSET:
        hydra_kwargs["version_base"] = version_base

    def decorator(main: Callable) -> HydraMain:
        return HydraMain(
            main,
            config_name=config_name,
            config_path=config_path,
            resolvers=resolvers,
            **hydra_kwargs,
        )

    return decorator


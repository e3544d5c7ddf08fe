"""The decorated main, as the lower packages see it: `MainProtocol` and `MainBase`.

Lower packages never import dora-cli: they get the main as an object following
`MainProtocol`. `MainBase` is the reusable half of every decorated main (names, import
path, sig lookup, history); a back-end (argparse, Hydra) adds `get_xp` and
`value_to_argv`.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import sys
from pathlib import Path
from typing import (
    Any,
    Callable,
    List,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    Union,
    runtime_checkable,
)

from .conf import DoraConfig, SlurmConfig
from .errors import SignatureMismatch, UnknownSignature
from .xp import XP, init_xp_folder

__all__ = ["MainBase", "MainProtocol", "load_main"]


@runtime_checkable
class MainProtocol(Protocol):
    """What dora-shep and dora-grid need from a decorated main."""

    name: str
    package: str
    main_module: str
    dora: DoraConfig

    @property
    def import_path(self) -> Tuple[str, str]: ...

    @property
    def import_root(self) -> Optional[str]: ...

    def get_slurm_config(self) -> SlurmConfig: ...

    def get_xp(self, argv: Sequence[str]) -> XP: ...

    def get_xp_from_sig(self, sig: Union[str, Path]) -> XP: ...

    def get_argv_from_sig(self, sig: str) -> List[str]: ...

    def value_to_argv(self, arg: Any) -> List[str]: ...

    def get_names(self, xps: Sequence[XP]) -> Tuple[List[str], str]: ...

    def get_name(self, xp: XP) -> str: ...

    def init_xp(self, xp: XP) -> None: ...

    def get_xp_history(self, xp: XP) -> list: ...

    def __call__(self, argv: Optional[Sequence[str]] = None) -> Any: ...


def load_main(module: str, attribute: str) -> Any:
    """Import `module` (or reuse it when loaded, even as `__main__`) and return `attribute`."""
    loaded = sys.modules.get(module)
    if loaded is None:
        running = sys.modules.get("__main__")
        spec = getattr(running, "__spec__", None)
        running_file = getattr(running, "__file__", None)
        if spec is not None and spec.name == module:
            loaded = running
        elif spec is None and running_file and Path(running_file).stem == module:
            loaded = running
        else:
            loaded = importlib.import_module(module)
    return getattr(loaded, attribute)


def _module_of(main: Callable) -> Tuple[str, Optional[str]]:
    """(importable module name, module file) of the function `main`."""
    module = getattr(main, "__module__", None) or "__main__"
    loaded = sys.modules.get(module)
    filename = getattr(loaded, "__file__", None)
    if module == "__main__":
        spec = getattr(loaded, "__spec__", None)
        if spec is not None and spec.name:
            return spec.name, filename
        if filename:
            return Path(filename).stem, filename
    return module, filename


def _import_root(module: str, filename: Optional[str]) -> Optional[str]:
    """The sys.path folder from which `module`, defined in `filename`, is importable."""
    if not filename:
        return None
    path = Path(os.path.abspath(filename))
    depth = module.count(".")
    if path.stem == "__init__":
        depth += 1
    folder = path.parent
    for _ in range(depth):
        folder = folder.parent
    return str(folder)


def _pairs(xp: XP) -> List[Tuple[str, Any]]:
    """The delta of `xp` as (name, value) pairs (empty when unknown)."""
    return [(name, value) for name, value in xp.delta or []]


class MainBase:
    """The reusable half of a decorated main.

    Subclasses implement `get_xp(argv)` and `value_to_argv(arg)`, and may override
    `_run(xp)` (how the user function is called inside the XP).

    Args:
        main: the user function.
        dora: the project's DoraConfig.
        slurm: the project's default SlurmConfig (default: `SlurmConfig()`).
    """

    def __init__(
        self, main: Callable, dora: DoraConfig, slurm: Optional[SlurmConfig] = None
    ) -> None:
        self.main = main
        self.dora = dora
        self._slurm = slurm if slurm is not None else SlurmConfig()
        self._module, self._file = _module_of(main)
        self._attribute: str = getattr(main, "__name__", "main")
        if "." in self._module:
            self.package, self.main_module = self._module.rsplit(".", 1)
        else:
            self.package = "unknown"
            self.main_module = self._module if self._module != "__main__" else "train"
        self.name = self.package

    @property
    def import_path(self) -> Tuple[str, str]:
        """(module, attribute) under which a job can import this main again."""
        return self._module, self._attribute

    @property
    def import_root(self) -> Optional[str]:
        """The folder to put first on sys.path so that the module imports."""
        return _import_root(self._module, self._file)

    def __reduce__(self) -> Tuple[Callable, Tuple[str, str]]:
        return load_main, self.import_path

    def get_slurm_config(self) -> SlurmConfig:
        """A fresh copy of the project's default SlurmConfig."""
        return copy.deepcopy(self._slurm)

    def get_xp(self, argv: Sequence[str]) -> XP:
        """Build the XP of `argv`. Implemented by each back-end."""
        raise NotImplementedError

    def value_to_argv(self, arg: Any) -> List[str]:
        """Turn a launcher value into argv. Implemented by each back-end."""
        raise NotImplementedError

    def _argv_files(self, sig: str) -> List[Path]:
        files = [self.dora.dir / self.dora.xps / sig / ".argv.json"]
        if self.dora.shared is not None:
            files.append(self.dora.shared / self.dora.xps / sig / ".argv.json")
        return files

    def get_argv_from_sig(self, sig: str) -> List[str]:
        """The argv stored for `sig`, in the XP folder or else in the shared repository.

        Raises:
            UnknownSignature: when no readable `.argv.json` exists for `sig`.
        """
        problems = []
        for path in self._argv_files(sig):
            try:
                argv = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as exc:
                problems.append(f"{path} cannot be read ({exc})")
                continue
            if isinstance(argv, list) and all(isinstance(arg, str) for arg in argv):
                return argv
            problems.append(f"{path} is not a JSON list of strings")
        detail = "; ".join(problems) if problems else "no .argv.json found"
        raise UnknownSignature(
            f"Could not find an existing run with sig {sig} in {self.dora.dir} ({detail}). "
            "If it belongs to a grid, create its folder with "
            "`dora grid NAME --dry_run --init`."
        )

    def get_xp_from_sig(self, sig: Union[str, Path]) -> XP:
        """The XP of an existing folder; `sig` may be the folder path.

        Raises:
            UnknownSignature: when the sig has no stored argv.
            SignatureMismatch: when the stored argv now gives another signature.
        """
        name = Path(sig).name
        argv = self.get_argv_from_sig(name)
        xp = self.get_xp(argv)
        if xp.sig != name:
            raise SignatureMismatch(
                f"The XP folder {name} holds the argv {argv}, which now gives the signature "
                f"{xp.sig}: the project's defaults or exclude patterns changed since the XP "
                "was created. Restore them to reach the old folder, or run the argv again "
                "to start a new XP."
            )
        return xp

    def get_names(self, xps: Sequence[XP]) -> Tuple[List[str], str]:
        """Short names of `xps` within the set, and the name of what they share."""
        from dora_sig import get_names

        return get_names([_pairs(xp) for xp in xps])

    def get_name(self, xp: XP) -> str:
        """The short name of one XP (empty for the baseline)."""
        from dora_sig import get_name

        return get_name(_pairs(xp))

    def init_xp(self, xp: XP) -> None:
        """Create the XP folder and record its argv and delta."""
        init_xp_folder(xp)

    def get_xp_history(self, xp: XP) -> list:
        """The metric history of `xp`, read from disk."""
        xp.link.load()
        return xp.link.history

    def _run(self, xp: XP) -> Any:
        """Call the user function inside the active XP (no arguments by default)."""
        return self.main()

    def __call__(self, argv: Optional[Sequence[str]] = None) -> Any:
        """Run the XP of `argv` (default `sys.argv[1:]`): init its folder, enter it, run."""
        if argv is None:
            argv = sys.argv[1:]
        xp = self.get_xp(list(argv))
        self.init_xp(xp)
        with xp.enter():
            return self._run(xp)

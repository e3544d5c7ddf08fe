"""Find the project's decorated main: `<package>.<main module>.main`.

The package comes from -P, else $DORA_PACKAGE, else the only folder of the current
directory that is a package holding the main module. The main module comes from -M,
else $DORA_MAIN_MODULE, else `train`.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

from .common import CliError

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol

__all__ = ["DiscoveryError", "candidate_packages", "find_main"]

_HOW = (
    "Run dora from the folder that contains your package, or name it with "
    "`dora -P PACKAGE ...` (or DORA_PACKAGE=PACKAGE); name the module holding `main` "
    "with `dora -M MODULE ...` (or DORA_MAIN_MODULE=MODULE)."
)


class DiscoveryError(CliError):
    """The project's package, module or decorated main could not be found."""


def candidate_packages(cwd: Path, module: str) -> List[str]:
    """Direct sub-folders of `cwd` that are packages holding `<module>.py` (or a package)."""
    found = []
    for entry in sorted(cwd.iterdir(), key=lambda path: path.name):
        if not entry.is_dir() or not (entry / "__init__.py").is_file():
            continue
        if (entry / f"{module}.py").is_file() or (entry / module / "__init__.py").is_file():
            found.append(entry.name)
    return found


def _holds(folder: Path, package: str, module: str) -> bool:
    """Whether `folder/<package as a path>/` holds the main module, file or package."""
    base = folder.joinpath(*package.split("."))
    try:
        return (base / f"{module}.py").is_file() or (base / module / "__init__.py").is_file()
    except OSError:  # a folder we may not read
        return False


def _subfolders(cwd: Path) -> List[Path]:
    try:
        entries = sorted(cwd.iterdir(), key=lambda path: path.name)
    except OSError:
        return []
    return [entry for entry in entries if entry.is_dir() and not entry.name.startswith(".")]


def _run_from_hint(cwd: Path, folders: List[Path], what: str) -> str:
    """` Hint: ...`, naming the sub-folders of `cwd` to run dora from (or '')."""
    if not folders:
        return ""
    if len(folders) > 1:
        return f" Hint: {what}: run dora from one of {', '.join(map(str, folders[:3]))}."
    return f" Hint: {what}: run dora from {folders[0]} (`cd {os.path.relpath(folders[0], cwd)}`)."


def _elsewhere_hint(cwd: Path, package: str, module: str) -> str:
    """A hint when a sub-folder of `cwd` (a project folder) holds `<package>/<module>.py`."""
    rel = "/".join(package.split(".")) + f"/{module}.py"
    found = [folder for folder in _subfolders(cwd) if _holds(folder, package, module)]
    return _run_from_hint(cwd, found, f"{rel} is in a sub-folder")


def _detect(cwd: Path, module: str) -> str:
    found = candidate_packages(cwd, module)
    if len(found) == 1:
        return found[0]
    if not found:
        below = []
        for folder in _subfolders(cwd):
            try:
                if candidate_packages(folder, module):
                    below.append(folder)
            except OSError:
                continue
        hint = _run_from_hint(cwd, below, f"a sub-folder holds a package with a {module}.py")
        raise DiscoveryError(
            f"Could not find a training package in {cwd}: looked for a folder with an "
            f"__init__.py and a {module}.py, found none. {_HOW}{hint}"
        )
    raise DiscoveryError(
        f"Several training packages in {cwd} have a {module}.py: {', '.join(found)}. "
        f"Choose one with `dora -P PACKAGE ...` (or DORA_PACKAGE=PACKAGE)."
    )


def _import(package: str, module: str, cwd: Path) -> object:
    name = f"{package}.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        parts = name.split(".")
        ours = {".".join(parts[: i + 1]) for i in range(len(parts))}
        if exc.name in ours:
            raise DiscoveryError(
                f"Could not import {name}: there is no module {exc.name} "
                f"(searched from {cwd} and sys.path). {_HOW}"
                f"{_elsewhere_hint(cwd, package, module)}"
            ) from None
        raise DiscoveryError(_user_failure(name, exc)) from None
    except (Exception, SystemExit) as exc:
        raise DiscoveryError(_user_failure(name, exc)) from None


def _user_failure(name: str, exc: BaseException) -> str:
    from dora_grid.loader import user_traceback

    return f"Importing {name} raised:\n{user_traceback(exc, [__file__]).rstrip()}"


def find_main(
    package: Optional[str] = None, main_module: Optional[str] = None, cwd: Optional[Path] = None
) -> MainProtocol:
    """Import and return the project's decorated main.

    Raises:
        DiscoveryError: no or several candidate packages, an import failure, no `main`,
            or a `main` that is not decorated.
    """
    from dora_shep.main import MainProtocol

    cwd = Path(cwd or os.getcwd()).resolve()
    module = main_module or os.environ.get("DORA_MAIN_MODULE") or "train"
    package = package or os.environ.get("DORA_PACKAGE") or _detect(cwd, module)
    if str(cwd) not in sys.path:
        sys.path.insert(0, str(cwd))
    name = f"{package}.{module}"
    loaded = _import(package, module, cwd)
    where = getattr(loaded, "__file__", name)
    main = getattr(loaded, "main", None)
    if main is None:
        raise DiscoveryError(
            f"{name} ({where}) has no `main`. Name your training function `main` and "
            "decorate it with `@argparse_main(parser=...)` (from dora import argparse_main)."
        )
    if not isinstance(main, MainProtocol):
        raise DiscoveryError(
            f"`main` in {name} ({where}) is a {type(main).__name__}, not a decorated main. "
            "Decorate it with `@argparse_main(parser=...)` (from dora import argparse_main)."
        )
    return main

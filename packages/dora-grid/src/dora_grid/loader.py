"""Find and import grid files: `<grid package>/a/b.py` is the grid named `a.b`."""

from __future__ import annotations

import importlib
import importlib.util
import os
import traceback
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Iterable, List

from .errors import (
    GridImportError,
    GridNotFound,
    GridPackageNotFound,
    NoExplorer,
    NotAnExplorer,
    PrivateGridName,
)
from .explorer import Explorer

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol

__all__ = [
    "grid_package",
    "grid_package_dir",
    "list_grids",
    "load_explorer",
    "normalize_grid_name",
    "user_traceback",
]


def grid_package(main: MainProtocol) -> str:
    """The grid package: `dora.grid_package` when set, else `<package>.grids`."""
    return main.dora.grid_package or f"{main.package}.grids"


def _is_machinery(filename: str) -> bool:
    """Frames of the import system and of this module: noise in a user's traceback."""
    if filename.startswith("<frozen importlib"):
        return True
    path = os.path.abspath(filename)
    return path == os.path.abspath(__file__) or path.startswith(_IMPORTLIB_DIR)


_IMPORTLIB_DIR = os.path.dirname(os.path.abspath(importlib.__file__ or "")) + os.sep


def user_traceback(exc: BaseException, skip_files: Iterable[str] = ()) -> str:
    """Format `exc` without the frames of the import machinery, of this module, and of
    `skip_files` (the caller's own files)."""
    skip = {os.path.abspath(name) for name in skip_files}
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not _is_machinery(frame.filename) and os.path.abspath(frame.filename) not in skip
    ]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def _import(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except (Exception, SystemExit) as exc:
        raise GridImportError(module, user_traceback(exc)) from None


def grid_package_dir(main: MainProtocol) -> Path:
    """The folder of the grid package, importing the package.

    Raises:
        GridPackageNotFound: when the grid package does not exist.
        GridImportError: when importing it raises.
    """
    package = grid_package(main)
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        hint = (
            "set `grid_package` in the Dora config"
            if main.dora.grid_package
            else f"create the folder {package.replace('.', '/')}/ with an __init__.py and "
            "your grid files, or set `grid_package` in the Dora config"
        )
        raise GridPackageNotFound(f"No grid package {package!r} found: {hint}.") from None
    module = _import(package)
    paths = list(getattr(module, "__path__", []))
    if not paths:
        raise GridImportError(package, f"{package} is a module, not a package of grid files.\n")
    return Path(paths[0])


def _walk(folder: Path, prefix: str) -> List[str]:
    names: List[str] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.is_dir():
            names += _walk(entry, f"{prefix}{entry.name}.")
        elif entry.suffix == ".py" and entry.is_file():
            names.append(prefix + entry.stem)
    return names


def list_grids(main: MainProtocol) -> List[str]:
    """Every grid name of the project, sorted; files and folders starting with `_` are
    private (helpers such as custom Explorer classes) and left out."""
    return _walk(grid_package_dir(main), "")


def normalize_grid_name(name: str) -> str:
    """`a/b.py` or `a.b` -> `a.b`: the dotted name of a grid."""
    name = name.strip().replace("/", ".").replace(os.sep, ".")
    if name.endswith(".py"):
        name = name[: -len(".py")]
    return name


def load_explorer(main: MainProtocol, grid_name: str) -> Explorer:
    """Import the grid named `grid_name` and return its `explorer`.

    Raises:
        GridNotFound: no such grid file (the message lists the grids).
        PrivateGridName: a part of the name starts with `_` (a helper file, not a grid;
            a `GridNotFound` too).
        GridImportError: the grid module raised while imported (the user's traceback).
        NoExplorer: the module has no `explorer`.
        NotAnExplorer: `explorer` is not an Explorer instance.
    """
    package = grid_package(main)
    name = normalize_grid_name(grid_name)
    folder = grid_package_dir(main)
    parts = name.split(".")
    if any(part.startswith("_") for part in parts):
        raise PrivateGridName(grid_name, _walk(folder, ""), package)
    if not name or not all(parts) or not folder.joinpath(*parts[:-1], parts[-1] + ".py").is_file():
        raise GridNotFound(grid_name, _walk(folder, ""), package)
    module_name = f"{package}.{name}"
    module = _import(module_name)
    if not hasattr(module, "explorer"):
        raise NoExplorer(
            f"Grid module {module_name} ({module.__file__}) defines no `explorer`. Define one "
            "with `@Explorer` on the function that calls the launcher:\n"
            "    from dora import Explorer\n\n"
            "    @Explorer\n"
            "    def explorer(launcher):\n"
            "        launcher(...)"
        )
    explorer = module.explorer
    if not isinstance(explorer, Explorer):
        kind = type(explorer).__name__
        raise NotAnExplorer(
            f"`explorer` in grid module {module_name} is a {kind}, not an Explorer. Decorate "
            "it: put `@Explorer` (from dora import Explorer) or your Explorer subclass, "
            "e.g. `@MyExplorer`, on the line above `def explorer(launcher):`."
        )
    return explorer

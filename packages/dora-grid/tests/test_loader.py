"""Finding and importing grid files, and the errors a researcher sees when that fails."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

import pytest

from dora_grid import (
    Explorer,
    GridImportError,
    GridNotFound,
    GridPackageNotFound,
    NoExplorer,
    NotAnExplorer,
    list_grids,
    load_explorer,
)

GOOD = "from dora_grid import Explorer\n\n\n@Explorer\ndef explorer(launcher):\n    launcher()\n"


def make_project(root: Path, grids: Optional[dict] = None, folder: str = "grids") -> Any:
    """A package `<uuid>` under `root` with a grid package; returns a stand-in main."""
    package = f"proj_{uuid.uuid4().hex[:10]}"
    base = root / package
    base.mkdir()
    (base / "__init__.py").write_text("")
    if grids is not None:
        (base / folder).mkdir()
        (base / folder / "__init__.py").write_text("")
        for name, text in grids.items():
            path = base / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return SimpleNamespace(package=package, dora=SimpleNamespace(grid_package=None))


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_list_grids_walks_sub_folders_and_skips_private_files(root: Path) -> None:
    main = make_project(root, {
        "a.py": GOOD, "_explorers.py": "", "sub/__init__.py": "", "sub/b.py": GOOD,
        "sub/_helpers.py": "", "_private/c.py": GOOD, "notes.txt": "",
    })
    assert list_grids(main) == ["a", "sub.b"]


def test_a_dotted_name_loads_the_file_in_a_sub_folder(root: Path) -> None:
    main = make_project(root, {"sub/__init__.py": "", "sub/b.py": GOOD})
    assert isinstance(load_explorer(main, "sub.b"), Explorer)
    assert isinstance(load_explorer(main, "sub/b.py"), Explorer)


def test_an_unknown_grid_lists_the_grids_available(root: Path) -> None:
    main = make_project(root, {"a.py": GOOD, "sub/__init__.py": "", "sub/b.py": GOOD})
    with pytest.raises(GridNotFound) as info:
        load_explorer(main, "sub.typo")
    assert str(info.value).startswith("No grid named 'sub.typo'")
    assert "Grids available: a, sub.b" in str(info.value)
    assert info.value.available == ["a", "sub.b"]


@pytest.mark.parametrize("name", ["_explorers", "_explorers.py", "sub._helpers",
                                  "_private.c", "_private/c.py", "__init__", "_nothing"])
def test_a_private_file_is_not_a_grid(root: Path, name: str) -> None:
    explorers = "import sys\nsys.modules[__name__].imported = True\n" + GOOD
    main = make_project(root, {
        "a.py": GOOD, "_explorers.py": explorers, "sub/__init__.py": "", "sub/b.py": GOOD,
        "sub/_helpers.py": GOOD, "_private/c.py": GOOD,
    })
    with pytest.raises(GridNotFound) as info:
        load_explorer(main, name)
    message = str(info.value)
    assert message.startswith(f"{name!r} in package {main.package}.grids is not a grid: ")
    assert "starts with `_`" in message and message.endswith("Grids available: a, sub.b")
    assert info.value.available == ["a", "sub.b"]
    assert f"{main.package}.grids._explorers" not in sys.modules  # never imported


def test_a_grid_that_raises_on_import_shows_the_users_traceback(root: Path) -> None:
    bad = "import os\n\nvalue = 1\nraise ImportError('no module named plop')\n"
    main = make_project(root, {"bad.py": bad})
    with pytest.raises(GridImportError) as info:
        load_explorer(main, "bad")
    message = str(info.value)
    assert "bad.py\", line 4" in message
    assert "ImportError: no module named plop" in message
    assert "importlib" not in message and "loader.py" not in message


def test_a_syntax_error_in_a_grid_points_at_the_line(root: Path) -> None:
    main = make_project(root, {"broken.py": "def explorer(:\n"})
    with pytest.raises(GridImportError, match="SyntaxError") as info:
        load_explorer(main, "broken")
    assert "broken.py" in str(info.value)


def test_a_grid_without_explorer_says_how_to_define_one(root: Path) -> None:
    main = make_project(root, {"empty.py": "x = 1\n"})
    with pytest.raises(NoExplorer, match="defines no `explorer`") as info:
        load_explorer(main, "empty")
    assert "@Explorer" in str(info.value)


def test_a_plain_function_explorer_says_to_decorate_it(root: Path) -> None:
    main = make_project(root, {"plain.py": "def explorer(launcher):\n    launcher()\n"})
    with pytest.raises(NotAnExplorer) as info:
        load_explorer(main, "plain")
    assert "is a function, not an Explorer" in str(info.value)
    assert "@Explorer" in str(info.value)


def test_the_grid_package_can_be_configured(root: Path) -> None:
    main = make_project(root, {"x.py": GOOD}, folder="experiments")
    main.dora.grid_package = f"{main.package}.experiments"
    assert list_grids(main) == ["x"]
    assert isinstance(load_explorer(main, "x"), Explorer)


def test_a_missing_grid_package_is_a_clear_error(root: Path) -> None:
    main = make_project(root)
    with pytest.raises(GridPackageNotFound, match=r"No grid package '.*\.grids' found"):
        list_grids(main)

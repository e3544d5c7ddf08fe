"""Dependencies between the packages point one way only.

Each package may import only the packages listed before it in LAYERS, read from the
layering block of docs/architecture.md (noxfile.py's PACKAGES must list the same order);
dora-cli (import name `dora`) may import them all, and nothing below it imports `dora`.
The check reads every .py file under packages/*/src with `ast`: absolute imports, `from`
imports, and `importlib.import_module("...")` / `__import__("...")` with a literal name.
Imports under `if TYPE_CHECKING:` count too: a type that lives in a higher layer is a
layering smell.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

REPO = Path(__file__).resolve().parents[1]

ARCHITECTURE = REPO / "docs" / "architecture.md"


def _documented_layers() -> List[Tuple[str, str]]:
    """(distribution folder under packages/, import name), lowest layer first, as the
    layering block of docs/architecture.md lists them (`  dora-sig/   import dora_sig`)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    layers = re.findall(r"^ +(dora-[\w-]+)/ +import (\w+)", text, re.MULTILINE)
    if not layers:
        raise AssertionError(f"{ARCHITECTURE} has no layering block (`  dora-x/  import x`)")
    return layers


LAYERS: List[Tuple[str, str]] = _documented_layers()


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    package: str
    imported: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.package} imports {self.imported}, "
            "which comes after it in the layering"
        )


def _imported_modules(tree: ast.AST) -> Iterator[Tuple[int, str]]:
    """(line, absolute module name) for every import in `tree`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:  # relative imports stay in the package
                yield node.lineno, node.module
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                if isinstance(first.value, str) and not first.value.startswith("."):
                    yield node.lineno, first.value


def find_violations(packages_dir: Path) -> List[Violation]:
    """Every import of a higher layer found under `packages_dir/*/src`."""
    rank: Dict[str, int] = {name: i for i, (_, name) in enumerate(LAYERS)}
    folder_rank: Dict[str, int] = {folder: i for i, (folder, _) in enumerate(LAYERS)}
    violations: List[Violation] = []
    for folder in sorted(p for p in packages_dir.iterdir() if (p / "pyproject.toml").exists()):
        if folder.name not in folder_rank:
            raise AssertionError(
                f"{folder} is not in LAYERS of {__file__}: give the new package its place"
            )
        own = folder_rank[folder.name]
        for path in sorted((folder / "src").rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, module in _imported_modules(tree):
                top: Optional[int] = rank.get(module.split(".")[0])
                if top is not None and top > own:
                    violations.append(Violation(path, line, folder.name, module))
    return violations


def _package(root: Path, folder: str, import_name: str, files: Dict[str, str]) -> None:
    (root / folder).mkdir(parents=True)
    (root / folder / "pyproject.toml").write_text(f'[project]\nname = "{folder}"\n')
    for name, text in files.items():
        path = root / folder / "src" / import_name / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_packages_import_only_lower_layers() -> None:
    violations = find_violations(REPO / "packages")
    assert not violations, "\n".join(str(v) for v in violations)


def test_every_layer_is_a_package_of_the_repository() -> None:
    assert len(LAYERS) == len(set(LAYERS)) >= 6
    for folder, import_name in LAYERS:
        assert (REPO / "packages" / folder / "src" / import_name).is_dir(), folder


def test_the_noxfile_lists_the_packages_in_the_documented_order() -> None:
    tree = ast.parse((REPO / "noxfile.py").read_text(encoding="utf-8"))
    packages = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "PACKAGES" for t in node.targets)
    ]
    assert packages == [tuple(folder for folder, _ in LAYERS)]


def test_checker_flags_an_import_of_a_higher_layer(tmp_path: Path) -> None:
    _package(tmp_path, "dora-sig", "dora_sig", {
        "__init__.py": "import json\n",
        "_bad.py": "import json\n\nfrom dora_grid.explorer import Explorer\n",
    })
    _package(tmp_path, "dora-grid", "dora_grid", {"explorer.py": "class Explorer: ...\n"})
    violations = find_violations(tmp_path)
    assert [(v.path.name, v.line, v.package, v.imported) for v in violations] == [
        ("_bad.py", 3, "dora-sig", "dora_grid.explorer"),
    ]


@pytest.mark.parametrize(
    "source",
    [
        "import dora\n",
        "import dora.grid as g\n",
        "from dora import get_xp\n",
        "import importlib\nimportlib.import_module('dora')\n",
        "def f():\n    import dora_lightning\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from dora import main\n",
    ],
)
def test_checker_flags_every_kind_of_import_of_dora_below_the_cli(
    tmp_path: Path, source: str
) -> None:
    _package(tmp_path, "dora-grid", "dora_grid", {"mod.py": source})
    assert len(find_violations(tmp_path)) == 1


@pytest.mark.parametrize(
    "folder, import_name, source",
    [
        ("dora-grid", "dora_grid", "from dora_shep import XP\nimport dora_sig\n"),
        ("dora-grid", "dora_grid", "from . import launcher\nfrom .explorer import Explorer\n"),
        ("dora-grid", "dora_grid", "import dorado\nimport dora_sigma\n"),
        ("dora-cli", "dora", "import dora_lightning\nfrom dora_grid import Explorer\n"),
        ("dora-lightning", "dora_lightning", "from dora_shep import get_xp\n"),
    ],
)
def test_checker_accepts_lower_layers_and_other_names(
    tmp_path: Path, folder: str, import_name: str, source: str
) -> None:
    _package(tmp_path, folder, import_name, {"mod.py": source})
    assert find_violations(tmp_path) == []


def test_checker_refuses_a_package_missing_from_the_layers(tmp_path: Path) -> None:
    _package(tmp_path, "dora-extra", "dora_extra", {"__init__.py": ""})
    with pytest.raises(AssertionError, match="dora-extra"):
        find_violations(tmp_path)

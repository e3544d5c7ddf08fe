"""`import dora` and `dora --help` stay light: no torch, Lightning, HiPlot, Hydra,
submitit or treetable is imported.

Each check runs in a fresh interpreter. Stand-in modules for the heavy names are put
first on its path, so an import of one is seen whether or not the real package is
installed here, and even when the code guards it with `try: ... except ImportError`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

HEAVY = ("torch", "lightning", "pytorch_lightning", "hiplot", "hydra", "submitit", "treetable")
NO_TORCH = ("torch", "lightning", "pytorch_lightning", "hiplot", "hydra")

_REPORT = """
import json, sys
heavy = {heavy!r}
print("\\nLOADED=" + json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with an empty package for each heavy name."""
    root = tmp_path_factory.mktemp("stand_ins")
    for name in HEAVY:
        (root / name).mkdir()
        (root / name / "__init__.py").write_text("STAND_IN = True\n")
    return root


def _loaded_after(code: str, heavy: tuple, stand_ins: Path, cwd: Path) -> List[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(stand_ins), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", code + _REPORT.format(heavy=heavy)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = [x for x in proc.stdout.splitlines() if x.startswith("LOADED=")][-1]
    return json.loads(line[len("LOADED="):])


def test_import_dora_is_light(stand_ins: Path, tmp_path: Path) -> None:
    assert _loaded_after("import dora\n", HEAVY, stand_ins, tmp_path) == []


def test_dora_help_is_light(stand_ins: Path, tmp_path: Path) -> None:
    code = (
        "from dora.__main__ import main\n"
        "try:\n"
        "    code = main(['--help'])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "assert code in (0, None), code\n"
    )
    assert _loaded_after(code, HEAVY, stand_ins, tmp_path) == []


@pytest.mark.parametrize("module", ["dora_sig", "dora_link", "dora_shep", "dora_grid"])
def test_lower_packages_do_not_import_torch_hydra_or_hiplot(
    module: str, stand_ins: Path, tmp_path: Path
) -> None:
    assert _loaded_after(f"import {module}\n", NO_TORCH, stand_ins, tmp_path) == []


def test_the_check_sees_a_guarded_import(stand_ins: Path, tmp_path: Path) -> None:
    code = "try:\n    import torch\nexcept ImportError:\n    pass\n"
    assert _loaded_after(code, HEAVY, stand_ins, tmp_path) == ["torch"]

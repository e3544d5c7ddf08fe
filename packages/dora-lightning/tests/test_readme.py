"""The README's example runs as written, and its install line names what the package needs."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Set

import dora_lightning

README = Path(__file__).resolve().parent.parent / "README.md"
REPO = README.parents[2]

# Runs the README's block in a fresh interpreter, then reports what it imported.
_AFTER = (
    "\nimport json as _json, sys as _sys\n"
    "print(_json.dumps([m for m in ('torch', 'lightning', 'pytorch_lightning') "
    "if m in _sys.modules]))\n"
)


def test_readme_python_example_runs_without_torch() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf8"), re.DOTALL)
    assert blocks
    for block in blocks:
        proc = subprocess.run([sys.executable, "-c", block + _AFTER], capture_output=True,
                              text=True, timeout=60, cwd=README.parent)
        assert proc.returncode == 0, proc.stderr
        *printed, heavy = proc.stdout.splitlines()
        assert json.loads(heavy) == []
        assert printed == [dora_lightning.__version__]


def _local_closure(name: str) -> Set[str]:
    """`name` and every dora-* distribution it requires, recursively."""
    found = {name}
    for requirement in importlib.metadata.requires(name) or []:
        match = re.match(r"(dora-[a-z]+)", requirement)
        if match and ";" not in requirement and match.group(1) not in found:
            found |= _local_closure(match.group(1))
    return found


def test_readme_install_line_names_the_package_and_its_siblings() -> None:
    (script,) = re.findall(r"```bash\n(pip install .*?)\n```", README.read_text("utf8"),
                           re.DOTALL)
    paths = re.findall(r"\./packages/([\w-]+)", script)
    assert set(paths) == _local_closure("dora-lightning")
    for path in paths:
        assert (REPO / "packages" / path / "pyproject.toml").is_file()
    assert "-c constraints.txt" in script and (REPO / "constraints.txt").is_file()

"""Helpers for end-to-end tests: a copy of an example project and the `dora` command."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


class Project:
    """A copy of an example project in a temp folder, driven through the real CLI."""

    def __init__(self, root: Path, env: Dict[str, str]) -> None:
        self.root = root
        self.env = env

    def dora(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dora", *args], cwd=self.root, env=self.env,
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "dora", *args], cwd=self.root, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            stdin=subprocess.DEVNULL)

    def table(self, grid: str) -> Dict[str, Tuple[str, str]]:
        """Runs `dora grid NAME --no_monitoring` and returns {sig: (state, row)}."""
        proc = self.dora("grid", grid, "--backend", "local", "--slots", "1", "--no_monitoring")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return parse_table(proc.stdout)


STATES = ("PEN", "RUN", "COM", "FAI", "CAN", "TIM", "N/A")


def parse_table(text: str) -> Dict[str, Tuple[str, str]]:
    """Finds every row of a grid table: a line with an 8-hex signature and a state."""
    rows: Dict[str, Tuple[str, str]] = {}
    for line in text.splitlines():
        line = re.sub(r"\x1b\[[0-9;]*m", "", line)
        sig = re.search(r"\b([0-9a-f]{8})\b", line)
        state = re.search(r"\b(" + "|".join(re.escape(s) for s in STATES) + r")\b", line)
        if sig and state:
            rows[sig.group(1)] = (state.group(1), line)
    return rows


def wait_for(predicate: Callable[[], bool], timeout: float, what: str,
             interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def digits(tmp_path: Path) -> Project:
    """A fresh copy of examples/digits with its own outputs folder."""
    root = tmp_path / "digits"
    shutil.copytree(EXAMPLES / "digits", root,
                    ignore=shutil.ignore_patterns("outputs", "__pycache__"))
    env = dict(os.environ)
    env.pop("DORA_PACKAGE", None)
    env.pop("DORA_MAIN_MODULE", None)
    env["PYTHONUNBUFFERED"] = "1"
    return Project(root, env)


def write_grid(project: Project, name: str, calls: List[str],
               header: Optional[str] = None) -> None:
    """Writes grids/<name>.py scheduling one XP per entry of `calls` (launcher args)."""
    body = "\n".join(f"    launcher({c})" for c in calls)
    text = (header or "from dora import Explorer\n\n\n@Explorer\n") + \
        f"def explorer(launcher):\n{body}\n"
    path = project.root / "digits" / "grids" / f"{name}.py"
    path.write_text(text)

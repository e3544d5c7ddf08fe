"""A throwaway project in a real git repository, for the git_save tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

TRAIN = '''
import json
import os

from dora_shep.conf import DoraConfig
from dora_shep.git_save import to_absolute_path
from dora_shep.main import MainBase
from dora_shep.xp import XP, get_xp

VERSION = 1


class GsMain(MainBase):
    def get_xp(self, argv):
        delta = [tuple(arg[2:].split("=", 1)) for arg in argv]
        return XP(self.dora, dict(delta), list(argv), delta=delta)

    def value_to_argv(self, arg):
        return list(arg)


def main():
    xp = get_xp()
    seen = {
        "cwd": os.getcwd(),
        "file": __file__,
        "data": to_absolute_path("data/x"),
        "version": VERSION,
    }
    (xp.folder / "seen.json").write_text(json.dumps(seen))


main = GsMain(main, DoraConfig(dir="outputs", git_save=True, backend="local", slots=2))
'''

FILES: Dict[str, str] = {
    ".gitignore": "outputs/\n",
    "gsproj/__init__.py": "",
    "gsproj/train.py": TRAIN,
    "gsproj/util.py": "X = 1\n",
    "gsproj/grids/__init__.py": "",
    "gsproj/grids/g.py": "# a grid\n",
    "README.md": "project\n",
}

MODULES = ("gsproj", "gsproj.train", "gsproj.util", "gsproj.grids")


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` (identity given inline) and return its output."""
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    )
    return done.stdout


def make_repo(repo: Path) -> Path:
    """The test project in a fresh repository with everything committed."""
    for name, text in FILES.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def commit_change(repo: Path, version: int) -> str:
    """Commit a new VERSION of the train module; the new sha."""
    train = repo / "gsproj" / "train.py"
    text = train.read_text()
    train.write_text(text.replace(f"VERSION = {version - 1}", f"VERSION = {version}"))
    git(repo, "commit", "-q", "-am", f"version {version}")
    return git(repo, "rev-parse", "HEAD").strip()


def forget_modules() -> None:
    for name in MODULES:
        sys.modules.pop(name, None)


def load_main() -> Any:
    """Import the project's main from the current folder's repository."""
    forget_modules()
    from gsproj.train import main

    return main


class Project:
    """The repository, its main (imported from the checkout) and its Dora dir."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.main = load_main()
        self.outputs = repo / "outputs"

    @property
    def head(self) -> str:
        return git(self.repo, "rev-parse", "HEAD").strip()


def open_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A committed project in `tmp_path/repo`, the current folder, with its main loaded.

    The body of the `project` fixture of the git_save tests.
    """
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    monkeypatch.syspath_prepend(str(repo))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    for name in ("_DORA_ORIGINAL_DIR", "_DORA_LOCAL_CODE", "_DORA_GIT_SAVE_DONE", "WORLD_SIZE",
                 "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    yield Project(repo)
    forget_modules()

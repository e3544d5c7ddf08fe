"""git_save from the command line: `dora run --git_save`, `dora launch`, `dora grid`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest
from cli_helpers import Dora, wait_for, write_project

SIG_LR2 = "7a0cf6b5"  # --lr=0.2

TRAIN = '''
import argparse
import json
import os

from dora import argparse_main, get_xp, git_save

parser = argparse.ArgumentParser("proj.train")
parser.add_argument("--lr", type=float, default=0.1)


@argparse_main(dir="./outputs", parser=parser, git_save=True, backend="local", slots=2)
def main():
    xp = get_xp()
    seen = {"cwd": os.getcwd(), "file": __file__, "data": git_save.to_absolute_path("data/x")}
    (xp.folder / "seen.json").write_text(json.dumps(seen))
    print("trained", xp.sig, flush=True)
'''


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Dora:
    """The test project with git_save on, committed in a fresh repository."""
    root = tmp_path / "repo"
    write_project(root)
    (root / "proj" / "train.py").write_text(TRAIN)
    (root / ".gitignore").write_text("outputs/\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return Dora(root)


def clone_of(repo: Dora) -> Path:
    return repo.outputs / "codes" / git(repo.cwd, "rev-parse", "HEAD")


def seen(repo: Dora, sig: str) -> Dict[str, Any]:
    return json.loads((repo.outputs / "xps" / sig / "seen.json").read_text())


def test_run_git_save_runs_a_new_xp_from_the_clone(repo: Dora) -> None:
    proc = repo("run", "--git_save", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    assert f"trained {SIG_LR2}" in proc.stdout and "Running from the clone" in proc.stderr
    clone = clone_of(repo)
    found = seen(repo, SIG_LR2)
    assert Path(found["cwd"]) == clone
    assert Path(found["file"]) == clone / "proj" / "train.py"
    assert found["data"] == str(repo.cwd / "data" / "x")
    assert Path(os.readlink(repo.outputs / "xps" / SIG_LR2 / "code")) == clone


def test_run_git_save_refuses_a_dirty_repository(repo: Dora) -> None:
    (repo.cwd / "proj" / "train.py").write_text(TRAIN + "\n# edited\n")
    proc = repo("run", "--git_save", "--", "--lr=0.2")
    assert proc.returncode == 1
    assert proc.stderr.startswith("FATAL: The repository") and "M proj/train.py" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (repo.outputs / "xps").exists()


def test_plain_run_ignores_git_save_and_a_dirty_repository(repo: Dora) -> None:
    (repo.cwd / "proj" / "train.py").write_text(TRAIN + "\n# edited\n")
    proc = repo("run", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    assert Path(seen(repo, SIG_LR2)["file"]) == repo.cwd / "proj" / "train.py"
    assert not (repo.outputs / "codes").exists()


def test_launch_runs_the_job_from_the_clone(repo: Dora) -> None:
    (repo.cwd / "proj" / "grids" / "g.py").write_text("# edited grid, tolerated\n")
    proc = repo("launch", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    clone = clone_of(repo)
    assert Path(seen(repo, SIG_LR2)["file"]) == clone / "proj" / "train.py"
    assert seen(repo, SIG_LR2)["data"] == str(repo.cwd / "data" / "x")


def test_grid_with_a_dirty_repository_schedules_nothing(repo: Dora) -> None:
    (repo.cwd / "proj" / "extra.py").write_text("")
    proc = repo("grid", "g", "--no_monitoring")
    assert proc.returncode == 1
    assert "not clean" in proc.stderr and "?? proj/extra.py" in proc.stderr
    assert "--no_git_save" in proc.stderr and "Traceback" not in proc.stderr
    assert not (repo.outputs / "xps").exists() and not (repo.outputs / "local").exists()
    assert not (repo.outputs / "grids").exists(), "no grid link for a refused grid"
    proc = repo("grid", "g", "--no_monitoring", "--no_git_save")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Scheduled job") == 2
    assert not (repo.outputs / "codes").exists()


def test_grid_runs_every_xp_from_one_clone(repo: Dora) -> None:
    proc = repo("grid", "g", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    clone = clone_of(repo)
    sigs = [p.name for p in (repo.outputs / "xps").iterdir()]
    assert len(sigs) == 2
    for sig in sigs:
        assert Path(os.readlink(repo.outputs / "xps" / sig / "code")) == clone
        done = repo.outputs / "xps" / sig / "seen.json"
        wait_for(done.exists, what=str(done))
        assert Path(seen(repo, sig)["cwd"]) == clone

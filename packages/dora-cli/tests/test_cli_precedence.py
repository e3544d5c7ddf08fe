"""Which Slurm config a job gets: the project's default, then the CLI flags of `dora grid`
and `dora launch` (-g -p --dev -c --constraint), then the grid file's `slurm_()` /
`slurm()` calls, which win. The local backend records the config of each job in the XP's
`job.json`, so the tests run for real (0 to 2 GPUs, within the project's 4 local slots)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest
from cli_helpers import Dora, wait_for, write_project

DECORATOR = 'backend="local", slots=4)'

PRECEDENCE_GRID = '''
from dora import Explorer


@Explorer
def explorer(launcher):
    launcher(lr=0.2)
    launcher.slurm(constraint="grid", gpus=2, partition="gridpart")(lr=0.3)
    launcher.slurm_(comment="grid", mem_per_gpu=3)
    launcher(lr=0.4)
'''


def precedence_project(root: Path, default: str) -> Dora:
    """The test project with `argparse_main(slurm=SlurmConfig(<default>))` and the grid
    `prec` above."""
    base = write_project(root)
    train = base / "train.py"
    text = train.read_text()
    assert DECORATOR in text
    text = text.replace(DECORATOR, f'backend="local", slots=4, slurm=SlurmConfig({default}))')
    train.write_text("from dora.conf import SlurmConfig\n" + text)
    (base / "grids" / "prec.py").write_text(PRECEDENCE_GRID)
    return Dora(root)


@pytest.fixture
def prec(tmp_path: Path) -> Dora:
    return precedence_project(tmp_path, 'comment="default", mem_per_gpu=7, gpus=0')


def configs(project: Dora) -> Dict[str, Dict[str, Any]]:
    """{first argv item: the slurm_config recorded in job.json} of every XP."""
    found = {}
    for folder in (project.outputs / "xps").iterdir():
        argv = json.loads((folder / ".argv.json").read_text())
        found[" ".join(argv)] = json.loads((folder / "job.json").read_text())["slurm_config"]
    return found


def pick(config: Dict[str, Any], *names: str) -> Dict[str, Any]:
    return {name: config[name] for name in names}


def wait_all_done(project: Dora, grid: str) -> None:
    """Waits for the grid's jobs to end, so that none outlives the test."""
    def done() -> bool:
        proc = project("grid", grid, "--no_monitoring")
        assert proc.returncode == 0, proc.stderr
        return "RUN" not in proc.stdout and "PEN" not in proc.stdout

    wait_for(done, what=f"the jobs of grid {grid} to end")


NAMES = ("comment", "constraint", "gpus", "mem_per_gpu", "partition")


def test_grid_calls_win_over_cli_flags_which_win_over_the_default(prec: Dora) -> None:
    proc = prec("grid", "prec", "-c", "cli", "--constraint", "cli", "-g", "1", "-p", "clipart",
                "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    got = {argv: pick(config, *NAMES) for argv, config in configs(prec).items()}
    assert got == {
        "--lr=0.2": {"comment": "cli", "constraint": "cli", "gpus": 1, "mem_per_gpu": 7,
                     "partition": "clipart"},
        "--lr=0.3": {"comment": "cli", "constraint": "grid", "gpus": 2, "mem_per_gpu": 7,
                     "partition": "gridpart"},
        "--lr=0.4": {"comment": "grid", "constraint": "cli", "gpus": 1, "mem_per_gpu": 3,
                     "partition": "clipart"},
    }
    wait_all_done(prec, "prec")


def test_grid_without_flags_uses_the_default_and_dev_picks_dev_partition(
        tmp_path: Path) -> None:
    plain = precedence_project(tmp_path / "plain", 'comment="default", mem_per_gpu=7, gpus=0')
    assert plain("grid", "prec", "--no_monitoring").returncode == 0
    got = {argv: pick(config, *NAMES) for argv, config in configs(plain).items()}
    assert got["--lr=0.2"] == {"comment": "default", "constraint": "", "gpus": 0,
                               "mem_per_gpu": 7, "partition": None}
    assert got["--lr=0.4"]["comment"] == "grid"

    dev = precedence_project(tmp_path / "dev", 'comment="default", mem_per_gpu=7, gpus=0')
    assert dev("grid", "prec", "--dev", "-p", "clipart", "--no_monitoring").returncode == 0
    got = {argv: config["partition"] for argv, config in configs(dev).items()}
    # --dev wins over -p; a partition set in the grid file wins over both
    assert got == {"--lr=0.2": "devlab", "--lr=0.3": "gridpart", "--lr=0.4": "devlab"}
    wait_all_done(plain, "prec")
    wait_all_done(dev, "prec")


def test_launch_flags_win_over_the_default(prec: Dora) -> None:
    proc = prec("launch", "--no_tail", "--", "--lr=0.5")
    assert proc.returncode == 0, proc.stderr
    proc = prec("launch", "--no_tail", "-c", "cli", "--constraint", "cli", "-g", "1",
                "--", "--lr=0.6")
    assert proc.returncode == 0, proc.stderr
    proc = prec("launch", "--no_tail", "--dev", "--", "--lr=0.7")
    assert proc.returncode == 0, proc.stderr
    got = {argv: pick(config, *NAMES) for argv, config in configs(prec).items()}
    assert got == {
        "--lr=0.5": {"comment": "default", "constraint": "", "gpus": 0, "mem_per_gpu": 7,
                     "partition": None},
        "--lr=0.6": {"comment": "cli", "constraint": "cli", "gpus": 1, "mem_per_gpu": 7,
                     "partition": None},
        "--lr=0.7": {"comment": "default", "constraint": "", "gpus": 0, "mem_per_gpu": 7,
                     "partition": "devlab"},
    }
    for lr in ("0.5", "0.6", "0.7"):
        assert prec("launch", "--", f"--lr={lr}").returncode == 0  # follows it to the end


def test_dev_picks_the_dev_partition_of_the_default_config(tmp_path: Path) -> None:
    project = precedence_project(tmp_path, 'gpus=0, dev_partition="gpu-dev"')
    proc = project("launch", "--dev", "-p", "other", "--", "--lr=0.5")
    assert proc.returncode == 0, proc.stderr
    assert "ended COMPLETED" in proc.stderr
    assert configs(project)["--lr=0.5"]["partition"] == "gpu-dev"

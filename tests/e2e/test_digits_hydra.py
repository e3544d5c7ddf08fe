"""The digits_hydra example (Hydra config, a model group), for real through the `dora` command."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from .conftest import EXAMPLES, Project, parse_table

# The demo grid's signatures, as dora-search 0.1.13 computes them for the same project.
DEMO_SIGS = {"eff986f6", "3ae2d29c", "e23c70bd", "1b304335", "dfa1f365", "2c3dd9fe"}

GRID = '''
from dora import Explorer


@Explorer
def explorer(launcher):
    launcher.slurm_(gpus=0)
    launcher.bind_(epochs=2)
{calls}
'''


@pytest.fixture
def digits_hydra(tmp_path: Path) -> Project:
    """A fresh copy of examples/digits_hydra with its own outputs folder."""
    root = tmp_path / "digits_hydra"
    shutil.copytree(EXAMPLES / "digits_hydra", root,
                    ignore=shutil.ignore_patterns("outputs", "__pycache__", "multirun"))
    env = dict(os.environ)
    for name in ("DORA_PACKAGE", "DORA_MAIN_MODULE", "RANK", "WORLD_SIZE", "LOCAL_RANK"):
        env.pop(name, None)
    env["PYTHONUNBUFFERED"] = "1"
    return Project(root, env)


def write_grid(project: Project, name: str, *calls: str) -> None:
    body = "\n".join(f"    launcher({call})" for call in calls)
    (project.root / "digits_hydra" / "grids" / f"{name}.py").write_text(GRID.format(calls=body))


def test_demo_grid_has_the_reference_signatures(digits_hydra: Project) -> None:
    proc = digits_hydra.dora("grid", "demo", "--backend", "local", "--dry_run",
                             "--no_monitoring")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = parse_table(proc.stdout)
    assert set(rows) == DEMO_SIGS
    assert {state for state, _ in rows.values()} == {"N/A"}
    assert "model=mlp_wide opt.lr=0.3" in proc.stdout
    assert not (digits_hydra.root / "outputs").exists(), "a dry run must write nothing"


def test_a_hydra_grid_runs_on_the_local_backend(digits_hydra: Project) -> None:
    write_grid(digits_hydra, "e2e", "model='mlp_small'",
               "{'model': 'mlp_wide', 'optim.lr': 0.2}", "{'optim.batch_size': 64}")
    proc = digits_hydra.dora("grid", "e2e", "--backend", "local", "--slots", "3",
                             "-i", "0.02", timeout=150)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    final = parse_table(proc.stdout.split("Monitoring")[-1])
    assert len(final) == 3 and {state for state, _ in final.values()} == {"COM"}
    xps = digits_hydra.root / "outputs" / "xps"
    for sig in final:
        folder = xps / sig
        history = json.loads((folder / "history.json").read_text())
        assert len(history) == 2 and 0.5 < history[-1]["valid"]["acc"] <= 1.0
        config = (folder / ".hydra" / "config.yaml").read_text()  # Hydra's run dir
        assert "epochs: 2" in config
    wide = next(sig for sig, (_, row) in final.items() if "mlp_wide" in row)
    assert "hidden: 128" in (xps / wide / ".hydra" / "config.yaml").read_text()
    assert json.loads((xps / wide / ".argv.json").read_text()) == [
        "epochs=2", "model=mlp_wide", "optim.lr=0.2"]

    info = digits_hydra.dora("info", "-f", wide)
    assert info.returncode == 0, info.stdout + info.stderr
    assert "COMPLETED" in info.stdout
    again = digits_hydra.dora("run", "-f", wide)  # resumes from its checkpoint, in its folder
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Resuming after epoch 2" in again.stdout

    # A grid binding a key the config does not have stops before anything is scheduled.
    write_grid(digits_hydra, "typo", "lr=0.01")
    proc = digits_hydra.dora("grid", "typo", "--backend", "local", "--no_monitoring")
    assert proc.returncode == 1
    assert "FATAL" in proc.stderr and "+lr=0.01" in proc.stderr
    assert sorted(path.name for path in xps.iterdir()) == sorted(final)
    assert not (digits_hydra.root / "outputs" / "grids" / "typo").exists()

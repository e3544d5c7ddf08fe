"""Running a Hydra main: the XP folder is Hydra's run dir, paths, ranks, multirun."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, Optional

from cli_helpers import Dora
from hydra_helpers import write_project

TRAIN = '''
import json, os, sys
from pathlib import Path

from hydra.core.hydra_config import HydraConfig

import dora
from dora import get_xp, hydra_main, is_xp, to_absolute_path
from dora.git_save import to_absolute_path as git_to_absolute_path


@hydra_main(config_name="config", config_path="conf", version_base={version_base!r})
def main(cfg):
    facts = {{"epochs": cfg.epochs, "is_xp": is_xp(), "cwd": os.getcwd()}}
    if is_xp():
        xp = get_xp()
        other = main.get_xp(["epochs=7"])  # composing inside a running Hydra job
        facts.update(
            sig=xp.sig, folder=str(xp.folder), same_cfg=xp.cfg is cfg,
            run_dir=HydraConfig.get().runtime.output_dir, job=HydraConfig.get().job.name,
            dora_dir=str(main.dora.dir), abs=to_absolute_path("data"),
            git_abs=str(git_to_absolute_path(Path("data"))), absolute=to_absolute_path("/x"),
            other=other.sig, still_hydra=HydraConfig.initialized(),
        )
    with open(os.environ["FACTS"], "a") as out:
        out.write(json.dumps(facts) + "\\n")
    return "returned"
'''

CONFIG = """
epochs: 2
dora:
  dir: outputs
  backend: local
"""

CALL = """
import json, sys
sys.path.insert(0, sys.argv[1])
from proj.train import main
module = main.main.__module__
result = main(json.loads(sys.argv[2]))
print(json.dumps({"result": result, "module": module, "after": main.main.__module__}))
"""


def run(root: Path, launch: Path, argv: list, **env: str) -> Dict[str, Any]:
    """Call `main(argv)` in a fresh interpreter started in `launch`; its facts and result."""
    facts = root / "facts.jsonl"
    if facts.exists():
        facts.unlink()
    environ = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
    environ.update(FACTS=str(facts), **env)
    proc = subprocess.run([sys.executable, "-c", CALL, str(root), json.dumps(argv)],
                          cwd=launch, env=environ, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["facts"] = [json.loads(line) for line in facts.read_text().splitlines()]
    return out


def project(root: Path, version_base: Optional[str]) -> Path:
    base = write_project(root, config=CONFIG, groups={})
    (base / "train.py").write_text(textwrap.dedent(TRAIN.format(version_base=version_base)))
    return base


def test_the_xp_folder_is_hydras_run_dir(tmp_path: Path) -> None:
    project(tmp_path, "1.3")
    out = run(tmp_path, tmp_path, ["epochs=3", "epochs=4"])
    assert out["result"] == "returned"
    assert out["module"] == out["after"] == "proj.train"  # the user's function untouched
    (facts,) = out["facts"]
    folder = tmp_path / "outputs" / "xps" / facts["sig"]
    assert facts["epochs"] == 4 and facts["is_xp"] and facts["same_cfg"]
    assert facts["folder"] == facts["run_dir"] == str(folder)
    assert facts["job"] == "train"
    assert facts["cwd"] == str(tmp_path)  # version_base 1.3: no change of folder
    assert (folder / ".hydra" / "config.yaml").exists()
    assert (folder / ".hydra" / "overrides.yaml").read_text().split() == ["-", "epochs=4"]
    assert json.loads((folder / ".argv.json").read_text()) == ["epochs=4"]
    assert facts["other"] != facts["sig"] and facts["still_hydra"]


def test_hydra_changing_folder_keeps_paths_of_the_launch_folder(tmp_path: Path) -> None:
    project(tmp_path / "repo", "1.1")  # version_base 1.1: Hydra changes into the run dir
    launch = tmp_path / "launch"
    launch.mkdir()
    (facts,) = run(tmp_path / "repo", launch, ["epochs=3"])["facts"]
    folder = launch / "outputs" / "xps" / facts["sig"]
    assert facts["cwd"] == facts["folder"] == str(folder)
    assert facts["dora_dir"] == str(launch / "outputs")
    assert facts["abs"] == facts["git_abs"] == str(launch / "data")
    assert facts["absolute"] == "/x"


def test_ranks_above_zero_write_no_hydra_subfolder(tmp_path: Path) -> None:
    project(tmp_path, "1.3")
    (facts,) = run(tmp_path, tmp_path, ["epochs=5"], RANK="1", WORLD_SIZE="2")["facts"]
    folder = Path(facts["folder"])
    assert folder.is_dir() and not (folder / ".hydra").exists()


def test_multirun_falls_through_to_hydra(tmp_path: Path) -> None:
    project(tmp_path, "1.3")
    out = run(tmp_path, tmp_path, ["-m", "epochs=1,2"])
    assert sorted(fact["epochs"] for fact in out["facts"]) == [1, 2]
    assert not any(fact["is_xp"] for fact in out["facts"])
    assert (tmp_path / "multirun").is_dir()
    assert not (tmp_path / "outputs" / "xps").exists()


def test_dora_run_info_and_launch_on_a_hydra_project(tmp_path: Path) -> None:
    write_project(tmp_path, grids={"g": "launcher(model='big')\nlauncher({'optim.lr': 0.5})"})
    dora = Dora(tmp_path)
    proc = dora("run", "model=big", "epochs=3")
    assert proc.returncode == 0, proc.stderr
    sig = proc.stdout.split("running ")[1].split()[0]
    folder = dora.outputs / "xps" / sig
    assert (folder / ".hydra").is_dir() and (folder / "history.json").exists()
    proc = dora("info", "-f", sig)
    assert proc.returncode == 0, proc.stderr
    assert "model=big epochs=3" in proc.stdout and sig in proc.stdout
    proc = dora("grid", "g", "--dry_run", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    assert "model=big" in proc.stdout and "opt.lr=0.5" in proc.stdout


def test_grids_come_from_the_grid_package_of_the_dora_section(tmp_path: Path) -> None:
    config = "epochs: 2\ndora:\n  dir: outputs\n  backend: local\n  grid_package: proj.sweeps\n"
    base = write_project(tmp_path, config=config, groups={},
                         grids={"g": "launcher(epochs=11)"})  # proj/grids: not used
    sweeps = base / "sweeps"
    sweeps.mkdir()
    (sweeps / "__init__.py").write_text("")
    (sweeps / "g.py").write_text(textwrap.dedent("""
        from dora import Explorer


        @Explorer
        def explorer(launcher):
            launcher(epochs=22)
            launcher(epochs=33)
    """))
    dora = Dora(tmp_path)
    proc = dora("grid", "g", "--dry_run", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    assert "epochs=22" in proc.stdout and "epochs=33" in proc.stdout
    assert "epochs=11" not in proc.stdout
    proc = dora("grid", "nope", "--dry_run", "--no_monitoring")
    assert proc.returncode == 1 and "proj.sweeps" in proc.stderr

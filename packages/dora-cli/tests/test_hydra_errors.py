"""Bad input with Hydra: one clear message each, a non-zero exit, nothing scheduled."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import Dora
from hydra_helpers import make_main, user_main, write_project

from dora._hydra._errors import ConfigNotFound, InvalidOverride, MissingValue
from dora.cli.common import is_user_error
from dora.hydra import HydraMain


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture(params=["fast", "slow"])
def main(request: pytest.FixtureRequest) -> HydraMain:
    return make_main("rich", slow=request.param == "slow")


def test_an_argument_without_equal_sign(main: HydraMain) -> None:
    with pytest.raises(InvalidOverride, match=r"'epochs' is not an override: it has no '='"):
        main.get_xp(["lr=0.2", "epochs"])
    with pytest.raises(InvalidOverride, match="Hydra flag"):
        main.get_xp(["-m", "lr=0.1,0.2"])


@pytest.mark.parametrize("arg", ["~epochs", "~epochs=40", "~model"])
def test_deletions_are_refused(main: HydraMain, arg: str) -> None:
    with pytest.raises(InvalidOverride, match=r"deleting keys \(~key\) is not supported"):
        main.get_xp([arg])


def test_an_unknown_key_gives_hydras_plus_hint(main: HydraMain) -> None:
    with pytest.raises(InvalidOverride) as info:
        main.get_xp(["model=big", "lrr=0.1"])
    assert "Could not override 'lrr'" in str(info.value)
    assert "+lrr=0.1" in str(info.value)


def test_an_unknown_group_option_lists_the_options(main: HydraMain) -> None:
    with pytest.raises(InvalidOverride) as info:
        main.get_xp(["model=huge", "lr=0.1"])
    message = str(info.value)
    assert "model/huge" in message and "Available options in 'model'" in message
    assert "big" in message and "small" in message
    assert "Config search path" not in message


def test_grammar_errors_and_sweeps(main: HydraMain) -> None:
    with pytest.raises(InvalidOverride, match="could not parse"):
        main.get_xp(["tags=[1,"])
    with pytest.raises(InvalidOverride, match="lr=0.1,0.2"):
        main.get_xp(["lr=0.1,0.2"])


def test_mandatory_values_left_unset(tmp_path: Path) -> None:
    for slow in (False, True):
        main = make_main("missing", slow=slow)
        with pytest.raises(MissingValue) as info:
            main.get_xp(["dataset=cifar"])
        assert "model.dim" in str(info.value) and "???" in str(info.value)
        with pytest.raises(MissingValue, match="dataset, model.dim"):
            main.get_xp([])
        xp = main.get_xp(["dataset=cifar", "model.dim=3", "epochs=40.0"])
        assert xp.delta == [["dataset", "cifar"], ["model.dim", 3]]
        with pytest.raises(MissingValue, match="model.dim"):
            main.get_xp(["dataset=cifar", "model.dim=3", "model.dim=???"])


def test_a_missing_config_folder(tmp_path: Path) -> None:
    main = HydraMain(user_main, config_name="config", config_path=str(tmp_path / "nope"))
    with pytest.raises(ConfigNotFound) as info:
        main.get_xp([])
    assert str(tmp_path / "nope") in str(info.value) and "config_path" in str(info.value)
    with pytest.raises(ConfigNotFound):
        main.dora  # noqa: B018
    assert is_user_error(info.value)


def test_a_missing_primary_config(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "other.yaml").write_text("a: 1\n")
    main = HydraMain(user_main, config_name="config", config_path=str(conf))
    with pytest.raises(ConfigNotFound, match=r"config.yaml is not in .*configs there: other"):
        main.get_xp([])


def test_every_error_is_a_user_error(main: HydraMain) -> None:
    for argv in (["x"], ["~x"], ["nope=1"], ["model=nope"], ["lr=[1,"]):
        with pytest.raises(Exception) as info:
            main.get_xp(argv)
        assert is_user_error(info.value), (argv, info.value)


# Through the `dora` command: FATAL, exit 1, nothing scheduled or written.

GRIDS = {
    "bad_key": "launcher(lr=0.01)",
    "new_key": "launcher({'+lr': 0.01})",
    "nested_new": "launcher({'+optim.evaluate.batch_size': 32})",
    "bad_group": "launcher(epochs=3)\nlauncher(model='huge')",
    "deletion": "launcher('~epochs')",
}


@pytest.fixture
def project(tmp_path: Path) -> Dora:
    write_project(tmp_path, grids=GRIDS)
    return Dora(tmp_path)


def test_grid_with_a_key_absent_from_the_config_fails_before_scheduling(project: Dora) -> None:
    proc = project("grid", "bad_key", "--no_monitoring")
    assert proc.returncode == 1
    assert "FATAL" in proc.stderr
    assert "Could not override 'lr'" in proc.stderr and "+lr=0.01" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project.outputs / "xps").exists()
    assert not (project.outputs / "grids").exists()


def test_grid_adding_keys_with_plus_is_accepted(project: Dora) -> None:
    proc = project("grid", "new_key", "--dry_run", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    assert "lr=0.01" in proc.stdout
    proc = project("grid", "nested_new", "--dry_run", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    assert "opt.evaluate={'batch_size': 32}" in proc.stdout  # a new subtree, whole


@pytest.mark.parametrize("grid, words", [
    ("bad_group", ["model/huge", "big", "small"]),
    ("deletion", ["deleting keys"]),
])
def test_bad_grids_stop_with_one_message(project: Dora, grid: str, words: list) -> None:
    proc = project("grid", grid, "--no_monitoring")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FATAL" in proc.stderr and "Traceback" not in proc.stderr
    for word in words:
        assert word in proc.stderr
    assert not (project.outputs / "xps").exists()


@pytest.mark.parametrize("argv, words", [
    (["epochs"], ["no '='"]),
    (["~epochs"], ["deleting keys"]),
    (["nope=1"], ["+nope=1"]),
    (["model=huge"], ["model/huge", "small"]),
])
def test_run_and_launch_refuse_bad_arguments(project: Dora, argv: list, words: list) -> None:
    for command in ("run", "launch", "info"):
        proc = project(command, *argv)
        assert proc.returncode == 1, (command, proc.stdout, proc.stderr)
        assert "FATAL" in proc.stderr and "Traceback" not in proc.stderr
        for word in words:
            assert word in proc.stderr
    assert not (project.outputs / "xps").exists()


MISSING = """
defaults:
  - _self_
  - model: small

epochs: 2
dataset: ???
dora:
  dir: outputs
  backend: local
slurm:
  gpus: 0
"""


def test_a_mandatory_value_left_unset_through_the_cli(tmp_path: Path) -> None:
    write_project(tmp_path, config=MISSING, grids={"g": "launcher(epochs=3)"})
    dora = Dora(tmp_path)
    for args in (["run", "epochs=3"], ["info", "epochs=3"], ["launch", "epochs=3"],
                 ["grid", "g", "--no_monitoring"]):
        proc = dora(*args)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        fatal = [line for line in lines if "FATAL" in line]
        assert fatal == [lines[0]], (args, proc.stderr)
        assert "Mandatory config value left unset (???): dataset" in fatal[0]
        assert "dataset=VALUE" in fatal[0]
        # a grid adds where in the grid file the XP was asked for, nothing else
        assert all(line.startswith("  File ") for line in lines[1:]), (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert not dora.outputs.exists(), args
    proc = dora("run", "dataset=cifar", "epochs=3")
    assert proc.returncode == 0, proc.stderr
    assert len(list((dora.outputs / "xps").iterdir())) == 1


def test_missing_config_folder_through_the_cli(tmp_path: Path) -> None:
    base = write_project(tmp_path)
    (base / "conf" / "config.yaml").unlink()
    (base / "conf" / "model" / "small.yaml").unlink()
    (base / "conf" / "model" / "big.yaml").unlink()
    (base / "conf" / "model").rmdir()
    (base / "conf").rmdir()
    proc = Dora(tmp_path)("run", "epochs=3")
    assert proc.returncode == 1
    assert "FATAL" in proc.stderr and "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr

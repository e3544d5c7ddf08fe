"""Custom OmegaConf resolvers (field report BUG-03): at import, through `resolvers=`, unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from cli_helpers import Dora
from hydra_helpers import make_main, write_project
from omegaconf import OmegaConf

from dora._hydra._errors import ResolutionError
from dora.hydra import hydra_main

CONFIG = """
base_lr: 0.0003
bs: 128
lr: ${effective_lr:${base_lr},${bs}}
dora:
  dir: outputs
  backend: local
"""


def effective_lr(lr: float, bs: int) -> float:
    return lr * bs / 256


@pytest.fixture(autouse=True)
def _no_resolver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    OmegaConf.clear_resolver("effective_lr")
    yield
    OmegaConf.clear_resolver("effective_lr")


@pytest.mark.parametrize("slow", [False, True])
def test_a_resolver_registered_before_use_enters_the_signature(slow: bool) -> None:
    OmegaConf.register_new_resolver("effective_lr", effective_lr)
    main = make_main("resolvers", slow=slow)
    assert main.get_xp([]).sig == "97d170e1"
    xp = main.get_xp(["base_lr=1e-3"])
    assert xp.delta == [["base_lr", 0.001], ["lr", 0.0005]]
    assert main.get_xp(["bs=256"]).delta == [["bs", 256], ["lr", 0.0003]]


def test_resolvers_argument_registers_at_decoration() -> None:
    main = make_main("resolvers", resolvers={"effective_lr": effective_lr})
    assert OmegaConf.has_resolver("effective_lr")
    assert main._composer._cache == {}  # registered, nothing composed yet
    assert main.get_xp(["base_lr=1e-3"]).delta == [["base_lr", 0.001], ["lr", 0.0005]]


def test_resolvers_argument_is_checked() -> None:
    with pytest.raises(TypeError, match="resolvers must map"):
        hydra_main("config", "conf", resolvers={"x": 3})(print)  # type: ignore[dict-item]


@pytest.mark.parametrize("slow", [False, True])
def test_an_unknown_resolver_names_the_key_and_the_resolver(slow: bool) -> None:
    main = make_main("resolvers", slow=slow)
    with pytest.raises(ResolutionError) as info:
        main.get_xp(["epochs=3"])
    message = str(info.value)
    assert "lr" in message and "'effective_lr'" in message
    assert "resolvers=" in message and "register_new_resolver" in message


PRELUDE = """
from omegaconf import OmegaConf


def effective_lr(lr, bs):
    return lr * bs / 256


OmegaConf.register_new_resolver("effective_lr", effective_lr)
"""


def test_resolver_registered_at_import_works_in_run_grid_and_info(tmp_path: Path) -> None:
    write_project(tmp_path, config=CONFIG, groups={}, prelude=PRELUDE,
                  grids={"g": "launcher(base_lr=0.001)\nlauncher(bs=64)"})
    dora = Dora(tmp_path)
    proc = dora("grid", "g", "--dry_run", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    assert "base_lr=0.001 lr=0.0005" in proc.stdout
    proc = dora("info", "base_lr=0.001")
    assert proc.returncode == 0, proc.stderr
    assert "base_lr=0.001 lr=0.0005" in proc.stdout
    proc = dora("run", "base_lr=0.001")
    assert proc.returncode == 0, proc.stderr
    assert "running" in proc.stdout


def test_resolvers_argument_through_the_cli(tmp_path: Path) -> None:
    prelude = "def effective_lr(lr, bs):\n    return lr * bs / 256\n"
    write_project(tmp_path, config=CONFIG, groups={}, prelude=prelude,
                  extra=", resolvers={'effective_lr': effective_lr}")
    proc = Dora(tmp_path)("run", "bs=512")
    assert proc.returncode == 0, proc.stderr


def test_unknown_resolver_through_the_cli(tmp_path: Path) -> None:
    write_project(tmp_path, config=CONFIG, groups={}, grids={"g": "launcher(bs=64)"})
    dora = Dora(tmp_path)
    for args in (["run", "bs=64"], ["grid", "g", "--no_monitoring"], ["info"]):
        proc = dora(*args)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert "FATAL" in proc.stderr and "'effective_lr'" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (dora.outputs / "xps").exists()

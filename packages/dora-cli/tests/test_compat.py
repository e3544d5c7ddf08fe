"""The `dora` import package: light to import, and every name dora-search users import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "lightning", "pytorch_lightning", "hiplot", "hydra", "submitit", "treetable",
         "omegaconf")


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_import_dora_loads_nothing_heavy() -> None:
    code = (
        "import json, sys, dora\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('dora'))))\n"
    )
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    heavy, ours = (json.loads(line) for line in proc.stdout.splitlines())
    assert heavy == []
    assert ours == ["dora", "dora._version"]


def test_the_names_grid_files_and_training_scripts_import() -> None:
    code = """
from dora import argparse_main, get_xp, is_xp, XP, Explorer, Launcher, Link, Sheep
from dora import to_absolute_path, conf, __version__
from dora.utils import write_and_rename, try_load, jsonable, import_or_fatal, reliable_rmtree
from dora.log import LogProgress, bold, fatal, red, colorize, simple_log
from dora.log import setup_logging, disable_logging
from dora.conf import DoraConfig, SlurmConfig, SubmitRules, ShepConfig, update_from_args
from dora.xp import XP as XP2
from dora.link import Link as Link2
from dora.explore import Explorer as E2, Launcher as L2, Herd
from dora.shep import Shepherd, Sheep as S2
from dora.main import DecoratedMain, ArgparseMain, argparse_main as am2
from dora.grid import run_grid, RunGridArgs
from dora.git_save import to_absolute_path as tap
import dora
assert Explorer is E2 and Launcher is L2 and XP is XP2 and Link is Link2
assert dora.conf.SlurmConfig is SlurmConfig and dora.get_xp is get_xp
assert isinstance(__version__, str)
assert issubclass(ArgparseMain, DecoratedMain)
print("ok")
"""
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_hydra_main_is_there_with_hydra_core() -> None:
    # Without hydra-core: see test_hydra_import.py.
    import dora
    from dora import hydra_main
    from dora.hydra import hydra_main as same

    assert hydra_main is same is dora.hydra_main


@pytest.mark.parametrize("name", ["distrib", "lightning", "hiplot"])
def test_later_modules_say_they_are_not_available_yet(name: str) -> None:
    import dora

    assert not hasattr(dora, name)
    with pytest.raises(AttributeError, match="not available yet"):
        getattr(dora, name)
    with pytest.raises(ImportError, match="not available yet"):
        __import__(f"dora.{name}")


def test_unknown_attribute_is_a_plain_attribute_error() -> None:
    import dora

    with pytest.raises(AttributeError, match="has no attribute 'plop'"):
        dora.plop  # noqa: B018

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from dora_shep.conf import DoraConfig, ShepConfig, SlurmConfig, SubmitRules, update_from_args
from dora_shep.errors import ConfigError, ShepError
from dora_shep.git_save import to_absolute_path


def test_dir_is_absolute_against_the_cwd(outputs: Path) -> None:
    conf = DoraConfig(dir="rel/out")
    assert conf.dir == Path(os.getcwd()) / "rel" / "out"
    assert isinstance(conf.dir, Path) and conf.dir.is_absolute()
    assert DoraConfig().dir == Path(os.getcwd()) / "outputs"


def test_reassigning_dir_or_shared_keeps_them_absolute(outputs: Path) -> None:
    conf = DoraConfig()
    conf.dir = "elsewhere"  # type: ignore[assignment]
    conf.shared = "shared"  # type: ignore[assignment]
    assert conf.dir == Path(os.getcwd()) / "elsewhere"
    assert conf.shared == Path(os.getcwd()) / "shared"
    conf.shared = None
    assert conf.shared is None


def test_dir_is_relative_to_the_original_dir_when_set(
    outputs: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("_DORA_ORIGINAL_DIR", str(tmp_path / "orig"))
    assert DoraConfig(dir="out").dir == tmp_path / "orig" / "out"


def test_symlinks_in_dir_are_not_resolved(outputs: Path, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert DoraConfig(dir="link").dir == tmp_path / "link"


def test_to_absolute_path_keeps_the_type(outputs: Path) -> None:
    assert to_absolute_path("a") == os.path.join(os.getcwd(), "a")
    assert isinstance(to_absolute_path("a"), str)
    assert to_absolute_path(Path("a")) == Path(os.getcwd()) / "a"
    assert to_absolute_path(Path("/x/y")) == Path("/x/y")


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="auto, local, slurm"):
        DoraConfig(backend="kubernetes")
    conf = DoraConfig(backend="local")
    with pytest.raises(ShepError):
        conf.backend = "lsf"
    assert conf.backend == "local"


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True])
def test_invalid_slots_are_rejected(value: object) -> None:
    with pytest.raises(ConfigError, match="slots"):
        DoraConfig(slots=value)  # type: ignore[arg-type]


def test_valid_slots() -> None:
    assert DoraConfig(slots=3).slots == 3
    assert DoraConfig().slots is None


def test_defaults_follow_dora_search() -> None:
    conf = DoraConfig()
    assert conf.history == "history.json" and conf.xps == "xps"
    assert conf.shep == ShepConfig() and conf.shep.json_job_file == "job.json"
    assert conf._grids == "grids" and conf._codes == "codes"
    assert conf.exclude == [] and DoraConfig().exclude is not conf.exclude
    slurm = SlurmConfig()
    assert (slurm.gpus, slurm.mem_per_gpu, slurm.time, slurm.cpus_per_gpu) == (1, 40, 1200, 10)
    assert slurm.srun_args == [] and slurm.nodelist is None and slurm.python is None
    assert slurm.container_chdir is False and slurm.force_chdir is None
    assert SubmitRules() == SubmitRules(retry=False, update=False, replace=False)


def test_is_excluded_uses_globs() -> None:
    conf = DoraConfig(exclude=["num_workers", "cat_*"])
    assert conf.is_excluded("cat_a") and conf.is_excluded("num_workers")
    assert not conf.is_excluded("a")


def test_update_from_args_copies_non_none_values() -> None:
    slurm = SlurmConfig()
    update_from_args(slurm, argparse.Namespace(gpus=4, partition=None, other=3))
    assert slurm.gpus == 4 and slurm.partition is None
    conf = DoraConfig()
    with pytest.raises(ConfigError):
        update_from_args(conf, argparse.Namespace(backend="nope"))

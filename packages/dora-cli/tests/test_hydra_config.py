"""The `dora:` and `slurm:` sections of a Hydra config, main.dora, main._base_cfg, laziness."""

from __future__ import annotations

import dataclasses
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hydra_helpers import user_main
from omegaconf import OmegaConf

from dora.hydra import HydraMain, hydra_main
from dora_shep.conf import DoraConfig, SlurmConfig
from dora_shep.errors import ConfigError, ShepError


def main_on(folder: Path, config: str, **kwargs: Any) -> HydraMain:
    """A HydraMain on a config written to `<folder>/conf/config.yaml`."""
    conf = folder / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "config.yaml").write_text(textwrap.dedent(config))
    kwargs.setdefault("version_base", "1.3")
    return HydraMain(user_main, config_name="config", config_path=str(conf), **kwargs)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_dora_section_sets_the_dora_config(tmp_path: Path) -> None:
    main = main_on(tmp_path, """
        lr: 0.1
        dora:
          dir: outputs
          exclude: [lr]
          git_save: false
          grid_package: proj.my_grids
          use_rendezvous: true
          backend: local
          slots: 3
          shep:
            by_id: ids
    """)
    assert isinstance(main.dora, DoraConfig)
    assert main.dora.dir == tmp_path / "outputs"
    assert main.dora.exclude == ["lr", "dora.*", "slurm.*"]
    assert (main.dora.grid_package, main.dora.use_rendezvous) == ("proj.my_grids", True)
    assert (main.dora.backend, main.dora.slots, main.dora.shep.by_id) == ("local", 3, "ids")
    assert main.get_xp(["lr=0.2"]).sig == "97d170e1"


def test_relative_dir_is_taken_from_the_folder_dora_started_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = main_on(tmp_path / "proj", "dora:\n  dir: outputs\n")
    launch = tmp_path / "launch"
    launch.mkdir()
    monkeypatch.chdir(launch)
    assert main.dora.dir == launch / "outputs"
    os.chdir(tmp_path)  # later changes of folder do not move it
    assert main.dora.dir == launch / "outputs"


def test_interpolations_in_the_dora_section_are_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DORA_TEST_OWNER", "alice")
    main = main_on(tmp_path, """
        root: /checkpoint
        dora:
          dir: ${root}/${oc.env:DORA_TEST_OWNER}/xps
          shared: ${oc.env:DORA_TEST_SHARED,null}
    """)
    assert main.dora.dir == Path("/checkpoint/alice/xps")
    assert main.dora.shared is None


def test_no_dora_section_gives_the_defaults(tmp_path: Path) -> None:
    main = main_on(tmp_path, "lr: 0.1\n")
    assert main.dora.dir == tmp_path / "outputs"
    assert main.dora.exclude == ["dora.*", "slurm.*"]
    assert main.get_slurm_config() == SlurmConfig()


def test_unknown_dora_key_names_the_valid_keys(tmp_path: Path) -> None:
    main = main_on(tmp_path, "dora:\n  dir: outputs\n  plop: 1\n")
    with pytest.raises(ConfigError) as info:
        main.dora  # noqa: B018
    message = str(info.value)
    assert "dora.plop" in message
    for field in ("dir", "exclude", "git_save", "shared", "backend", "slots", "grid_package"):
        assert field in message


def test_bad_values_in_the_dora_section_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Unknown backend 'nope'"):
        main_on(tmp_path / "a", "dora:\n  backend: nope\n").dora  # noqa: B018
    with pytest.raises(ConfigError, match="Could not read the dora: section.*DORA_NOPE"):
        main_on(tmp_path / "b", "dora:\n  dir: ${oc.env:DORA_NOPE}\n").dora  # noqa: B018


def test_slurm_section_accepts_every_field(tmp_path: Path) -> None:
    values = {
        "gpus": 8, "mem_per_gpu": 30, "time": 600, "cpus_per_gpu": 4, "cpus_per_task": 32,
        "partition": "dev", "comment": "hi", "setup": ["module load x"],
        "max_num_timeout": 3, "constraint": "volta32gb", "one_task_per_node": True,
        "array_parallelism": 10, "exclude": "node1", "qos": "high", "account": "team",
        "dependents": 1, "container_chdir": True, "force_chdir": False,
        "srun_args": ["--exclusive"], "python": "/usr/bin/python3", "nodelist": ["a", "b"],
    }
    fields = {field.name for field in dataclasses.fields(SlurmConfig)}
    assert set(values) <= fields  # every key of dora-search 0.1.13
    ours = {"gpus_per_node": 4, "use_srun": False, "additional_parameters": {"mail": "END"},
            "dev_partition": "dev2"}
    assert set(ours) <= fields
    values.update(ours)
    # backend and slots are DoraConfig fields: under slurm: they set main.dora.
    main = main_on(tmp_path, OmegaConf.to_yaml(
        {"lr": 1, "slurm": {**values, "backend": "local", "slots": 2}}))
    got = dataclasses.asdict(main.get_slurm_config())
    assert {key: got[key] for key in values} == values
    assert (main.dora.backend, main.dora.slots) == ("local", 2)
    assert main.get_slurm_config() is not main.get_slurm_config()
    assert main.get_xp(["slurm.gpus=2", "slurm.slots=3"]).sig == "97d170e1"


def test_backend_and_slots_under_slurm_give_way_to_the_dora_section(tmp_path: Path) -> None:
    main = main_on(tmp_path / "a", """
        dora:
          slots: 3
        slurm:
          backend: local
          slots: 2
          gpus: 0
    """)
    assert (main.dora.backend, main.dora.slots) == ("local", 3)
    assert main.get_slurm_config().gpus == 0
    main = main_on(tmp_path / "b", "dora:\n  backend: slurm\nslurm:\n  backend: local\n")
    assert (main.dora.backend, main.dora.slots) == ("slurm", None)
    with pytest.raises(ConfigError, match="Invalid slots 0"):
        main_on(tmp_path / "c", "slurm:\n  slots: 0\n").dora  # noqa: B018
    with pytest.raises(ConfigError, match="Unknown backend 'lcoal'"):
        main_on(tmp_path / "d", "slurm:\n  backend: lcoal\n").dora  # noqa: B018


def test_unknown_slurm_key_names_the_valid_keys(tmp_path: Path) -> None:
    main = main_on(tmp_path, "slurm:\n  gpus: 1\n  gpu: 2\n")
    with pytest.raises(ConfigError) as info:
        main.get_slurm_config()
    assert "gpu." in str(info.value) or "gpu " in str(info.value)
    assert "gpus" in str(info.value) and "mem_per_gpu" in str(info.value)
    assert "also takes backend and slots" in str(info.value)


def test_shared_folder_from_the_dora_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another main with the same `shared` (its own `dir`) finds an XP by its signature."""
    monkeypatch.setenv("DORA_TEST_SHARE", "team")
    config = "lr: 0.1\ndora:\n  dir: {dir}\n  shared: ${{oc.env:DORA_TEST_SHARE}}\n"
    mine = main_on(tmp_path / "mine", config.format(dir="mine_out"))
    theirs = main_on(tmp_path / "theirs", config.format(dir="their_out"))
    alone = main_on(tmp_path / "alone", "lr: 0.1\ndora:\n  dir: alone_out\n")
    assert mine.dora.shared == tmp_path / "team"
    xp = mine.get_xp(["lr=0.5"])
    mine.init_xp(xp)
    shared_argv = tmp_path / "team" / "xps" / xp.sig / ".argv.json"
    assert shared_argv.is_file()
    assert theirs.get_xp_from_sig(xp.sig).argv == ["lr=0.5"]
    assert not (tmp_path / "their_out" / "xps" / xp.sig).exists()
    with pytest.raises(ShepError, match=xp.sig):
        alone.get_xp_from_sig(xp.sig)


def test_main_dora_is_assignable(tmp_path: Path) -> None:
    main = main_on(tmp_path, "lr: 0.1\ndora:\n  dir: outputs\n")
    main.dora.dir = "rel"  # type: ignore[assignment]
    assert main.dora.dir == tmp_path / "rel"
    assert main.get_xp(["lr=0.3"]).folder.parent.parent == tmp_path / "rel"
    main.dora.shared = "shared"  # type: ignore[assignment]
    assert main.dora.shared == tmp_path / "shared"
    main.dora = DoraConfig(dir=Path("/elsewhere"))
    assert main.get_xp([]).folder == Path("/elsewhere/xps/97d170e1")
    # Even a DoraConfig without the automatic patterns keeps dora.* and slurm.* out.
    assert main.get_xp(["dora.dir=x"]).sig == "97d170e1"


def test_base_cfg_slurm_can_be_changed_as_audiocraft_does(tmp_path: Path) -> None:
    main = main_on(tmp_path, "lr: 0.1\nslurm:\n  partition: learnlab\n  gpus: 2\n")
    assert main._base_cfg.slurm.partition == "learnlab"
    main._base_cfg.slurm.partition = "devlab"
    assert main.get_slurm_config().partition == "devlab"
    main._base_cfg.slurm = {"gpus": 4}
    assert (main.get_slurm_config().gpus, main.get_slurm_config().partition) == (4, None)
    main._base_cfg = OmegaConf.create({"slurm": {"gpus": 1, "qos": "low"}})
    assert (main.get_slurm_config().gpus, main.get_slurm_config().qos) == (1, "low")
    # The signature base is not the user's copy.
    assert main.get_xp(["lr=0.1"]).sig == "97d170e1"


def test_nothing_is_composed_when_the_main_is_decorated(tmp_path: Path) -> None:
    main = main_on(tmp_path / "nowhere", "lr: 1\n")
    (tmp_path / "nowhere" / "conf" / "config.yaml").unlink()
    (tmp_path / "nowhere" / "conf").rmdir()  # missing: only a use would notice
    assert main._composer._cache == {} and main._composer._groups is None

    @hydra_main(config_name="config", config_path=str(tmp_path / "missing"))
    def other(cfg: Any) -> None:
        pass

    assert other._composer._cache == {}


def test_decorating_leaves_the_user_function_as_it_is(tmp_path: Path) -> None:
    def train(cfg: Any) -> None:
        pass

    module = train.__module__
    main = hydra_main(config_name="config", config_path="conf")(train)
    assert train.__module__ == module and main.main is train
    assert main.import_path == (module, "train")
    assert main.full_config_path == Path(__file__).resolve().parent / "conf"


def test_hydra_main_takes_dora_search_positional_order() -> None:
    main = hydra_main("test_conf", "hydra_conf/reference", version_base="1.3")(user_main)
    assert (main.config_name, main.config_path) == ("test_conf", "hydra_conf/reference")
    assert main.get_xp(["epochs=41"]).sig == "3fd60c3a"

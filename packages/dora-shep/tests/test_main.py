from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dora_shep.conf import DoraConfig, SlurmConfig
from dora_shep.errors import SignatureMismatch, UnknownSignature
from dora_shep.main import MainBase, MainProtocol
from dora_shep.xp import get_xp

TESTS = Path(__file__).resolve().parent


def test_names_come_from_the_module(main: Any) -> None:
    assert (main.package, main.main_module, main.name) == ("shepproj", "train", "shepproj")
    assert main.import_path == ("shepproj.train", "main")
    assert Path(main.import_root) == TESTS


def test_top_level_module_has_package_unknown() -> None:
    def train() -> None:
        pass

    train.__module__ = "mytrain"
    base = MainBase(train, DoraConfig())
    assert (base.package, base.main_module, base.name) == ("unknown", "mytrain", "unknown")
    assert base.import_path == ("mytrain", "train")


def test_follows_the_protocol(main: Any) -> None:
    assert isinstance(main, MainProtocol)


def test_pickles_by_import_path(main: Any) -> None:
    assert pickle.loads(pickle.dumps(main)) is main


def test_script_run_as_main_is_importable_again(tmp_path: Path) -> None:
    script = tmp_path / "proj" / "myscript.py"
    script.parent.mkdir()
    script.write_text(
        textwrap.dedent(
            """
            import json, pickle
            from dora_shep.conf import DoraConfig
            from dora_shep.main import MainBase

            def main():
                pass

            main = MainBase(main, DoraConfig())
            if __name__ == "__main__":
                same = pickle.loads(pickle.dumps(main)) is main
                print(json.dumps([main.package, main.main_module, list(main.import_path),
                                  main.import_root, same]))
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [
        "unknown",
        "myscript",
        ["myscript", "main"],
        str(script.parent),
        True,
    ]


def test_slurm_config_is_a_fresh_copy() -> None:
    base = MainBase(lambda: None, DoraConfig(), SlurmConfig(gpus=2, setup=["x"]))
    one = base.get_slurm_config()
    one.setup.append("y")
    assert base.get_slurm_config() == SlurmConfig(gpus=2, setup=["x"])


def test_call_runs_the_function_inside_its_xp(main: Any, tmp_path: Path) -> None:
    main(["--seed=3", "--sleep=0"])
    xp = main.get_xp(["--seed=3", "--sleep=0"])
    assert json.loads((xp.folder / "started.json").read_text())["pid"] > 0
    assert (xp.folder / "done.json").exists()
    assert xp._argv_cache.read_text() == '["--seed=3", "--sleep=0"]'
    with pytest.raises(RuntimeError):
        get_xp()


def test_call_defaults_to_sys_argv(main: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["train.py", "--seed=4"])
    main()
    assert (main.get_xp(["--seed=4"]).folder / "done.json").exists()


def test_argv_from_sig_local_then_shared(main: Any, tmp_path: Path) -> None:
    xp = main.get_xp(["--seed=5"])
    main.init_xp(xp)
    assert main.get_argv_from_sig(xp.sig) == ["--seed=5"]
    shared = tmp_path / "shared"
    shared_xp = shared / "xps" / "0123abcd"
    shared_xp.mkdir(parents=True)
    (shared_xp / ".argv.json").write_text('["--seed=6"]')
    main.dora.shared = shared
    assert main.get_argv_from_sig("0123abcd") == ["--seed=6"]


def test_unknown_sig_names_the_fix(main: Any) -> None:
    with pytest.raises(UnknownSignature, match="--dry_run --init") as info:
        main.get_argv_from_sig("ffffffff")
    assert "ffffffff" in str(info.value)


def test_unreadable_argv_says_why(main: Any) -> None:
    folder = main.dora.dir / "xps" / "0000aaaa"
    folder.mkdir(parents=True)
    (folder / ".argv.json").write_text("[not json")
    with pytest.raises(UnknownSignature, match="cannot be read"):
        main.get_argv_from_sig("0000aaaa")
    (folder / ".argv.json").write_text('{"a": 1}')
    with pytest.raises(UnknownSignature, match="list of strings"):
        main.get_argv_from_sig("0000aaaa")


def test_xp_from_sig_accepts_a_folder(main: Any) -> None:
    xp = main.get_xp(["--seed=7"])
    main.init_xp(xp)
    assert main.get_xp_from_sig(xp.sig) == xp
    assert main.get_xp_from_sig(str(xp.folder)) == xp


def test_xp_from_sig_whose_argv_gives_another_sig(main: Any) -> None:
    folder = main.dora.dir / "xps" / "00000000"
    folder.mkdir(parents=True)
    (folder / ".argv.json").write_text('["--seed=8"]')
    with pytest.raises(SignatureMismatch, match="defaults or exclude"):
        main.get_xp_from_sig("00000000")


def test_names_use_the_delta(main: Any) -> None:
    xps = [main.get_xp(["--seed=1", "--sleep=2"]), main.get_xp(["--seed=2", "--sleep=2"])]
    assert main.get_names(xps) == (["seed=1", "seed=2"], "sleep=2")
    assert main.get_name(xps[0]) == "seed=1 sleep=2"
    assert main.get_name(main.get_xp([])) == ""


def test_history_is_read_from_disk(main: Any) -> None:
    main(["--seed=9"])
    xp = main.get_xp(["--seed=9"])
    assert main.get_xp_history(xp) == [{"step": 1}]

"""argparse_main: signatures equal to dora-search's, value_to_argv, the main's API, pickling."""

from __future__ import annotations

import argparse
import pickle
import sys
import uuid
from pathlib import Path
from typing import Any, List

import pytest

from dora import argparse_main, get_xp
from dora.main import ArgparseMain


def example_a(tmp_path: Path) -> ArgparseMain:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", type=int)
    parser.add_argument("--b", type=int, default=42)
    parser.add_argument("--num_workers", type=int, default=10)
    parser.add_argument("--cat_a")
    parser.add_argument("--cat_b", type=int)

    @argparse_main(dir=tmp_path, parser=parser, exclude=["num_workers", "cat_*"])
    def main() -> Any:
        return get_xp()

    return main


def example_b(tmp_path: Path) -> ArgparseMain:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    return argparse_main(parser, dir=tmp_path, use_underscore=False)(lambda: None)


def test_worked_example_a_gives_dora_search_signature(tmp_path: Path) -> None:
    main = example_a(tmp_path)
    xp = main.get_xp(["--a=4", "--cat_a=plop", "--num_workers=3"])
    assert xp.sig == "9cf6e41e"
    assert xp.delta == [["a", 4]]
    assert main.get_name(xp) == "a=4"
    assert main.get_xp([]).sig == "97d170e1"
    assert main.get_xp(["--b=42"]).sig == "97d170e1"  # a default value changes nothing


def test_worked_example_b_dashed_flags(tmp_path: Path) -> None:
    main = example_b(tmp_path)
    argv = main.value_to_argv({"batch_size": 32, "lr": 0.01})
    assert argv == ["--batch-size=32", "--lr=0.01"]
    xp = main.get_xp(argv)
    assert xp.sig == "399e2ae3"
    assert main.get_name(xp) == "batch_size=32 lr=0.01"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("--lr=0.1", ["--lr=0.1"]),
        ({"lr": 0.1, "batch_size": 32}, ["--lr=0.1", "--batch_size=32"]),
        ({"flag": True}, ["--flag"]),
        ({"flag": False}, ["--flag=False"]),
        ({"x": None}, ["--x=None"]),
        (["--a=1", {"b": 2}, ("--c", ["--d=4"])], ["--a=1", "--b=2", "--c", "--d=4"]),
        ([], []),
        ({"path": Path("/x/y")}, ["--path=/x/y"]),
    ],
)
def test_value_to_argv_vectors(tmp_path: Path, value: Any, expected: List[str]) -> None:
    assert example_a(tmp_path).value_to_argv(value) == expected


def test_value_to_argv_refuses_other_types(tmp_path: Path) -> None:
    main = example_a(tmp_path)
    for bad in (3, 1.5, None, {1, 2}):
        with pytest.raises(ValueError, match="Cannot turn"):
            main.value_to_argv(bad)


def test_use_underscore_false_only_changes_keys_of_dicts(tmp_path: Path) -> None:
    main = example_b(tmp_path)
    assert main.value_to_argv({"batch_size": 3}) == ["--batch-size=3"]
    assert main.value_to_argv("--batch_size=3") == ["--batch_size=3"]


def test_parser_errors_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        example_a(tmp_path).get_xp(["--nope"])
    assert info.value.code == 2


def test_get_xp_from_argv_and_from_sig(tmp_path: Path) -> None:
    main = example_a(tmp_path)
    xp = main.get_xp_from_argv(["--a=4"])
    assert xp == main.get_xp(["--a=4"])
    main.init_xp(xp)
    assert main.get_xp_from_sig(xp.sig) == xp
    assert main.get_xp_from_sig(tmp_path / "xps" / xp.sig) == xp  # a Path works too


def test_calling_the_main_runs_the_function_inside_the_xp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = example_a(tmp_path)
    xp = main(["--a=5"])
    assert xp.sig == main.get_xp(["--a=5"]).sig and (xp.folder / ".argv.json").exists()
    monkeypatch.setattr(sys, "argv", ["train.py", "--a=6"])
    assert main().cfg.a == 6


def test_dora_dir_and_shared_are_assignable_and_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    main = example_a(tmp_path)
    main.dora.dir = "rel"
    assert main.dora.dir == tmp_path / "rel"
    main.dora.shared = None
    assert main.dora.shared is None


def test_options_go_to_the_dora_config(tmp_path: Path) -> None:
    main = argparse_main(
        dir=tmp_path, git_save=True, shared=tmp_path / "shared", grid_package="x.y",
        backend="local", slots=2,
    )(lambda: None)
    assert main.dora.git_save and main.dora.shared == tmp_path / "shared"
    assert (main.dora.grid_package, main.dora.backend, main.dora.slots) == ("x.y", "local", 2)
    assert main.get_xp([]).sig == "97d170e1"  # no parser given: an empty one
    with pytest.raises(TypeError, match="unknown option"):
        argparse_main(dir=tmp_path, plop=1)


def test_a_decorated_main_pickles_by_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = f"pick_{uuid.uuid4().hex[:8]}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "train.py").write_text(
        "import argparse\nfrom dora import argparse_main\n\n"
        "@argparse_main(dir='outputs', parser=argparse.ArgumentParser())\n"
        "def main():\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = __import__(f"{package}.train", fromlist=["main"])
    data = pickle.dumps(module.main)
    assert len(data) < 200  # a reference, not the parser or the config
    assert pickle.loads(data) is module.main
    assert module.main.import_path == (f"{package}.train", "main")
    assert (module.main.package, module.main.name) == (package, package)

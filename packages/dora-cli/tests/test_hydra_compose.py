"""Compositions: the shortcut (no `hydra` node, files read once) gives Hydra's config.

Every composition the fast path and `main.dora` use comes from the shortcut when the
config does not touch Hydra's own node; these tests hold it to Hydra's plain `compose`,
node by node (types, flags, values), and check when it steps aside.
"""

from __future__ import annotations

import random
import textwrap
import warnings
from pathlib import Path
from typing import Any, List, Tuple

import pytest
from cli_helpers import Dora
from hydra_cases import random_argv
from hydra_helpers import make_main, user_main, write_project
from omegaconf import DictConfig, ListConfig

from dora._hydra._compose import Composer
from dora._hydra._errors import InvalidConfigFile
from dora.hydra import HydraMain
from dora_shep.errors import ShepError


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DORA_HYDRA_SLOW", raising=False)


def tree(node: Any, path: str = "") -> List[Tuple[Any, ...]]:
    """Every node of a config: path, class, metadata (resolver cache left out), state, and
    the value (with its type) of the leaves."""
    meta = node._metadata
    described = {
        name: getattr(meta, name) for name in vars(meta) if name != "resolver_cache"
    }
    row: Tuple[Any, ...] = (path, type(node).__name__, repr(described),
                            node._is_missing(), node._is_interpolation(), node._is_none())
    rows = [row]
    opened = not (node._is_missing() or node._is_interpolation() or node._is_none())
    if isinstance(node, DictConfig) and opened:
        for key in node.keys():
            rows += tree(node._get_node(key), f"{path}.{key}")
    elif isinstance(node, ListConfig) and opened:
        for index in range(len(node)):
            rows += tree(node._get_node(index), f"{path}[{index}]")
    elif not isinstance(node, (DictConfig, ListConfig)):
        value = node._value()
        rows[0] = row + (type(value).__name__, repr(value))
    return rows


def outcome(composer: Composer, argv: List[str], plain: bool) -> Any:
    try:
        return tree(composer.compose(argv, plain=plain))
    except ShepError as exc:
        return ("error", type(exc).__name__, str(exc))


def composer_on(conf: Path, config: str, **files: str) -> Composer:
    """A Composer on a config folder written under `conf` (`model__a` is model/a.yaml)."""
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "config.yaml").write_text(textwrap.dedent(config))
    for name, text in files.items():
        path = conf / (name.replace("__", "/") + ".yaml")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return Composer(conf, "config", "train", {"version_base": "1.3"})


def test_the_shortcut_gives_hydras_composition_on_random_argvs() -> None:
    composer = make_main("rich")._composer
    assert composer._shortcut is not None, "this Hydra is one the shortcut supports"
    rng = random.Random(77)
    cases = [[], ["model=big"], ["model=big", "optim=sgd", "model/enc=rnn"],
             ["+data/train=a", "lr=3"], ["model/enc=rnn", "+model.extra={a: 1}"]]
    cases += [random_argv(rng, odd=0.0) for _ in range(60)]
    composed = 0
    for argv in cases:
        taken = composer._shortcut.taken
        expected = outcome(composer, argv, plain=True)
        assert outcome(composer, argv, plain=False) == expected, argv
        if expected[0] != "error":
            composed += 1
            assert composer._shortcut.taken == taken + 1, argv  # not a plain compose
    assert composer._shortcut.active and composed > 40


def test_compositions_do_not_share_what_was_read() -> None:
    composer = make_main("rich")._composer
    first = composer.compose([])
    first.model.dim = 999
    first.tags.append("z")
    first.nested.a.b.c = -1
    again = composer.compose([])
    assert (again.model.dim, list(again.tags), again.nested.a.b.c) == (10, ["a", "b"], 1)
    assert tree(again) == tree(composer.compose([], plain=True))
    assert composer.compose(["model=big"]).model.dim == 100


def test_the_shortcut_steps_aside_for_hydra_overrides() -> None:
    composer = make_main("rich")._composer
    assert composer._shortcut is not None
    for argv in (["hydra.job.name=other"], ["hydra/job_logging=disabled", "lr=2"]):
        assert outcome(composer, argv, plain=False) == outcome(composer, argv, plain=True)
    assert composer._shortcut.taken == 0 and composer._shortcut.active


@pytest.mark.parametrize("config", [
    # dora-search's test config: a `hydra:` section in the primary config
    "epochs: 1\nhydra:\n  job:\n    chdir: true\n",
    # Hydra's own groups chosen from the defaults list
    "defaults:\n  - _self_\n  - override hydra/job_logging: disabled\nepochs: 1\n",
    # a search path of its own
    "hydra:\n  searchpath: [pkg://hydra.conf]\nepochs: 1\n",
])
def test_configs_touching_hydras_node_are_composed_by_hydra(tmp_path: Path, config: str) -> None:
    composer = composer_on(tmp_path / "conf", config)
    plain = outcome(composer, ["epochs=2"], plain=True)
    assert plain[0] != "error"
    assert outcome(composer, ["epochs=2"], plain=False) == plain
    assert composer._shortcut is not None
    assert composer._shortcut.taken == 0 and not composer._shortcut.active
    assert outcome(composer, [], plain=False) == outcome(composer, [], plain=True)


def test_a_group_file_with_a_hydra_key_is_composed_by_hydra(tmp_path: Path) -> None:
    composer = composer_on(
        tmp_path / "conf", "defaults:\n  - _self_\n  - model: a\nepochs: 1\n",
        model__a="dim: 1\n", model__b="# @package _global_\nhydra:\n  verbose: true\nm: 2\n",
    )
    assert outcome(composer, [], plain=False) == outcome(composer, [], plain=True)
    assert composer._shortcut is not None and composer._shortcut.taken == 1
    assert outcome(composer, ["model=b"], plain=False) == outcome(composer, ["model=b"], True)
    assert composer._shortcut.taken == 1 and not composer._shortcut.active


@pytest.mark.parametrize("version_base", ["1.1", "1.3", None])
def test_the_shortcut_follows_the_version_base(tmp_path: Path, version_base: Any) -> None:
    """A defaults list without `_self_` (Hydra warns, and puts the primary config last)."""
    conf = tmp_path / "conf"
    composer_on(conf, "defaults:\n  - model: a\ndim: 0\nepochs: 1\n",
                model__a="# @package _global_\ndim: 1\nx: 1\n",
                model__b="# @package _global_\ndim: 2\n")
    composer = Composer(conf, "config", "train", {"version_base": version_base})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for argv in ([], ["model=b"], ["model=b", "epochs=2"]):
            expected = outcome(composer, argv, plain=True)
            assert expected[0] != "error"
            assert outcome(composer, argv, plain=False) == expected
        assert (composer.compose([])["dim"], composer.compose([])["x"]) == (0, 1)
    assert composer._shortcut is not None and composer._shortcut.taken == 5


def test_errors_are_hydras_own_through_the_shortcut() -> None:
    composer = make_main("rich")._composer
    for argv in (["model=huge"], ["lrr=1"], ["+lr=2"], ["tags=[1,"], ["lr=1,2"]):
        expected = outcome(composer, argv, plain=True)
        assert expected[0] == "error"
        assert outcome(composer, argv, plain=False) == expected
    assert composer._shortcut is not None and composer._shortcut.active


def test_the_slow_path_never_takes_the_shortcut() -> None:
    main = make_main("rich", slow=True)
    xp = main.get_xp(["model=big", "lr=3"])
    assert xp.delta == [["model", "big"], ["label", "run_100_3"], ["lr", 3]]
    assert sorted(main._composer._plain_cache) == [("model=big",)]
    assert sorted(main._composer._cache) == [()]  # main.dora: the dora: section only


def test_groups_are_hydras_list() -> None:
    main = make_main("rich")
    with main._composer.initialized() as hydra:
        listed = frozenset(hydra.list_all_config_groups())
    assert main._composer.groups() == listed
    assert {"model", "model/enc", "optim", "data/train", "hydra/launcher"} <= listed
    assert "data" in main._composer.group_dirs() and "data" not in listed


# A config file that is not valid YAML: one message naming the file and the line.

BROKEN = "defaults:\n  - _self_\n  - model: small\nepochs: [1, 2\nlr: 0.1\n"


def test_invalid_yaml_in_the_primary_config(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    composer_on(conf, BROKEN, model__small="dim: 1\n")
    for slow in (False, True):
        main = HydraMain(user_main, config_name="config", config_path=str(conf),
                         version_base="1.3")
        main._force_slow = slow
        with pytest.raises(InvalidConfigFile) as info:
            main.get_xp(["lr=0.2"])
        message = str(info.value)
        assert f"{conf / 'config.yaml'} (line 5, column 3) is not valid YAML" in message
        assert "expected ',' or ']'" in message and "Fix the file" in message
        assert "\n" not in message


def test_invalid_yaml_in_a_group_file(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    composer_on(conf, "defaults:\n  - _self_\n  - model: small\nlr: 0.1\n",
                model__small="dim: 1\n", model__big="dim: 2\nlayers: {a: 1\n")
    main = HydraMain(user_main, config_name="config", config_path=str(conf),
                     version_base="1.3")
    assert main.get_xp(["lr=0.2"]).delta == [["lr", 0.2]]
    with pytest.raises(InvalidConfigFile, match=r"model/big.yaml \(line 3, column 1\)"):
        main.get_xp(["model=big", "lr=0.2"])


def test_invalid_yaml_through_the_dora_command(tmp_path: Path) -> None:
    base = write_project(tmp_path, grids={"g": "launcher(epochs=3)"})
    (base / "conf" / "model" / "big.yaml").write_text("dim: 100\n  bad: indent\n")
    dora = Dora(tmp_path)
    assert dora("run", "epochs=3").returncode == 0
    before = sorted(path.name for path in (dora.outputs / "xps").iterdir())
    for args in (["run", "model=big"], ["info", "model=big"], ["launch", "model=big"]):
        proc = dora(*args)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("FATAL:"), (args, proc.stderr)
        assert "model/big.yaml (line 2, column 6) is not valid YAML" in lines[0]
    (base / "conf" / "config.yaml").write_text("epochs: 2\nlr: [\n")
    proc = dora("grid", "g", "--no_monitoring")
    assert proc.returncode == 1 and "conf/config.yaml (line 3" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(path.name for path in (dora.outputs / "xps").iterdir()) == before
    assert not (dora.outputs / "grids").exists()

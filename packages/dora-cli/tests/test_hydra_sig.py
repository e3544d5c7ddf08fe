"""Hydra signatures: dora-search's worked examples, launcher values, fast path = slow path."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any, Iterator

import pytest
from hydra_cases import random_argv
from hydra_helpers import make_main
from omegaconf import DictConfig, OmegaConf

from dora.hydra import HydraMain
from dora_shep.errors import ShepError


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DORA_HYDRA_SLOW", raising=False)


@pytest.fixture(params=["fast", "slow"])
def reference(request: pytest.FixtureRequest) -> Iterator[HydraMain]:
    """The config of dora-search's tests (section 3.6), through each path."""
    main = make_main("reference", "test_conf", slow=request.param == "slow")
    yield main
    if request.param == "fast":  # every XP of these tests went through the fast path
        assert main._fast is None or main._fast.misses == 0


# Worked examples C to F of dora-behaviour.md section 3.6.
EXAMPLES = [
    (["group=lapin", "optim.loss=l1", "num_workers=40", "+k=youpi"], "0516e96b",
     [["group", "lapin"], ["optim.loss", "l1"], ["k", "youpi"]]),
    (["optim.loss=l1", "useless.b=false"], "3da894fd", [["optim.loss", "l1"]]),
    (["optim.loss=l1"], "3da894fd", [["optim.loss", "l1"]]),
    (["epochs=40.0"], "97d170e1", []),
    ([], "97d170e1", []),
    (["epochs=41.0"], "fe70716e", [["epochs", 41.0]]),
    (["epochs=41"], "3fd60c3a", [["epochs", 41]]),
    (["complex.b={a:21}"], "9f7a9aba", [["complex.b.a", 21]]),
    (["+new={x: 1, y: [1,2]}"], "7c10dc55", [["new", {"x": 1, "y": [1, 2]}]]),
]


@pytest.mark.parametrize("argv, sig, delta", EXAMPLES)
def test_worked_examples_give_the_reference_signatures(
    reference: HydraMain, argv: list, sig: str, delta: list
) -> None:
    xp = reference.get_xp(argv)
    assert (xp.sig, xp.delta) == (sig, delta)
    assert [type(value) for _, value in xp.delta] == [type(value) for _, value in delta]


def test_example_c_name_and_stored_argv(reference: HydraMain) -> None:
    xp = reference.get_xp(["group=lapin", "optim.loss=l1", "num_workers=40", "+k=youpi"])
    assert reference.get_name(xp) == "group=lapin opt.loss=l1 k=youpi"
    assert xp.argv == ["group=lapin", "optim.loss=l1", "num_workers=40", "+k=youpi"]


def test_repeated_keys_keep_the_last_in_original_order(reference: HydraMain) -> None:
    xp = reference.get_xp(["optim.loss=a", "epochs=3", "optim.loss=b"])
    assert xp.argv == ["epochs=3", "optim.loss=b"]
    assert xp.delta == [["epochs", 3], ["optim.loss", "b"]]
    assert reference.get_xp(["optim.loss=b", "epochs=3"]).sig == xp.sig


def test_plus_and_plain_keys_are_different_keys(reference: HydraMain) -> None:
    xp = reference.get_xp(["+k=1", "++k=2"])
    assert xp.argv == ["+k=1", "++k=2"]
    assert xp.delta == [["k", 2]]


def test_group_override_gives_its_raw_value_first(reference: HydraMain) -> None:
    xp = reference.get_xp(["epochs=3", "group=lapin"])
    assert xp.delta == [["group", "lapin"], ["epochs", 3]]
    # The base is composed with the group: its own values give no entry.
    assert reference.get_xp(["group=lapin", "lapin.a=5"]).delta == [["group", "lapin"]]
    assert reference.get_xp(["group=plop"]).sig == reference.get_xp(["group=plop"]).sig


def test_dora_and_slurm_keys_never_enter_the_signature(reference: HydraMain) -> None:
    xp = reference.get_xp(["dora.dir=elsewhere", "slurm.cpus_per_task=8", "+dora.x=1"])
    assert xp.sig == "97d170e1"
    assert "dora.*" in reference.dora.exclude and "slurm.*" in reference.dora.exclude


def test_nested_new_key_appears_at_its_path(reference: HydraMain) -> None:
    assert reference.get_xp(["+complex.b.c=3"]).delta == [["complex.b.c", 3]]
    assert reference.get_xp(["++optim.lr=0.1"]).delta == [["optim.lr", 0.1]]


def test_get_xp_from_argv_is_get_xp(reference: HydraMain) -> None:
    argv = ["group=lapin", "optim.loss=l1", "num_workers=40", "+k=youpi"]
    xp = reference.get_xp_from_argv(argv)
    assert (xp.sig, xp.argv) == ("0516e96b", argv)
    assert xp.delta == [["group", "lapin"], ["optim.loss", "l1"], ["k", "youpi"]]
    assert reference.get_xp_from_argv(["epochs=41", "epochs=41.0"]).sig == "fe70716e"
    assert reference.get_xp_from_argv([]).folder == reference.dora.dir / "xps" / "97d170e1"
    with pytest.raises(ShepError, match="not an override"):
        reference.get_xp_from_argv(["epochs"])


def test_sig_and_names_from_folders(reference: HydraMain) -> None:
    xps = [reference.get_xp([f"epochs={epochs}", "optim.loss=x"]) for epochs in (1, 2)]
    for xp in xps:
        reference.init_xp(xp)
        assert reference.get_xp_from_sig(xp.sig).sig == xp.sig
        assert reference.get_xp_from_sig(Path(xp.folder)).argv == xp.argv
    assert reference.get_names(xps) == (["epochs=1", "epochs=2"], "opt.loss=x")


def test_the_config_of_an_xp_is_the_composed_one(reference: HydraMain) -> None:
    cfg = reference.get_xp(["group=lapin", "epochs=41.0", "+k=youpi"]).cfg
    assert isinstance(cfg, DictConfig)
    assert cfg.epochs == 41.0 and isinstance(cfg.epochs, float)
    assert cfg.k == "youpi" and cfg.lapin.a == 5 and "plop" not in cfg
    assert "hydra" not in cfg


# Launcher values in Hydra's grammar (dora-behaviour.md section 3.7, field report BUG-02).


def test_value_to_argv_reference_vector(reference: HydraMain) -> None:
    value = {"a": None, "b": True, "c": 1e-4, "d": "relu", "e": [1, "x"],
             "f": {"k": 1, 2: None}, "group": "lapin"}
    assert reference.value_to_argv(value) == [
        "a=null", "b=true", "c=0.0001", "d=\"relu\"", "e=[1, \"x\"]", "f={k: 1, 2: null}",
        "group=lapin",
    ]


def test_value_to_argv_more_vectors(reference: HydraMain) -> None:
    value = {"name": "héllo", "x": 1e-5, "y": float("inf"), "w": -3, "v": False,
             "f": {True: 1, None: 2, 1.5: [1, {"a": None}]}, "+extra": 3, "++s": "a b",
             "t": (1, 2), "e": [], "g": {}, "h": 1.0}
    assert reference.value_to_argv(value) == [
        'name="h\\u00e9llo"', "x=1e-05", "y=Infinity", "w=-3", "v=false",
        "f={True: 1, null: 2, 1.5: [1, {a: null}]}", "+extra=3", '++s="a b"', "t=[1, 2]",
        "e=[]", "g={}", "h=1.0",
    ]
    assert reference.value_to_argv(["x=1", {"group": 3}, "y=2"]) == ["x=1", "group=3", "y=2"]
    assert reference.value_to_argv("plain=1") == ["plain=1"]


def test_value_to_argv_group_paths_stay_unquoted() -> None:
    main = make_main("rich")
    assert main.value_to_argv({"model/enc": "rnn", "model": "big", "+model/enc": "x"}) == [
        "model/enc=rnn", "model=big", '+model/enc="x"'
    ]


def test_value_to_argv_refuses_what_hydra_cannot_parse(reference: HydraMain) -> None:
    with pytest.raises(ValueError, match="contains ':'"):
        reference.value_to_argv({"f": {"a:b": 1}})
    with pytest.raises(ValueError, match="Unsupported dict key type tuple"):
        reference.value_to_argv({"f": {(1, 2): 1}})
    with pytest.raises(ValueError, match="Unsupported value type set"):
        reference.value_to_argv({"x": {1, 2}})
    with pytest.raises(ValueError, match="Can only process dict, tuple, lists and str"):
        reference.value_to_argv(3)


def test_grid_values_reload_to_the_same_signature(reference: HydraMain) -> None:
    argv = reference.value_to_argv(
        {"complex.a": [0.9, 0.95], "optim.loss": None, "complex.b": {"a": 1, "b": 2},
         "group": "lapin", "+extra": 3}
    )
    assert argv == ["complex.a=[0.9, 0.95]", "optim.loss=null", "complex.b={a: 1, b: 2}",
                    "group=lapin", "+extra=3"]
    xp = reference.get_xp(argv)
    reference.init_xp(xp)
    assert reference.get_xp_from_sig(xp.sig).delta == xp.delta
    assert xp.delta == [["group", "lapin"], ["complex.a", [0.9, 0.95]],
                        ["optim.loss", None], ["extra", 3]]


# The fast path against the slow path (the reference's algorithm), on random argvs.


def _outcome(main: HydraMain, argv: list) -> Any:
    try:
        xp = main.get_xp(argv)
    except ShepError as exc:
        return ("error", type(exc).__name__)
    except Exception as exc:  # a non-user error would be a bug: shows in the comparison
        return ("crash", type(exc).__name__, str(exc))
    cfg = OmegaConf.to_container(xp.cfg, resolve=False)
    return (xp.sig, xp.delta, xp.argv, cfg)


def _same_work_copies(main: HydraMain) -> None:
    """Every working copy kept by the fast path equals its composition, flags included."""
    assert main._fast is not None
    for combo in main._fast._combos.values():
        if combo.work is None:
            continue
        assert OmegaConf.to_container(combo.work, resolve=False) == OmegaConf.to_container(
            combo.base, resolve=False)
        assert OmegaConf.is_struct(combo.work) == OmegaConf.is_struct(combo.base)
        for key in combo.base.keys():
            assert combo.work._get_node(key)._get_parent() is combo.work


def test_fast_path_equals_slow_path_on_random_argvs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DORA_TEST_USER", "someone")
    fast, slow = make_main("rich"), make_main("rich", slow=True)
    rng = random.Random(1234)
    cases = [random_argv(rng, odd=0.03) for _ in range(200)]
    compared = 0
    for argv in cases:
        expected = _outcome(slow, argv)
        assert expected[0] != "crash", (argv, expected)
        assert _outcome(fast, argv) == expected, argv
        _same_work_copies(fast)
        compared += expected[0] != "error"
    assert fast._fast is not None
    assert compared > 140 and fast._fast.hits > 130


def test_env_variable_forces_the_slow_path(monkeypatch: pytest.MonkeyPatch) -> None:
    main = make_main("rich")
    monkeypatch.setenv("DORA_HYDRA_SLOW", "1")
    xp = main.get_xp(["epochs=3"])
    assert main._fast is None and isinstance(xp.cfg, DictConfig)
    monkeypatch.setenv("DORA_HYDRA_SLOW", "0")
    assert main.get_xp(["epochs=3"]).sig == xp.sig
    assert main._fast is not None and main._fast.hits == 1


def test_the_config_of_a_fast_xp_is_composed_on_first_access() -> None:
    main = make_main("rich")
    xp = main.get_xp(["model=big", "epochs=3"])
    assert xp._cfg is not None and not isinstance(xp._cfg, DictConfig)
    assert xp.cfg.model.dim == 100 and xp.cfg.epochs == 3
    assert xp.cfg is xp.cfg
    xp.cfg = "replaced"
    assert xp.cfg == "replaced"


def test_interpolations_follow_the_values_they_use() -> None:
    main = make_main("rich")
    assert main.get_xp(["epochs=3"]).delta == [["epochs", 3], ["interp", 3]]
    assert main.get_xp(["model=big"]).delta == [["model", "big"]]
    # label interpolates model.dim: the base of the group has dim 100 already.
    assert main.get_xp(["model=big", "model.dim=7"]).delta == [
        ["model", "big"], ["label", "run_7_0.1"], ["model.dim", 7]]
    assert main.get_xp(["nested.a.b.c=5"]).delta == [
        ["derived.node_ref.b.c", 5], ["derived.twice", 5], ["nested.a.b.c", 5]]


def test_composition_happens_once_per_group_combination() -> None:
    main = make_main("rich")
    for lr in range(20):
        for model in ("small", "big"):
            main.get_xp([f"model={model}", f"lr={lr}"])
    assert sorted(main._composer._cache) == [(), ("model=big",), ("model=small",)]


def test_a_working_copy_is_not_the_composition() -> None:
    main = make_main("rich")
    main.get_xp(["epochs=3"])
    assert main._fast is not None
    combo = main._fast._combos[()]
    assert combo.work is not None and combo.work is not combo.base
    before = copy.deepcopy(OmegaConf.to_container(combo.base, resolve=False))
    for argv in (["epochs=5", "+new.x=1"], ["nested.a={e: z}"], ["tags.0=z", "++nothing={a: 1}"]):
        main.get_xp(argv)
    assert OmegaConf.to_container(combo.base, resolve=False) == before
    _same_work_copies(main)

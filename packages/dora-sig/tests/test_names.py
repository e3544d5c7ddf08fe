"""Short names: what grid patterns are matched against, so exactly the reference's."""

from __future__ import annotations

from pathlib import Path

from dora_sig import get_name, get_names, short_name_part


def test_short_name_part() -> None:
    assert short_name_part("optim.loss", "l1") == "opt.loss=l1"
    assert short_name_part("model.encoder.channels", 64) == "mod.enc.channels=64"
    assert short_name_part("use_amp", True) == "use_amp"
    assert short_name_part("use_amp", False) == "use_amp=False"
    assert short_name_part("tags", ["a", 1]) == "tags=['a', 1]"
    assert short_name_part("x", None) == "x=None"
    assert short_name_part("data.path", Path("/a/b/set")) == "dat.path=set"
    assert short_name_part("n", 1) == "n=1"


def test_reference_example_names_and_base() -> None:
    deltas = [
        [("epochs", 1), ("optim.loss", "x")],
        [("epochs", 2), ("optim.loss", "x")],
        [("group", "lapin"), ("epochs", 3), ("optim.loss", "x")],
    ]
    assert get_names(deltas) == (["epochs=1", "epochs=2", "group=lapin epochs=3"],
                                 "opt.loss=x")


def test_xp_names_keep_their_own_order() -> None:
    deltas = [[("b", 1), ("a", 1)], [("a", 2), ("b", 2)]]
    assert get_names(deltas) == (["b=1 a=1", "a=2 b=2"], "")


def test_key_missing_from_any_xp_leaves_the_base() -> None:
    deltas = [[("a", 1), ("b", 1)], [("a", 1)]]
    assert get_names(deltas) == (["b=1", ""], "a=1")


def test_get_name_is_the_full_short_name() -> None:
    assert get_name([("group", "lapin"), ("optim.loss", "l1"), ("k", "youpi")]) == \
        "group=lapin opt.loss=l1 k=youpi"
    assert get_name([]) == ""


def test_no_xp_gives_empty_names() -> None:
    assert get_names([]) == ([], "")

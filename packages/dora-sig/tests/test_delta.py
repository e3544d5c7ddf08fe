"""argparse_delta() and mapping_delta(): the two ways a delta against defaults is built."""

from __future__ import annotations

import argparse

import pytest

from dora_sig import DeltaError, SigError, argparse_delta, mapping_delta


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--typed", type=float, default="0.5")
    parser.add_argument("--flag", action="store_true")
    parser.set_defaults(extra="x")
    return parser


def test_argparse_delta_keeps_changed_values_in_namespace_order() -> None:
    parser = _parser()
    namespace = parser.parse_args(["--flag", "--batch-size=32", "--lr=0.1"])
    assert argparse_delta(parser, namespace) == [
        ("batch_size", 32), ("typed", 0.5), ("flag", True)]


def test_argparse_delta_string_default_for_typed_option_always_differs() -> None:
    parser = _parser()
    assert argparse_delta(parser, parser.parse_args(["--typed=0.5"])) == [("typed", 0.5)]


def test_argparse_delta_sees_set_defaults_extras_and_later_changes() -> None:
    parser = _parser()
    namespace = parser.parse_args(["--typed", "0.5"])
    namespace.extra = "y"
    assert argparse_delta(parser, namespace)[-1] == ("extra", "y")


def test_mapping_delta_int_and_float_compare_equal_but_keep_their_type() -> None:
    assert mapping_delta({"epochs": 40}, {"epochs": 40.0}) == []
    delta = mapping_delta({"epochs": 40}, {"epochs": 41.0})
    assert delta == [("epochs", 41.0)] and type(delta[0][1]) is float


def test_mapping_delta_order_is_sorted_depth_first_existing_before_added() -> None:
    base = {"z": 1, "a": {"y": 1, "b": 2}, "m": [1]}
    other = {"new": {"q": 1}, "z": 2, "a": {"b": 3, "y": 1, "added": [1, 2]}, "m": [1, 2],
             "b": None}
    assert mapping_delta(base, other) == [
        ("a.b", 3), ("a.added", [1, 2]), ("m", [1, 2]), ("z", 2), ("b", None),
        ("new", {"q": 1})]


def test_mapping_delta_leaf_replaced_by_mapping_is_emitted_whole() -> None:
    assert mapping_delta({"x": None}, {"x": {"k": 1}}) == [("x", {"k": 1})]


def test_mapping_delta_deleted_key_names_the_dotted_key() -> None:
    with pytest.raises(DeltaError, match="'optim.lr'") as info:
        mapping_delta({"optim": {"lr": 0.1}}, {"optim": {}})
    assert isinstance(info.value, SigError)


def test_mapping_delta_mapping_replaced_by_leaf_is_refused() -> None:
    with pytest.raises(DeltaError, match="'optim'.*mapping"):
        mapping_delta({"optim": {"lr": 0.1}}, {"optim": 3})


def test_mapping_delta_on_omegaconf_resolves_interpolations() -> None:
    omegaconf = pytest.importorskip("omegaconf")
    base = omegaconf.OmegaConf.create({"lr": 0.1, "sched": {"lr": "${lr}"}})
    other = omegaconf.OmegaConf.create({"lr": 0.2, "sched": {"lr": "${lr}"}, "new": [1]})
    delta = mapping_delta(base, other)
    assert delta[:2] == [("lr", 0.2), ("sched.lr", 0.2)]
    assert delta[2][0] == "new" and list(delta[2][1]) == [1]

"""Selecting XPs of a grid by name patterns and indexes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, List

import pytest

from dora_grid import PatternError, filter_sheep


class NamedMain:
    """Stands for a main: the full short name of an XP is its `name` attribute."""

    def get_name(self, xp: Any) -> str:
        return xp.name


def herd(*names: str) -> List[Any]:
    return [SimpleNamespace(xp=SimpleNamespace(name=name)) for name in names]


SHEEPS = herd("lr=0.1 bs=64", "lr=0.2 bs=64", "lr=0.1 bs=128", "opt.loss=l1 bs=64")


def names(sheeps: List[Any]) -> List[str]:
    return [sheep.xp.name for sheep in sheeps]


def test_no_pattern_keeps_everything() -> None:
    assert filter_sheep(NamedMain(), SHEEPS, []) == SHEEPS


def test_a_pattern_matches_anywhere_in_the_full_name() -> None:
    assert names(filter_sheep(NamedMain(), SHEEPS, ["bs=64"])) == [
        "lr=0.1 bs=64", "lr=0.2 bs=64", "opt.loss=l1 bs=64"]
    assert names(filter_sheep(NamedMain(), SHEEPS, ["loss"])) == ["opt.loss=l1 bs=64"]


def test_glob_wildcards_work_inside_a_pattern() -> None:
    assert names(filter_sheep(NamedMain(), SHEEPS, ["lr=0.? bs=1*"])) == ["lr=0.1 bs=128"]


def test_bang_negates_and_patterns_combine_with_and() -> None:
    assert names(filter_sheep(NamedMain(), SHEEPS, ["!bs=64"])) == ["lr=0.1 bs=128"]
    assert names(filter_sheep(NamedMain(), SHEEPS, ["bs=64", "!lr=0.2"])) == [
        "lr=0.1 bs=64", "opt.loss=l1 bs=64"]


def test_integers_are_indexes_into_the_matching_xps() -> None:
    assert names(filter_sheep(NamedMain(), SHEEPS, ["bs=64", "2", "0"])) == [
        "opt.loss=l1 bs=64", "lr=0.1 bs=64"]
    assert names(filter_sheep(NamedMain(), SHEEPS, ["-1"])) == ["opt.loss=l1 bs=64"]
    assert names(filter_sheep(NamedMain(), SHEEPS, [1])) == ["lr=0.2 bs=64"]


def test_the_callers_pattern_list_is_not_changed() -> None:
    patterns = ["bs=64", "1"]
    filter_sheep(NamedMain(), SHEEPS, patterns)
    assert patterns == ["bs=64", "1"]


def test_an_index_out_of_range_is_a_clear_error() -> None:
    with pytest.raises(PatternError, match="Invalid index 7: 4 XP"):
        filter_sheep(NamedMain(), SHEEPS, ["7"])
    with pytest.raises(PatternError, match="no XP matches"):
        filter_sheep(NamedMain(), SHEEPS, ["nothing-like-this", "0"])

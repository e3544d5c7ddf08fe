"""Selecting XPs of a grid by name patterns and indexes."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, Sequence

import pytest

from dora_grid import Explorer, PatternError, RunGridArgs, filter_sheep, run_grid
from dora_grid.patterns import no_match_message
from dora_shep.conf import DoraConfig
from dora_shep.main import MainBase
from dora_shep.xp import XP


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


# Full dotted keys (beyond the reference): a real main whose config keys are dotted, as
# Hydra's are, so that the short names shorten them (`optim.lr` -> `opt.lr`).

DOTTED = {"optim.lr": 0.1, "model.encoder.channels": 32, "epochs": 2, "optim.amp": False}


class DottedMain(MainBase):
    """XPs described by `key=value` arguments (JSON values) over dotted keys."""

    def get_xp(self, argv: Sequence[str]) -> XP:
        cfg = dict(DOTTED)
        for arg in argv:
            key, _, value = arg.partition("=")
            cfg[key] = json.loads(value)
        delta = [(key, value) for key, value in cfg.items() if DOTTED[key] != value]
        return XP(self.dora, cfg, list(argv), delta=delta)

    def value_to_argv(self, arg: Any) -> List[str]:
        return [f"{key}={json.dumps(value)}" for key, value in arg.items()]


def _train() -> None:
    pass


@pytest.fixture
def dotted(tmp_path: Path) -> DottedMain:
    return DottedMain(_train, DoraConfig(dir=tmp_path / "outputs"))


def dotted_herd(main: DottedMain, *calls: Dict[str, Any]) -> List[Any]:
    return [SimpleNamespace(xp=main.get_xp(main.value_to_argv(call))) for call in calls]


def short_names(main: DottedMain, sheeps: List[Any]) -> List[str]:
    return [main.get_name(sheep.xp) for sheep in sheeps]


def test_a_pattern_also_matches_the_name_with_full_dotted_keys(dotted: DottedMain) -> None:
    sheeps = dotted_herd(dotted, {"optim.lr": 0.3}, {"optim.lr": 0.5, "epochs": 4},
                         {"model.encoder.channels": 64, "optim.amp": True})
    assert short_names(dotted, sheeps) == [
        "opt.lr=0.3", "opt.lr=0.5 epochs=4", "mod.enc.channels=64 opt.amp"]
    # the reference's short form keeps working ...
    assert short_names(dotted, filter_sheep(dotted, sheeps, ["opt.lr=0.3"])) == ["opt.lr=0.3"]
    # ... and the keys as written in the config match too
    assert short_names(dotted, filter_sheep(dotted, sheeps, ["optim.lr=0.3"])) == ["opt.lr=0.3"]
    assert short_names(dotted, filter_sheep(dotted, sheeps, ["model.encoder.channels=6*"])) == [
        "mod.enc.channels=64 opt.amp"]
    assert short_names(dotted, filter_sheep(dotted, sheeps, ["optim.amp"])) == [
        "mod.enc.channels=64 opt.amp"]
    # same parts in the same order: a glob spanning two parts follows the XP's order
    assert short_names(dotted, filter_sheep(dotted, sheeps, ["optim.lr=0.5 epochs=4"])) == [
        "opt.lr=0.5 epochs=4"]
    assert filter_sheep(dotted, sheeps, ["epochs=4 optim.lr=0.5"]) == []
    # a full-key pattern still ANDs with the others and picks indexes among the matches
    assert short_names(dotted, filter_sheep(dotted, sheeps, ["optim.lr", "!epochs", "0"])) == [
        "opt.lr=0.3"]


def test_a_negated_pattern_excludes_an_xp_matching_either_form(dotted: DottedMain) -> None:
    sheeps = dotted_herd(dotted, {"optim.lr": 0.3}, {"optim.lr": 0.5}, {"epochs": 4})
    expected = ["opt.lr=0.5", "epochs=4"]
    assert short_names(dotted, filter_sheep(dotted, sheeps, ["!optim.lr=0.3"])) == expected
    assert short_names(dotted, filter_sheep(dotted, sheeps, ["!opt.lr=0.3"])) == expected
    assert short_names(dotted, filter_sheep(dotted, sheeps, ["!optim.*"])) == ["epochs=4"]


def test_no_match_says_what_names_the_patterns_are_matched_against(
    dotted: DottedMain, tmp_path: Path, capsys: Any
) -> None:
    @Explorer
    def explorer(launcher: Any) -> None:
        launcher({"optim.lr": 0.3})
        launcher({"optim.lr": 0.5, "epochs": 4})
        launcher({"epochs": 8})

    args = RunGridArgs(dry_run=True, monitor=False, silent=True, patterns=["optimizer.lr=0.3"])
    assert run_grid(dotted, explorer, "g", args=args) == []
    err = capsys.readouterr().err
    assert ("No sheep to handle: no XP of the grid matches the patterns 'optimizer.lr=0.3'. "
            "Each pattern is a glob searched in the XP's name, e.g. 'opt.lr=0.3' (full keys: "
            "'optim.lr=0.3') or 'opt.lr=0.5 epochs=4' (full keys: 'optim.lr=0.5 epochs=4')"
            ) in err
    assert "epochs=8" not in err  # two examples are enough
    assert not (tmp_path / "outputs").exists()


def test_no_match_without_dotted_keys_shows_the_short_names_only() -> None:
    message = no_match_message(NamedMain(), SHEEPS, ["lr=9", "!bs=1", "2"])
    assert message.startswith(
        "No sheep to handle: no XP of the grid matches the patterns 'lr=9' '!bs=1'. ")
    assert "e.g. 'lr=0.1 bs=64' or 'lr=0.2 bs=64';" in message
    assert "full keys" not in message

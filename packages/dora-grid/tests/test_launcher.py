"""Launcher and Herd: binding, dedup by signature, Slurm configs and job-array rules."""

from __future__ import annotations

from typing import Any, Tuple

import pytest

from dora_grid import (
    GridError,
    Herd,
    InvalidSlurmKey,
    InvalidXPArguments,
    Launcher,
    NestedJobArray,
    SlurmChangedInJobArray,
)
from dora_shep.conf import SlurmConfig
from dora_shep.shepherd import Shepherd


@pytest.fixture
def setup(main: Any) -> Tuple[Launcher, Herd]:
    herd = Herd()
    return Launcher(Shepherd(main), main, herd, SlurmConfig()), herd


def argvs(herd: Herd) -> list:
    return [sheep.xp.argv for sheep in herd.sheeps.values()]


def test_calling_the_launcher_adds_one_xp_with_the_bound_arguments(setup: Any) -> None:
    launcher, herd = setup
    launcher.bind_(epochs=3)
    launcher(lr=0.2)
    assert argvs(herd) == [["--epochs=3", "--lr=0.2"]]


def test_bind_returns_a_copy_and_leaves_the_parent_unchanged(setup: Any) -> None:
    launcher, herd = setup
    sub = launcher.bind(lr=0.2)
    assert sub is not launcher
    assert launcher.argv == []
    assert sub.argv == ["--lr=0.2"]
    sub()
    launcher()
    assert argvs(herd) == [["--lr=0.2"], []]


def test_bind__changes_the_launcher_in_place_and_returns_it(setup: Any) -> None:
    launcher, _ = setup
    assert launcher.bind_(lr=0.2) is launcher
    assert launcher.slurm_(gpus=2).bind_(seed=1) is launcher
    assert launcher.argv == ["--lr=0.2", "--seed=1"]


def test_bind_accepts_lists_dicts_strings_and_kwargs_together(setup: Any) -> None:
    launcher, _ = setup
    sub = launcher.bind(["--lr=0.5", "--seed=2"], {"epochs": 4}, "--sleep=0", fail=False)
    assert sub.argv == ["--lr=0.5", "--seed=2", "--epochs=4", "--sleep=0", "--fail=false"]


def test_bind_without_arguments_is_an_independent_copy(setup: Any) -> None:
    launcher, _ = setup
    copy = launcher.bind()
    copy.bind_(lr=0.3).slurm_(gpus=4)
    assert launcher.argv == []
    assert launcher.slurm_config.gpus == 1


def test_later_values_win_and_give_the_same_xp(setup: Any) -> None:
    launcher, herd = setup
    launcher.bind(lr=0.2).bind(lr=0.3)()
    launcher(lr=0.3)
    assert len(herd) == 1


def test_a_duplicate_sig_is_ignored_and_the_first_slurm_config_wins(setup: Any) -> None:
    launcher, herd = setup
    launcher.slurm(gpus=2)(lr=0.2)
    launcher.slurm(gpus=8)(lr=0.2)
    assert len(herd) == 1
    (sig,) = herd.sheeps
    assert herd.slurm_configs[sig].gpus == 2
    assert [slot for slot in herd.job_arrays if slot] == [[sig]]


def test_slurm_copy_does_not_change_the_parent(setup: Any) -> None:
    launcher, herd = setup
    launcher.slurm(gpus=4, partition="a,b")(lr=0.2)
    launcher(lr=0.3)
    configs = list(herd.slurm_configs.values())
    assert (configs[0].gpus, configs[0].partition) == (4, "a,b")
    assert (configs[1].gpus, configs[1].partition) == (1, None)


def test_unknown_slurm_key_is_a_clear_error_naming_valid_keys(setup: Any) -> None:
    launcher, _ = setup
    with pytest.raises(InvalidSlurmKey) as info:
        launcher.slurm_(gpu=2)
    message = str(info.value)
    assert "'gpu'" in message and "gpus" in message and "mem_per_gpu" in message
    assert isinstance(info.value, AttributeError)  # what dora-search raised
    with pytest.raises(InvalidSlurmKey):
        launcher.slurm(bogus=1)


def test_each_call_outside_an_array_gets_its_own_slot(setup: Any) -> None:
    launcher, herd = setup
    launcher(lr=0.2)
    launcher(lr=0.3)
    assert [len(slot) for slot in herd.job_arrays] == [1, 1]


def test_a_job_array_groups_its_xps_in_one_slot(setup: Any) -> None:
    launcher, herd = setup
    launcher(lr=0.9)
    with launcher.job_array():
        for seed in range(5):
            launcher(seed=seed + 1)
    assert [len(slot) for slot in herd.job_arrays] == [1, 5]
    assert not herd.in_job_array


def test_slurm_set_before_each_array_gives_uniform_arrays(setup: Any) -> None:
    launcher, herd = setup
    for gpus in (32, 64):
        launcher.slurm_(gpus=gpus)
        with launcher.job_array():
            for seed in range(3):
                launcher(seed=seed + 1, epochs=gpus)
    arrays = [slot for slot in herd.job_arrays if slot]
    assert len(arrays) == 2
    for slot, gpus in zip(arrays, (32, 64)):
        assert {herd.slurm_configs[sig].gpus for sig in slot} == {gpus}


def test_changing_the_slurm_config_inside_a_job_array_is_refused(setup: Any) -> None:
    launcher, _ = setup
    with pytest.raises(SlurmChangedInJobArray) as info:
        with launcher.job_array():
            launcher(seed=1)
            launcher.slurm(gpus=8)(seed=2)
    assert "gpus=8" in str(info.value) and "job_array" in str(info.value)
    assert isinstance(info.value, GridError)


def test_job_arrays_cannot_be_nested(setup: Any) -> None:
    launcher, herd = setup
    with pytest.raises(NestedJobArray, match="nested"):
        with launcher.job_array():
            with launcher.job_array():
                launcher(seed=1)
    assert not herd.in_job_array  # the outer array is closed after the error


def test_arguments_the_parser_rejects_are_a_grid_error(setup: Any) -> None:
    launcher, herd = setup
    with pytest.raises(InvalidXPArguments, match="--nope=1"):
        launcher(nope=1)
    assert len(herd) == 0


def test_an_unsupported_value_type_is_a_value_error(setup: Any) -> None:
    launcher, _ = setup
    with pytest.raises(ValueError):
        launcher.bind(3.5)

"""run_grid against the real local backend of dora-shep, on the tiny test project."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List

import pytest

from dora_grid import ClearDryRunError, Explorer, GridError, GridEvaluationError, RunGridArgs
from dora_grid import run_grid as _run_grid
from dora_shep.conf import SubmitRules
from dora_shep.shepherd import Shepherd


def grid_of(*calls: Dict[str, Any]) -> Explorer:
    """An explorer asking for one XP per dict of arguments."""

    @Explorer
    def explorer(launcher: Any) -> None:
        launcher.slurm_(gpus=0)
        for call in calls:
            launcher(call)

    return explorer


def run_grid(main: Any, explorer: Explorer, rules: Any = None, **args: Any) -> List[Any]:
    return _run_grid(main, explorer, "g", rules=rules,
                     args=RunGridArgs(monitor=False, silent=True, **args))


def state(main: Any, sig: str) -> Any:
    return Shepherd(main).get_sheep_from_sig(sig).state()


def job_id(main: Any, sig: str) -> Any:
    return Shepherd(main).get_sheep_from_sig(sig).job_id


def links(outputs: Path) -> Dict[str, str]:
    folder = outputs / "grids" / "g"
    return {p.name: os.readlink(p) for p in folder.iterdir()} if folder.exists() else {}


SLOW = {"sleep": 60, "epochs": 1}


def test_run_grid_schedules_links_and_runs_every_xp(main: Any, outputs: Path, waiter: Any) -> None:
    sheeps = run_grid(main, grid_of({"lr": 0.2}, {"lr": 0.3}))
    sigs = [sheep.xp.sig for sheep in sheeps]
    assert len(set(sigs)) == 2 and all(sheep.job is not None for sheep in sheeps)
    assert links(outputs) == {sig: str(outputs / "xps" / sig) for sig in sigs}
    for sig in sigs:
        waiter(lambda sig=sig: state(main, sig) == "COMPLETED", what=f"{sig} to complete")
        assert len(main.get_xp_history(main.get_xp_from_sig(sig))) == 2


def test_a_second_run_schedules_nothing_again(main: Any, capsys: Any) -> None:
    grid = grid_of({"lr": 0.2}, dict(SLOW, seed=1))
    first = {s.xp.sig: s.job_id for s in run_grid(main, grid)}
    assert "Scheduled job" in capsys.readouterr().err
    second = {s.xp.sig: s.job_id for s in run_grid(main, grid)}
    assert second == first
    assert "Scheduled job" not in capsys.readouterr().err


def test_an_xp_removed_from_the_grid_is_cancelled_and_unlinked(
    main: Any, outputs: Path, capsys: Any, waiter: Any
) -> None:
    kept, slow = run_grid(main, grid_of({"lr": 0.2}, SLOW))
    waiter(lambda: state(main, slow.xp.sig) == "RUNNING", what="the slow XP to run")
    capsys.readouterr()
    run_grid(main, grid_of({"lr": 0.2}))
    err = capsys.readouterr().err
    assert f"Canceling job {slow.job_id} for no longer required sheep {slow.xp.sig}/" in err
    waiter(lambda: state(main, slow.xp.sig) == "CANCELLED", what="the removed XP cancelled")
    assert list(links(outputs)) == [kept.xp.sig]
    assert slow.xp.folder.is_dir()  # cancelled, not deleted


def test_dry_run_writes_nothing(main: Any, outputs: Path, capsys: Any) -> None:
    sheeps = run_grid(main, grid_of({"lr": 0.2}, {"lr": 0.3}), dry_run=True)
    assert len(sheeps) == 2 and all(sheep.job is None for sheep in sheeps)
    assert not outputs.exists()
    assert capsys.readouterr().err.count("Would schedule sheep") == 2


def test_dry_run_does_not_cancel_or_unlink_what_left_the_grid(
    main: Any, outputs: Path, capsys: Any
) -> None:
    (slow,) = run_grid(main, grid_of(SLOW))
    capsys.readouterr()
    (new,) = run_grid(main, grid_of({"lr": 0.7}), dry_run=True)
    assert f"Would cancel job {slow.job_id}" in capsys.readouterr().err
    assert state(main, slow.xp.sig) in ("PENDING", "RUNNING")
    assert list(links(outputs)) == [slow.xp.sig]
    assert not new.xp.folder.exists()


def test_init_writes_the_argv_of_every_xp_and_schedules_nothing(main: Any, outputs: Path) -> None:
    sheeps = run_grid(main, grid_of({"lr": 0.2}, {"lr": 0.3}), dry_run=True, init=True)
    for sheep in sheeps:
        assert (sheep.xp.folder / ".argv.json").is_file()
        assert not (sheep.xp.folder / "job.json").exists()
        assert main.get_xp_from_sig(sheep.xp.sig).argv == sheep.xp.argv
    assert not (outputs / "grids").exists() and not (outputs / "local").exists()


def test_failed_xps_are_rescheduled_only_with_retry(main: Any, waiter: Any) -> None:
    grid = grid_of({"fail": True})
    (sheep,) = run_grid(main, grid)
    sig, first = sheep.xp.sig, sheep.job_id
    waiter(lambda: state(main, sig) == "FAILED", what="the XP to fail")
    assert run_grid(main, grid)[0].job_id == first
    (again,) = run_grid(main, grid, rules=SubmitRules(retry=True))
    assert again.job_id != first and job_id(main, sig) == again.job_id


def test_a_grid_that_raises_schedules_and_cancels_nothing(
    main: Any, outputs: Path, capsys: Any
) -> None:
    (slow,) = run_grid(main, grid_of(SLOW))

    @Explorer
    def broken(launcher: Any) -> None:
        launcher(lr=0.9)
        raise RuntimeError("boom in the grid file")

    with pytest.raises(GridEvaluationError) as info:
        run_grid(main, broken)
    message = str(info.value)
    assert "boom in the grid file" in message and "test_run_grid.py" in message
    assert "nothing was scheduled" in message
    assert state(main, slow.xp.sig) in ("PENDING", "RUNNING")
    assert list(links(outputs)) == [slow.xp.sig]
    assert not main.get_xp(["--lr=0.9"]).folder.exists()


def test_a_stale_xp_with_a_garbage_argv_file_is_cancelled_and_the_grid_goes_on(
    main: Any, outputs: Path, capsys: Any, waiter: Any
) -> None:
    good, bad = run_grid(main, grid_of({"lr": 0.2}, SLOW))
    bad.xp._argv_cache.write_text("garbage")
    capsys.readouterr()
    (again,) = run_grid(main, grid_of({"lr": 0.2}))
    err = capsys.readouterr().err
    assert again.xp.sig == good.xp.sig
    assert f"XP {bad.xp.sig} left the grid but cannot be loaded" in err
    assert f"Canceling job {bad.job_id} for no longer required sheep {bad.xp.sig}" in err
    waiter(lambda: Shepherd(main).get_sheep_from_argv(bad.xp.argv).state() == "CANCELLED",
           what="the stale XP to be cancelled")
    assert list(links(outputs)) == [good.xp.sig]
    assert bad.xp._argv_cache.read_text() == "garbage"


def test_cancel_cancels_only_the_selected_xps(main: Any, waiter: Any) -> None:
    grid = grid_of(dict(SLOW, seed=1), dict(SLOW, seed=2))
    one, two = run_grid(main, grid)
    selected = run_grid(main, grid, cancel=True, patterns=["seed=2"])
    assert [sheep.xp.sig for sheep in selected] == [two.xp.sig]
    waiter(lambda: state(main, two.xp.sig) == "CANCELLED", what="seed=2 cancelled")
    assert state(main, one.xp.sig) in ("PENDING", "RUNNING")


def test_cancel_with_a_pattern_matching_nothing_says_so(main: Any, capsys: Any) -> None:
    assert run_grid(main, grid_of({"lr": 0.2}), cancel=True, patterns=["lr=0.9"]) == []
    said = capsys.readouterr().err
    assert "lr=0.9" in said and "lr=0.2" in said, said


def test_patterns_restrict_what_is_scheduled_and_linked(main: Any, outputs: Path) -> None:
    grid = grid_of({"lr": 0.2}, {"lr": 0.3}, {"lr": 0.4})
    (chosen,) = run_grid(main, grid, patterns=["lr=0.3"])
    assert chosen.job is not None and list(links(outputs)) == [chosen.xp.sig]
    assert not main.get_xp(["--lr=0.2"]).folder.exists()
    everything = run_grid(main, grid)  # the unselected XPs were not "removed" meanwhile
    assert {s.xp.sig: s.job_id for s in everything}[chosen.xp.sig] == chosen.job_id


def test_clear_deletes_the_folders_and_schedules_again(main: Any, waiter: Any) -> None:
    grid = grid_of({"lr": 0.2})
    (first,) = run_grid(main, grid)
    waiter(lambda: state(main, first.xp.sig) == "COMPLETED", what="the XP to complete")
    (cleared,) = run_grid(main, grid, clear=True)
    assert cleared.job_id != first.job_id
    assert not (first.xp.folder / "local" / f"{first.job_id}.log").exists()
    with pytest.raises(ClearDryRunError):
        run_grid(main, grid, clear=True, dry_run=True)


def test_a_job_array_is_submitted_as_one_batch(main: Any) -> None:
    @Explorer
    def explorer(launcher: Any) -> None:
        launcher.slurm_(gpus=0)
        with launcher.job_array():
            for seed in range(3):
                launcher(seed=seed + 1)

    sheeps = run_grid(main, explorer)
    ids = [sheep.job_id for sheep in sheeps]
    assert all(sorted(sheep.job.array_job_ids) == sorted(ids) for sheep in sheeps)


def test_folder_action_prints_the_folder_of_one_xp(main: Any, capsys: Any) -> None:
    grid = grid_of({"lr": 0.2}, {"lr": 0.3})
    sheeps = run_grid(main, grid, dry_run=True, folder=1)
    assert capsys.readouterr().out.strip() == str(sheeps[1].xp.folder)
    with pytest.raises(GridError, match="no job"):
        run_grid(main, grid, dry_run=True, log=0)
    with pytest.raises(GridError, match="--folder index 5"):
        run_grid(main, grid, dry_run=True, folder=5)

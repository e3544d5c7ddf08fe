"""run_grid with colliding or damaged XP folders: one marked row each, the others go on."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Dict, List

from dora_grid import Explorer, RunGridArgs
from dora_grid import run_grid as _run_grid
from dora_grid.table import build_table, render_table
from dora_shep.conf import SubmitRules
from dora_shep.shepherd import Shepherd


def grid_of(*lrs: float) -> Explorer:
    @Explorer
    def explorer(launcher: Any) -> None:
        launcher.slurm_(gpus=0)
        for lr in lrs:
            launcher(lr=lr)

    return explorer


def run_grid(main: Any, explorer: Explorer, rules: Any = None, **args: Any) -> List[Any]:
    return _run_grid(main, explorer, "g", rules=rules,
                     args=RunGridArgs(monitor=False, silent=True, **args))


def completed(main: Any, waiter: Any, *lrs: float) -> Dict[float, Any]:
    """Run a grid of these XPs to completion; {lr: xp}."""
    sheeps = run_grid(main, grid_of(*lrs))
    for sheep in sheeps:
        waiter(lambda sig=sheep.xp.sig: Shepherd(main).get_sheep_from_sig(sig).state()
               == "COMPLETED", what=f"{sheep.xp.sig} to complete")
    return {sheep.xp.cfg["lr"]: sheep.xp for sheep in sheeps}


def snapshot(folder: Path) -> Dict[str, bytes]:
    """Every file under `folder` (links as their target), but the job logs, which the
    job's supervisor may still be finishing."""
    files: Dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".log":
            continue
        if path.is_symlink():
            files[str(path)] = os.readlink(path).encode()
        elif path.is_file():
            files[str(path)] = path.read_bytes()
    return files


def damage(xps: Dict[float, Any]) -> None:
    """0.3: another delta under its signature; 0.4: job.json; 0.5: .argv.json."""
    xps[0.3]._delta_cache.write_text(json.dumps([["lr", 7.0]]))
    xps[0.4]._job_file.write_text("{ torn")
    xps[0.5]._argv_cache.write_text("garbage")


def test_damaged_xps_are_marked_and_the_rest_of_the_grid_goes_on(
    main: Any, outputs: Path, capsys: Any, waiter: Any
) -> None:
    xps = completed(main, waiter, 0.2, 0.3, 0.4, 0.5)
    damage(xps)
    before = {lr: snapshot(xps[lr].folder) for lr in (0.3, 0.4, 0.5)}
    capsys.readouterr()
    rules = SubmitRules(retry=True, replace=True, replace_done=True)  # -r -R -D
    sheeps = run_grid(main, grid_of(0.2, 0.3, 0.4, 0.5, 0.6), rules=rules)
    err = capsys.readouterr().err
    by_lr = {sheep.xp.cfg["lr"]: sheep for sheep in sheeps}
    assert err.count("Scheduled job") == 2  # 0.2 again (-D) and the new 0.6
    assert by_lr[0.6].job is not None
    for lr, what in ((0.3, "Signature collision"), (0.4, "job.json cannot be read"),
                     (0.5, ".argv.json is damaged")):
        sig = xps[lr].sig
        assert f"Warning: sheep {sig}/lr={lr} is not scheduled: " in err
        assert what in err
        assert snapshot(xps[lr].folder) == before[lr]  # nothing rewritten

    explorer = grid_of()
    table = build_table(main, explorer, sheeps)
    meta = {line["Meta"]["sig"]: line for line in table.lines}
    collision, job, argv = (meta[xps[lr].sig] for lr in (0.3, 0.4, 0.5))
    assert collision["Meta"]["state"] == "ERR"
    assert "signature collision" in collision["Meta"]["name"]
    assert "loss" not in collision  # another XP's metrics are not shown as this one's
    assert job["Meta"]["state"] == "ERR" and "job.json damaged" in job["Meta"]["name"]
    assert job["loss"] == 0.5  # its history is its own
    assert argv["Meta"]["state"] == "COM" and ".argv.json damaged" in argv["Meta"]["name"]
    text = render_table(explorer, table)
    assert f"{xps[0.3].sig}: Signature collision on {xps[0.3].sig}" in text
    assert str(xps[0.4]._job_file) in text and str(xps[0.5]._argv_cache) in text


def test_the_table_of_dora_grid_shows_the_damaged_rows(
    main: Any, capsys: Any, waiter: Any
) -> None:
    xps = completed(main, waiter, 0.2, 0.3, 0.4)
    xps[0.3]._delta_cache.write_text(json.dumps([["lr", 7.0]]))
    xps[0.4]._job_file.write_text("{ torn")
    capsys.readouterr()
    _run_grid(main, grid_of(0.2, 0.3, 0.4), "g", args=RunGridArgs(monitor=True, interval=0.001))
    out = capsys.readouterr().out
    assert out.count("Monitoring Grid g") == 1  # done at once: nothing to wait for
    rows = dict(re.findall(r"^\d+\s+(lr=0\.\d.*?)\s+(?:COM|ERR)\s+([0-9a-f]{8})", out, re.M))
    states = {sig: state for state, sig in re.findall(r"\b(COM|ERR)\s+([0-9a-f]{8})\b", out)}
    assert states == {xps[0.2].sig: "COM", xps[0.3].sig: "ERR", xps[0.4].sig: "ERR"}
    assert set(rows) == {"lr=0.2", "lr=0.3 [signature collision]", "lr=0.4 [job.json damaged]"}
    assert "Problems:" in out and "Signature collision" in out


def test_a_dry_run_reads_only_and_a_real_run_writes_a_missing_delta(
    main: Any, outputs: Path, capsys: Any, waiter: Any
) -> None:
    xps = completed(main, waiter, 0.2, 0.3)
    xps[0.2]._delta_cache.unlink()  # a folder made by dora-search
    xps[0.3]._delta_cache.write_text(json.dumps([["lr", 7.0]]))
    before = snapshot(outputs)
    sheeps = run_grid(main, grid_of(0.2, 0.3, 0.4), dry_run=True)
    assert snapshot(outputs) == before
    assert "Would schedule sheep" in capsys.readouterr().err
    problems = {sheep.xp.sig: sheep.problem for sheep in sheeps}
    assert problems[xps[0.2].sig] is None and problems[xps[0.3].sig].kind == "collision"
    run_grid(main, grid_of(0.2, 0.3, 0.4))
    assert json.loads(xps[0.2]._delta_cache.read_text()) == [["lr", 0.2]]
    assert json.loads(xps[0.3]._delta_cache.read_text()) == [["lr", 7.0]]


def test_init_never_rewrites_a_damaged_argv_file(main: Any, outputs: Path, capsys: Any) -> None:
    bad = main.get_xp(["--lr=0.3"])
    bad.folder.mkdir(parents=True)
    bad._argv_cache.write_text("[unfinished")
    sheeps = run_grid(main, grid_of(0.2, 0.3), dry_run=True, init=True)
    err = capsys.readouterr().err
    assert bad._argv_cache.read_text() == "[unfinished"
    assert f"mv {bad._argv_cache} {bad._argv_cache}.bad" in err
    good = next(sheep for sheep in sheeps if sheep.xp.sig != bad.sig)
    assert json.loads(good.xp._argv_cache.read_text()) == good.xp.argv


def test_clear_deletes_a_damaged_folder_but_not_a_collisions(
    main: Any, capsys: Any, waiter: Any
) -> None:
    xps = completed(main, waiter, 0.3, 0.5)
    xps[0.3]._delta_cache.write_text(json.dumps([["lr", 7.0]]))
    xps[0.5]._argv_cache.write_text("garbage")
    collision = snapshot(xps[0.3].folder)
    capsys.readouterr()
    sheeps = run_grid(main, grid_of(0.3, 0.5), clear=True)
    err = capsys.readouterr().err
    by_sig = {sheep.xp.sig: sheep for sheep in sheeps}
    assert snapshot(xps[0.3].folder) == collision and by_sig[xps[0.3].sig].job is None
    assert f"Deleting XP folder {xps[0.5].folder}" in err
    assert f"Deleting XP folder {xps[0.3].folder}" not in err
    fresh = by_sig[xps[0.5].sig]
    assert fresh.problem is None and fresh.job is not None
    assert json.loads(xps[0.5]._argv_cache.read_text()) == ["--lr=0.5"]


def test_an_xp_with_an_unknown_job_that_left_the_grid_is_not_cancelled(
    main: Any, outputs: Path, capsys: Any, waiter: Any
) -> None:
    xps = completed(main, waiter, 0.2, 0.4)
    xps[0.4]._job_file.write_text("{ torn")
    before = snapshot(xps[0.4].folder)
    capsys.readouterr()
    run_grid(main, grid_of(0.2))
    err = capsys.readouterr().err
    assert f"Sheep {xps[0.4].sig}/lr=0.4 left the grid (kept on disk); its job is unknown" in err
    assert "Canceling" not in err
    assert snapshot(xps[0.4].folder) == before
    assert [p.name for p in (outputs / "grids" / "g").iterdir()] == [xps[0.2].sig]

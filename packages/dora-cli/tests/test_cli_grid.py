"""`dora grid`: dry runs, --init, real runs on the local backend, and every bad input."""

from __future__ import annotations

import json
import re
from typing import Dict

import pytest
from cli_helpers import Dora

SIGS = {"lr=0.2": "7a0cf6b5", "lr=0.3": "11304c31"}


def rows(stdout: str) -> Dict[str, str]:
    """{sig: state} of the table printed by `dora grid`."""
    found = {}
    for line in stdout.splitlines():
        match = re.search(r"\b(\w{3}|N/A)\s+([0-9a-f]{8})\b", line)
        if match:
            found[match.group(2)] = match.group(1)
    return found


def nothing_written(project: Dora) -> bool:
    return not (project.outputs / "xps").exists() and not (project.outputs / "grids").exists()


def test_dry_run_shows_the_table_and_writes_nothing(project: Dora) -> None:
    proc = project("grid", "g", "--dry_run", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    assert rows(proc.stdout) == dict.fromkeys(SIGS.values(), "N/A")
    assert "Would schedule sheep 7a0cf6b5/lr=0.2" in proc.stderr
    assert not project.outputs.exists()


def test_dry_run_init_then_run_from_sig(project: Dora) -> None:
    proc = project("run", "-f", SIGS["lr=0.3"])
    assert proc.returncode == 1
    assert "dora grid NAME --dry_run --init" in proc.stderr
    assert not project.outputs.exists()

    proc = project("grid", "g", "--dry_run", "--init")
    assert proc.returncode == 0, proc.stderr
    for sig in SIGS.values():
        argv = json.loads((project.outputs / "xps" / sig / ".argv.json").read_text())
        assert argv[0].startswith("--lr=")
        assert not (project.outputs / "xps" / sig / "job.json").exists()
    assert not (project.outputs / "grids").exists()

    proc = project("run", "-f", SIGS["lr=0.3"])
    assert proc.returncode == 0, proc.stderr
    assert f"training {SIGS['lr=0.3']} lr=0.3" in proc.stdout

    proc = project("grid", "g", "--dry_run", "--init", "-t", "0")
    assert proc.returncode == 1  # parsed: -t and --init combine; there is just no job yet
    assert "no job" in proc.stderr


def test_a_dotted_grid_name_runs_the_file_in_a_sub_folder(project: Dora) -> None:
    proc = project("grid", "sub.g1", "--dry_run", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    assert set(rows(proc.stdout)) == set(SIGS.values())


def test_grid_runs_on_the_local_backend_and_monitors_until_done(project: Dora) -> None:
    proc = project("grid", "g", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Scheduled job") == 2
    assert set(rows(proc.stdout)) == set(SIGS.values())
    for sig in SIGS.values():
        link = project.outputs / "grids" / "g" / sig
        assert link.is_symlink() and link.resolve() == (project.outputs / "xps" / sig).resolve()

    proc = project("grid", "g", "-i", "0.01")  # monitors until every XP is done
    assert proc.returncode == 0, proc.stderr
    assert "Scheduled job" not in proc.stderr
    table = proc.stdout.split("Monitoring Grid g")[-1]
    assert set(rows(table.split("i  name")[-1]).values()) == {"COM"}

    proc = project("grid", "g", "-f", "1")
    assert proc.stdout.strip() == str(project.outputs / "xps" / SIGS["lr=0.3"])
    proc = project("grid", "g", "-l", "0")
    assert f"training {SIGS['lr=0.2']} lr=0.2" in proc.stdout


def test_patterns_select_xps(project: Dora) -> None:
    proc = project("grid", "g", "lr=0.3", "--dry_run", "--no_monitoring")
    assert list(rows(proc.stdout)) == [SIGS["lr=0.3"]]
    proc = project("grid", "g", "!lr=0.3", "--dry_run", "--no_monitoring")
    assert list(rows(proc.stdout)) == [SIGS["lr=0.2"]]
    proc = project("grid", "g", "5", "--dry_run", "--no_monitoring")
    assert proc.returncode == 1 and "Invalid index 5" in proc.stderr


def test_negative_indexes_are_patterns_before_or_after_flags(project: Dora) -> None:
    for argv in (["g", "-1", "--dry_run", "--no_monitoring"],
                 ["g", "--dry_run", "--no_monitoring", "-1"],
                 ["g", "--dry_run", "-1", "--no_monitoring"],
                 ["--dry_run", "g", "--backend", "local", "lr", "-1"]):
        proc = project("grid", *argv)
        assert proc.returncode == 0, (argv, proc.stderr)
        assert list(rows(proc.stdout)) == [SIGS["lr=0.3"]], argv
    proc = project("grid", "g", "--dry_run", "--no_monitoring", "-1", "-2", "-1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(SIGS["lr=0.3"]) == 2 and proc.stdout.count(SIGS["lr=0.2"]) == 1
    proc = project("grid", "g", "--dry_run", "--no_monitoring", "-3")
    assert proc.returncode == 1 and "Invalid index -3" in proc.stderr
    for flag in ("-x", "--bogus", "-1x"):  # real flags are still checked
        proc = project("grid", "g", "--dry_run", "--no_monitoring", flag)
        assert proc.returncode == 2 and f"unrecognized arguments: {flag}" in proc.stderr
    proc = project("grid", "g", "--dry_run", "-i", "-1", "--no_monitoring")  # a flag's value
    assert proc.returncode == 0 and len(rows(proc.stdout)) == 2
    assert not project.outputs.exists()


def test_a_failed_xp_shows_its_reason_and_is_retried_with_dash_r(project: Dora) -> None:
    grid = project.cwd / "proj" / "grids" / "fails.py"
    grid.write_text("from dora import Explorer\n\n\n@Explorer\ndef explorer(launcher):\n"
                    "    launcher.slurm_(gpus=0)\n    launcher(fail=True)\n")
    assert project("grid", "fails", "--no_monitoring").returncode == 0
    proc = project("grid", "fails", "-i", "0.01")
    assert proc.returncode == 0
    assert "Failed XPs" in proc.stdout and "exit code 1" in proc.stdout
    proc = project("grid", "fails", "--no_monitoring", "-r")
    assert "Scheduled job" in proc.stderr


@pytest.mark.parametrize(
    "grid, message",
    [
        ("nope", "No grid named 'nope' in package proj.grids. Grids available: bad, badarg, "
         "boom, g, noexp, plain, sub.g1"),
        ("_helpers", "'_helpers' in package proj.grids is not a grid: files and folders "
         "whose name starts with `_` hold helpers (a custom Explorer, shared code), never "
         "grids. Grids available: bad, badarg, boom, g, noexp, plain, sub.g1"),
        ("sub/_x.py", "'sub/_x.py' in package proj.grids is not a grid"),
        ("bad", "bad.py\", line 4, in <module>"),
        ("noexp", "defines no `explorer`"),
        ("plain", "is a function, not an Explorer"),
        ("boom", "ValueError: grid evaluation failed here"),
        ("badarg", "The project's parser rejected the arguments ['--nope=1']"),
    ],
)
def test_bad_grids_fail_clearly_and_change_nothing(project: Dora, grid: str, message: str) -> None:
    proc = project("grid", grid)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FATAL: " in proc.stderr and message in proc.stderr
    assert nothing_written(project)


def test_a_grid_error_keeps_the_users_traceback_only(project: Dora) -> None:
    proc = project("grid", "boom")
    assert "boom.py\", line 7, in explorer" in proc.stderr
    assert "dora_grid" not in proc.stderr


def test_a_failing_grid_does_not_cancel_what_runs(project: Dora) -> None:
    grid = project.cwd / "proj" / "grids" / "slow.py"
    grid.write_text("from dora import Explorer\n\n\n@Explorer\ndef explorer(launcher):\n"
                    "    launcher.slurm_(gpus=0)\n    launcher(sleep=30, epochs=1)\n")
    assert project("grid", "slow", "--no_monitoring").returncode == 0
    grid.write_text(grid.read_text() + "    raise RuntimeError('oops')\n")
    proc = project("grid", "slow", "--no_monitoring")
    assert proc.returncode == 1 and "oops" in proc.stderr
    assert "Canceling" not in proc.stderr
    assert len(list((project.outputs / "grids" / "slow").iterdir())) == 1
    grid.write_text(grid.read_text().replace("    raise RuntimeError('oops')\n", ""))
    proc = project("grid", "slow", "-C")
    assert proc.returncode == 0 and "Canceling job" in proc.stderr


def test_forcing_the_slurm_backend_fails_before_anything(project: Dora) -> None:
    proc = project("grid", "g", "--backend", "slurm", SLURM_CONF="/nonexistent/slurm.conf")
    assert proc.returncode == 1 and "Slurm backend is not available" in proc.stderr
    assert nothing_written(project)
    proc = project("grid", "g", "--backend", "bogus")
    assert proc.returncode == 2


def test_clear_with_dry_run_is_refused(project: Dora) -> None:
    proc = project("grid", "g", "--clear", "--dry_run")
    assert proc.returncode == 1 and "--clear cannot be combined with --dry_run" in proc.stderr


def test_clear_asks_for_confirmation(project: Dora) -> None:
    assert project("grid", "g", "--no_monitoring").returncode == 0
    proc = project("grid", "g", "--clear", "--no_monitoring")  # stdin is empty: no
    assert "Confirm [yN]" in proc.stdout and "nothing was cleared" in proc.stderr
    assert (project.outputs / "xps" / SIGS["lr=0.2"] / "job.json").exists()

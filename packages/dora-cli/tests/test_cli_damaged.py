"""Colliding or damaged XP folders through the `dora` command: one clear line, nothing lost."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Dict

from cli_helpers import Dora

SIGS = {"lr=0.2": "7a0cf6b5", "lr=0.3": "11304c31"}


def folder(project: Dora, sig: str) -> Path:
    return project.outputs / "xps" / sig


def snapshot(outputs: Path, *subfolders: str) -> Dict[str, bytes]:
    """Every file under these sub-folders of `outputs` (default: the XP and grid folders;
    links as their target), but the job logs, which the job's supervisor may still be
    finishing."""
    files: Dict[str, bytes] = {}
    paths = [path for sub in subfolders or ("xps", "grids") for path in (outputs / sub).rglob("*")]
    for path in sorted(paths):
        if path.suffix == ".log":
            continue
        if path.is_symlink():
            files[str(path)] = os.readlink(path).encode()
        elif path.is_file():
            files[str(path)] = path.read_bytes()
    return files


def states(stdout: str) -> Dict[str, str]:
    """{sig: state} of the table printed by `dora grid`."""
    return {sig: state for state, sig in re.findall(r"\b(\w{3}|N/A)\s+([0-9a-f]{8})\b", stdout)}


def collide(project: Dora, sig: str) -> None:
    """Make the folder look as if another delta had produced the same signature."""
    (folder(project, sig) / ".delta.json").write_text(json.dumps([["lr", 9.5]]))


def ran(project: Dora, *argv: str) -> None:
    proc = project("run", "--", *argv)
    assert proc.returncode == 0, proc.stderr


def test_run_of_a_colliding_xp_is_one_fatal_line(project: Dora) -> None:
    ran(project, "--lr=0.2")
    collide(project, SIGS["lr=0.2"])
    before = snapshot(project.outputs)
    for env in ({}, {"WORLD_SIZE": "1", "RANK": "0"}):  # torchrun skips the job check
        proc = project("run", "--", "--lr=0.2", **env)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.startswith(f"FATAL: Signature collision on {SIGS['lr=0.2']}")
        assert str(folder(project, SIGS["lr=0.2"])) in proc.stderr
        assert "Change one argument" in proc.stderr
        assert "Traceback" not in proc.stderr and "training" not in proc.stdout
    proc = project("run", "--clear", "--", "--lr=0.2")  # another XP's folder: never deleted
    assert proc.returncode == 1 and "FATAL: Signature collision" in proc.stderr
    assert snapshot(project.outputs) == before


def test_run_with_a_damaged_delta_file_is_one_fatal_line(project: Dora) -> None:
    ran(project, "--lr=0.2")
    delta = folder(project, SIGS["lr=0.2"]) / ".delta.json"
    delta.write_text('[["lr", 0.')
    proc = project("run", "--", "--lr=0.2")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"FATAL: {delta} is damaged") and "Traceback" not in proc.stderr
    assert delta.read_text() == '[["lr", 0.'


def test_run_with_a_damaged_argv_file_refuses_until_it_is_moved_or_cleared(
    project: Dora,
) -> None:
    ran(project, "--lr=0.2")
    argv = folder(project, SIGS["lr=0.2"]) / ".argv.json"
    argv.write_text("garbage")
    proc = project("run", "--", "--lr=0.2")
    assert proc.returncode == 1 and proc.stderr.startswith(f"FATAL: {argv} is damaged")
    assert f"mv {argv} {argv}.bad" in proc.stderr and "Traceback" not in proc.stderr
    assert argv.read_text() == "garbage"
    proc = project("run", "--clear", "--", "--lr=0.2")  # deleting is what --clear is for
    assert proc.returncode == 0, proc.stderr
    assert json.loads(argv.read_text()) == ["--lr=0.2"]


def test_the_training_codes_own_errors_keep_their_traceback(project: Dora) -> None:
    proc = project("run", "--", "--fail")
    assert proc.returncode == 1 and "Traceback" in proc.stderr
    assert "RuntimeError: asked to fail" in proc.stderr


def test_info_of_a_colliding_or_damaged_xp_says_so(project: Dora) -> None:
    assert project("launch", "--", "--lr=0.2").returncode == 0  # follows it to the end
    ran(project, "--lr=0.3")
    collide(project, SIGS["lr=0.3"])
    job = folder(project, SIGS["lr=0.2"]) / "job.json"
    job.write_text("{")
    before = snapshot(project.outputs)
    proc = project("info", "-f", SIGS["lr=0.3"], "-m")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith(f"FATAL: Signature collision on {SIGS['lr=0.3']}")
    proc = project("info", "-C", "--", "--lr=0.2")
    assert proc.returncode == 1 and proc.stderr.startswith(f"FATAL: The job record {job}")
    assert "Traceback" not in proc.stderr
    assert snapshot(project.outputs) == before


def test_grid_shows_damaged_rows_and_runs_the_others(project: Dora) -> None:
    ran(project, "--lr=0.2")
    collide(project, SIGS["lr=0.2"])
    before = snapshot(project.outputs)
    proc = project("grid", "g", "--dry_run", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    assert states(proc.stdout) == {SIGS["lr=0.2"]: "ERR", SIGS["lr=0.3"]: "N/A"}
    assert "lr=0.2 [signature collision]" in proc.stdout
    assert f"Warning: sheep {SIGS['lr=0.2']}/lr=0.2 is not scheduled" in proc.stderr
    assert "Would schedule sheep 11304c31/lr=0.3" in proc.stderr
    assert "Would schedule sheep 7a0cf6b5" not in proc.stderr
    assert snapshot(project.outputs) == before

    proc = project("grid", "g", "-i", "0.01")  # monitors until done: the collision is
    assert proc.returncode == 0, proc.stderr  # nothing to wait for
    assert proc.stderr.count("Scheduled job") == 1
    table = proc.stdout.split("Monitoring Grid g")[-1]
    assert states(table) == {SIGS["lr=0.2"]: "ERR", SIGS["lr=0.3"]: "COM"}
    assert "Problems:" in table and "Signature collision" in table
    assert {k: v for k, v in snapshot(project.outputs).items() if k in before} == before


def test_grid_with_a_damaged_job_record_goes_on_without_it(project: Dora) -> None:
    assert project("grid", "g", "-i", "0.01").returncode == 0
    job = folder(project, SIGS["lr=0.3"]) / "job.json"
    job.write_bytes(b"\x00\xff")
    damaged = f"xps/{SIGS['lr=0.3']}"
    before = snapshot(project.outputs, damaged)
    for flags in ([], ["-r", "-R", "-D"], ["--init"], ["--dry_run", "--init"]):
        proc = project("grid", "g", "--no_monitoring", *flags)
        assert proc.returncode == 0, proc.stderr
        assert "FATAL" not in proc.stderr and f"The job record {job}" in proc.stderr
        assert states(proc.stdout).get(SIGS["lr=0.3"]) == "ERR"
        assert "lr=0.3 [job.json damaged]" in proc.stdout
        if "-D" in flags:  # the healthy XP is scheduled again, the damaged one is not
            assert proc.stderr.count("Scheduled job") == 1
            assert f"for sheep {SIGS['lr=0.2']}/lr=0.2" in proc.stderr
    assert "Scheduled job" not in proc.stderr  # a dry run schedules nothing
    assert snapshot(project.outputs, damaged) == before


def test_launch_of_a_colliding_xp_schedules_and_deletes_nothing(project: Dora) -> None:
    ran(project, "--lr=0.2")
    collide(project, SIGS["lr=0.2"])
    before = snapshot(project.outputs)
    for flags in ([], ["--clear"], ["-R"]):
        proc = project("launch", *flags, "--no_tail", "--", "--lr=0.2")
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.startswith(f"FATAL: Signature collision on {SIGS['lr=0.2']}")
        assert "Traceback" not in proc.stderr
    assert snapshot(project.outputs) == before
    assert not (project.outputs / "local").exists()


def test_grid_log_of_an_xp_with_a_damaged_job_record_names_the_file(project: Dora) -> None:
    assert project("grid", "g", "-i", "0.01").returncode == 0
    job = folder(project, SIGS["lr=0.2"]) / "job.json"
    job.write_text("{")
    proc = project("grid", "g", "-l", "0", "lr=0.2")
    assert proc.returncode == 1 and str(job) in proc.stderr, proc.stderr
    assert "never scheduled" not in proc.stderr

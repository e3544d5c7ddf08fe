"""Usage mistakes and output plumbing of the `dora` command itself."""

from __future__ import annotations

import subprocess
import sys

from cli_helpers import Dora


def test_a_mistyped_flag_shows_the_usage_of_its_command(project: Dora) -> None:
    proc = project("grid", "g", "--dryrun")
    assert proc.returncode == 2
    assert "usage: dora grid" in proc.stderr
    assert "dora grid: error: unrecognized arguments: --dryrun" in proc.stderr
    assert not project.outputs.exists()


def test_xp_flags_before_the_double_dash_get_a_hint(project: Dora) -> None:
    for command in ("run", "launch", "info"):
        proc = project(command, "--lr=0.2")
        assert proc.returncode == 2, proc.stderr
        assert f"usage: dora {command}" in proc.stderr
        assert f"`dora {command} -- --lr=0.2`" in proc.stderr
    assert not project.outputs.exists()


def test_output_piped_into_a_reader_that_leaves_early_ends_quietly(project: Dora) -> None:
    # `dora grid ... | head -1`: the reader closes the pipe after one line.
    proc = subprocess.Popen(
        [sys.executable, "-m", "dora", "grid", "g", "--dry_run", "--no_monitoring"],
        cwd=project.cwd, env={**project.env, "PYTHONUNBUFFERED": "0"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # nothing is read: the first write fails with EPIPE
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in (0, 141), stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr

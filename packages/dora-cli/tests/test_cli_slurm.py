"""`dora launch` / `dora info` on Slurm, against fake Slurm commands on PATH."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import Dora

SHEP_TESTS = Path(__file__).resolve().parents[2] / "dora-shep" / "tests"
if str(SHEP_TESTS) not in sys.path:
    sys.path.insert(0, str(SHEP_TESTS))

from slurm_fakes import FakeSlurm, use_fake_slurm  # noqa: E402

from dora.cli.common import slurm_from_args  # noqa: E402
from dora_shep.conf import SlurmConfig  # noqa: E402

SIG = "7a0cf6b5"  # --lr=0.2


@pytest.fixture
def fake_slurm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSlurm:
    return use_fake_slurm(tmp_path, monkeypatch)


@pytest.fixture
def on_slurm(fake_slurm: FakeSlurm, project: Dora) -> Dora:
    project.env["PATH"] = os.environ["PATH"]
    project.env["FAKE_SLURM_STATE"] = os.environ["FAKE_SLURM_STATE"]
    return project


def test_launch_passes_the_slurm_flags(on_slurm: Dora, fake_slurm: FakeSlurm) -> None:
    proc = on_slurm("launch", "--backend", "slurm", "--no_tail", "--dev", "-g", "2", "-c",
                    "hello", "--constraint", "volta", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    assert f"Scheduled job 100 for sheep {SIG}/" in proc.stderr
    params = fake_slurm.job("100")["params"]
    assert (params["partition"], params["gres"], params["comment"], params["constraint"]) == (
        "devlab", "gpu:2", "hello", "volta")
    assert params["job-name"] == f"proj_{SIG}"
    record = json.loads((on_slurm.outputs / "xps" / SIG / "job.json").read_text())
    assert record["job_id"] == "100" and record["slurm_config"]["partition"] == "devlab"
    proc = on_slurm("launch", "--backend", "slurm", "--no_tail", "-p", "debug", "--",
                    "--lr=0.3")
    assert proc.returncode == 0 and fake_slurm.job("101")["params"]["partition"] == "debug"


def test_info_by_job_id_then_cancel_and_retry(on_slurm: Dora, fake_slurm: FakeSlurm) -> None:
    argv = ["--", "--lr=0.2"]
    assert on_slurm("launch", "--backend", "slurm", "--no_tail", "-g", "0", *argv).returncode == 0
    fake_slurm.set_state("100", "RUNNING")
    proc = on_slurm("info", "-j", "100")
    assert proc.returncode == 0, proc.stderr
    assert f"XP {SIG}" in proc.stdout and "RUNNING" in proc.stdout
    assert str(on_slurm.outputs / "xps" / SIG / "submitit" / "100_0_log.out") in proc.stdout
    proc = on_slurm("launch", "--backend", "slurm", "-C", *argv)
    assert proc.returncode == 0 and "Canceling job 100" in proc.stderr
    assert fake_slurm.state_of("100").startswith("CANCELLED")
    proc = on_slurm("launch", "--backend", "slurm", "--no_tail", *argv)
    assert "Reusing job 100 (CANCELLED)" in proc.stderr
    proc = on_slurm("launch", "--backend", "slurm", "--no_tail", "-r", "-g", "0", *argv)
    assert proc.returncode == 0 and "Scheduled job 101" in proc.stderr
    assert on_slurm("info", "-j", "999").returncode == 1


def test_launch_follows_the_log_until_the_job_ends(on_slurm: Dora,
                                                  fake_slurm: FakeSlurm) -> None:
    fake_slurm.configure(execute=True)
    proc = on_slurm("launch", "--backend", "slurm", "-g", "0", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    assert f"training {SIG} lr=0.2" in proc.stdout
    assert "Job 100 of XP" in proc.stderr and "ended COMPLETED" in proc.stderr


def test_sbatch_refusing_is_one_clear_line(on_slurm: Dora, fake_slurm: FakeSlurm) -> None:
    fake_slurm.configure(sbatch_fail="Requested node configuration is not available")
    proc = on_slurm("launch", "--backend", "slurm", "--no_tail", "--", "--lr=0.2")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "FATAL" in proc.stderr and "Requested node configuration" in proc.stderr
    assert not (on_slurm.outputs / "xps" / SIG / "job.json").exists()


def test_dev_picks_the_configs_dev_partition() -> None:
    class Main:
        def get_slurm_config(self) -> SlurmConfig:
            return SlurmConfig(dev_partition="interactive")

    args = argparse.Namespace(gpus=None, partition="debug", comment=None, constraint=None,
                              dev=True)
    assert slurm_from_args(Main(), args).partition == "interactive"  # type: ignore[arg-type]
    args.dev = False
    assert slurm_from_args(Main(), args).partition == "debug"  # type: ignore[arg-type]


def test_the_dev_flag_is_documented(project: Any) -> None:
    proc = project("launch", "--help")
    assert "--dev" in proc.stdout and "dev_partition" in proc.stdout


def test_a_grid_on_slurm_cancels_the_xp_that_left_it(on_slurm: Dora,
                                                    fake_slurm: FakeSlurm) -> None:
    proc = on_slurm("grid", "g", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    assert len(fake_slurm.calls("sbatch")) == 2 and "Traceback" not in proc.stderr
    grid = on_slurm.cwd / "proj" / "grids" / "g.py"
    grid.write_text(grid.read_text().replace("    launcher(lr=0.3)\n", ""))
    proc = on_slurm("grid", "g", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0, proc.stderr
    assert "Canceling job 101 for no longer required sheep" in proc.stderr
    assert fake_slurm.calls("scancel") == [["101"]]
    assert fake_slurm.state_of("101").startswith("CANCELLED")
    assert len(fake_slurm.calls("sbatch")) == 2


def no_controller(project: Dora, fake_slurm: FakeSlurm, how: str) -> None:
    """Makes Slurm unavailable for `project`'s later commands: the controller is down (a
    failing `scontrol ping` on PATH) or SLURM_CONF names no file."""
    if how == "down":
        fake_slurm.configure(down=True)
    else:
        project.env["SLURM_CONF"] = str(project.cwd / "nowhere" / "slurm.conf")


def slurm_project(project: Dora) -> Dora:
    """The test project with `backend="slurm"` in its Dora config."""
    train = project.cwd / "proj" / "train.py"
    train.write_text(train.read_text().replace('backend="local"', 'backend="slurm"'))
    return project


@pytest.mark.parametrize("how", ["down", "no_conf"])
def test_run_and_info_work_when_the_configured_slurm_does_not_answer(
    on_slurm: Dora, fake_slurm: FakeSlurm, how: str
) -> None:
    project = slurm_project(on_slurm)
    no_controller(project, fake_slurm, how)
    for backend in ([], ["--backend", "slurm"], ["--backend", "local"]):
        proc = project("info", *backend, "--", "--lr=0.2")
        assert proc.returncode == 0, proc.stderr
        assert f"XP {SIG}: lr=0.2" in proc.stdout and "never scheduled" in proc.stdout
        assert "FATAL" not in proc.stderr
    assert not project.outputs.exists()
    proc = project("run", "--backend", "slurm", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    assert f"training {SIG} lr=0.2" in proc.stdout and proc.stderr == ""
    proc = project("launch", "--no_tail", "--", "--lr=0.2")  # submitting still needs Slurm
    assert proc.returncode == 1 and "Slurm backend is not available" in proc.stderr


@pytest.mark.parametrize("how", ["down", "no_conf"])
def test_an_xp_of_a_slurm_that_does_not_answer_reads_unknown(
    on_slurm: Dora, fake_slurm: FakeSlurm, how: str
) -> None:
    project = slurm_project(on_slurm)
    assert project("launch", "--no_tail", "-g", "0", "--", "--lr=0.2").returncode == 0
    folder = project.outputs / "xps" / SIG
    no_controller(project, fake_slurm, how)
    said = "is DOWN" if how == "down" else "is not a file"

    proc = project("run", "-f", SIG)  # runs, with a warning
    assert proc.returncode == 0, proc.stderr
    assert f"training {SIG} lr=0.2" in proc.stdout
    assert "Warning: the state of job 100 of this XP is unknown (the Slurm backend that " \
        "runs it is not available here: no Slurm controller answers (" in proc.stderr
    assert said in proc.stderr and "FATAL" not in proc.stderr

    proc = project("info", "-m", "-f", SIG)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "  state:  UNKNOWN" in lines and "  job id: 100" in lines
    reason = next(line for line in lines if line.startswith("  reason: "))
    assert reason.startswith("  reason: the Slurm backend that runs it is not available here")
    assert said in reason and "--backend" not in reason
    assert '  argv:   ["--lr=0.2"]' in lines and f"  folder: {folder}" in lines
    assert f"  log:    {folder / 'submitit' / '100_0_log.out'}" in lines
    assert 'Metrics[2]: {"epoch": 1, "loss": 0.5}' in lines
    assert project("info", "-j", "100").returncode == 0

    proc = project("info", "-C", "-f", SIG)  # cancelling needs the backend
    assert proc.returncode == 1 and "FATAL: Cannot cancel job 100" in proc.stderr
    assert "Nothing was cancelled" in proc.stderr
    proc = project("run", "--clear", "-f", SIG)  # the job may run: its folder stays
    assert proc.returncode == 1 and f"FATAL: Cannot clear XP {SIG}" in proc.stderr
    assert "Nothing was deleted" in proc.stderr and (folder / "job.json").exists()
    assert len(json.loads((folder / "history.json").read_text())) == 2
    assert fake_slurm.calls("scancel") == [] and fake_slurm.state_of("100") == "PENDING"

"""`dora run` and `dora info`: running in-process, -f SIG, --clear, metrics, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import Dora
from hydra_helpers import write_project as write_hydra_project

SIG_LR2 = "7a0cf6b5"  # --lr=0.2


def test_run_executes_main_in_process_and_records_history(project: Dora) -> None:
    proc = project("run", "--", "--lr=0.2", "--num_workers=1")
    assert proc.returncode == 0, proc.stderr
    assert f"training {SIG_LR2} lr=0.2" in proc.stdout
    folder = project.outputs / "xps" / SIG_LR2
    assert json.loads((folder / ".argv.json").read_text()) == ["--lr=0.2", "--num_workers=1"]
    assert len(json.loads((folder / "history.json").read_text())) == 2


def test_run_from_sig_prepends_the_stored_argv(project: Dora) -> None:
    assert project("run", "--", "--lr=0.2").returncode == 0
    proc = project("run", "-f", SIG_LR2, "--", "--epochs=3")
    assert proc.returncode == 0, proc.stderr
    assert "lr=0.2" in proc.stdout
    proc = project("info", "-f", SIG_LR2, "-m")
    assert f"XP {SIG_LR2}: lr=0.2" in proc.stdout
    assert 'Metrics[2]: {"epoch": 1, "loss": 0.5}' in proc.stdout


def test_run_clear_deletes_the_folder_first(project: Dora) -> None:
    assert project("run", "--", "--lr=0.2").returncode == 0
    marker = project.outputs / "xps" / SIG_LR2 / "checkpoint.bin"
    marker.write_text("old")
    history = project.outputs / "xps" / SIG_LR2 / "history.json"
    proc = project("run", "--clear", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    assert "Deleting" in proc.stderr
    assert not marker.exists()
    assert len(json.loads(history.read_text())) == 2  # a fresh history, not 4 entries


def test_run_with_an_unknown_sig_is_a_clear_error(project: Dora) -> None:
    proc = project("run", "-f", "deadbeef")
    assert proc.returncode == 1
    assert proc.stderr.startswith("FATAL: Could not find an existing run with sig deadbeef")
    assert "--dry_run --init" in proc.stderr and "Traceback" not in proc.stderr
    assert not project.outputs.exists()


def test_run_with_arguments_the_parser_rejects_exits_2(project: Dora) -> None:
    proc = project("run", "--", "--nope")
    assert proc.returncode == 2 and "unrecognized arguments: --nope" in proc.stderr
    assert not project.outputs.exists()


def test_run_ddp_is_refused_with_a_clear_message(project: Dora) -> None:
    proc = project("run", "-d")
    assert proc.returncode == 1 and "dora run -d" in proc.stderr and "torchrun" in proc.stderr


def test_run_errors_of_the_training_code_are_shown(project: Dora) -> None:
    proc = project("run", "--", "--fail")
    assert proc.returncode == 1 and "RuntimeError: asked to fail" in proc.stderr
    assert "train.py\", line" in proc.stderr


def test_run_shows_the_traceback_of_a_dora_error_raised_by_the_training_code(
    project: Dora
) -> None:
    train = project.cwd / "proj" / "train.py"
    train.write_text(train.read_text().replace(
        "    if xp.cfg.fail:", "    xp.link.push_metrics({'bad': object()})\n    if xp.cfg.fail:"))
    proc = project("run")
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "push_metrics" in proc.stderr
    assert "is not jsonable" in proc.stderr or "NotJsonable" in proc.stderr


def test_info_describes_an_xp_never_scheduled(project: Dora) -> None:
    proc = project("info", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    assert f"XP {SIG_LR2}: lr=0.2" in proc.stdout
    assert "state:  no job: never scheduled by `dora launch` or `dora grid`\n" in proc.stdout
    assert str(project.outputs / "xps" / SIG_LR2) in proc.stdout
    assert not project.outputs.exists()
    proc = project("info", "-m", "--", "--lr=0.2")
    assert "Metrics[0]" in proc.stdout
    proc = project("info", "-l", "--", "--lr=0.2")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"FATAL: XP {SIG_LR2} has no job, so no log to print: it was never scheduled by "
        "`dora launch` or `dora grid` (they run it as a job, with a log; `dora run` keeps none).")
    assert not project.outputs.exists()


def test_info_of_an_xp_run_in_the_foreground_says_so(project: Dora) -> None:
    assert project("run", "--", "--lr=0.2").returncode == 0
    proc = project("info", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    assert ("state:  no job: never scheduled by `dora launch` or `dora grid`; run in the "
            "foreground (`dora run`), its history has 2 record(s)\n") in proc.stdout
    for flag, what in (("-l", "print"), ("-t", "follow")):
        proc = project("info", flag, "--", "--lr=0.2")
        assert proc.returncode == 1
        assert proc.stderr.strip().splitlines()[-1] == (
            f"FATAL: XP {SIG_LR2} has no job, so no log to {what}: it was never scheduled by "
            "`dora launch` or `dora grid`; it was run in the foreground (`dora run`, which "
            "prints to the terminal and keeps no log).")
        assert "--dry_run" not in proc.stderr and "Traceback" not in proc.stderr


def test_info_log_prints_hydras_log_of_a_foreground_run(tmp_path: Path) -> None:
    base = write_hydra_project(tmp_path, prelude="import logging")
    train = base / "train.py"
    train.write_text(train.read_text().replace(
        "    xp.link.push_metrics", "    logging.getLogger('proj').info('hello from hydra')\n"
        "    xp.link.push_metrics"))
    dora = Dora(tmp_path)
    proc = dora("run", "epochs=3")
    assert proc.returncode == 0, proc.stderr
    sig = proc.stdout.split("running ")[1].split()[0]
    hydra_log = dora.outputs / "xps" / sig / "train.log"
    proc = dora("info", "-l", "-f", sig)
    assert proc.returncode == 0, proc.stderr
    assert "hello from hydra" in proc.stdout
    assert f"printing Hydra's log of its run in the foreground, {hydra_log}" in proc.stderr
    proc = dora("info", "-t", "-f", sig)  # a foreground run's log is not followed
    assert proc.returncode == 1
    assert (f"it was run in the foreground (`dora run`), and Hydra's log of that run, "
            f"{hydra_log}, is printed by `dora info -l`.") in proc.stderr
    hydra_log.unlink()  # e.g. hydra/job_logging=disabled: no log at all
    proc = dora("info", "-l", "-f", sig)
    assert proc.returncode == 1 and "keeps no log" in proc.stderr


def test_info_by_job_id_and_its_errors(project: Dora) -> None:
    assert project("launch", "--no_tail", "--", "--lr=0.2").returncode == 0
    job = json.loads((project.outputs / "xps" / SIG_LR2 / "job.json").read_text())["job_id"]
    proc = project("info", "-j", job)
    assert proc.returncode == 0 and f"job id: {job}" in proc.stdout
    proc = project("info", "-j", "local-999")
    assert proc.returncode == 1 and "No XP found for job id local-999" in proc.stderr
    proc = project("info", "-j", job, "--", "--lr=0.3")
    assert proc.returncode == 1 and "-j/--job_id" in proc.stderr


def test_info_corrupt_history_is_reported_not_a_traceback(project: Dora) -> None:
    assert project("run", "--", "--lr=0.2").returncode == 0
    (project.outputs / "xps" / SIG_LR2 / "history.json").write_text("garbage")
    proc = project("info", "-m", "-f", SIG_LR2)
    assert proc.returncode == 1 and "FATAL:" in proc.stderr and "history.json" in proc.stderr
    assert "Traceback" not in proc.stderr

"""`dora launch`: schedule one XP on the local backend, follow its log, cancel it."""

from __future__ import annotations

import json
import re
from typing import Tuple

from cli_helpers import Dora, wait_for


def job_of(project: Dora, sig: str) -> str:
    return json.loads((project.outputs / "xps" / sig / "job.json").read_text())["job_id"]


def test_launch_follows_the_log_and_exits_with_the_jobs_success(project: Dora) -> None:
    proc = project("launch", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    assert "training 7a0cf6b5 lr=0.2" in proc.stdout
    assert "Scheduled job" in proc.stderr and "ended COMPLETED" in proc.stderr
    proc = project("launch", "--", "--fail")
    assert proc.returncode == 1
    assert "asked to fail" in proc.stdout and "ended FAILED" in proc.stderr


def test_launch_does_not_submit_twice(project: Dora) -> None:
    assert project("launch", "--no_tail", "--", "--lr=0.2").returncode == 0
    first = job_of(project, "7a0cf6b5")
    proc = project("launch", "--no_tail", "--", "--lr=0.2")
    assert proc.returncode == 0 and f"Reusing job {first}" in proc.stderr
    assert job_of(project, "7a0cf6b5") == first


def test_launch_cancel_and_retry(project: Dora) -> None:
    argv = ["--", "--sleep=30", "--epochs=1"]
    assert project("launch", "--no_tail", *argv).returncode == 0
    proc = project("launch", "-C", *argv)
    assert proc.returncode == 0 and "Canceling job" in proc.stderr
    sig = next(p.name for p in (project.outputs / "xps").iterdir())
    first = job_of(project, sig)

    def cancelled() -> bool:
        return "CANCELLED" in project("info", "-f", sig).stdout

    wait_for(cancelled, what="the job to be cancelled")
    assert project("launch", "--no_tail", *argv).returncode == 0
    assert job_of(project, sig) == first  # cancelled is not retried without -r
    assert project("launch", "--no_tail", "-r", *argv).returncode == 0
    assert job_of(project, sig) != first
    assert project("launch", "-C", *argv).returncode == 0


def test_launch_errors_change_nothing(project: Dora) -> None:
    proc = project("launch", "-f", "deadbeef")
    assert proc.returncode == 1 and "deadbeef" in proc.stderr
    proc = project("launch", "--backend", "slurm", "--", "--lr=0.2",
                   SLURM_CONF="/nonexistent/slurm.conf")
    assert proc.returncode == 1 and "Slurm backend is not available" in proc.stderr
    proc = project("launch", "-g", "9", "--no_tail", "--", "--lr=0.2")  # 4 local slots
    assert proc.returncode == 1 and "GPUs" in proc.stderr
    assert not (project.outputs / "xps" / "7a0cf6b5").exists(), "no folder for a refused XP"
    proc = project("launch", "--slots", "9", "-g", "9", "--no_tail", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    assert (project.outputs / "xps" / "7a0cf6b5" / "job.json").exists()


# -R, -D, --clear, -a ------------------------------------------------------------------------

SLOW = ["--", "--sleep=30", "--epochs=1"]  # runs until cancelled (the tests cancel it)


def only_sig(project: Dora) -> str:
    (folder,) = (project.outputs / "xps").iterdir()
    return folder.name


def state_of(project: Dora, sig: str) -> str:
    """The state `dora info` shows for the XP."""
    proc = project("info", "-f", sig)
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"^  state:\s+(.+)$", proc.stdout, re.MULTILINE)
    assert match, proc.stdout
    return match.group(1)


def local_job_state(project: Dora, job_id: str) -> str:
    """The state the local backend recorded for one job (`<dir>/local/jobs/<id>.json`)."""
    path = project.outputs / "local" / "jobs" / f"{job_id}.json"
    return json.loads(path.read_text())["state"]


def launch_running(project: Dora) -> Tuple[str, str]:
    """Launch the slow XP and wait until its job runs: (sig, job id)."""
    assert project("launch", "--no_tail", *SLOW).returncode == 0
    sig = only_sig(project)
    first = job_of(project, sig)
    wait_for(lambda: state_of(project, sig) == "RUNNING", what="the first job to run")
    return sig, first


def test_replace_cancels_the_running_job_and_schedules_a_new_one(project: Dora) -> None:
    try:
        sig, first = launch_running(project)

        proc = project("launch", "--no_tail", *SLOW)
        assert proc.returncode == 0 and f"Reusing job {first} (RUNNING)" in proc.stderr

        proc = project("launch", "--no_tail", "-R", *SLOW)
        assert proc.returncode == 0, proc.stderr
        second = job_of(project, sig)
        assert second != first
        assert f"Scheduled job {second} for sheep {sig}" in proc.stderr
        assert "Reusing" not in proc.stderr
        info = project("info", "-f", sig).stdout
        assert f"job id: {second}" in info
        wait_for(lambda: state_of(project, sig) == "RUNNING", what="the new job to run")
        old_log = project.outputs / "xps" / sig / "local" / f"{first}.log"
        wait_for(lambda: f"{first}: CANCELLED" in old_log.read_text(),
                 what="the old job's log to say it was cancelled")
        assert local_job_state(project, first) == "CANCELLED"
    finally:
        project("launch", "-C", *SLOW)


def test_replace_done_schedules_a_completed_xp_again(project: Dora) -> None:
    argv = ["--", "--lr=0.2"]
    proc = project("launch", *argv)
    assert proc.returncode == 0 and "ended COMPLETED" in proc.stderr, proc.stderr
    first = job_of(project, "7a0cf6b5")
    for flags in ([], ["-r"], ["-R"]):  # none of them reschedules a completed XP
        proc = project("launch", "--no_tail", *flags, *argv)
        assert proc.returncode == 0, proc.stderr
        assert f"Reusing job {first} (COMPLETED) of XP 7a0cf6b5" in proc.stderr, flags
        assert job_of(project, "7a0cf6b5") == first

    proc = project("launch", "-D", *argv)
    assert proc.returncode == 0, proc.stderr
    second = job_of(project, "7a0cf6b5")
    assert second != first
    assert f"Scheduled job {second} for sheep 7a0cf6b5" in proc.stderr
    assert f"Job {second} of XP 7a0cf6b5 ended COMPLETED" in proc.stderr
    assert "training 7a0cf6b5 lr=0.2" in proc.stdout
    # the folder was kept: the old log is there and the new run found the old history
    assert (project.outputs / "xps" / "7a0cf6b5" / "local" / f"{first}.log").exists()
    assert "did not load" in proc.stdout


def test_clear_deletes_the_folder_and_schedules_again(project: Dora) -> None:
    argv = ["--", "--lr=0.2"]
    assert project("launch", *argv).returncode == 0
    folder = project.outputs / "xps" / "7a0cf6b5"
    first = job_of(project, "7a0cf6b5")
    (folder / "notes.txt").write_text("something of the user's\n")
    assert "Metrics[2]" in project("info", "-m", *argv).stdout

    proc = project("launch", "--clear", *argv)
    assert proc.returncode == 0, proc.stderr
    assert f"Deleting {folder}" in proc.stderr
    second = job_of(project, "7a0cf6b5")
    assert second != first and f"Job {second} of XP 7a0cf6b5 ended COMPLETED" in proc.stderr
    assert not (folder / "notes.txt").exists()
    assert not (folder / "local" / f"{first}.log").exists()
    assert "did not load" not in proc.stdout  # the new run started a history of its own
    assert len(json.loads((folder / "history.json").read_text())) == 2


def test_clear_cancels_a_running_job_first(project: Dora) -> None:
    try:
        sig, first = launch_running(project)
        proc = project("launch", "--clear", "--no_tail", *SLOW)
        assert proc.returncode == 0, proc.stderr
        assert f"Canceling job {first} of XP {sig}" in proc.stderr
        assert f"Deleting {project.outputs / 'xps' / sig}" in proc.stderr
        second = job_of(project, sig)
        assert second != first and f"Scheduled job {second}" in proc.stderr
        assert not (project.outputs / "xps" / sig / "local" / f"{first}.log").exists()
        wait_for(lambda: local_job_state(project, first) == "CANCELLED",
                 what="the old job to be cancelled")
    finally:
        project("launch", "-C", *SLOW)


def test_attach_cancels_the_job_on_ctrl_c(project: Dora) -> None:
    running = project.start("launch", "-a", *SLOW)
    try:
        running.wait_output("training ")  # the job runs and its log is being followed
        sig = only_sig(project)
        job = job_of(project, sig)
        running.interrupt()
        code, _, err = running.finish()
        assert code == 130, err
        assert f"Canceling job {job} of XP {sig}" in err
        wait_for(lambda: state_of(project, sig) == "CANCELLED", what="the job to be cancelled")
    finally:
        if running.proc.poll() is None:
            running.proc.kill()
        project("launch", "-C", *SLOW)


def test_ctrl_c_without_attach_leaves_the_job_running(project: Dora) -> None:
    running = project.start("launch", *SLOW)
    try:
        running.wait_output("training ")
        sig = only_sig(project)
        job = job_of(project, sig)
        running.interrupt()
        code, _, err = running.finish()
        assert code == 130, err
        assert f"Stopped following the log; job {job} keeps running" in err
        assert "Canceling" not in err
        assert state_of(project, sig) == "RUNNING"
        proc = project("launch", "--no_tail", *SLOW)
        assert f"Reusing job {job} (RUNNING)" in proc.stderr
    finally:
        if running.proc.poll() is None:
            running.proc.kill()
        project("launch", "-C", *SLOW)


def test_attach_follows_the_log_even_with_no_tail(project: Dora) -> None:
    proc = project("launch", "-a", "--no_tail", "--", "--lr=0.2")
    assert proc.returncode == 0, proc.stderr
    assert "training 7a0cf6b5 lr=0.2" in proc.stdout and "ended COMPLETED" in proc.stderr

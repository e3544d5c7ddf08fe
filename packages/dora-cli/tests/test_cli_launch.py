"""`dora launch`: schedule one XP on the local backend, follow its log, cancel it."""

from __future__ import annotations

import json

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

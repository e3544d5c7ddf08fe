"""`dora launch` and `dora info` on a real Slurm, and how the backend and partition are picked."""

from __future__ import annotations

import re

from .conftest import (
    Project,
    default_partition,
    job_field,
    no_traceback,
    sacct,
    wait_for,
    wait_states,
)


def _partition(job_id: str) -> str:
    return job_field(job_id, "Partition")


def test_launch_without_tail_then_info_by_job_id(project: Project) -> None:
    proc = project.dora("launch", "--backend", "slurm", "--no_tail", "--",
                        "--lr=0.3", "--epochs=1")
    assert proc.returncode == 0
    no_traceback(proc)
    sig = project.sig_of("--lr=0.3", "--epochs=1")
    job_id = project.job_id(sig)
    assert job_id.isdigit()
    assert job_id in proc.stdout + proc.stderr
    # No partition given anywhere: the cluster's default one.
    assert _partition(job_id) == default_partition()

    info = project.dora("info", "-j", job_id)
    assert info.returncode == 0
    no_traceback(info)
    assert sig in info.stdout + info.stderr

    def info_says_completed() -> bool:
        out = project.dora("info", "-j", job_id)
        return "COMPLETED" in out.stdout + out.stderr

    wait_for(info_says_completed, 60, "dora info -j to say COMPLETED", interval=1)
    wait_states([job_id], "COMPLETED")


def test_launch_follows_the_log_until_the_job_ends(project: Project) -> None:
    proc = project.dora("launch", "--backend", "slurm", "--",
                        "--lr=0.6", "--epochs=2", "--sleep=0.5", timeout=180)
    assert proc.returncode == 0
    no_traceback(proc)
    sig = project.sig_of("--lr=0.6", "--epochs=2")
    assert f"XP {sig} done" in proc.stdout + proc.stderr
    wait_states([project.job_id(sig)], "COMPLETED")


def test_dev_flag_submits_to_the_dev_partition(project: Project) -> None:
    proc = project.dora("launch", "--backend", "slurm", "--no_tail", "--dev", "--",
                        "--lr=0.7", "--epochs=1")
    assert proc.returncode == 0
    no_traceback(proc)
    job_id = project.job_id(project.sig_of("--lr=0.7", "--epochs=1"))
    assert _partition(job_id) == "devlab"


def test_auto_backend_uses_slurm_when_a_controller_answers(project: Project) -> None:
    proc = project.dora("launch", "--no_tail", "--", "--lr=0.8", "--epochs=1")
    assert proc.returncode == 0
    no_traceback(proc)
    job_id = project.job_id(project.sig_of("--lr=0.8", "--epochs=1"))
    assert re.fullmatch(r"\d+", job_id), job_id
    assert _partition(job_id) == default_partition()
    wait_for(lambda: [row[0] for row in sacct([job_id])] == [job_id], 30,
             f"sacct to know job {job_id}")


def test_a_comma_list_of_partitions_is_accepted(project: Project) -> None:
    proc = project.dora("launch", "--backend", "slurm", "--no_tail", "-p", "devlab,debug",
                        "--", "--lr=0.9", "--epochs=1")
    assert proc.returncode == 0
    no_traceback(proc)
    job_id = project.job_id(project.sig_of("--lr=0.9", "--epochs=1"))
    wait_states([job_id], "COMPLETED")
    assert _partition(job_id) in ("devlab", "debug")  # Slurm ran it in one of them

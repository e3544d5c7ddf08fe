"""Preemption on a real Slurm: the job is requeued and the XP resumes from its checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import (
    Project,
    job_field,
    no_traceback,
    parse_table,
    preempt,
    sacct,
    scheduled_ids,
    uses_srun,
    wait_for,
    wait_states,
)


def test_preempted_xp_is_requeued_and_resumes_with_its_history(project: Project) -> None:
    project.write_grid("pre", """
        launcher.bind_(epochs=6, sleep=1.5)
        launcher(lr=0.3)
    """)
    proc = project.dora("grid", "pre", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0
    no_traceback(proc)
    (sig,) = project.grid_sigs("pre")
    job_id = project.job_id(sig)
    wait_for(lambda: len(project.history(sig)) >= 2, 90, "two epochs before preemption")

    preempt(job_id)

    wait_for(lambda: len(project.history(sig)) == 6, 120, "the requeued XP to finish")
    wait_states([job_id], "COMPLETED", timeout=60)
    history = project.history(sig)
    assert [entry["epoch"] for entry in history] == [1, 2, 3, 4, 5, 6], history
    assert [entry["loss"] for entry in history] == [0.3 / k for k in range(1, 7)]

    # The same job ran twice: the second time as a restart, resuming from the checkpoint.
    runs = [json.loads(line) for line in (project.xp(sig) / "runs.jsonl").read_text().splitlines()]
    assert [run["job"] for run in runs] == [job_id, job_id], runs
    assert [run["restarts"] for run in runs] == ["0", "1"], runs
    assert [row[1] for row in sacct([job_id], duplicates=True)] == ["REQUEUED", "COMPLETED"]
    info = project.dora("info", "-f", sig, "-l")
    assert info.returncode == 0
    resumed = [line for line in (info.stdout + info.stderr).splitlines()
               if line.startswith("Resuming after epoch")]
    assert len(resumed) == 1 and int(resumed[0].split()[-1]) >= 2, resumed

    # The grid sees it done, under the same job: nothing is scheduled again.
    proc = project.dora("grid", "pre", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0
    assert scheduled_ids(proc.stdout + proc.stderr) == []
    assert parse_table(proc.stdout)[sig][0] == "COM"
    assert project.job_id(sig) == job_id


def _runs(project: Project, sig: str) -> list:
    path = project.xp(sig) / "runs.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_timeout_is_requeued_up_to_max_num_timeout(project: Project) -> None:
    # A limit under 10 minutes: submitit counts any USR2 as the time limit coming.
    project.write_grid("tim", """
        launcher.bind_(epochs=60, sleep=1)
        launcher.slurm_(time="00:05:00", max_num_timeout=1)
        launcher(lr=0.5)
    """)
    proc = project.dora("grid", "tim", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0
    no_traceback(proc)
    (sig,) = project.grid_sigs("tim")
    job_id = project.job_id(sig)
    assert job_field(job_id, "TimeLimit") == "00:05:00"
    wait_for(lambda: len(project.history(sig)) >= 1, 60, "the first epoch")

    preempt(job_id)  # the first timeout: requeued (max_num_timeout=1)
    wait_for(lambda: len(_runs(project, sig)) == 2, 60, "the requeued run to start")
    assert _runs(project, sig)[1]["restarts"] == "1"
    preempt(job_id)  # the second: not requeued any more
    wait_states([job_id], "FAILED", timeout=60)
    assert [row[1] for row in sacct([job_id], duplicates=True)] == ["REQUEUED", "FAILED"]
    assert len(_runs(project, sig)) == 2
    assert 1 <= len(project.history(sig)) < 60  # it stopped on the second signal

    info = project.dora("info", "-f", sig, "-l")
    log = info.stdout + info.stderr
    assert "timed-out too many times" in log, log
    proc = project.dora("grid", "tim", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0
    assert parse_table(proc.stdout)[sig][0] == "FAI"
    assert scheduled_ids(proc.stdout + proc.stderr) == []  # only `-r` reschedules it


def test_without_srun_or_time_limit_a_preempted_xp_is_requeued(project: Project) -> None:
    # No srun: the signal goes to the batch shell, which is the job's Python process.
    # No time: the partition's limit (unlimited here), so a signal is a preemption, and
    # max_num_timeout=0 does not stop the requeue.
    project.write_grid("nosrun", """
        launcher.bind_(epochs=5, sleep=1.5)
        launcher.slurm_(use_srun=False, time=None, max_num_timeout=0)
        launcher(lr=0.6)
    """)
    proc = project.dora("grid", "nosrun", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0
    no_traceback(proc)
    (sig,) = project.grid_sigs("nosrun")
    job_id = project.job_id(sig)
    script = Path(job_field(job_id, "Command")).read_text()
    assert "--time" not in script and "#SBATCH --signal=B:USR2@90" in script, script
    # the partition's: unlimited (shown as a year by some Slurm versions once it runs)
    assert job_field(job_id, "TimeLimit") in ("UNLIMITED", "365-00:00:00")
    assert not uses_srun(job_id)
    wait_for(lambda: len(project.history(sig)) >= 2, 60, "two epochs before preemption")

    preempt(job_id)

    wait_for(lambda: len(project.history(sig)) == 5, 90, "the requeued XP to finish")
    wait_states([job_id], "COMPLETED", timeout=60)
    assert [entry["epoch"] for entry in project.history(sig)] == [1, 2, 3, 4, 5]
    assert [run["restarts"] for run in _runs(project, sig)] == ["0", "1"]
    assert [row[1] for row in sacct([job_id], duplicates=True)] == ["REQUEUED", "COMPLETED"]
    info = project.dora("info", "-f", sig, "-l")
    assert "this job is preempted" in info.stdout + info.stderr

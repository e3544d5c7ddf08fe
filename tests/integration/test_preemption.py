"""Preemption on a real Slurm: the job is requeued and the XP resumes from its checkpoint."""

from __future__ import annotations

import json

from .conftest import (
    Project,
    no_traceback,
    parse_table,
    preempt,
    sacct,
    scheduled_ids,
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

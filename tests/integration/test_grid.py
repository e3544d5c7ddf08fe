"""`dora grid` on a real Slurm: scheduling, monitoring, cancelling, job arrays, failures."""

from __future__ import annotations

import subprocess

from .conftest import (
    DORA,
    Project,
    no_traceback,
    parse_table,
    queued,
    sacct,
    scheduled_ids,
    states,
    wait_for,
    wait_states,
)


def test_grid_is_monitored_until_completed_with_metrics_in_the_table(project: Project) -> None:
    project.write_grid("basic", """
        launcher.bind_(epochs=2, sleep=0.5)
        for lr in [0.1, 0.2, 0.4]:
            launcher(lr=lr)
    """)
    proc = project.dora("grid", "basic", "--backend", "slurm", "-i", "0.02", timeout=180)
    assert proc.returncode == 0
    no_traceback(proc)
    output = proc.stdout + proc.stderr
    assert len(scheduled_ids(output)) == 3

    sigs = project.grid_sigs("basic")
    assert len(sigs) == 3
    table = parse_table(proc.stdout.split("Monitoring")[-1])
    assert {sig: table[sig][0] for sig in sigs} == dict.fromkeys(sigs, "COM"), table
    # The last epoch's loss (lr / 2) of every XP is in its row, with the job id.
    losses = {f"{lr / 2:.4f}" for lr in [0.1, 0.2, 0.4]}
    assert {loss for sig in sigs for loss in losses if loss in table[sig][1]} == losses
    for sig in sigs:
        record = project.job(sig)
        job_id = str(record["job_id"])
        assert job_id.isdigit(), record
        assert job_id in table[sig][1]
        assert {"job_id", "array_job_ids", "dependent_job_ids", "slurm_config"} <= set(record)
        assert record["slurm_config"]["cpus_per_gpu"] == 1
        assert (project.outputs / "by_id" / job_id).resolve() == project.xp(sig).resolve()
        assert [entry["epoch"] for entry in project.history(sig)] == [1, 2]
    wait_states([project.job_id(sig) for sig in sigs], "COMPLETED")

    # Done XPs are not scheduled again.
    again = project.dora("grid", "basic", "--backend", "slurm", "--no_monitoring")
    assert again.returncode == 0
    assert scheduled_ids(again.stdout + again.stderr) == []


def test_xp_removed_from_the_grid_is_cancelled(project: Project) -> None:
    project.write_grid("shrink", """
        launcher.bind_(epochs=1, sleep=120)
        launcher(lr=0.1)
        launcher(lr=0.2)
    """)
    proc = project.dora("grid", "shrink", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0
    no_traceback(proc)
    sigs = project.grid_sigs("shrink")
    ids = {sig: project.job_id(sig) for sig in sigs}
    wait_for(lambda: all(queued().get(i) == "RUNNING" for i in ids.values()), 60,
             "both jobs to run")
    removed = project.sig_of("--lr=0.2", "--epochs=1")
    kept = next(sig for sig in sigs if sig != removed)

    project.write_grid("shrink", """
        launcher.bind_(epochs=1, sleep=120)
        launcher(lr=0.1)
    """)
    proc = project.dora("grid", "shrink", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0
    no_traceback(proc)
    assert "Canceling" in proc.stdout + proc.stderr
    assert project.grid_sigs("shrink") == [kept]
    wait_states([ids[removed]], "CANCELLED", timeout=30)
    assert queued().get(ids[kept]) == "RUNNING"
    assert scheduled_ids(proc.stdout + proc.stderr) == []

    # `-C` cancels what is left.
    proc = project.dora("grid", "shrink", "--backend", "slurm", "-C", "--no_monitoring")
    assert proc.returncode == 0
    wait_states([ids[kept]], "CANCELLED", timeout=30)
    table = parse_table(project.dora(
        "grid", "shrink", "--backend", "slurm", "--no_monitoring").stdout)
    assert table[kept][0] == "CAN"


def test_job_array_of_five_xps_completes(project: Project) -> None:
    project.write_grid("arr", """
        launcher.bind_(epochs=1)
        with launcher.job_array():
            for lr in [0.1, 0.2, 0.3, 0.4, 0.5]:
                launcher(lr=lr)
    """)
    proc = project.dora("grid", "arr", "--backend", "slurm", "-i", "0.02", timeout=180)
    assert proc.returncode == 0
    no_traceback(proc)
    sigs = project.grid_sigs("arr")
    assert len(sigs) == 5
    ids = [project.job_id(sig) for sig in sigs]
    array_ids = {job_id.split("_")[0] for job_id in ids}
    assert len(array_ids) == 1, ids
    (array,) = array_ids
    assert sorted(ids) == sorted(f"{array}_{k}" for k in range(5))
    for sig in sigs:
        assert sorted(project.job(sig)["array_job_ids"]) == sorted(ids)
        assert (project.outputs / "by_id" / project.job_id(sig)).resolve() == \
            project.xp(sig).resolve()
    wait_states(ids, "COMPLETED")
    assert sorted(row[0] for row in sacct([array])) == sorted(ids)
    table = parse_table(proc.stdout.split("Monitoring")[-1])
    assert {table[sig][0] for sig in sigs} == {"COM"}


def test_failing_xp_is_failed_and_rescheduled_only_with_retry(project: Project) -> None:
    project.write_grid("fails", """
        launcher.bind_(epochs=2)
        launcher(lr=0.1)
        launcher(lr=0.2, fail_at=1)
    """)
    proc = project.dora("grid", "fails", "--backend", "slurm", "-i", "0.02", timeout=180)
    assert proc.returncode == 0
    no_traceback(proc)
    failing = project.sig_of("--epochs=2", "--lr=0.2", "--fail_at=1")
    fine = project.sig_of("--epochs=2", "--lr=0.1")
    table = parse_table(proc.stdout.split("Monitoring")[-1])
    assert table[failing][0] == "FAI"
    assert table[fine][0] == "COM"
    first = project.job_id(failing)
    wait_states([first], "FAILED")
    assert [entry["epoch"] for entry in project.history(failing)] == [1]

    proc = project.dora("grid", "fails", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0
    assert scheduled_ids(proc.stdout + proc.stderr) == []
    assert project.job_id(failing) == first
    assert parse_table(proc.stdout)[failing][0] == "FAI"

    proc = project.dora("grid", "fails", "--backend", "slurm", "-r", "--no_monitoring")
    assert proc.returncode == 0
    no_traceback(proc)
    assert len(scheduled_ids(proc.stdout + proc.stderr)) == 1
    second = project.job_id(failing)
    assert second != first
    assert project.job_id(fine) != second
    wait_for(lambda: states([second]).get(second) in {"PENDING", "RUNNING", "FAILED"}, 30,
             f"sacct to know the new job {second}")


def test_concurrent_grids_never_submit_one_xp_twice(project: Project) -> None:
    project.write_grid("conc", """
        launcher.bind_(epochs=1, sleep=120)
        for lr in [0.1, 0.2, 0.3, 0.4]:
            launcher(lr=lr)
    """)
    cmd = [*DORA, "grid", "conc", "--backend", "slurm", "--no_monitoring"]
    procs = [subprocess.Popen(cmd, cwd=project.root, env=project.env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL) for _ in range(3)]
    outputs = [proc.communicate(timeout=180)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], outputs
    scheduled = [job_id for out in outputs for job_id in scheduled_ids(out)]
    sigs = project.grid_sigs("conc")
    assert len(sigs) == 4
    recorded = sorted(project.job_id(sig) for sig in sigs)
    # Each XP was submitted once, by one of the three processes, and what the cluster
    # holds for this project is exactly the four recorded jobs.
    assert sorted(scheduled) == recorded, outputs
    assert sorted(queued(under=project.root)) == recorded

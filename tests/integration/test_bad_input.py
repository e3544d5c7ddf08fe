"""Bad input against a real Slurm: one clear message, nothing half-written, a retry works."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List

from .conftest import Project, default_partition, no_traceback, queued, scheduled_ids, wait_states


def _files_under(folder: Path) -> List[str]:
    if not folder.exists():
        return []
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*")
                  if not path.is_dir() or path.is_symlink())


def test_unknown_partition_is_refused_and_a_retry_with_a_good_one_works(
        project: Project) -> None:
    proc = project.dora("launch", "--backend", "slurm", "--no_tail", "-p", "nope", "--",
                        "--lr=0.9", "--epochs=1")
    assert proc.returncode != 0
    no_traceback(proc)
    output = proc.stdout + proc.stderr
    assert "nope" in output and "partition" in output.lower(), output
    assert list(project.outputs.glob("xps/*/job.json")) == []
    assert _files_under(project.outputs / "by_id") == []
    assert _files_under(project.outputs / "orphans") == []
    assert queued(project.root) == {}

    proc = project.dora("launch", "--backend", "slurm", "--no_tail",
                        "-p", default_partition(), "--", "--lr=0.9", "--epochs=1")
    assert proc.returncode == 0
    no_traceback(proc)
    job_id = project.job_id(project.sig_of("--lr=0.9", "--epochs=1"))
    wait_states([job_id], "COMPLETED")


def test_unknown_partition_in_a_grid_schedules_nothing(project: Project) -> None:
    project.write_grid("badpart", """
        launcher.bind_(epochs=1)
        launcher.slurm_(partition="nope")
        launcher(lr=0.1)
        launcher(lr=0.2)
    """)
    proc = project.dora("grid", "badpart", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode != 0
    no_traceback(proc)
    assert "nope" in proc.stdout + proc.stderr
    assert list(project.outputs.glob("xps/*/job.json")) == []
    assert _files_under(project.outputs / "by_id") == []
    assert _files_under(project.outputs / "orphans") == []
    assert queued(project.root) == {}

    project.write_grid("badpart", """
        launcher.bind_(epochs=1)
        launcher(lr=0.1)
        launcher(lr=0.2)
    """)
    proc = project.dora("grid", "badpart", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0
    assert len(scheduled_ids(proc.stdout + proc.stderr)) == 2
    ids = [project.job_id(sig) for sig in project.grid_sigs("badpart")]
    wait_states(ids, "COMPLETED")


def test_slurm_backend_without_a_controller_says_so_and_changes_nothing(
        project: Project, tmp_path: Path) -> None:
    conf = Path(os.environ["SLURM_CONF"]).read_text()
    dead = tmp_path / "dead" / "slurm.conf"
    dead.parent.mkdir()
    # The same cluster, but its controller is looked for on a port nobody listens on.
    dead.write_text(re.sub(r"(?m)^SlurmctldPort=.*$", "SlurmctldPort=16899", conf))
    env = dict(project.env, SLURM_CONF=str(dead))
    project.write_grid("nocluster", """
        launcher.bind_(epochs=1)
        launcher(lr=0.1)
    """)

    for args in (["grid", "nocluster", "--backend", "slurm", "--no_monitoring"],
                 ["launch", "--backend", "slurm", "--no_tail", "--", "--lr=0.2"]):
        proc = project.dora(*args, env=env, timeout=180)
        assert proc.returncode != 0, args
        no_traceback(proc)
        output = proc.stdout + proc.stderr
        assert "slurm" in output.lower(), output
        assert "submitit" not in output.lower(), output
        assert _files_under(project.outputs) == [], args

    assert queued(project.root) == {}


def test_sbatch_refusing_a_job_shows_its_message_and_a_retry_works(project: Project) -> None:
    # Dora checks no memory: sbatch itself refuses (no node has 100 TB).
    project.write_grid("toobig", """
        launcher.bind_(epochs=1)
        launcher.slurm_(mem_per_gpu=100000)
        launcher(lr=0.4)
    """)
    proc = project.dora("grid", "toobig", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode != 0
    no_traceback(proc)
    output = proc.stdout + proc.stderr
    assert "Memory specification can not be satisfied" in output, output  # sbatch's words
    assert "Nothing was scheduled" in output, output
    assert output.count("Memory specification can not be satisfied") == 1, output
    assert list(project.outputs.glob("xps/*/job.json")) == []
    assert list(project.outputs.glob("xps/*/submitit/*")) == []
    assert _files_under(project.outputs / "by_id") == []
    assert _files_under(project.outputs / "orphans") == []
    assert queued(project.root) == {}

    project.write_grid("toobig", """
        launcher.bind_(epochs=1)
        launcher(lr=0.4)
    """)
    proc = project.dora("grid", "toobig", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode == 0
    no_traceback(proc)
    (sig,) = project.grid_sigs("toobig")
    assert scheduled_ids(proc.stdout + proc.stderr) == [project.job_id(sig)]
    wait_states([project.job_id(sig)], "COMPLETED")

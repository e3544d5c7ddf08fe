"""git_save on a real Slurm: a dirty repository is refused, a clean one runs from its clone."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .conftest import Project, git, no_traceback, queued, wait_states


def test_dirty_repository_is_refused_and_a_clean_one_runs_from_the_clone(
        git_project: Project) -> None:
    project = git_project
    project.write_grid("gs", """
        launcher.bind_(epochs=1)
        launcher(lr=0.1)
        launcher(lr=0.2)
    """)
    train = project.package / "train.py"
    committed = train.read_text()
    train.write_text(committed + "\n# an edit not committed\n")

    proc = project.dora("grid", "gs", "--backend", "slurm", "--no_monitoring")
    assert proc.returncode != 0
    no_traceback(proc)
    output = proc.stdout + proc.stderr
    assert "not clean" in output.lower() and "train.py" in output, output
    assert list(project.outputs.glob("xps/*/job.json")) == []
    assert not (project.outputs / "codes").exists() or \
        not any((project.outputs / "codes").iterdir())
    assert queued(project.root) == {}

    # Clean again; the new grid file is untracked, which git_save tolerates.
    train.write_text(committed)
    commit = git(project, "rev-parse", "HEAD")
    proc = project.dora("grid", "gs", "--backend", "slurm", "-i", "0.02", timeout=180)
    assert proc.returncode == 0
    no_traceback(proc)
    clone = (project.outputs / "codes" / commit).resolve()
    assert (clone / "slurmproj" / "train.py").read_text() == committed
    sigs = project.grid_sigs("gs")
    assert len(sigs) == 2
    for sig in sigs:
        code = project.xp(sig) / "code"
        assert code.is_symlink()
        assert code.resolve() == clone
        (run,) = [json.loads(line) for line in
                  (project.xp(sig) / "runs.jsonl").read_text().splitlines()]
        assert Path(run["file"]).resolve() == clone / "slurmproj" / "train.py", run
        assert Path(os.path.realpath(run["cwd"])).is_relative_to(clone), run
        # The XP folder stays in the original checkout's outputs.
        assert project.history(sig)
    wait_states([project.job_id(sig) for sig in sigs], "COMPLETED")

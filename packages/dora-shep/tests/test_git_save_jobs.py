"""git_save through the Shepherd: jobs on the local backend run from the commit's clone."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from git_save_helpers import Project, commit_change, load_main, open_project
from shep_helpers import wait_for

from dora_shep.conf import SubmitRules
from dora_shep.git_save import DirtyRepoError
from dora_shep.shepherd import Sheep, Shepherd


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    yield from open_project(tmp_path, monkeypatch)


class Logs(list):
    def __call__(self, line: str) -> None:
        self.append(line)


def submit(shep: Shepherd, sheep: Sheep, **rules: bool) -> None:
    shep.maybe_submit_lazy(sheep, shep.main.get_slurm_config(), SubmitRules(**rules))
    shep.commit()


def finish(shep: Shepherd, sheep: Sheep) -> Dict[str, Any]:
    def done() -> Any:
        shep.update()
        return sheep.is_done() and sheep.state()

    state = wait_for(done, 30, f"{sheep} to finish")
    assert state == "COMPLETED", sheep.log.read_text() if sheep.log else state
    return json.loads((sheep.xp.folder / "seen.json").read_text())


def test_dirty_repository_schedules_nothing(project: Project) -> None:
    (project.repo / "gsproj" / "util.py").write_text("X = 2\n")
    shep = Shepherd(project.main, log=Logs())
    sheep = shep.get_sheep_from_argv(["--a=1"])
    shep.maybe_submit_lazy(sheep, project.main.get_slurm_config(), SubmitRules())
    with pytest.raises(DirtyRepoError, match="gsproj/util.py"):
        shep.commit()
    assert sheep.job is None and shep.log == []
    assert not sheep.xp.folder.exists()
    assert not (project.outputs / "codes").exists()
    assert not (project.outputs / "local").exists()


def test_job_runs_from_the_clone_and_paths_point_back(project: Project) -> None:
    (project.repo / "gsproj" / "grids" / "g.py").write_text("# edited, tolerated\n")
    shep = Shepherd(project.main, log=Logs())
    sheep = shep.get_sheep_from_argv(["--a=1"])
    submit(shep, sheep)
    clone = project.outputs / "codes" / project.head
    assert Path(os.readlink(sheep.xp.folder / "code")) == clone
    assert Path(os.getcwd()) == project.repo and "_DORA_ORIGINAL_DIR" not in os.environ
    seen = finish(shep, sheep)
    assert Path(seen["cwd"]) == clone
    assert Path(seen["file"]) == clone / "gsproj" / "train.py"
    assert seen["data"] == str(project.repo / "data" / "x")


def test_xps_of_one_commit_share_one_clone(project: Project, monkeypatch: Any) -> None:
    monkeypatch.chdir(project.repo / "gsproj")  # outputs/ is relative: now gsproj/outputs
    project.main = load_main()
    project.outputs = project.repo / "gsproj" / "outputs"
    shep = Shepherd(project.main, log=Logs())
    sheeps = [shep.get_sheep_from_argv([f"--a={i}"]) for i in range(3)]
    slurm = project.main.get_slurm_config()
    with shep.job_array(slurm):
        for sheep in sheeps:
            shep.maybe_submit_lazy(sheep, slurm, SubmitRules())
    shep.commit()
    clone = project.outputs / "codes" / project.head
    assert sorted(p.name for p in (project.outputs / "codes").iterdir()) == [project.head]
    for sheep in sheeps:
        assert Path(os.readlink(sheep.xp.folder / "code")) == clone
        seen = finish(shep, sheep)
        assert Path(seen["cwd"]) == clone / "gsproj"  # the subfolder dora ran from
        assert seen["data"] == str(project.repo / "gsproj" / "data" / "x")


def test_reschedule_moves_the_code_link_to_the_new_commit(project: Project) -> None:
    shep = Shepherd(project.main, log=Logs())
    sheep = shep.get_sheep_from_argv(["--a=1"])
    submit(shep, sheep)
    first = project.outputs / "codes" / project.head
    assert finish(shep, sheep)["version"] == 1
    sha = commit_change(project.repo, 2)
    submit(shep, sheep)  # completed, no rule: not rescheduled, link kept
    assert Path(os.readlink(sheep.xp.folder / "code")) == first
    submit(shep, sheep, replace_done=True)
    assert Path(os.readlink(sheep.xp.folder / "code")) == project.outputs / "codes" / sha
    seen = finish(shep, sheep)
    assert seen["version"] == 2 and Path(seen["file"]).parent.parent.name == sha


def test_cancel_only_commit_needs_no_clean_repository(project: Project) -> None:
    shep = Shepherd(project.main, log=Logs())
    sheep = shep.get_sheep_from_argv(["--a=1", "--b=2"])
    submit(shep, sheep)
    link = os.readlink(sheep.xp.folder / "code")
    (project.repo / "gsproj" / "util.py").write_text("X = 2\n")
    shep.cancel_lazy(sheep)
    shep.commit()  # cancels; a requeue or cancel never touches the code link
    assert os.readlink(sheep.xp.folder / "code") == link


def test_no_git_save_runs_from_the_checkout(project: Project) -> None:
    project.main.dora.git_save = False
    (project.repo / "gsproj" / "util.py").write_text("X = 2\n")
    shep = Shepherd(project.main, log=Logs())
    sheep = shep.get_sheep_from_argv(["--a=1"])
    submit(shep, sheep)
    assert not os.path.lexists(sheep.xp.folder / "code")
    seen = finish(shep, sheep)
    assert Path(seen["file"]) == project.repo / "gsproj" / "train.py"


def test_local_code_job_runs_from_an_unpacked_copy(project: Project) -> None:
    project.main.dora.local_code = True
    shep = Shepherd(project.main, log=Logs())
    sheep = shep.get_sheep_from_argv(["--a=1"])
    submit(shep, sheep)
    clone = project.outputs / "codes" / project.head
    assert clone.with_name(clone.name + ".tar").is_file()
    assert "_DORA_LOCAL_CODE" not in os.environ
    seen = finish(shep, sheep)
    copy = Path(seen["cwd"])
    assert copy.name.startswith("dora_code_") and not str(copy).startswith(str(project.repo))
    assert Path(seen["file"]) == copy / "gsproj" / "train.py"
    assert seen["data"] == str(project.repo / "data" / "x")
    assert not copy.exists()  # removed when the job's process ended

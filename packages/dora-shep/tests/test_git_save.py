"""git_save: the clean-repo check, clones per commit, `code` links, entering a clone."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from git_save_helpers import Project, commit_change, git, open_project

from dora_shep import git_save
from dora_shep.errors import ShepError
from dora_shep.git_save import (
    DirtyRepoError,
    GitSaveError,
    assign_clone,
    check_repo_clean,
    enter_clone,
    get_new_clone,
    prepare_local_code,
    to_absolute_path,
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    yield from open_project(tmp_path, monkeypatch)


def dirty_message(project: Project) -> str:
    with pytest.raises(DirtyRepoError) as info:
        check_repo_clean(project.main)
    assert isinstance(info.value, ShepError)
    return str(info.value)


# The clean-repo check -----------------------------------------------------------------------


def test_clean_repository_passes(project: Project) -> None:
    check_repo_clean(project.main)


def test_modified_and_untracked_files_are_listed(project: Project) -> None:
    (project.repo / "gsproj" / "util.py").write_text("X = 2\n")
    (project.repo / "gsproj" / "new.py").write_text("")
    (project.repo / "notes").mkdir()
    (project.repo / "notes" / "a.txt").write_text("")
    message = dirty_message(project)
    assert " M gsproj/util.py" in message
    assert "?? gsproj/new.py" in message
    assert "?? notes/" in message
    assert "commit or stash" in message.lower() and "--no_git_save" in message


def test_staged_change_is_dirty(project: Project) -> None:
    (project.repo / "README.md").write_text("changed\n")
    git(project.repo, "add", "README.md")
    assert "M  README.md" in dirty_message(project)


def test_changes_under_the_grids_package_are_tolerated(project: Project) -> None:
    grids = project.repo / "gsproj" / "grids"
    (grids / "g.py").write_text("# edited grid\n")
    (grids / "new.py").write_text("")
    (grids / "sub").mkdir()
    (grids / "sub" / "deep.py").write_text("")
    git(project.repo, "add", "gsproj/grids/new.py")
    check_repo_clean(project.main)


def test_the_dora_dir_is_tolerated_even_when_not_ignored(project: Project) -> None:
    (project.repo / ".gitignore").unlink()
    git(project.repo, "rm", "-q", "--cached", ".gitignore")
    git(project.repo, "commit", "-q", "-m", "no ignore")
    (project.outputs / "xps").mkdir(parents=True)
    check_repo_clean(project.main)


def test_grids_tolerance_follows_grid_package(project: Project) -> None:
    other = project.repo / "gsproj" / "mygrids"
    other.mkdir()
    (other / "x.py").write_text("")
    assert "gsproj/mygrids/" in dirty_message(project)
    project.main.dora.grid_package = "gsproj.mygrids"
    check_repo_clean(project.main)
    (project.repo / "gsproj" / "grids" / "g.py").write_text("# now counted\n")
    assert "gsproj/grids/g.py" in dirty_message(project)


def test_staged_rename_is_listed_with_both_paths(project: Project) -> None:
    git(project.repo, "mv", "gsproj/util.py", "gsproj/util2.py")
    assert "R  gsproj/util.py -> gsproj/util2.py" in dirty_message(project)


def test_rename_inside_the_grids_is_tolerated(project: Project) -> None:
    git(project.repo, "mv", "gsproj/grids/g.py", "gsproj/grids/g2.py")
    check_repo_clean(project.main)


def test_rename_from_the_code_into_the_grids_is_dirty(project: Project) -> None:
    git(project.repo, "mv", "gsproj/util.py", "gsproj/grids/util.py")
    assert "gsproj/util.py -> gsproj/grids/util.py" in dirty_message(project)


def test_odd_file_names_are_listed_exactly(project: Project) -> None:
    names = ['gsproj/we ird "name".py', "gsproj/caf\u00e9.py", "gsproj/a -> b.py"]
    for name in names:
        (project.repo / name).write_text("")
    message = dirty_message(project)
    for name in names:
        assert f"?? {name}" in message
    for name in names:
        (project.repo / name).unlink()
        (project.repo / "gsproj" / "grids" / Path(name).name).write_text("")
    check_repo_clean(project.main)


def test_check_from_a_subfolder_is_the_same(project: Project, monkeypatch: Any) -> None:
    monkeypatch.chdir(project.repo / "gsproj")
    check_repo_clean(project.main)
    (project.repo / "gsproj" / "util.py").write_text("X = 3\n")
    assert " M gsproj/util.py" in dirty_message(project)


def test_outside_a_repository_is_a_clear_error(tmp_path: Path, monkeypatch: Any) -> None:
    # nox puts TMPDIR inside the checkout, itself a git work tree: git must not look up.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GitSaveError, match="not inside a git work tree"):
        git_save.repo_root(tmp_path)


# Clones ----------------------------------------------------------------------------------


def codes_entries(project: Project) -> List[str]:
    return sorted(path.name for path in (project.outputs / "codes").iterdir())


def test_clone_is_made_once_per_commit(project: Project) -> None:
    first = get_new_clone(project.main)
    assert first == project.outputs / "codes" / project.head
    assert (first / "gsproj" / "train.py").read_text() == (
        project.repo / "gsproj" / "train.py"
    ).read_text()
    marker = first / "marker"
    marker.write_text("")
    assert get_new_clone(project.main) == first and marker.exists()
    sha = commit_change(project.repo, 2)
    second = get_new_clone(project.main)
    assert second == project.outputs / "codes" / sha != first
    assert "VERSION = 2" in (second / "gsproj" / "train.py").read_text()
    assert codes_entries(project) == sorted([first.name, second.name])


def test_dirty_repository_makes_no_clone(project: Project) -> None:
    (project.repo / "gsproj" / "util.py").write_text("X = 2\n")
    with pytest.raises(DirtyRepoError):
        get_new_clone(project.main)
    assert not (project.outputs / "codes").exists()


def test_concurrent_clones_of_one_commit_share_one_folder(project: Project) -> None:
    barrier = threading.Barrier(6)
    results: List[Any] = []

    def clone() -> None:
        barrier.wait()
        try:
            results.append(get_new_clone(project.main))
        except Exception as exc:  # reported below
            results.append(exc)

    threads = [threading.Thread(target=clone) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = project.outputs / "codes" / project.head
    assert results == [expected] * 6
    assert codes_entries(project) == [project.head]
    assert (expected / "gsproj" / "train.py").is_file()


def test_clone_published_meanwhile_wins(project: Project) -> None:
    target = project.outputs / "codes" / project.head
    # while our clone is prepared, "another process" publishes the same commit
    project.main.dora.post_git_save_commands = [
        f"git clone -q --depth=1 file://{project.repo} ../{project.head}",
        f"touch ../{project.head}/theirs",
    ]
    assert get_new_clone(project.main) == target
    assert (target / "theirs").exists()
    assert codes_entries(project) == [project.head]


def test_leftover_temporary_folders_do_not_block(project: Project) -> None:
    codes = project.outputs / "codes"
    leftover = codes / f".{project.head}.abc123.tmp"
    (leftover / "half").mkdir(parents=True)
    (codes / f"{project.head}.tmp").mkdir()  # the reference's fixed name
    clone = get_new_clone(project.main)
    assert clone == codes / project.head and (clone / "gsproj").is_dir()


def test_post_git_save_commands_run_in_the_new_clone(project: Project) -> None:
    project.main.dora.post_git_save_commands = ["echo built > built.txt", "pwd > where.txt"]
    clone = get_new_clone(project.main)
    assert (clone / "built.txt").read_text().strip() == "built"
    assert not (project.repo / "built.txt").exists()
    # the commands ran in the temporary folder that became the clone
    assert Path((clone / "where.txt").read_text().strip()).parent == clone.parent


def test_failing_post_git_save_command_keeps_no_clone(project: Project) -> None:
    project.main.dora.post_git_save_commands = ["echo preparing", "echo broken >&2; exit 3"]
    with pytest.raises(GitSaveError) as info:
        get_new_clone(project.main)
    message = str(info.value)
    assert "exit 3" in message and "exit code 3" in message and "broken" in message
    assert codes_entries(project) == []


def test_local_code_packs_the_clone(project: Project) -> None:
    import tarfile

    project.main.dora.local_code = True
    clone = get_new_clone(project.main)
    tar = clone.with_name(clone.name + ".tar")
    with tarfile.open(tar) as archive:
        names = archive.getnames()
    assert "./gsproj/train.py" in names
    assert get_new_clone(project.main) == clone


def test_prepare_local_code_unpacks_and_moves_the_paths(
    project: Project, monkeypatch: Any
) -> None:
    project.main.dora.local_code = True
    clone = get_new_clone(project.main)
    payload = {"cwd": str(clone / "gsproj"), "import_root": str(clone), "argv": [],
               "module": "gsproj.train", "attribute": "main"}
    assert prepare_local_code(dict(payload)) == payload  # no local_code asked
    monkeypatch.setenv("_DORA_LOCAL_CODE", str(clone) + ".tar")
    moved = prepare_local_code(dict(payload))
    root = Path(moved["import_root"])
    assert root != clone and Path(moved["cwd"]) == root / "gsproj"
    assert (root / "gsproj" / "train.py").read_text() == (
        clone / "gsproj" / "train.py"
    ).read_text()


# Links and entering a clone ---------------------------------------------------------------


def test_assign_clone_creates_the_xp_folder(project: Project) -> None:
    xp = project.main.get_xp(["--a=1"])
    assert not xp.folder.exists()
    clone = get_new_clone(project.main)
    assign_clone(xp, clone)
    assert (xp.folder / "code").is_symlink()
    assert Path(os.readlink(xp.folder / "code")) == clone


def test_assign_clone_replaces_the_link_and_keeps_real_folders(project: Project) -> None:
    xp = project.main.get_xp(["--a=1"])
    xp.folder.mkdir(parents=True)
    (xp.folder / "code").mkdir()
    (xp.folder / "code" / "mine").write_text("")
    (xp.folder / "old_code").mkdir()
    first = get_new_clone(project.main)
    assign_clone(xp, first)
    assert (xp.folder / "old_code.1" / "mine").exists() and (xp.folder / "old_code").is_dir()
    second = project.outputs / "codes" / "other"
    second.mkdir()
    assign_clone(xp, second)
    assert Path(os.readlink(xp.folder / "code")) == second
    assert sorted(p.name for p in xp.folder.iterdir()) == ["code", "old_code", "old_code.1"]


def test_enter_clone_keeps_the_subfolder_and_restores(
    project: Project, monkeypatch: Any
) -> None:
    clone = get_new_clone(project.main)
    monkeypatch.chdir(project.repo / "gsproj")
    with enter_clone(clone) as where:
        assert where == clone / "gsproj"
        assert Path(os.getcwd()) == clone / "gsproj"
        assert os.environ["_DORA_ORIGINAL_DIR"] == str(project.repo / "gsproj")
        assert to_absolute_path("data/x") == str(project.repo / "gsproj" / "data" / "x")
        assert to_absolute_path(Path("/abs/x")) == Path("/abs/x")
    assert Path(os.getcwd()) == project.repo / "gsproj"
    assert "_DORA_ORIGINAL_DIR" not in os.environ


def test_enter_clone_from_an_ignored_folder_goes_to_the_clone_root(
    project: Project, monkeypatch: Any
) -> None:
    clone = get_new_clone(project.main)
    project.outputs.mkdir(exist_ok=True)
    monkeypatch.chdir(project.outputs)
    with enter_clone(clone) as where:
        assert where == clone
    assert Path(os.getcwd()) == project.outputs

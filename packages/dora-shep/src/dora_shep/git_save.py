"""git_save: run XPs from a clean clone of the project at a commit, not from the checkout.

With `dora.git_save`, every commit of the Shepherd checks that the repository is clean
(files under the grids package and the Dora dir are tolerated), clones the commit once
into `<dir>/codes/<sha>`, points each submitted XP's `code` link at that clone, and
submits from inside it, so the job imports the code as it was at submission time.
`to_absolute_path` takes relative paths against the original checkout, even in a clone.

Git goes through GitPython, imported only by the functions that need it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union

from ._atomic import replace_symlink
from .errors import ShepError
from .paths import ORIGINAL_DIR_ENV, original_dir, to_absolute_path

__all__ = [
    "DirtyRepoError",
    "GIT_SAVE_DONE_ENV",
    "GitSaveError",
    "LOCAL_CODE_ENV",
    "ORIGINAL_DIR_ENV",
    "assign_clone",
    "check_repo_clean",
    "dirty_entries",
    "enter_clone",
    "get_new_clone",
    "original_dir",
    "pack_clone",
    "prepare_local_code",
    "repo_root",
    "submit_from_clone",
    "to_absolute_path",
]

GIT_SAVE_DONE_ENV = "_DORA_GIT_SAVE_DONE"
LOCAL_CODE_ENV = "_DORA_LOCAL_CODE"
_NO_GIT_SAVE = "or pass --no_git_save (`git_save: false` in the Dora config)"


class GitSaveError(ShepError):
    """git_save could not find, clone or prepare the project's repository."""


class DirtyRepoError(GitSaveError):
    """The repository has changes outside the grids package: a clone would not hold them."""


# The repository ---------------------------------------------------------------------------


def _repo(start: Union[str, Path]) -> Any:
    """The GitPython `Repo` holding `start`.

    Raises:
        GitSaveError: when git is missing or `start` is not inside a git work tree.
    """
    try:
        import git
    except ImportError as exc:  # GitPython refuses to load without a git executable
        raise GitSaveError(f"git_save needs git and GitPython: {exc}") from None
    try:
        # git's own discovery (as `git rev-parse` does it), so GIT_CEILING_DIRECTORIES
        # and friends are honoured; GitPython's parent search ignores them.
        if not os.path.isdir(start):  # Git() would quietly run in the current folder
            raise git.NoSuchPathError(str(start))
        repo = git.Repo(git.Git(str(start)).rev_parse("--show-toplevel"))
    except (git.GitCommandError, git.InvalidGitRepositoryError, git.NoSuchPathError):
        repo = None
    if repo is None or repo.working_tree_dir is None:
        raise GitSaveError(
            f"git_save runs jobs from a clone of the project's git repository, but {start} "
            f"is not inside a git work tree. Run Dora from your repository, {_NO_GIT_SAVE}."
        )
    return repo


def _git(folder: Union[str, Path], command: str, *args: str) -> str:
    """The output of `git <command> <args>` run in `folder` (through GitPython).

    Raises:
        GitSaveError: when git fails, with its message.
    """
    import git

    try:
        return str(getattr(git.Git(str(folder)), command)(*args))
    except git.GitCommandError as exc:
        detail = str(exc.stderr or "").strip()
        if detail.startswith("stderr: '") and detail.endswith("'"):  # GitPython's framing
            detail = detail[len("stderr: '"):-1].strip()
        detail = detail or str(exc)
        name = command.replace("_", "-")
        raise GitSaveError(f"git {name} failed in {folder}: {detail}") from None


def repo_root(start: Union[str, Path, None] = None) -> Path:
    """The top folder of the git work tree holding `start` (default: the current folder).

    Raises:
        GitSaveError: when `start` is not inside a git work tree.
    """
    return Path(_repo(start or os.getcwd()).working_tree_dir)


def _main_repo(main: Any) -> Any:
    """The repository of the current folder, else the one holding the main's code."""
    try:
        return _repo(os.getcwd())
    except GitSaveError:
        if not getattr(main, "import_root", None):
            raise
        return _repo(main.import_root)


def _grids_folder(main: Any) -> Optional[Path]:
    """The folder of the grid package, found without importing (and so running) user code."""
    name = main.dora.grid_package or f"{main.package}.grids"
    loaded = list(getattr(sys.modules.get(name), "__path__", None) or [])
    if loaded:
        return Path(loaded[0])
    roots = [main.import_root] if getattr(main, "import_root", None) else []
    for entry in roots + sys.path:
        candidate = Path(entry or os.getcwd()).joinpath(*name.split("."))
        if candidate.is_dir():
            return candidate
    return None


def _inside(path: Path, folder: Path) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(folder)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def dirty_entries(repo_dir: Union[str, Path]) -> List[Tuple[str, List[str]]]:
    """`git status --porcelain` of the work tree: (XY status, [paths]) per entry.

    A rename or copy lists both paths (the new one first). Paths are relative to the
    repository root and never quoted (read through `-z`), so any file name is exact.
    """
    out = _git(repo_dir, "status", "--porcelain", "-z", "--untracked-files=normal")
    fields = out.split("\0")
    entries: List[Tuple[str, List[str]]] = []
    index = 0
    while index < len(fields):
        field = fields[index]
        index += 1
        if len(field) < 4:  # the empty tail after the last NUL
            continue
        status, paths = field[:2], [field[3:]]
        if "R" in status or "C" in status:
            paths.append(fields[index])
            index += 1
        entries.append((status, paths))
    return entries


def check_repo_clean(main: Any, root: Union[str, Path, None] = None) -> None:
    """Refuse to clone a repository whose work tree differs from its last commit.

    Changes under the grids package (`dora.grid_package`, else `<package>.grids`) and
    under the Dora dir are tolerated: grids are read by the submitter, never by jobs.

    Raises:
        DirtyRepoError: listing every other changed, staged or untracked path.
    """
    top = Path(root) if root is not None else Path(_main_repo(main).working_tree_dir)
    allowed = [main.dora.dir]
    grids = _grids_folder(main)
    if grids is not None:
        allowed.append(grids)
    dirty = []
    for status, paths in dirty_entries(top):
        if all(any(_inside(top / path, folder) for folder in allowed) for path in paths):
            continue
        shown = f"{paths[1]} -> {paths[0]}" if len(paths) == 2 else paths[0]
        dirty.append(f"  {status} {shown}")
    if dirty:
        where = f" (changes under {grids} are allowed)" if grids is not None else ""
        raise DirtyRepoError(
            f"The repository {top} is not clean, and git_save runs jobs from a clone of its "
            f"last commit, which would not hold these changes{where}:\n"
            + "\n".join(dirty)
            + f"\nCommit or stash them (or add them to .gitignore), {_NO_GIT_SAVE}."
        )


# Clones ----------------------------------------------------------------------------------


def _codes(main: Any) -> Path:
    return Path(main.dora.dir) / getattr(main.dora, "_codes", "codes")


def _run_post_commands(commands: Sequence[str], folder: Path) -> None:
    """Run the project's `post_git_save_commands` in a fresh clone, in order.

    Raises:
        GitSaveError: naming the first command that fails, with the end of its output.
    """
    import subprocess

    for command in commands:
        done = subprocess.run(
            command, shell=True, cwd=folder, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        if done.returncode != 0:
            tail = "\n".join(done.stdout.rstrip().splitlines()[-20:])
            raise GitSaveError(
                f"The post_git_save_commands entry {command!r} failed in the new clone "
                f"(exit code {done.returncode}); no clone was kept and nothing was "
                f"scheduled. Its output:\n{tail}"
            )


def get_new_clone(main: Any) -> Path:
    """The clone of the repository's last commit: `<dir>/codes/<full sha>`.

    The repository must be clean (`check_repo_clean`). An existing clone of the commit
    is reused; otherwise the commit is cloned (`--depth=1` over `file://`) into a unique
    hidden folder, `post_git_save_commands` run there, and the folder is renamed into
    place. When another process published the same commit meanwhile, ours is dropped.
    With `dora.local_code`, the clone is also packed as `<clone>.tar`.

    Raises:
        DirtyRepoError: when the work tree has uncommitted changes outside the grids.
        GitSaveError: when there is no repository or commit, git fails, or a
            post_git_save command fails.
    """
    import shutil

    root = Path(_main_repo(main).working_tree_dir)
    check_repo_clean(main, root)
    try:
        sha = _git(root, "rev_parse", "--verify", "HEAD")
    except GitSaveError:
        raise GitSaveError(f"The repository {root} has no commit yet: commit your code "
                           f"first, {_NO_GIT_SAVE}.") from None
    codes = _codes(main)
    clone = codes / sha
    if not clone.is_dir():
        codes.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{sha}.", suffix=".tmp", dir=codes))
        try:
            _git(codes, "clone", "-q", "--depth=1", f"file://{root}", str(tmp))
            sha = _git(tmp, "rev_parse", "HEAD")  # a commit made meanwhile is what we got
            clone = codes / sha
            _run_post_commands(main.dora.post_git_save_commands, tmp)
            try:
                os.rename(tmp, clone)
            except OSError:
                if not clone.is_dir():
                    raise
        finally:
            if tmp.exists():  # another process published this commit first, or a failure
                shutil.rmtree(tmp, ignore_errors=True)
    if main.dora.local_code:
        pack_clone(clone)
    return clone


def pack_clone(clone: Path) -> Path:
    """`<clone>.tar`, the clone packed for `local_code` jobs (made once, atomically)."""
    import tarfile

    tar = clone.with_name(clone.name + ".tar")
    if not tar.exists():
        fd, tmp = tempfile.mkstemp(prefix=f".{tar.name}.", suffix=".tmp", dir=clone.parent)
        os.close(fd)
        try:
            with tarfile.open(tmp, "w") as archive:
                archive.add(str(clone), arcname=".")
            os.replace(tmp, tar)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return tar


def assign_clone(xp: Any, clone: Path) -> None:
    """Point `<xp folder>/code` at `clone` (atomically), creating the XP folder if needed.

    A real `code` folder (not a link) is kept, renamed to `old_code` (or `old_code.N`).
    """
    folder = Path(xp.folder)
    folder.mkdir(parents=True, exist_ok=True)
    code = folder / "code"
    if os.path.lexists(code) and not code.is_symlink():
        keep, number = folder / "old_code", 0
        while os.path.lexists(keep):
            number += 1
            keep = folder / f"old_code.{number}"
        os.rename(code, keep)
    replace_symlink(code, os.path.abspath(clone))


def _in_clone(path: Union[str, Path], root: Path, clone: Path) -> Path:
    """`path` inside the original checkout `root`, as the same path inside `clone`."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    if not _inside(Path(real), Path(top)):
        return Path(path)
    return clone / os.path.relpath(real, top)


@contextmanager
def enter_clone(clone: Path) -> Iterator[Path]:
    """Work from `clone`: chdir to `<clone>/<cwd relative to the repository root>`.

    `_DORA_ORIGINAL_DIR` is set to the current folder (jobs inherit it, so
    `to_absolute_path` points back into the checkout); both are restored on exit.
    """
    cwd = os.getcwd()
    target = clone
    try:
        root = repo_root(cwd)
    except GitSaveError:
        root = None
    if root is not None and _inside(Path(cwd), root):
        target = _in_clone(cwd, root, clone)
        if not target.is_dir():  # an ignored or untracked folder: not in the clone
            target = clone
    previous = os.environ.get(ORIGINAL_DIR_ENV)
    os.environ[ORIGINAL_DIR_ENV] = cwd
    os.chdir(target)
    try:
        yield target
    finally:
        os.chdir(cwd)
        if previous is None:
            os.environ.pop(ORIGINAL_DIR_ENV, None)
        else:
            os.environ[ORIGINAL_DIR_ENV] = previous


class _MainInClone:
    """The main as a job in the clone sees it: `import_root` inside the clone."""

    def __init__(self, main: Any, root: Path, clone: Path) -> None:
        self._main, self._root, self._clone = main, root, clone

    @property
    def import_root(self) -> Optional[str]:
        found = self._main.import_root
        return None if found is None else str(_in_clone(found, self._root, self._clone))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_main", "_root", "_clone"):
            raise AttributeError(name)
        return getattr(self._main, name)

    def __reduce_ex__(self, protocol: Any) -> Any:  # pickles as the main itself
        return self._main.__reduce_ex__(protocol)


@contextmanager
def submit_from_clone(main: Any, clone: Optional[Path], xps: Sequence[Any]) -> Iterator[Any]:
    """Prepare a submission of `xps` from `clone`; yields the main to hand to the backend.

    Without a clone, yields `main` and does nothing. With one: each XP's `code` link
    points at it, the current folder is the clone's (`enter_clone`), and the yielded
    main's `import_root` maps into the clone, so the job's cwd and imports are the
    clone's. With `local_code`, jobs also get `_DORA_LOCAL_CODE` (see
    `prepare_local_code`).
    """
    if clone is None:
        yield main
        return
    root = Path(_main_repo(main).working_tree_dir)
    for xp in xps:
        assign_clone(xp, clone)
    previous = os.environ.get(LOCAL_CODE_ENV)
    if main.dora.local_code:
        os.environ[LOCAL_CODE_ENV] = str(pack_clone(clone))
    else:
        os.environ.pop(LOCAL_CODE_ENV, None)
    try:
        with enter_clone(clone):
            yield _MainInClone(main, root, clone)
    finally:
        if previous is None:
            os.environ.pop(LOCAL_CODE_ENV, None)
        else:
            os.environ[LOCAL_CODE_ENV] = previous


def prepare_local_code(payload: dict) -> dict:
    """Job side of `local_code`: unpack the clone's tar into a temporary folder.

    When `_DORA_LOCAL_CODE` names a tar, it is unpacked under `$TMPDIR` (removed when
    the job's process exits) and the payload's `cwd` and `import_root` that lie in the
    clone are moved into the unpacked copy. Otherwise the payload is returned unchanged.
    """
    tar = os.environ.get(LOCAL_CODE_ENV)
    if not tar:
        return payload
    import atexit
    import shutil
    import tarfile

    clone = Path(tar[: -len(".tar")] if tar.endswith(".tar") else tar)
    folder = Path(tempfile.mkdtemp(prefix=f"dora_code_{clone.name[:12]}_"))
    atexit.register(shutil.rmtree, str(folder), True)
    with tarfile.open(tar) as archive:
        if hasattr(tarfile, "tar_filter"):  # our own tar: symlinks kept as they are
            archive.extractall(str(folder), filter="tar")
        else:  # pragma: no cover - Python without extraction filters
            archive.extractall(str(folder))
    payload = dict(payload)
    for key in ("cwd", "import_root"):
        if payload.get(key):
            payload[key] = str(_in_clone(payload[key], clone, folder))
    return payload

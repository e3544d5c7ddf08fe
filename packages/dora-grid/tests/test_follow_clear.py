"""follow_log (the portable tail -f) and reliable_rmtree."""

from __future__ import annotations

import io
import shutil
import threading
import time
from pathlib import Path
from typing import Any, List

import pytest

from dora_grid import clear as clear_module
from dora_grid.clear import reliable_rmtree
from dora_grid.follow import follow_log, tail_lines


def test_tail_lines_keeps_the_last_lines(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_text("".join(f"line {i}\n" for i in range(1000)))
    assert tail_lines(path, 3) == "line 997\nline 998\nline 999\n"
    assert tail_lines(path, 5000).count("\n") == 1000


def test_follow_log_prints_what_is_appended_until_done(tmp_path: Path) -> None:
    path = tmp_path / "log"
    out = io.StringIO()
    finished = threading.Event()

    def writer() -> None:
        time.sleep(0.2)
        path.write_text("first\n")
        for word in ("second", "third"):
            time.sleep(0.1)
            with open(path, "a") as handle:
                handle.write(word + "\n")
        finished.set()

    thread = threading.Thread(target=writer)
    thread.start()
    follow_log(path, finished.is_set, out=out, poll=0.02, check_every=0.05)
    thread.join()
    assert out.getvalue() == "first\nsecond\nthird\n"


def test_follow_log_returns_when_the_job_ends_before_any_log(tmp_path: Path) -> None:
    follow_log(tmp_path / "never", lambda: True, out=io.StringIO())


def test_reliable_rmtree_removes_a_folder_and_not_a_link_target(tmp_path: Path) -> None:
    folder = tmp_path / "xp"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "f").write_text("x")
    link = tmp_path / "link"
    link.symlink_to(folder)
    reliable_rmtree(link)
    assert not link.exists() and (folder / "sub" / "f").exists()
    reliable_rmtree(folder)
    assert not folder.exists()
    reliable_rmtree(folder)  # missing: fine


def test_reliable_rmtree_warns_on_nfs_leftovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "xp"
    folder.mkdir()
    (folder / "ckpt").write_text("x")
    (folder / ".nfs000123").write_text("still open")

    def rmtree_but_nfs(path: Any, ignore_errors: bool = False) -> None:
        for entry in Path(path).iterdir():
            if not entry.name.startswith(".nfs"):
                entry.unlink()

    monkeypatch.setattr(clear_module.shutil, "rmtree", rmtree_but_nfs)
    warnings: List[str] = []
    reliable_rmtree(folder, delay=0, warn=warnings.append)
    assert not (folder / "ckpt").exists()
    assert len(warnings) == 1 and ".nfs" in warnings[0]
    monkeypatch.setattr(clear_module.shutil, "rmtree", shutil.rmtree)


def test_reliable_rmtree_raises_when_other_files_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "xp"
    folder.mkdir()
    (folder / "stuck").write_text("x")
    monkeypatch.setattr(clear_module.shutil, "rmtree", lambda path, ignore_errors=False: None)
    with pytest.raises(OSError, match="Could not delete"):
        reliable_rmtree(folder, attempts=2, delay=0)

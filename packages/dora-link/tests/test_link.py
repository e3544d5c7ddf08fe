"""Link: history identity, appends, reloads, writers and non-writers, failures."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import List

import pytest

from dora_link import CorruptHistoryError, Link, default_is_writer, read_history
from dora_sig import NotJsonableError


@pytest.fixture(autouse=True)
def _alone(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RANK", "SLURM_PROCID", "SUBMITIT_EXECUTOR"):
        monkeypatch.delenv(name, raising=False)


def test_history_list_identity_never_changes(tmp_path: Path) -> None:
    link = Link(tmp_path / "history.json")
    history = link.history
    link.update_history([{"train": {"loss": 1.0}}])
    assert history is link.history and history == [{"train": {"loss": 1.0}}]
    link.push_metrics({"train": {"loss": 0.5}})
    link.load()
    assert history is link.history and len(history) == 2
    other = Link(tmp_path / "history.json")
    other.load()
    assert other.history == history


def test_push_appends_one_line_per_record_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    link = Link(path)
    for epoch in range(3):
        link.push_metrics({"epoch": epoch, "valid": {"loss": 1 / (epoch + 1)}})
    lines = path.read_text().splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 5
    assert json.loads(path.read_text()) == link.history
    assert read_history(path) == link.history
    again = Link(str(path))
    again.load()
    again.push_metrics({"epoch": 3})
    assert [record["epoch"] for record in json.loads(path.read_text())] == [0, 1, 2, 3]


def test_append_does_not_rewrite_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "history.json"
    link = Link(path)
    link.push_metrics({"epoch": 0})
    inode = path.stat().st_ino
    written: List[int] = []
    real_pwrite = os.pwrite

    def counting_pwrite(fd: int, data: bytes, offset: int) -> int:
        written.append(len(data))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", counting_pwrite)
    for epoch in range(1, 200):
        link.push_metrics({"epoch": epoch})
    assert path.stat().st_ino == inode
    assert len(json.loads(path.read_text())) == 200
    assert len(written) == 199 and max(written) < 30  # one short line per push


def test_appending_to_a_dora_search_file_keeps_valid_json(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    old = [{"train": {"loss": 1.0}, "epoch": 0}, {"train": {"loss": 0.8}, "epoch": 1}]
    with open(path, "w") as handle:
        json.dump(old, handle, indent=2)  # what dora-search writes
    link = Link(path)
    link.load()
    assert link.history == old
    link.push_metrics({"train": {"loss": 0.7}, "epoch": 2})
    link.push_metrics({"train": {"loss": 0.6}, "epoch": 3})
    with open(path) as handle:
        assert json.load(handle) == link.history
    assert path.read_text().startswith('[\n  {\n    "train"')


def test_appending_to_an_empty_dora_search_file(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text("[]")
    link = Link(path)
    link.load()
    link.push_metrics({"a": 1})
    assert json.loads(path.read_text()) == [{"a": 1}]


def test_missing_file_loads_empty(tmp_path: Path) -> None:
    link = Link(tmp_path / "history.json")
    link.history.append({"stale": True})
    link.load()
    assert link.history == []
    assert read_history(tmp_path / "nothing.json") == []


def test_dummy_link_keeps_memory_only(tmp_path: Path) -> None:
    link = Link()
    link.push_metrics({"a": 1})
    link.update_history([{"b": 2}])
    link.load()
    assert link.history == [{"b": 2}] and link.history_file is None
    assert list(tmp_path.iterdir()) == []


def test_non_writer_never_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "history.json"
    Link(path, is_writer=False).push_metrics({"a": 1})
    assert not path.exists()
    path.write_text('[\n{"a": 0}\n]\n')
    monkeypatch.setenv("RANK", "1")
    link = Link(path)
    link.load()
    link.push_metrics({"a": 1})
    link.update_history([])
    assert link.history == [] and path.read_text() == '[\n{"a": 0}\n]\n'


def test_explicit_writer_overrides_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANK", "3")
    path = tmp_path / "history.json"
    Link(path, is_writer=True).push_metrics({"a": 1})
    assert json.loads(path.read_text()) == [{"a": 1}]


@pytest.mark.parametrize(("env", "expected"), [
    ({}, True),
    ({"RANK": "0"}, True),
    ({"RANK": "2"}, False),
    ({"RANK": ""}, True),
    ({"SLURM_PROCID": "1"}, True),
    ({"SLURM_PROCID": "1", "SUBMITIT_EXECUTOR": "slurm"}, False),
    ({"SLURM_PROCID": "0", "SUBMITIT_EXECUTOR": "slurm"}, True),
    ({"SLURM_PROCID": "1", "SUBMITIT_EXECUTOR": "local"}, True),
    ({"RANK": "0", "SLURM_PROCID": "1", "SUBMITIT_EXECUTOR": "slurm"}, True),
    ({"RANK": "1", "SLURM_PROCID": "0", "SUBMITIT_EXECUTOR": "slurm"}, False),
])
def test_default_is_writer(env: dict, expected: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert default_is_writer() is expected


def test_unreadable_rank_warns_and_writes(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("RANK", "zero")
    with caplog.at_level(logging.WARNING, logger="dora_link"):
        assert default_is_writer()
    assert "'zero'" in caplog.text


def test_update_history_refuses_non_lists(tmp_path: Path) -> None:
    link = Link(tmp_path / "history.json")
    with pytest.raises(ValueError, match="must be a list"):
        link.update_history({"a": 1})  # type: ignore[arg-type]
    link.update_history(({"a": 1},))  # type: ignore[arg-type]
    assert link.history == [{"a": 1}]


def test_update_history_replaces_the_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    link = Link(path)
    for epoch in range(4):
        link.push_metrics({"epoch": epoch})
    inode = path.stat().st_ino
    link.update_history([{"epoch": 0}, {"epoch": 1}])
    assert path.stat().st_ino != inode
    assert json.loads(path.read_text()) == [{"epoch": 0}, {"epoch": 1}]
    link.push_metrics({"epoch": 2})
    assert json.loads(path.read_text()) == [{"epoch": e} for e in range(3)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json"]


def test_unjsonable_metrics_raise_and_change_nothing(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    link = Link(path)
    with pytest.raises(NotJsonableError, match="is not jsonable"):
        link.push_metrics({"a": object()})
    assert link.history == [] and not path.exists()


def test_paths_and_numpy_values_are_converted(tmp_path: Path) -> None:
    numpy = pytest.importorskip("numpy")
    path = tmp_path / "history.json"
    link = Link(path)
    link.push_metrics({"ckpt": Path("/a/b"), "loss": numpy.float32(0.5), "n": numpy.int64(3),
                       "ok": numpy.bool_(True), "per_class": numpy.array([1.0, 2.0])})
    expected = {"ckpt": "/a/b", "loss": 0.5, "n": 3, "ok": True, "per_class": [1.0, 2.0]}
    assert link.history == [expected]
    assert json.loads(path.read_text()) == [expected]


def test_write_failure_warns_and_training_goes_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "xp"
    link = Link(folder / "history.json")
    with caplog.at_level(logging.WARNING, logger="dora_link"):
        link.push_metrics({"epoch": 0})
    assert "Could not save the history" in caplog.text
    assert link.history == [{"epoch": 0}]
    folder.mkdir()
    link.push_metrics({"epoch": 1})
    assert json.loads((folder / "history.json").read_text()) == link.history


def test_push_without_load_replaces_the_file_as_dora_search_does(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "history.json"
    path.write_text('[\n{"old": 1},\n{"old": 2}\n]\n')
    link = Link(path)
    with caplog.at_level(logging.WARNING, logger="dora_link"):
        link.push_metrics({"new": 1})
    assert json.loads(path.read_text()) == [{"new": 1}]
    assert "did not load" in caplog.text


def test_external_changes_are_noticed(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    link = Link(path)
    link.push_metrics({"epoch": 0})
    path.unlink()
    link.push_metrics({"epoch": 1})
    assert json.loads(path.read_text()) == [{"epoch": 0}, {"epoch": 1}]
    replacement = tmp_path / "other.json"
    replacement.write_text(json.dumps([{"epoch": 0}, {"epoch": 1}], indent=2))
    os.replace(replacement, path)
    link.push_metrics({"epoch": 2})
    assert json.loads(path.read_text()) == [{"epoch": e} for e in range(3)]


def test_load_of_unreadable_file_warns_and_keeps_history(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "history.json"
    path.mkdir()
    link = Link(path)
    link.history.append({"kept": 1})
    with caplog.at_level(logging.WARNING, logger="dora_link"):
        link.load()
    assert link.history == [{"kept": 1}] and "Could not read" in caplog.text


def test_corrupt_file_refuses_every_write_and_stays_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    damaged = b'[\n{"a": 1},\n{"a": GARBAGE},\n{"a": 3}\n]\n'
    path.write_bytes(damaged)
    link = Link(path)
    with pytest.raises(CorruptHistoryError, match=str(path)):
        link.load()
    with pytest.raises(CorruptHistoryError, match=str(path)):
        read_history(path)
    for _ in range(2):
        with pytest.raises(CorruptHistoryError, match="move the file aside"):
            link.push_metrics({"a": 4})
    with pytest.raises(CorruptHistoryError):
        link.update_history([{"a": 1}])
    assert path.read_bytes() == damaged
    assert link.history == [{"a": 1}]
    path.rename(tmp_path / "history.json.damaged")
    link.push_metrics({"a": 5})
    assert json.loads(path.read_text()) == [{"a": 1}, {"a": 5}]


def test_repr(tmp_path: Path) -> None:
    assert "records=0" in repr(Link(tmp_path / "h.json"))


def test_importing_dora_link_imports_no_heavy_module() -> None:
    import subprocess
    import sys

    code = ("import sys, dora_link; "
            "print(sorted(m for m in ('numpy', 'torch', 'omegaconf') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"

"""dora.log and dora.utils: what demucs and other projects import from them."""

from __future__ import annotations

import json
import logging
import pickle
from pathlib import Path
from typing import Any, List

import pytest

from dora.log import LogProgress, bold, colorize, fatal, red, simple_log
from dora.utils import jsonable, try_load, write_and_rename


def test_write_and_rename_replaces_the_file_only_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.bin"
    path.write_bytes(b"old")
    with write_and_rename(path) as handle:
        handle.write(b"new")
        assert path.read_bytes() == b"old"
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.bin"]


def test_write_and_rename_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with write_and_rename(path, mode="w") as handle:
            handle.write("half")
            raise RuntimeError("killed")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.txt"]


def test_try_load_reads_a_pickle_by_default(tmp_path: Path) -> None:
    path = tmp_path / "state.pkl"
    with write_and_rename(path) as handle:
        pickle.dump({"epoch": 3, "best": [0.5]}, handle)
    assert try_load(path) == {"epoch": 3, "best": [0.5]}
    assert try_load(str(path)) == {"epoch": 3, "best": [0.5]}


def test_try_load_with_another_loader_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"a": 1}))
    assert try_load(path, json.load, "r") == {"a": 1}
    assert try_load(path, load=lambda f: f.read(), mode="r") == '{"a": 1}'


def test_try_load_gives_none_for_a_missing_or_damaged_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "ckpt.pkl"
    assert try_load(path) is None  # missing
    path.write_bytes(pickle.dumps(list(range(100)))[:20])
    assert try_load(path) is None  # truncated: EOFError
    path.write_bytes(b"garbage that is no pickle")
    assert try_load(path) is None  # UnpicklingError
    path.write_bytes(b"")
    assert try_load(path) is None  # empty: EOFError
    assert try_load(tmp_path) is None  # a folder: OSError

    def broken(handle: Any) -> Any:
        raise RuntimeError("PytorchStreamReader failed reading zip archive")

    assert try_load(path, broken) is None  # what torch.load raises on a damaged file
    assert sum("ckpt.pkl" in record.getMessage() for record in caplog.records) == 5
    assert path.read_bytes() == b""  # nothing rewritten


def test_try_load_raises_other_errors_of_the_loader(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{garbage")
    with pytest.raises(ValueError):  # as dora-search: only I/O and unpickling errors
        try_load(path, json.load, "r")


def test_jsonable_is_the_signature_conversion() -> None:
    assert jsonable({"p": Path("/a"), "t": (1, 2)}) == {"p": "/a", "t": [1, 2]}
    with pytest.raises(ValueError):
        jsonable(object())


def test_fatal_prints_and_exits_1(capsys: Any) -> None:
    with pytest.raises(SystemExit) as info:
        fatal("something", "wrong")
    assert info.value.code == 1
    assert capsys.readouterr().err == "FATAL: something wrong\n"


def test_simple_log_and_colors(capsys: Any) -> None:
    simple_log("Grid:", "hello", 3)
    assert capsys.readouterr().err == "Grid: hello 3\n"  # no escape codes off a terminal
    assert bold("x") == "\x1b[1mx\x1b[0m"
    assert red("x") == "\x1b[31mx\x1b[0m"
    assert colorize("x", "32") == "\x1b[32mx\x1b[0m"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_log_progress_logs_about_updates_times_with_the_values_given() -> None:
    logger = logging.getLogger("test_log_progress")
    logger.setLevel(logging.INFO)
    handler = Collect()
    logger.addHandler(handler)
    progress = LogProgress(logger, range(10), updates=5, name="Train")
    logged = []
    for index in progress:
        logged.append(progress.update(loss=index * 0.5))
    assert logged == [index in (2, 4, 6, 8) for index in range(10)]
    assert len(handler.lines) == 4
    first = handler.lines[0].split(" | ")
    assert first[:2] == ["Train", "2/10"] and first[3] == "Loss 1.0"
    assert first[2].endswith(("it/sec", "sec/it"))
    handler.lines.clear()
    assert list(LogProgress(logger, range(3), updates=0)) == [0, 1, 2]
    assert handler.lines == []

"""Crash safety: every state a killed append can leave is read back and repaired.

The simulated states are exhaustive (every prefix of an append laid over the old closing
bracket); the real ones come from a writer process killed with SIGKILL at random moments.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, List

import pytest

from dora_link import Link, read_history
from dora_link._format import append_text, new_file_text, parse_history

OLD = [{"epoch": 0, "loss": 1.25}, {"epoch": 1, "loss": 0.5, "tags": ["a", "\u00e9"]}]
NEW = {"epoch": 2, "loss": 0.25, "note": "new, with [brackets] and {braces}"}


def _bases() -> List[tuple]:
    return [
        ("ours", new_file_text(OLD), OLD),
        ("ours-empty", new_file_text([]), []),
        ("dora-search", json.dumps(OLD, indent=2), OLD),
        ("dora-search-empty", "[]", []),
    ]


def _crash_states(base: str, records: List[Any]) -> List[tuple]:
    """Every file a kill during one append to `base` can leave, with what it holds."""
    end = parse_history(base, "base").end
    payload = append_text([NEW], first=not records)
    complete_from = len(payload) - len("\n]\n")
    # The writer cuts the old tail first when what is left of it could follow a partial
    # record (`[\n]\n` before a first record); otherwise it writes over it in place.
    remnant = "" if len(base) - end > (3 if records else 2) else base[end:]
    states = []
    for written in range(len(payload) + 1):
        text = base[:end] + payload[:written] + remnant[written:]
        expected = records + [NEW] if written >= complete_from else records
        states.append((written, text, expected))
    return states


@pytest.mark.parametrize(("name", "base", "records"), _bases(), ids=[b[0] for b in _bases()])
def test_every_torn_append_is_read_back_and_repaired(
        tmp_path: Path, name: str, base: str, records: List[Any]) -> None:
    path = tmp_path / "history.json"
    for written, text, expected in _crash_states(base, records):
        path.write_text(text, encoding="utf8")
        assert read_history(path) == expected, (name, written, text)
        link = Link(path)
        link.load()
        assert link.history == expected, (name, written, text)
        link.push_metrics({"epoch": "next"})
        with open(path, encoding="utf8") as handle:
            assert json.load(handle) == expected + [{"epoch": "next"}], (name, written)


def test_a_crash_while_repairing_is_repaired_too(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    torn = new_file_text(OLD)[:-3] + ',\n{"epoch": 2, "lo'
    end = parse_history(torn, "t").end
    payload = append_text([NEW], first=False)
    for written in range(len(payload)):
        path.write_text(torn[:end] + payload[:written])  # truncated, then killed mid-write
        link = Link(path)
        link.load()
        assert link.history == (OLD + [NEW] if written >= len(payload) - 3 else OLD)
        link.push_metrics({"epoch": 3})
        assert json.loads(path.read_text())[-1] == {"epoch": 3}


def test_an_empty_file_is_a_torn_new_history(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_bytes(b"")
    link = Link(path)
    link.load()
    assert link.history == []
    link.push_metrics({"a": 1})
    assert json.loads(path.read_text()) == [{"a": 1}]


_WRITER = textwrap.dedent("""
    import sys
    from dora_link import Link

    link = Link(sys.argv[1], is_writer=True)
    link.load()
    index = len(link.history)
    limit = int(sys.argv[2])
    while limit < 0 or index < limit:
        link.push_metrics({"i": index, "pad": "x" * (index % 97), "m": {"v": index / 7}})
        index += 1
        if limit > 0 and index % 500 == 0:
            link.update_history(link.history)  # a full atomic rewrite now and then
""")


def _check_sequence(records: List[Any]) -> None:
    assert [record["i"] for record in records] == list(range(len(records)))


def test_writer_killed_at_random_moments_loses_at_most_one_record(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    rng = random.Random(7)
    total = 0
    for attempt in range(20):
        process = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), "-1"])
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        link = Link(path, is_writer=True)
        link.load()
        _check_sequence(link.history)
        assert len(link.history) >= total, attempt
        total = len(link.history)
        link.push_metrics({"i": total, "pad": "", "m": {"v": 0}})
        with open(path) as handle:
            assert json.load(handle) == link.history
        total += 1
    assert total > 20


def test_a_reader_polling_a_live_writer_never_fails(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    process = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), "3000"])
    reads = 0
    link = Link(path, is_writer=False)
    try:
        while process.poll() is None:
            _check_sequence(read_history(path))
            link.load()
            _check_sequence(link.history)
            reads += 1
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert len(read_history(path)) == 3000
    assert reads > 0

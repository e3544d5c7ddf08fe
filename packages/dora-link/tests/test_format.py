"""The history format parser: complete files, every torn tail, and real damage."""

from __future__ import annotations

import json

import pytest

from dora_link import CorruptHistoryError
from dora_link._format import append_text, decode_history, new_file_text, parse_history

RECORDS = [{"epoch": 0, "loss": 1.5}, {"epoch": 1, "loss": float("nan")}]


def _parse(text: str) -> tuple:
    scan = parse_history(text, "h.json")
    return scan.records, scan.torn


def test_our_format_is_one_record_per_line_and_valid_json() -> None:
    text = new_file_text(RECORDS)
    assert text == '[\n{"epoch": 0, "loss": 1.5},\n{"epoch": 1, "loss": NaN}\n]\n'
    assert json.dumps(json.loads(text)) == json.dumps(RECORDS)
    assert new_file_text([]) == "[\n]\n"
    assert json.loads(new_file_text([])) == []


def test_append_text_overwrites_the_closing_bracket() -> None:
    text = new_file_text(RECORDS[:1])
    scan = parse_history(text, "h.json")
    appended = text[:scan.end] + append_text(RECORDS[1:], first=False)
    assert appended == new_file_text(RECORDS)
    empty = new_file_text([])
    scan = parse_history(empty, "h.json")
    assert empty[:scan.end] + append_text(RECORDS, first=True) == new_file_text(RECORDS)


def test_dora_search_files_parse_and_end_after_the_last_record() -> None:
    text = json.dumps([{"a": 1}, {"b": [1, 2]}], indent=2)
    scan = parse_history(text, "h.json")
    assert scan.records == [{"a": 1}, {"b": [1, 2]}] and not scan.torn
    assert text[:scan.end].endswith("}") and text[scan.end:] == "\n]"
    assert parse_history("[]", "h.json").end == 1


@pytest.mark.parametrize(("text", "count"), [
    ("", 0),
    ("  \n", 0),
    ("[", 0),
    ("[\n", 0),
    ('[\n{"a": ', 0),
    ('[\n{"a": 1}', 1),
    ('[\n{"a": 1}\n', 1),
    ('[\n{"a": 1},', 1),
    ('[\n{"a": 1},]\n', 1),
    ('[\n{"a": 1},\n\n', 1),
    ('[\n{"a": 1},\n]', 1),
    ('[\n{"a": 1},\n{', 1),
    ('[\n{"a": 1},\n{"b": [1, 2', 1),
    ('[\n{"a": 1},\n{"b": "x\\', 1),
    ('[\n{"a": 1},\n{"b": 2}\n', 2),
    ("[\n1,\n23", 1),
    ("[\n1,\n23\n", 2),
    ('[\n  {\n    "a": 1\n  },\n{"b"', 1),
])
def test_torn_tails_keep_every_complete_record(text: str, count: int) -> None:
    records, torn = _parse(text)
    assert torn
    assert len(records) == count


@pytest.mark.parametrize(("text", "what"), [
    ('{"a": 1}', "not a list"),
    ("3", "not a list"),
    ('x[\n{"a": 1}\n]\n', "does not start"),
    ('[\n{"a": 1}\n]\n]\n', "closing bracket"),
    ('[\n{"a": 1}\n]\ngarbage', "closing bracket"),
    ('[\n{"a": 1}\n{"b": 2}\n]\n', "missing"),
    ('[\n{"a": 1},\n{"b": oops},\n{"c": 3}\n]\n', "record 2 is damaged"),
    ('[\n{"a": 1},\n{"b": \n', "record 2 is damaged"),
    ('[\n{"a": 1},\n,\n{"c": 3}\n]\n', "damaged"),
    ('[\n{"a": 1},]\n{"c": 3}\n', "closing bracket"),
])
def test_other_damage_is_corruption_naming_the_file(text: str, what: str) -> None:
    with pytest.raises(CorruptHistoryError, match=what) as info:
        parse_history(text, "/x/history.json")
    assert "/x/history.json" in str(info.value)
    assert "move the file aside" in str(info.value)


def test_torn_multibyte_character_on_the_last_line_is_a_torn_tail() -> None:
    data = new_file_text([{"a": 1}]).encode()[:-3] + ',\n{"b": "\xe9'.encode()[:-1]
    text, cut = decode_history(data, "h.json")
    assert cut
    scan = parse_history(text, "h.json", cut)
    assert scan.records == [{"a": 1}] and scan.torn


def test_undecodable_bytes_before_the_last_line_are_corruption() -> None:
    data = b'[\n{"a": "\xff"},\n{"b": 1}\n]\n'
    with pytest.raises(CorruptHistoryError, match="UTF-8"):
        decode_history(data, "h.json")


def test_cut_text_cannot_be_complete() -> None:
    with pytest.raises(CorruptHistoryError):
        parse_history('[\n{"a": 1}\n]\n', "h.json", cut=True)

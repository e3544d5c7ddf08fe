"""The history.json format: a JSON list with one record per line, parsed tolerantly.

A file we write reads `[\\n{rec},\\n{rec}\\n]\\n`. An append overwrites the closing bracket
with `,\\n<record>\\n]\\n` (`\\n<record>\\n]\\n` for the first record), so a process killed
while appending leaves a *torn tail*: damage confined to the bytes after the last complete
record, which are always a prefix of that payload laid over the old closing bracket. The
torn tails are exactly (`...{rec}` stands for the complete records before them):

- `` (an empty file) or `[` and blanks only: no record yet;
- `...{rec}` followed by blanks but no `]`;
- `...{rec},` followed by blanks, possibly then `]` and blanks (`...{rec},]\\n`);
- `...{rec},\\n{partial` (or `[\\n{partial`): one last value that does not parse and has no
  line break in it or after it; a bare number at the very end counts as partial too.

Readers keep every complete record of a torn file. Anything else that is not a JSON list
(garbage between records, text after the closing bracket, a damaged record followed by
more lines, a file that does not start with `[`, a JSON value that is not a list) is
corruption: `CorruptHistoryError` names the file, and nothing ever writes over it.
Files written by dora-search (`json.dump(..., indent=2)`) are complete lists and parse as
they are; appending to them works the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, List, Tuple

from ._errors import CorruptHistoryError

__all__ = ["Scan", "append_text", "decode_history", "new_file_text", "parse_history"]

_BLANKS = " \t\n\r"
_DECODER = json.JSONDecoder()
_SELF_CLOSING = '}]"'
_ADVICE = ("Dora never writes over a damaged history: move the file aside (or repair it by "
           "hand) and the next write starts a new one.")


@dataclass
class Scan:
    """What a history file holds, and where the next record goes.

    Attributes:
        records: every complete record, in order.
        header: False when the file has no opening `[` yet (empty or blank).
        end: character offset just after the last complete record, or after `[` when
            there is none: the place where an append starts writing.
        torn: True when the file does not end with its closing bracket (a torn tail).
    """

    records: List[Any]
    header: bool
    end: int
    torn: bool


def new_file_text(records: List[Any]) -> str:
    """Return the whole text of a history file holding `records`."""
    if not records:
        return "[\n]\n"
    return "[\n" + ",\n".join(json.dumps(record) for record in records) + "\n]\n"


def append_text(records: List[Any], first: bool) -> str:
    """Return what an append writes at `Scan.end`; `first` when the file has no record."""
    if len(records) == 1:
        body = json.dumps(records[0])
    else:
        body = ",\n".join(json.dumps(record) for record in records)
    return ("\n" if first else ",\n") + body + "\n]\n"


def decode_history(data: bytes, source: str) -> Tuple[str, bool]:
    """Decode the bytes of a history file as UTF-8.

    Returns:
        The text, and True when undecodable bytes on the last line cut it short (a
        multi-byte character torn by a killed write).

    Raises:
        CorruptHistoryError: undecodable bytes before the last line.
    """
    try:
        return data.decode("utf8"), False
    except UnicodeDecodeError as error:
        if b"\n" in data[error.start:]:
            line = data.count(b"\n", 0, error.start) + 1
            raise _corrupt(source, f"it is not UTF-8 text (line {line})") from None
        return data[:error.start].decode("utf8"), True


def parse_history(text: str, source: str, cut: bool = False) -> Scan:
    """Parse the text of a history file, tolerating a torn tail.

    Args:
        text: the file's content.
        source: the file name, for error messages.
        cut: True when the text stops before the end of the file (undecodable bytes
            follow it), so it cannot be complete.

    Raises:
        CorruptHistoryError: the file is damaged in another way than a torn tail.
    """
    if not cut:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            pass
        else:
            if not isinstance(value, list):
                raise _corrupt(source, f"it holds a JSON {type(value).__name__}, not a list")
            inner = text.rstrip(_BLANKS)[:-1].rstrip(_BLANKS)
            return Scan(value, header=True, end=len(inner), torn=False)
    return _parse_tolerant(text, source, cut)


def _parse_tolerant(text: str, source: str, cut: bool) -> Scan:
    size = len(text)
    start = _skip(text, 0)
    if start == size:
        return Scan([], header=False, end=0, torn=True)
    if text[start] != "[":
        raise _corrupt(source, "it does not start with '['")
    records: List[Any] = []
    end = start + 1

    def torn() -> Scan:
        return Scan(records, header=True, end=end, torn=True)

    while True:
        here = _skip(text, end)
        if here == size:
            return torn()
        if text[here] == "]":
            if _skip(text, here + 1) != size or cut:
                raise _corrupt(source, f"text follows the closing bracket {_where(text, here)}")
            return Scan(records, header=True, end=end, torn=False)
        if records:
            if text[here] != ",":
                raise _corrupt(source, f"a ',' or ']' is missing {_where(text, here)}")
            here = _skip(text, here + 1)
            if here == size:
                return torn()
            if text[here] == "]":
                if _skip(text, here + 1) != size:
                    raise _corrupt(source, f"text follows the closing bracket "
                                           f"{_where(text, here)}")
                return torn()
        try:
            value, stop = _DECODER.raw_decode(text, here)
        except json.JSONDecodeError:
            if "\n" in text[here:]:
                raise _corrupt(source, f"record {len(records) + 1} is damaged "
                                       f"{_where(text, here)}") from None
            return torn()
        if stop == size and text[stop - 1] not in _SELF_CLOSING:
            return torn()
        records.append(value)
        end = stop


def _skip(text: str, index: int) -> int:
    size = len(text)
    while index < size and text[index] in _BLANKS:
        index += 1
    return index


def _where(text: str, index: int) -> str:
    return f"(line {text.count(chr(10), 0, index) + 1})"


def _corrupt(source: str, reason: str) -> CorruptHistoryError:
    return CorruptHistoryError(f"History file {source} is damaged: {reason}. {_ADVICE}")

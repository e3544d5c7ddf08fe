"""The signature of an XP: a short hash of its delta, byte-identical to dora-search 0.1.13."""

from __future__ import annotations

import json
from hashlib import sha1
from typing import Any, Iterable, List

from ._errors import SigError
from ._jsonable import to_jsonable
from ._types import Pair

__all__ = ["canonical_json", "signature"]


def canonical_json(delta: Iterable[Pair]) -> str:
    """Return the exact text that is hashed into the signature of `delta`.

    The pairs become `[name, value]` lists of plain JSON types, sorted, then dumped with
    Python's default `json.dumps` settings (", " and ": " separators, ASCII only, dict
    values keep their insertion order), exactly as dora-search does.

    Raises:
        NotJsonableError: a value cannot be made plain JSON.
        SigError: an entry is not a pair, or two entries share a name and their values
            cannot be ordered.
    """
    pairs: List[List[Any]] = []
    for pair in delta:
        items = list(pair)
        if len(items) != 2:
            raise SigError(f"A delta entry must be a (name, value) pair, got {pair!r}.")
        pairs.append(to_jsonable(items))
    try:
        pairs.sort()
    except TypeError as error:
        raise SigError(f"Cannot order the delta {pairs!r}: {error}. Names must be unique.") \
            from None
    return json.dumps(pairs)


def signature(delta: Iterable[Pair]) -> str:
    """Return the 8 hexadecimal characters that name the XP whose delta is `delta`.

    The order of `delta` does not matter; the int / float distinction of values and the
    insertion order of dict values do. The empty delta gives `97d170e1`.
    """
    return sha1(canonical_json(delta).encode("utf8")).hexdigest()[:8]

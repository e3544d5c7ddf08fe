"""Short XP names: what sets one XP apart within a set of XPs, as dora-search derives them.

Grid patterns are matched against these names, so they must be exactly the reference's.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, Dict, List, Sequence, Tuple

from ._types import Pair

__all__ = ["get_name", "get_names", "short_name_part"]


def short_name_part(key: str, value: Any) -> str:
    """Return the short form of one delta entry, e.g. `opt.loss=l1` for `optim.loss`, `"l1"`.

    Every dotted component but the last is cut to 3 characters. A path value shows its
    last component, `True` shows the key alone, any other value shows as `key=str(value)`.
    """
    components = key.split(".")
    short_key = ".".join([part[:3] for part in components[:-1]] + components[-1:])
    if isinstance(value, PurePath):
        value = value.name
    if value is True:
        return short_key
    return f"{short_key}={value}"


def get_names(deltas: Sequence[Sequence[Pair]]) -> Tuple[List[str], str]:
    """Return the name of each XP in the set and the base name of the set.

    The base collects the entries that every XP shares with the first XP (same name, equal
    value); each XP's name lists its other entries in its own delta order. With no XP at all,
    the answer is `([], "")`.
    """
    if not deltas:
        return [], ""
    all_parts = [_parts(delta) for delta in deltas]
    reference = dict(all_parts[0])
    for parts in all_parts:
        for key, value in parts.items():
            if key in reference and reference[key] != value:
                del reference[key]
        for key in [key for key in reference if key not in parts]:
            del reference[key]
    names = [_join(parts, reference) for parts in all_parts]
    return names, _join(reference, {})


def get_name(delta: Sequence[Pair]) -> str:
    """Return the full short name of one XP: all its entries (empty for the baseline XP)."""
    return get_names([delta])[1]


def _parts(delta: Sequence[Pair]) -> Dict[str, Any]:
    parts: Dict[str, Any] = {}
    for key, value in delta:
        parts[key] = value
    return parts


def _join(parts: Dict[str, Any], reference: Dict[str, Any]) -> str:
    return " ".join(
        short_name_part(key, value) for key, value in parts.items() if key not in reference)

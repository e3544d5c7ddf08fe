"""Select the XPs of a grid with name patterns and indexes, as `dora grid NAME PATTERN...`."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Iterable, List, Sequence, Tuple, TypeVar, Union

from .errors import PatternError

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol

__all__ = ["split_patterns", "name_matches", "filter_sheep", "pick_index"]

T = TypeVar("T")


def split_patterns(patterns: Iterable[Union[str, int]]) -> Tuple[List[int], List[str]]:
    """Split patterns into indexes (anything that parses as an int) and name patterns."""
    indexes: List[int] = []
    names: List[str] = []
    for pattern in patterns:
        if isinstance(pattern, int) and not isinstance(pattern, bool):
            indexes.append(pattern)
            continue
        text = str(pattern)
        try:
            indexes.append(int(text))
        except ValueError:
            names.append(text)
    return indexes, names


def name_matches(name: str, patterns: Iterable[str]) -> bool:
    """Whether `name` satisfies every pattern: `p` is a glob searched anywhere in the name,
    `!p` its negation."""
    for pattern in patterns:
        negate = pattern.startswith("!")
        if negate:
            pattern = pattern[1:]
        found = fnmatch.fnmatch(name, f"*{pattern}*")
        if found == negate:
            return False
    return True


def pick_index(items: Sequence[T], index: int, what: str = "index") -> T:
    """`items[index]`, with a PatternError naming the valid range when out of range."""
    count = len(items)
    if not -count <= index < count:
        if count == 0:
            raise PatternError(f"Invalid {what} {index}: no XP matches.")
        raise PatternError(
            f"Invalid {what} {index}: {count} XP(s) match, valid indexes are 0 to "
            f"{count - 1} (or -1 to -{count} from the end)."
        )
    return items[index]


def filter_sheep(
    main: MainProtocol, sheeps: Sequence[T], patterns: Iterable[Union[str, int]]
) -> List[T]:
    """Keep the sheep whose full short name matches all name patterns, then pick indexes.

    The caller's pattern list is never changed. Indexes apply to the list that matches
    the name patterns, in the order given (negative indexes and repeats allowed).

    Raises:
        PatternError: for an index out of range.
    """
    indexes, names = split_patterns(patterns)
    if names:
        kept = [s for s in sheeps if name_matches(main.get_name(s.xp), names)]  # type: ignore
    else:
        kept = list(sheeps)
    if indexes:
        kept = [pick_index(kept, index) for index in indexes]
    return kept

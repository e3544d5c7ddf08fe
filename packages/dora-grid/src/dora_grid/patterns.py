"""Select the XPs of a grid with name patterns and indexes, as `dora grid NAME PATTERN...`.

As in dora-search, a pattern is matched against the XP's full short name (`opt.lr=0.3`
for `optim.lr`). Beyond the reference, it also holds when it matches the same name built
with the full dotted keys (`optim.lr=0.3`), so a key can be typed as it is written in
the config; a negated pattern excludes an XP when it matches either form.
"""

from __future__ import annotations

import fnmatch
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    List,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

from dora_sig import short_name_part

from .errors import PatternError

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.main import MainProtocol

__all__ = [
    "split_patterns",
    "name_matches",
    "filter_sheep",
    "pick_index",
    "full_key_name",
    "no_match_message",
]

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


def name_matches(name: Union[str, Sequence[str]], patterns: Iterable[str]) -> bool:
    """Whether `name` satisfies every pattern: `p` is a glob searched anywhere in the name,
    `!p` its negation.

    `name` may be several forms of one XP's name: `p` holds when it is found in any of
    them, `!p` when it is found in none.
    """
    forms = [name] if isinstance(name, str) else list(name)
    for pattern in patterns:
        negate = pattern.startswith("!")
        if negate:
            pattern = pattern[1:]
        glob = f"*{pattern}*"
        found = any(fnmatch.fnmatch(form, glob) for form in forms)
        if found == negate:
            return False
    return True


def full_key_name(xp: Any) -> Optional[str]:
    """The XP's name with its full dotted keys (`optim.lr=0.3` where the short name has
    `opt.lr=0.3`): the same parts in the same order, keys not shortened.

    Returns:
        None when the XP has no delta, or when no key is dotted (the name is then the
        short name itself).
    """
    delta = getattr(xp, "delta", None)
    if not delta:
        return None
    parts: Dict[str, Any] = {}
    for key, value in delta:
        parts[str(key)] = value
    if not any("." in key for key in parts):
        return None
    words = []
    for key, value in parts.items():
        head, dot, last = key.rpartition(".")
        # The last component is never shortened: its part is formatted as the short one.
        words.append(f"{head}{dot}{short_name_part(last, value)}")
    return " ".join(words)


def _forms(main: MainProtocol, xp: Any) -> List[str]:
    """The names a pattern is matched against: the short name, then the full-key one."""
    short = main.get_name(xp)
    full = full_key_name(xp)
    return [short] if full is None or full == short else [short, full]


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
    """Keep the sheep whose name matches all name patterns, then pick indexes.

    A name pattern is matched against the XP's full short name and against the same name
    with full dotted keys (see `full_key_name`). The caller's pattern list is never
    changed. Indexes apply to the list that matches the name patterns, in the order
    given (negative indexes and repeats allowed).

    Raises:
        PatternError: for an index out of range.
    """
    indexes, names = split_patterns(patterns)
    if names:
        kept = [s for s in sheeps if name_matches(_forms(main, s.xp), names)]  # type: ignore
    else:
        kept = list(sheeps)
    if indexes:
        kept = [pick_index(kept, index) for index in indexes]
    return kept


def no_match_message(
    main: MainProtocol, sheeps: Sequence[Any], patterns: Iterable[Union[str, int]]
) -> str:
    """What to tell when the patterns select no XP of the grid: the patterns, and what
    they are matched against, shown on one or two XPs of the grid."""
    _, names = split_patterns(patterns)
    shown = " ".join(repr(name) for name in names)
    message = f"No sheep to handle: no XP of the grid matches the patterns {shown}."
    examples: List[str] = []
    for sheep in sheeps[:2]:
        forms = _forms(main, sheep.xp)
        text = repr(forms[0]) if forms[0] else "'' (the baseline XP)"
        if len(forms) > 1:
            text += f" (full keys: {forms[1]!r})"
        examples.append(text)
    if examples:
        message += (
            " Each pattern is a glob searched in the XP's name, e.g. "
            f"{' or '.join(examples)}; `!p` excludes, and all patterns must hold."
        )
    return message

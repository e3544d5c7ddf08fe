"""Hydra overrides as Dora sees them: simplifying an argv, rendering launcher values.

Both follow dora-search 0.1.13 exactly, since the argv they produce is what signatures are
computed from: a grid written for dora-search gives the same argv, hence the same XPs.
"""

from __future__ import annotations

import json
import re
from typing import Any, Collection, List, Sequence

from ._errors import InvalidOverride

__all__ = [
    "group_entries",
    "is_multirun",
    "override_key",
    "quote_value",
    "render_value",
    "simplify",
    "value_to_argv",
]

_FLAGS = ("-m", "--multirun")


def is_multirun(argv: Sequence[str]) -> bool:
    """Whether `argv` asks Hydra for a multirun (`-m` / `--multirun`): no XP then."""
    return any(arg in _FLAGS for arg in argv)


def override_key(arg: str) -> str:
    """The key of an override as Dora compares them: the text before the first `=`, stripped.

    `+k` and `k` are different keys, as in dora-search.
    """
    return arg.split("=", 1)[0].strip()


def _check(arg: Any) -> str:
    if not isinstance(arg, str):
        raise InvalidOverride(
            f"Hydra arguments must be strings like key=value, got {arg!r} "
            f"({type(arg).__name__})."
        )
    if arg.startswith("~"):
        raise InvalidOverride(
            f"Argument {arg!r} deletes a key: deleting keys (~key) is not supported, since "
            "a signature is computed against the keys of the default config. Set the key to "
            "a value instead (e.g. key=null)."
        )
    if "=" not in arg:
        if arg.startswith("-"):
            raise InvalidOverride(
                f"Argument {arg!r} is a Hydra flag, not an override: an XP is described by "
                "key=value overrides only (-m/--multirun and --cfg are for running the "
                "script directly with Hydra)."
            )
        raise InvalidOverride(
            f"Argument {arg!r} is not an override: it has no '='. Write key=value (e.g. "
            f"{arg}=VALUE), or +{arg}=VALUE to add a key that the config does not have."
        )
    return arg


def simplify(argv: Sequence[str]) -> List[str]:
    """Keep the last occurrence of each override key, in the original relative order.

    Raises:
        InvalidOverride: for an argument without `=`, a deletion (`~key`), or a non-string.
    """
    seen = set()
    kept: List[str] = []
    for arg in reversed(list(argv)):
        key = override_key(_check(arg))
        if key in seen:
            continue
        seen.add(key)
        kept.append(arg)
    kept.reverse()
    return kept


def group_entries(argv: Sequence[str], groups: Collection[str]) -> List[Any]:
    """(group, raw value) for each argument of the form `<group>=<value>`, in argv order.

    A later override of the same group replaces the value of the earlier one, keeping the
    position of the first (the simplified argv has one override per key anyway).
    `+group=x` or `group@pkg=x` are not group overrides here, as in dora-search.
    """
    entries: dict = {}
    for arg in argv:
        key = arg.split("=", 1)[0]
        if key in groups:
            entries[key] = arg[len(key) + 1:]
    return list(entries.items())


def _render_key(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, (bool, int, float)):
        return str(key)
    if isinstance(key, str):
        if ":" in key:
            raise InvalidOverride(
                f"Dict key {key!r} contains ':', which Hydra's override grammar cannot "
                "express as a key. Rename the key."
            )
        return key
    raise InvalidOverride(
        f"Unsupported dict key type {type(key).__name__} for key {key!r}: Hydra dict keys "
        "are strings, numbers, booleans or None."
    )


def render_value(value: Any) -> str:
    """`value` in Hydra's override grammar, as dora-search writes it.

    None is `null`; booleans, numbers and strings go through `json.dumps` (strings
    quoted); lists and tuples are `[a, b]`; dicts are `{key: value}` with bare keys.

    Raises:
        InvalidOverride: for any other type, or a dict key Hydra cannot express.
    """
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float, str)):
        return json.dumps(value)
    if isinstance(value, dict):
        items = (f"{_render_key(key)}: {render_value(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_value(item) for item in value) + "]"
    raise InvalidOverride(
        f"Unsupported value type {type(value).__name__} for value {value!r}: give None, a "
        "bool, a number, a string, or lists and dicts of those."
    )


def value_to_argv(arg: Any, groups: Collection[str]) -> List[str]:
    """Turn a launcher value into Hydra overrides.

    A string is kept as it is; a dict gives one override per key (`key=<value>` in Hydra's
    grammar, or `key=<str(value)>` unquoted when the key is a config group); a list or
    tuple is converted item by item.

    Raises:
        ValueError: (an `InvalidOverride`) for a value that cannot be rendered.
    """
    if isinstance(arg, str):
        return [arg]
    if isinstance(arg, dict):
        argv = []
        for key, value in arg.items():
            if key in groups:
                argv.append(f"{key}={value}")
            else:
                argv.append(f"{key}={render_value(value)}")
        return argv
    if isinstance(arg, (list, tuple)):
        return [item for part in arg for item in value_to_argv(part, groups)]
    raise InvalidOverride(
        f"Can only process dict, tuple, lists and str, but got {arg!r} "
        f"({type(arg).__name__})."
    )


_PLAIN = re.compile(r"[A-Za-z0-9_/.\-]+")


def quote_value(text: str) -> str:
    """`text` as one Hydra override value (e.g. a folder): bare when safe, else quoted.

    In a quoted Hydra string only quotes and the backslashes right before a quote (or
    before the closing quote) are escaped.
    """
    if _PLAIN.fullmatch(text) and text[0] != "-":
        return text
    escaped = re.sub(r"(\\*)'", lambda m: m.group(1) * 2 + "\\'", text)
    escaped = re.sub(r"(\\+)$", lambda m: m.group(1) * 2, escaped)
    return f"'{escaped}'"

"""The recursive diff of two composed configs, restricted to the subtrees that can differ.

`config_delta(base, other)` is the reference's rule (the one `dora_sig.mapping_delta`
implements): the keys of `base` in sorted order, nested mappings walked, other values
compared with Python `!=` (so `40 == 40.0` gives no entry) and emitted with the type they
have in `other`, then the keys only `other` has, emitted whole. Values are read with `[]`,
which resolves interpolations, as the reference does.

Two additions. `relevant` restricts the walk to a tree of key paths (`ALL` for a whole
subtree): the fast path passes the paths its overrides touch plus every path holding an
interpolation or a `???`, and every other subtree is provably identical in both configs,
so skipping it changes nothing, not even the order of the entries. And mandatory values
(`???`): one left unset in `other` is a `MissingValue` error naming it, and one set in
`other` but not in `base` is an entry (the reference could not compute these at all).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Tuple, Union

from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from dora_sig import DeltaError

from ._errors import MissingValue, ResolutionError

__all__ = [
    "ALL",
    "BaseCache",
    "Relevant",
    "config_delta",
    "read_value",
    "resolution_message",
]


class _All:
    """Marks a whole subtree as relevant."""

    def __repr__(self) -> str:
        return "ALL"


ALL = _All()
Relevant = Union[_All, Dict[Any, Any]]
Pair = Tuple[str, Any]
# What the walk read from a `base` that never changes: values by dotted name, sorted keys
# by `(prefix,)`. The fast path keeps one per composition.
BaseCache = Dict[Any, Any]

_MISSING = object()
_RESOLVER = re.compile(r"Unsupported interpolation type (\S+)")


def read_value(node: Any, key: Any, name: str) -> Any:
    """`node[key]`, with resolution problems turned into a `ResolutionError` naming `name`."""
    try:
        return node[key]
    except MissingMandatoryValue as exc:
        raise MissingValue(
            f"The config value {name} refers to a mandatory value (???) that is not set: "
            f"{_first_line(exc)}. Set it on the command line or in the grid."
        ) from None
    except OmegaConfBaseException as exc:
        raise ResolutionError(resolution_message(name, exc)) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def resolution_message(name: str, exc: BaseException) -> str:
    """What to tell the user when the config value `name` cannot be resolved."""
    detail = _first_line(exc)
    match = _RESOLVER.search(str(exc))
    if match:
        resolver = match.group(1)
        return (
            f"Could not resolve the config value {name}: it uses the resolver "
            f"'{resolver}', which is not registered. Register it when your training module "
            f"is imported (OmegaConf.register_new_resolver('{resolver}', ...)), or pass it "
            f"to the decorator: @hydra_main(..., resolvers={{'{resolver}': function}})."
        )
    return f"Could not resolve the config value {name}: {detail}."


def _is_missing(node: Any, key: Any) -> Optional[bool]:
    """True when `node.key` is `???`, False when set, None when the key does not exist."""
    child = node._get_node(key)
    if child is None:
        return None
    return bool(child._is_missing())


def config_delta(
    base: Any, other: Any, relevant: Relevant = ALL, cache: Optional[BaseCache] = None
) -> List[Pair]:
    """The `(dotted.name, value)` pairs where `other` differs from `base` (see module doc).

    Args:
        base: the composed config without value overrides (a DictConfig).
        other: the composed config of the XP (a DictConfig).
        relevant: the key paths that may differ (nested dicts of keys, `ALL` for a whole
            subtree); keys outside it are skipped.
        cache: what was read from `base` before, when `base` never changes (filled here).

    Raises:
        MissingValue: a `???` left unset in `other` (all such keys are named).
        ResolutionError: an interpolation or resolver that cannot be resolved.
        DeltaError: a key of `base` missing from `other`, or a mapping replaced by a value.
    """
    delta: List[Pair] = []
    unset: List[str] = []
    _walk(base, other, "", relevant, delta, unset, {} if cache is None else cache)
    if unset:
        raise MissingValue(
            f"Mandatory config value{'s' if len(unset) > 1 else ''} left unset (???): "
            f"{', '.join(unset)}. Set {'them' if len(unset) > 1 else 'it'} on the command "
            f"line or in the grid (e.g. {unset[0]}=VALUE)."
        )
    return delta


def _base_keys(base: Any, prefix: str, cache: BaseCache) -> Tuple[List[Any], frozenset]:
    entry = cache.get((prefix,))
    if entry is None:
        keys = list(base.keys())
        entry = cache[(prefix,)] = (sorted(keys), frozenset(keys))
    return entry


def _base_value(base: Any, key: Any, name: str, cache: BaseCache) -> Any:
    """`base[key]`, or `_MISSING` for a `???`, read once."""
    try:
        return cache[name]
    except KeyError:
        pass
    value = _MISSING if _is_missing(base, key) else read_value(base, key, name)
    cache[name] = value
    return value


def _walk(
    base: Any,
    other: Any,
    prefix: str,
    relevant: Relevant,
    delta: List[Pair],
    unset: List[str],
    cache: BaseCache,
) -> None:
    keys, base_set = _base_keys(base, prefix, cache)
    if not isinstance(relevant, _All):
        keys = [key for key in keys if key in relevant]
    for key in keys:
        name = f"{prefix}{key}"
        missing = _is_missing(other, key)
        if missing is None:
            raise DeltaError(
                f"The configuration has no key {name!r} while the defaults have it: "
                "deleting keys is not supported, set it to a value instead."
            )
        if missing:
            unset.append(name)
            continue
        other_value = read_value(other, key, name)
        base_value = _base_value(base, key, name, cache)
        if base_value is _MISSING:
            delta.append((name, other_value))
        elif isinstance(base_value, Mapping):
            if not isinstance(other_value, Mapping):
                raise DeltaError(
                    f"Key {name!r} is a mapping in the defaults but "
                    f"{type(other_value).__name__} in the configuration: a group of keys "
                    "cannot be replaced by one value."
                )
            sub = ALL if isinstance(relevant, _All) else relevant[key]
            _walk(base_value, other_value, f"{name}.", sub, delta, unset, cache)
        elif other_value != base_value:
            delta.append((name, other_value))
    added = [key for key in other.keys() if key not in base_set]
    for key in sorted(added):
        name = f"{prefix}{key}"
        if _is_missing(other, key):
            unset.append(name)
            continue
        delta.append((name, read_value(other, key, name)))

"""Deltas: how one configuration differs from the defaults, as ordered (name, value) pairs."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import List

from ._errors import DeltaError
from ._types import Pair

__all__ = ["argparse_delta", "mapping_delta"]


def argparse_delta(parser: argparse.ArgumentParser, namespace: argparse.Namespace) -> List[Pair]:
    """Return the `(dest, value)` pairs of `namespace` that differ from the parser's defaults.

    Pairs come in namespace order (the order of `add_argument`, then `set_defaults` extras)
    and a value is kept when `parser.get_default(dest) != value`, as dora-search does. So
    passing a flag equal to its default changes nothing, while a string default for a typed
    option (`default="0.1", type=float`) always differs from the parsed float.
    """
    return [
        (dest, value)
        for dest, value in vars(namespace).items()
        if parser.get_default(dest) != value
    ]


def mapping_delta(base: Mapping, other: Mapping) -> List[Pair]:
    """Return the `(dotted.name, value)` pairs where `other` differs from `base`.

    This is the reference's Hydra rule, so a Hydra back-end only has to call it. Both
    arguments may be plain dicts or OmegaConf `DictConfig` (values are read with `[]`, which
    resolves interpolations). At each level, the keys of `base` are visited in sorted order:
    nested mappings are walked, other values are compared with Python `!=` (so `40 == 40.0`
    gives no entry) and the value of `other` is emitted with its own type; lists are compared
    and emitted whole. Then the keys found only in `other` are emitted whole, sorted.

    Raises:
        DeltaError: a key of `base` is missing from `other` (deleting keys is not supported),
            or a mapping of `base` is a plain value in `other`.
    """
    delta: List[Pair] = []
    _walk(base, other, "", delta)
    return delta


def _walk(base: Mapping, other: Mapping, prefix: str, delta: List[Pair]) -> None:
    base_keys = list(base.keys())
    added = sorted(set(other.keys()) - set(base_keys))
    for key in sorted(base_keys):
        name = f"{prefix}{key}"
        base_value = base[key]
        if key not in other:
            raise DeltaError(
                f"The configuration has no key {name!r} while the defaults have it: "
                "deleting keys is not supported, set it to a value instead.")
        other_value = other[key]
        if isinstance(base_value, Mapping):
            if not isinstance(other_value, Mapping):
                raise DeltaError(
                    f"Key {name!r} is a mapping in the defaults but {type(other_value).__name__}"
                    " in the configuration: a group of keys cannot be replaced by one value.")
            _walk(base_value, other_value, f"{name}.", delta)
        elif other_value != base_value:
            delta.append((name, other_value))
    for key in added:
        delta.append((f"{prefix}{key}", other[key]))

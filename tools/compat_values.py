"""Python values as JSON for the compatibility oracle: a small tagged encoding.

JSON cannot hold tuples, NaN, dicts with non-string keys, or the objects that
value_to_argv must refuse; `encode` writes them as `{"__compat__": kind, ...}` objects and
`decode` rebuilds the exact Python values (stdlib only, run by both interpreters).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["Unsupported", "decode", "encode"]

_TAG = "__compat__"


def encode(value: Any) -> Any:
    """`value` as JSON data; non-JSON values become `{"__compat__": kind, ...}` objects."""
    if isinstance(value, float) and not math.isfinite(value):
        return {_TAG: "float", "repr": repr(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {_TAG: "tuple", "items": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value) and _TAG not in value:
            return {key: encode(item) for key, item in value.items()}
        return {_TAG: "dict", "items": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, Unsupported):
        return {_TAG: "unsupported", "kind": value.kind}
    raise TypeError(f"cannot encode {value!r}")


def decode(value: Any) -> Any:
    """The inverse of `encode`."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        tag = value.get(_TAG)
        if tag is None:
            return {key: decode(item) for key, item in value.items()}
        if tag == "float":
            return float(value["repr"])
        if tag == "tuple":
            return tuple(decode(item) for item in value["items"])
        if tag == "dict":
            return {decode(k): decode(v) for k, v in value["items"]}
        if tag == "unsupported":
            return Unsupported(value["kind"]).build()
        raise ValueError(f"unknown tag {tag!r}")
    return value


class Unsupported:
    """A launcher value of a type that value_to_argv must refuse (a set, an object...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def build(self) -> Any:
        if self.kind == "set":
            return {1, 2}
        if self.kind == "bytes":
            return b"raw"
        if self.kind == "complex":
            return 1 + 2j
        return object()

    def __repr__(self) -> str:
        return f"Unsupported({self.kind!r})"

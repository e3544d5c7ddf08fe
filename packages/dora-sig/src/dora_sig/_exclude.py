"""Exclusion patterns: parameters that do not change what an XP computes (e.g. workers)."""

from __future__ import annotations

import fnmatch
from typing import Iterable, List

from ._types import Pair

__all__ = ["exclude", "is_excluded"]


def is_excluded(name: str, patterns: Iterable[str]) -> bool:
    """Return True when the dotted `name` matches one of the shell-glob `patterns`.

    Matching is `fnmatch.fnmatch` on the whole name, as in dora-search: `*` also crosses
    dots (`optim.*` excludes `optim.lr.warmup`), and `cat_*` is not a prefix test.
    """
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def exclude(delta: Iterable[Pair], patterns: Iterable[str]) -> List[Pair]:
    """Return the `(name, value)` pairs of `delta` whose name is not excluded, in order."""
    patterns = list(patterns)
    return [(name, value) for name, value in delta if not is_excluded(name, patterns)]

"""Type aliases shared by the dora_sig modules."""

from __future__ import annotations

from typing import Any, Tuple

__all__ = ["Pair"]

#: One entry of a delta: the dotted name of a parameter and its value.
Pair = Tuple[str, Any]

"""The metric history of one run: an append-only, crash-safe `history.json`.

Usable alone as a tiny metric logger: `Link(path).push_metrics({...})` appends one line,
`read_history(path)` reads a history even while it is being written.
"""

from __future__ import annotations

from ._errors import CorruptHistoryError, LinkError
from ._link import Link, read_history
from ._rank import default_is_writer
from ._version import __version__

__all__ = [
    "CorruptHistoryError",
    "Link",
    "LinkError",
    "__version__",
    "default_is_writer",
    "read_history",
]

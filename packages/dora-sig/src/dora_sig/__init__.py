"""What makes two runs the same: deltas against defaults, exclusion, signatures, short names.

Standard library only, so any tool can dedupe runs with it. Signatures are byte-identical
to dora-search 0.1.13's, so existing XP folders are found again.
"""

from __future__ import annotations

from ._delta import argparse_delta, mapping_delta
from ._errors import DeltaError, NotJsonableError, SigError
from ._exclude import exclude, is_excluded
from ._jsonable import to_jsonable
from ._names import get_name, get_names, short_name_part
from ._signature import signature
from ._types import Pair
from ._version import __version__

__all__ = [
    "DeltaError",
    "NotJsonableError",
    "Pair",
    "SigError",
    "__version__",
    "argparse_delta",
    "exclude",
    "get_name",
    "get_names",
    "is_excluded",
    "mapping_delta",
    "short_name_part",
    "signature",
    "to_jsonable",
]

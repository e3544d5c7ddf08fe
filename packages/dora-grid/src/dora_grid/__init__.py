"""dora-grid: grid searches on top of dora-shep.

`Explorer` and `Launcher` (what grid files use), `Herd`, the grid loader, patterns, the
reconcile step (schedule what is missing, cancel what left the grid), the monitoring
table, and `run_grid` / `RunGridArgs` for scripts and notebooks.
"""

from __future__ import annotations

from ._version import __version__
from .errors import (
    ClearDryRunError,
    GridError,
    GridEvaluationError,
    GridImportError,
    GridNotFound,
    GridPackageNotFound,
    InvalidSlurmKey,
    InvalidXPArguments,
    JobArrayError,
    NestedJobArray,
    NoExplorer,
    NotAnExplorer,
    PatternError,
    SlurmChangedInJobArray,
)
from .explorer import Explorer
from .herd import Herd
from .launcher import Launcher
from .loader import list_grids, load_explorer
from .patterns import filter_sheep
from .run import RunGridArgs, run_grid

__all__ = [
    "ClearDryRunError",
    "Explorer",
    "GridError",
    "GridEvaluationError",
    "GridImportError",
    "GridNotFound",
    "GridPackageNotFound",
    "Herd",
    "InvalidSlurmKey",
    "InvalidXPArguments",
    "JobArrayError",
    "Launcher",
    "NestedJobArray",
    "NoExplorer",
    "NotAnExplorer",
    "PatternError",
    "RunGridArgs",
    "SlurmChangedInJobArray",
    "__version__",
    "filter_sheep",
    "list_grids",
    "load_explorer",
    "run_grid",
]

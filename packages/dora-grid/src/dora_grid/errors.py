"""The exceptions of dora-grid: one base class, one subclass per user mistake."""

from __future__ import annotations

from typing import Sequence

__all__ = [
    "GridError",
    "GridNotFound",
    "PrivateGridName",
    "GridPackageNotFound",
    "GridImportError",
    "NoExplorer",
    "NotAnExplorer",
    "GridEvaluationError",
    "JobArrayError",
    "NestedJobArray",
    "SlurmChangedInJobArray",
    "InvalidSlurmKey",
    "InvalidXPArguments",
    "PatternError",
    "ClearDryRunError",
]


class GridError(Exception):
    """Base class: a grid could not be loaded, evaluated or run as asked."""


class GridNotFound(GridError):
    """No grid file has the given name; the message lists the grids available."""

    def __init__(self, name: str, available: Sequence[str], package: str = "") -> None:
        self.name = name
        self.available = list(available)
        where = f" in package {package}" if package else ""
        if self.available:
            listing = "Grids available: " + ", ".join(self.available)
        else:
            listing = f"No grid file found{where}."
        super().__init__(f"{self._headline(where)} {listing}")

    def _headline(self, where: str) -> str:
        return f"No grid named {self.name!r}{where}."


class PrivateGridName(GridNotFound):
    """A part of the name starts with `_`: such files and folders hold helpers, not grids."""

    def _headline(self, where: str) -> str:
        return (
            f"{self.name!r}{where} is not a grid: files and folders whose name starts with "
            "`_` hold helpers (a custom Explorer, shared code), never grids."
        )


class GridPackageNotFound(GridError):
    """The grid package (`<package>.grids` or `dora.grid_package`) does not exist."""


class GridImportError(GridError):
    """Importing the grid module (or the grids package) raised; keeps the user's traceback."""

    def __init__(self, module: str, user_traceback: str) -> None:
        self.module = module
        self.user_traceback = user_traceback
        super().__init__(f"Could not import grid module {module}:\n{user_traceback.rstrip()}")


class NoExplorer(GridError):
    """The grid module defines no module-level `explorer`."""


class NotAnExplorer(GridError):
    """The grid module's `explorer` is not an Explorer instance."""


class GridEvaluationError(GridError):
    """The grid's explore function raised while it was evaluated; keeps the user's traceback."""


class JobArrayError(GridError):
    """A job array was used in a way Slurm arrays do not allow."""


class NestedJobArray(JobArrayError):
    """`job_array()` was opened while another job array was already open."""


class SlurmChangedInJobArray(JobArrayError):
    """An XP inside a job array asked for a Slurm config different from the array's."""


class InvalidSlurmKey(GridError, AttributeError):
    """`slurm_()` was given a key that is not a SlurmConfig field."""


class InvalidXPArguments(GridError):
    """The project's parser rejected the arguments of one XP of the grid."""


class PatternError(GridError):
    """A pattern, index or trim index does not select a valid XP of the grid."""


class ClearDryRunError(GridError):
    """`clear` and `dry_run` were asked together."""

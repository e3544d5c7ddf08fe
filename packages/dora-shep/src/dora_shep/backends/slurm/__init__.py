"""The Slurm backend: jobs through submitit, states from one sacct call, orphan markers,
and dora-search's `job.pkl` records.

Importing this package is light: submitit is imported only by the functions that submit,
parse sacct output or read a `job.pkl`.
"""

from __future__ import annotations

from .backend import SlurmBackend, array_name_sig

__all__ = ["SlurmBackend", "array_name_sig"]

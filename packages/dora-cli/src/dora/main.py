"""Compatibility: `dora.main` of dora-search (decorated mains)."""

from __future__ import annotations

from dora_shep.main import MainBase, MainProtocol

from ._argparse_main import ArgparseMain, argparse_main

DecoratedMain = MainBase

__all__ = ["ArgparseMain", "DecoratedMain", "MainBase", "MainProtocol", "argparse_main"]

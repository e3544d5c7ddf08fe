"""Fixtures: a throwaway project in a temp folder, and the `dora` command run on it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from cli_helpers import Dora, write_project  # noqa: E402


@pytest.fixture
def project(tmp_path: Path) -> Dora:
    """A project `proj` in a temp folder, and `dora` running there."""
    write_project(tmp_path)
    return Dora(tmp_path)

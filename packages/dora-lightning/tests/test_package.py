"""The package installs, imports without torch, and reports the version it was built with."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import dora_lightning

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "lightning", "pytorch_lightning")


def test_import_does_not_load_torch() -> None:
    code = (
        "import json, sys\n"
        "import dora_lightning\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_version_is_the_hatch_version_source() -> None:
    source = (PACKAGE_ROOT / "src" / "dora_lightning" / "_version.py").read_text()
    match = re.search(r'^__version__ = "([^"]+)"$', source, re.MULTILINE)
    assert match is not None
    assert dora_lightning.__version__ == match.group(1)
    assert importlib.metadata.version("dora-lightning") == match.group(1)
    assert 'path = "src/dora_lightning/_version.py"' in (
        PACKAGE_ROOT / "pyproject.toml"
    ).read_text()


def test_public_surface_is_empty_until_the_torch_integration_lands() -> None:
    assert dora_lightning.__all__ == []


def test_declares_dora_shep_pinned_to_the_release() -> None:
    requires = importlib.metadata.requires("dora-lightning") or []
    assert f"dora-shep=={dora_lightning.__version__}" in [r.replace(" ", "") for r in requires]

"""The README's example runs as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf8"), re.DOTALL)
    assert blocks
    for block in blocks:
        namespace: dict = {}
        try:
            exec(compile(block, str(README), "exec"), namespace)
        finally:
            if "folder" in namespace:
                shutil.rmtree(namespace["folder"])
    assert '{"epoch": 0, "train": {"loss": 1.0}},' in capsys.readouterr().out

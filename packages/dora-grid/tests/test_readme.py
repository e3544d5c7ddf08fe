"""The README's example runs as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_runs(capsys: Any) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf8"), re.DOTALL)
    assert blocks
    for block in blocks:
        namespace: dict = {"__name__": "readme"}
        try:
            exec(compile(block, str(README), "exec"), namespace)
        finally:
            if "main" in namespace:
                shutil.rmtree(namespace["main"].dora.dir, ignore_errors=True)
    captured = capsys.readouterr()
    assert "Base name: epochs=20" in captured.out
    assert captured.err.count("Would schedule sheep") == 3

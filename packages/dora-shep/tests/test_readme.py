from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(tmp_path: Path) -> None:
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S)
    assert code is not None
    (tmp_path / "train.py").write_text(code.group(1))
    runs = [
        subprocess.run(
            [sys.executable, "train.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        for _ in range(2)
    ]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr + runs[1].stderr
    assert runs[0].stdout.count("Scheduled job") == 3
    assert "Scheduled job" not in runs[1].stdout
    assert runs[1].stdout.count("COMPLETED") == 3

"""The README's project and commands run as written (with `dora` from this interpreter)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_project_and_commands_run(tmp_path: Path) -> None:
    text = README.read_text("utf8")
    for block in re.findall(r"```python\n(.*?)```", text, re.DOTALL):
        first, _, _ = block.partition("\n")
        path = tmp_path / first.lstrip("# ").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block)
    (script,) = re.findall(r"```bash\n(.*?)```", text, re.DOTALL)
    env = dict(os.environ)
    for name in ("DORA_PACKAGE", "DORA_MAIN_MODULE", "WORLD_SIZE", "RANK", "LOCAL_RANK"):
        env.pop(name, None)
    env["CUDA_VISIBLE_DEVICES"] = ""
    # `dora` runs this interpreter's dora, whatever else is on PATH.
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "dora").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m dora "$@"\n')
    (shim / "dora").chmod(0o755)
    env["PATH"] = os.pathsep.join([str(shim), env.get("PATH", "")])
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("done ") == 2  # dora run, twice
    assert (tmp_path / "outputs" / "grids" / "mygrid" / "f5b313bd").is_symlink()
    assert "Metrics[3]" in proc.stdout

"""`import dora` without hydra-core, and the ImportError that says which extra to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHECK = """
import sys
import dora
assert "hydra" not in sys.modules and "omegaconf" not in sys.modules
assert not hasattr(dora, "hydra")
for statement in ("from dora import hydra_main", "from dora.hydra import hydra_main",
                  "import dora.hydra", "dora.hydra_main"):
    try:
        exec(statement)
    except ImportError as exc:
        assert 'pip install "dora-cli[hydra]"' in str(exc), (statement, str(exc))
        assert "hydra-core" in str(exc)
    else:
        raise AssertionError(statement + " worked without hydra-core")
from dora import argparse_main, Explorer  # the rest still works
print("ok")
"""


def test_without_hydra_core_asking_for_hydra_main_names_the_extra(tmp_path: Path) -> None:
    stub = tmp_path / "stubs" / "hydra"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ImportError(\"No module named 'hydra'\")\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(stub.parent), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "ok"


def test_with_hydra_core_the_names_are_there() -> None:
    code = (
        "import sys, dora\n"
        "assert 'hydra' not in sys.modules\n"
        "from dora import hydra_main\n"
        "from dora.hydra import HydraMain, hydra_main as same\n"
        "assert hydra_main is same and dora.hydra.HydraMain is HydraMain\n"
        "assert 'hydra_main' in dir(dora)\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from dora_shep.runner import main as runner_main

TESTS = Path(__file__).resolve().parent


def payload(tmp_path: Path, argv: list, **extra: Any) -> Path:
    data = {
        "module": "shepproj.train",
        "attribute": "main",
        "import_root": str(TESTS),
        "cwd": str(tmp_path),
        "argv": argv,
        "requeue": True,
    }
    data.update(extra)
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(data))
    return path


def run(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dora_shep.runner", str(path)],
        capture_output=True,
        text=True,
        cwd="/",
    )


def test_runs_the_main_by_import_path(main: Any, tmp_path: Path) -> None:
    done = run(payload(tmp_path, ["--seed=11"]))
    assert done.returncode == 0, done.stderr
    xp = main.get_xp(["--seed=11"])
    seen = json.loads((xp.folder / "started.json").read_text())
    assert seen["cwd"] == str(tmp_path)
    assert (xp.folder / "done.json").exists()


def test_exception_prints_the_traceback_and_exits_1(main: Any, tmp_path: Path) -> None:
    done = run(payload(tmp_path, ['--fail="raise"']))
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "boom from the test job" in done.stderr


def test_sys_exit_code_is_kept(main: Any, tmp_path: Path) -> None:
    assert run(payload(tmp_path, ["--fail=3"])).returncode == 3


def test_bad_payload_is_a_clear_error(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"module": "x"}')
    assert runner_main([str(path)]) == 2
    assert "not a job payload" in capsys.readouterr().err
    assert runner_main([]) == 2

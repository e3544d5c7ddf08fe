"""The test project's main: `--key=value` arguments with JSON values, no argparse.

What the job does is driven by its arguments: sleep, wait for a file, fail, spawn a
grandchild process, and it records what it saw (pid, CUDA_VISIBLE_DEVICES, rank).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any, Dict, List, Sequence

from dora_shep.conf import DoraConfig
from dora_shep.main import MainBase
from dora_shep.xp import XP, get_xp

DEFAULTS: Dict[str, Any] = {
    "seed": 0,
    "sleep": 0.0,
    "fail": 0,
    "spawn": False,
    "wait_file": "",
    "note": "",
}


def parse(argv: Sequence[str]) -> Dict[str, Any]:
    cfg = dict(DEFAULTS)
    for arg in argv:
        if not arg.startswith("--") or "=" not in arg:
            raise SystemExit(f"bad argument {arg!r}")
        key, value = arg[2:].split("=", 1)
        if key not in DEFAULTS:
            raise SystemExit(f"unknown argument {key!r}")
        try:
            cfg[key] = json.loads(value)
        except ValueError:
            cfg[key] = value
    return cfg


class TinyMain(MainBase):
    def get_xp(self, argv: Sequence[str]) -> XP:
        cfg = parse(argv)
        delta = [(key, value) for key, value in cfg.items() if DEFAULTS[key] != value]
        return XP(self.dora, cfg, list(argv), delta=delta)

    def value_to_argv(self, arg: Any) -> List[str]:
        if isinstance(arg, str):
            return [arg]
        if isinstance(arg, dict):
            return [f"--{key}={json.dumps(value)}" for key, value in arg.items()]
        return [item for part in arg for item in self.value_to_argv(part)]


def main() -> None:
    xp = get_xp()
    cfg = xp.cfg
    seen = {
        "pid": os.getpid(),
        "pgid": os.getpgrp(),
        "cvd": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "rank": os.environ.get("RANK"),
        "job_id": os.environ.get("DORA_LOCAL_JOB_ID"),
        "cwd": os.getcwd(),
        "start": time.time(),
    }
    (xp.folder / "started.json").write_text(json.dumps(seen))
    print("job started", json.dumps(seen), flush=True)
    if cfg["spawn"]:
        child = subprocess.Popen(["sleep", "600"])
        (xp.folder / "grandchild.pid").write_text(str(child.pid))
    if cfg["wait_file"]:
        while not os.path.exists(cfg["wait_file"]):
            time.sleep(0.05)
    time.sleep(float(cfg["sleep"]))
    xp.link.push_metrics({"step": 1})
    if cfg["fail"] == "raise":
        raise RuntimeError("boom from the test job")
    if cfg["fail"]:
        sys.exit(int(cfg["fail"]))
    (xp.folder / "done.json").write_text(json.dumps({"end": time.time()}))


main = TinyMain(main, DoraConfig(dir=os.environ.get("SHEP_TEST_DIR", "outputs"), exclude=["note"]))

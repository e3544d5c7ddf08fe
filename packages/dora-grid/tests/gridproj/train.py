"""The test project's main: `--key=value` arguments with JSON values, no argparse.

Each epoch sleeps `sleep` seconds and pushes `{"loss": ...}`; `fail` makes the job
exit 1 at the end. The XP folder comes from the GRID_TEST_DIR environment variable,
which the jobs inherit from the test process.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Dict, List, Sequence

from dora_shep.conf import DoraConfig
from dora_shep.main import MainBase
from dora_shep.xp import XP, get_xp

DEFAULTS: Dict[str, Any] = {"lr": 0.1, "epochs": 2, "sleep": 0.0, "fail": False, "seed": 0}


def parse(argv: Sequence[str]) -> Dict[str, Any]:
    """Parse `--key=value` arguments; an unknown key exits 2 like argparse."""
    cfg = dict(DEFAULTS)
    for arg in argv:
        key, _, value = arg[2:].partition("=")
        if not arg.startswith("--") or key not in DEFAULTS:
            print(f"error: unrecognized argument {arg}", file=sys.stderr)
            raise SystemExit(2)
        cfg[key] = json.loads(value)
    return cfg


class KeyValueMain(MainBase):
    """XPs described by `--key=value` arguments (JSON values)."""

    def get_xp(self, argv: Sequence[str]) -> XP:
        cfg = parse(argv)
        delta = [(key, value) for key, value in cfg.items() if DEFAULTS[key] != value]
        return XP(self.dora, cfg, list(argv), delta=delta)

    def value_to_argv(self, arg: Any) -> List[str]:
        if isinstance(arg, str):
            return [arg]
        if isinstance(arg, dict):
            return [f"--{key}={json.dumps(value)}" for key, value in arg.items()]
        if isinstance(arg, (list, tuple)):
            return [item for part in arg for item in self.value_to_argv(part)]
        raise ValueError(f"cannot turn {arg!r} into argv")


def main() -> None:
    xp = get_xp()
    for epoch in range(xp.cfg["epochs"]):
        time.sleep(float(xp.cfg["sleep"]))
        xp.link.push_metrics({"loss": 1 / (epoch + 1), "epoch_seen": epoch})
        print(f"epoch {epoch}", flush=True)
    if xp.cfg["fail"]:
        raise SystemExit(1)


main = KeyValueMain(main, DoraConfig(dir=os.environ.get("GRID_TEST_DIR", "outputs"), slots=8))

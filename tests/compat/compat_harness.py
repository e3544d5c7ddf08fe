"""The two sides of the compatibility oracle, run as subprocesses, and the comparison."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))

import compat_compare  # noqa: E402

__all__ = ["Run", "evaluate_both"]


class Run:
    """One oracle run: the cases, both implementations' results, and how long each took."""

    def __init__(self, folder: Path, cases: Dict[str, Any], oracle: Dict[str, Any],
                 ours: Dict[str, Any], seconds: Dict[str, float]) -> None:
        self.folder = folder
        self.cases = cases
        self.inputs = compat_compare.case_inputs(cases)
        self.oracle = oracle
        self.ours = ours
        self.seconds = seconds

    def check(self, section: str, names: bool = False) -> None:
        """Fail with a readable diff of the first mismatches of `section`."""
        found = compat_compare.mismatches(section, self.oracle, self.ours, names)
        if not found:
            return
        text = compat_compare.report(section, found, self.inputs, self.oracle, self.ours)
        label = f"{section}{'-names' if names else ''}"
        full = compat_compare.report(section, found, self.inputs, self.oracle, self.ours,
                                     limit=len(found))
        path = self.folder / f"mismatches-{label}.txt"
        path.write_text(full + "\n", encoding="utf8")
        pytest.fail(f"{text}\n(every mismatch: {path})", pytrace=False)


def _launch(python: str, folder: Path, out: Path, shard: int, shards: int) -> subprocess.Popen:
    return subprocess.Popen(
        [python, str(TOOLS / "compat_eval.py"), str(folder), str(out),
         "--shard", f"{shard}/{shards}"],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        stdin=subprocess.DEVNULL)


def evaluate_both(folder: Path, oracle_python: str, our_python: str
                   ) -> Tuple[Dict[str, Any], Dict[str, Any], float]:
    """Run every shard of both sides at once; the oracle (about 0.1 s per Hydra case) is
    split over the CPUs."""
    cpus = os.cpu_count() or 2
    plan = {"oracle": (oracle_python, max(2, min(8, cpus))), "ours": (our_python, 2)}
    procs: Dict[str, List[Tuple[Path, subprocess.Popen]]] = {}
    started = time.perf_counter()
    for side, (python, shards) in plan.items():
        procs[side] = []
        for shard in range(shards):
            out = folder / f"results-{side}-{shard}.json"
            procs[side].append((out, _launch(python, folder, out, shard, shards)))
    results = {}
    for side, running in procs.items():
        for _, proc in running:
            output, _ = proc.communicate(timeout=900)
            if proc.returncode != 0:
                pytest.fail(f"the {side} evaluation ({plan[side][0]}) failed with status "
                            f"{proc.returncode}:\n{output[-4000:]}", pytrace=False)
        results[side] = compat_compare.load_results([out for out, _ in running])
    return results["oracle"], results["ours"], time.perf_counter() - started

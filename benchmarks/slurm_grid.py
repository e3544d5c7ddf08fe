"""Benchmark: a 1,000-XP grid on a real Slurm: sbatch calls to submit it, sacct (and squeue)
calls per refresh.

Submits a grid of N XPs written as job arrays (`with launcher.job_array():`) through
`dora grid --backend slurm`, then redraws its table several times (`--no_monitoring`,
then a few seconds of monitoring), then cancels it with `dora grid -C`. Every Slurm
command dora runs goes through a logging wrapper put first on PATH, so the figures are
counted calls, not estimates: sbatch, sacct, squeue (asked only about jobs sacct does not
show yet, accounting lags) and scancel. The jobs go to a partition this script creates in the
`down` state (and deletes at the end), so none runs and other users of the cluster are
not disturbed: what is measured is dora and the controller, not the jobs.

    eval "$(scripts/slurm/start.sh)"           # as root: a cluster on loopback
    .venv/bin/python benchmarks/slurm_grid.py  # --xps 1000 --arrays 1 --refreshes 5
    .venv/bin/python benchmarks/slurm_grid.py --oracle   # also dora-search 0.1.13

Needs SLURM_CONF pointing to a cluster whose controller answers, and the right to
create a partition there (root, or a Slurm operator).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ORACLE = ROOT / ".oracle" / "bin" / "python"
PARTITION = "dora-bench"
WRAPPED = ("sbatch", "sacct", "squeue", "scancel", "scontrol", "sinfo", "srun")

TRAIN = '''
import argparse
from dora import argparse_main, get_xp

parser = argparse.ArgumentParser("benchproj.train")
parser.add_argument("--seed", type=int, default=0)


@argparse_main(dir="./outputs", parser=parser)
def main():
    get_xp().link.push_metrics({"seed": get_xp().cfg.seed})
'''


def _grid(xps: int, arrays: int, partition: str) -> str:
    per = math.ceil(xps / arrays)
    return (
        "from dora import Explorer\n\n\n@Explorer\ndef explorer(launcher):\n"
        f"    launcher.slurm_(gpus=1, cpus_per_gpu=1, mem_per_gpu=1, time=10, "
        f"partition={partition!r})\n"
        f"    for first in range(0, {xps}, {per}):\n"
        "        with launcher.job_array():\n"
        f"            for seed in range(first, min({xps}, first + {per})):\n"
        "                launcher(seed=seed)\n"
    )


class Calls:
    """A PATH folder of wrappers that log each Slurm command (with the time), then run it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.log = folder / "calls.log"
        folder.mkdir()
        for name in WRAPPED:
            real = shutil.which(name)
            if real is None:
                continue
            script = folder / name
            script.write_text(f'#!/bin/sh\necho "$(date +%s.%N) {name}" >>"{self.log}"\n'
                              f'exec "{real}" "$@"\n')
            script.chmod(0o755)
        self.log.write_text("")

    def take(self) -> List[Tuple[float, str]]:
        """(time, command) of the calls logged since the last take."""
        calls = [(float(when), name) for when, name in
                 (line.split() for line in self.log.read_text().splitlines() if line)]
        self.log.write_text("")
        return calls


def count(calls: List[Tuple[float, str]], name: str) -> int:
    return sum(1 for _, called in calls if called == name)


def _slurm(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


class Run:
    """One implementation of `dora` driven on one throwaway project."""

    def __init__(self, label: str, command: List[str], backend_flag: bool, root: Path,
                 calls: Calls) -> None:
        self.label = label
        self.command = command
        self.backend = ["--backend", "slurm"] if backend_flag else []
        self.root = root
        self.calls = calls
        self.env = dict(os.environ, PATH=f"{calls.folder}:{os.environ['PATH']}",
                        PYTHONUNBUFFERED="1")
        self.env.pop("DORA_PACKAGE", None)

    def grid(self, *flags: str, timeout: float = 900) -> Dict[str, Any]:
        """Runs `dora grid bench FLAGS`; returns its time and the Slurm calls it made."""
        self.calls.take()
        start = time.perf_counter()
        proc = subprocess.run([*self.command, "grid", "bench", *self.backend, *flags],
                              cwd=self.root, env=self.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{self.label}: dora grid {' '.join(flags)} failed:\n"
                               f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        return {"seconds": seconds, "calls": self.calls.take(), "out": proc.stdout + proc.stderr}

    def monitor(self, seconds: float, first_sig: str) -> Dict[str, Any]:
        """`dora grid bench -i 0.01` for `seconds`: when each table was drawn, Slurm calls."""
        self.calls.take()
        tables: List[float] = []
        proc = subprocess.Popen([*self.command, "grid", "bench", *self.backend, "-i", "0.01"],
                                cwd=self.root, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if first_sig in line:
                    tables.append(time.time())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(seconds)
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(5)
        return {"tables": tables, "calls": self.calls.take()}

    def job_ids(self) -> List[str]:
        ids = set()
        for path in (self.root / "outputs" / "xps").glob("*/job.json"):
            ids.add(str(json.loads(path.read_text())["job_id"]).split("_")[0])
        return sorted(ids)


def bench(run: Run, xps: int, arrays: int, refreshes: int, monitor_s: float,
          partition: str) -> None:
    package = run.root / "benchproj"
    (package / "grids").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "train.py").write_text(TRAIN.lstrip())
    (package / "grids" / "__init__.py").write_text("")
    (package / "grids" / "bench.py").write_text(_grid(xps, arrays, partition))

    print(f"\n== {run.label}: {xps} XPs in {arrays} job array(s)")
    try:
        submit = run.grid("--no_monitoring")
        queued = len(_slurm("squeue", "-h", "-r", "-p", partition, "-o", "%i").split())
        made = submit["calls"]
        print(f"submit + first table   {submit['seconds']:7.2f} s   sbatch calls "
              f"{count(made, 'sbatch'):4d}   sacct calls {count(made, 'sacct'):3d}   "
              f"squeue calls {count(made, 'squeue'):3d}   jobs in squeue {queued}")

        times, sbatch, sacct, squeue = [], [], [], []
        for _ in range(refreshes):
            again = run.grid("--no_monitoring")
            times.append(again["seconds"])
            sbatch.append(count(again["calls"], "sbatch"))
            sacct.append(count(again["calls"], "sacct"))
            squeue.append(count(again["calls"], "squeue"))
        if refreshes:
            print(f"table again (x{refreshes})     {min(times):7.2f} s min, "
                  f"{sum(times) / len(times):.2f} s mean   sbatch calls {sbatch}   "
                  f"sacct calls {sacct}   squeue calls {squeue}")

        sigs = sorted(p.name for p in (run.root / "outputs" / "grids" / "bench").iterdir())
        if monitor_s > 0 and sigs:
            seen = run.monitor(monitor_s, sigs[0])
            tables: List[float] = seen["tables"]
            calls: List[Tuple[float, str]] = seen["calls"]
            if len(tables) >= 2:
                # Calls between the first and the last table: the refreshes alone.
                between = [c for c in calls if tables[0] < c[0] <= tables[-1]]
                before = [c for c in calls if c[0] <= tables[0]]
                refreshes = len(tables) - 1
                print(f"monitoring -i 0.01      {refreshes} refreshes: "
                      f"{count(between, 'sacct') / refreshes:.2f} sacct and "
                      f"{count(between, 'squeue') / refreshes:.2f} squeue call per refresh "
                      f"({count(between, 'sacct')} and {count(between, 'squeue')} in all; "
                      f"{count(before, 'sacct')} and {count(before, 'squeue')} before the "
                      f"first table); sbatch calls {count(calls, 'sbatch')}")
            else:
                print(f"monitoring -i 0.01      fewer than 2 tables in {monitor_s:.0f} s")

        cancel = run.grid("-C", "--no_monitoring")
        print(f"cancel (grid -C)       {cancel['seconds']:7.2f} s   scancel calls "
              f"{count(cancel['calls'], 'scancel'):4d}   sacct calls "
              f"{count(cancel['calls'], 'sacct'):3d}   squeue calls "
              f"{count(cancel['calls'], 'squeue'):3d}")
    finally:
        ids = run.job_ids()
        if ids:
            subprocess.run(["scancel", *ids], capture_output=True, check=False)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xps", type=int, default=1000, help="XPs in the grid")
    parser.add_argument("--arrays", type=int, default=1, help="job arrays they are split in")
    parser.add_argument("--refreshes", type=int, default=5,
                        help="`dora grid --no_monitoring` runs after the submission")
    parser.add_argument("--monitor", type=float, default=10.0,
                        help="seconds of monitoring with a 0.6 s refresh (0: none)")
    parser.add_argument("--oracle", nargs="?", const=str(DEFAULT_ORACLE),
                        help="also run dora-search 0.1.13 with this python "
                        "(default: .oracle/bin/python, see tools/oracle_venv.sh)")
    args = parser.parse_args(argv)

    if not os.environ.get("SLURM_CONF") or shutil.which("scontrol") is None:
        print("No Slurm here: set SLURM_CONF (eval \"$(scripts/slurm/start.sh)\" as root).")
        return 1
    if "UP" not in subprocess.run(["scontrol", "ping"], capture_output=True,
                                  text=True).stdout:
        print(f"No Slurm controller answers for SLURM_CONF={os.environ['SLURM_CONF']}.")
        return 1
    partition = PARTITION

    runs = [("dora", [sys.executable, "-m", "dora"], True)]
    if args.oracle:
        if not Path(args.oracle).exists():
            print(f"No oracle interpreter at {args.oracle}: run tools/oracle_venv.sh.")
            return 1
        runs.append(("dora-search 0.1.13", [args.oracle, "-m", "dora"], False))

    print(f"Slurm {_slurm('sinfo', '-V').strip()}; jobs go to partition {partition}, "
          "created down for this run, so none starts.")
    subprocess.run(["scontrol", "delete", f"PartitionName={partition}"],
                   capture_output=True, check=False)  # left by an interrupted run
    _slurm("scontrol", "create", f"PartitionName={partition}", "Nodes=ALL", "State=DOWN",
           "MaxTime=INFINITE")
    try:
        for label, command, backend_flag in runs:
            with tempfile.TemporaryDirectory(prefix="slurm_grid.") as tmp:
                calls = Calls(Path(tmp) / "bin")
                root = Path(tmp) / "proj"
                root.mkdir()
                bench(Run(label, command, backend_flag, root, calls), args.xps,
                      args.arrays, args.refreshes, args.monitor, partition)
    finally:
        _slurm("scontrol", "delete", f"PartitionName={partition}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

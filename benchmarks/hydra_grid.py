"""Benchmark: evaluating a Hydra grid with `dora grid NAME --dry_run --no_monitoring`.

Builds a throwaway Hydra project in a temp folder (three config groups, one of them
nested, and about 30 keys), writes grids of N XPs that mix group choices and value
overrides, and times the whole command as a subprocess (interpreter start, imports,
composition, signatures, table), once per size:

- ours (this interpreter, which must import our `dora` and hydra-core) at every size;
- the reference (dora-search 0.1.13) at the sizes given by `--compare`, in the same run,
  with the ratio. Its interpreter: `--oracle-python PATH`, else `$ORACLE_VENV/bin/python`,
  else the first of `.oracle/` (tools/oracle_venv.sh) and `.nox/compat-oracle/` (the
  nox compat-oracle session) that exists.

Each side works in its own copy of the project. Both tables must list the same
signatures, in the same order: the benchmark checks it and says so.

    .venv/bin/python benchmarks/hydra_grid.py                     # about 2 minutes
    .venv/bin/python benchmarks/hydra_grid.py --no-oracle         # ours alone, seconds
    .venv/bin/python benchmarks/hydra_grid.py --alone 100 1000 4000 10000 --compare 100
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
ORACLE_VENVS = (ROOT / ".oracle", ROOT / ".nox" / "compat-oracle")


def default_oracle_python() -> Path:
    """The reference's interpreter: $ORACLE_VENV, else the first oracle venv found."""
    if os.environ.get("ORACLE_VENV"):
        return Path(os.environ["ORACLE_VENV"]) / "bin" / "python"
    for venv in ORACLE_VENVS:
        if (venv / "bin" / "python").exists():
            return venv / "bin" / "python"
    return ORACLE_VENVS[0] / "bin" / "python"


CONFIG = """\
defaults:
  - _self_
  - model: small
  - optim: adam
  - data/aug: none

epochs: 40
batch_size: 64
seed: 42
num_workers: 10
dropout: 0.0
label_smoothing: 0.1
grad_clip: 5.0
amp: true
name: "baseline \u00e9t\u00e9"
tags: [vision, small]
dataset:
  name: cifar10
  root: /data/cifar
  classes: 10
  size: 32
  mean: [0.49, 0.48, 0.45]
schedule:
  kind: cosine
  warmup: 500
  min_lr: 1.0e-06
log:
  every: 100
  wandb: false
  project: bench
checkpoint:
  every: 1
  keep: 3
dora:
  dir: outputs
  exclude: [num_workers, "log.*"]
slurm:
  gpus: 1
  partition: learnlab
"""

GROUP_FILES = {
    "model/small.yaml": "depth: 4\nwidth: 128\nact: relu\n",
    "model/big.yaml": "depth: 8\nwidth: 512\nact: gelu\n",
    "model/deep.yaml": "depth: 24\nwidth: 256\nact: gelu\nnorm: layer\n",
    "optim/adam.yaml": "name: adam\nlr: 0.001\nbetas: [0.9, 0.999]\nwd: 0.0\n",
    "optim/sgd.yaml": "name: sgd\nlr: 0.1\nmomentum: 0.9\nwd: 0.0005\n",
    "data/aug/none.yaml": "enabled: false\n",
    "data/aug/flip.yaml": "enabled: true\np: 0.5\n",
}

TRAIN = """\
from dora import hydra_main


@hydra_main(config_path="conf", config_name="config", version_base=None)
def main(cfg):
    return cfg
"""

GRID = """\
\"\"\"{n} XPs: three config groups (one nested) and value overrides, mixed.\"\"\"
from dora import Explorer

MODELS = ["small", "big", "deep"]
OPTIMS = ["adam", "sgd"]
AUGS = ["none", "flip"]


@Explorer
def explorer(launcher):
    for k in range({n}):
        launcher({{
            "model": MODELS[k % 3],
            "optim": OPTIMS[(k // 3) % 2],
            "data/aug": AUGS[(k // 6) % 2],
            "optim.lr": 1e-4 * (1 + k // 12),
            "epochs": 40.0 if k % 4 == 0 else 10 + k % 4,
            "dropout": [0.0, 0.1, 0.2][k % 3],
            "dataset.size": [32, 64][(k // 2) % 2],
        }})
"""

SIG = re.compile(r"\b([0-9a-f]{8})\b")


def make_project(folder: Path, sizes: Sequence[int]) -> Path:
    """The benchmark project under `folder`; returns the folder to run `dora` from."""
    package = folder / "bench_hydra"
    for relative, text in {"config.yaml": CONFIG, **GROUP_FILES}.items():
        path = package / "conf" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf8")
    (package / "__init__.py").write_text("")
    (package / "train.py").write_text(TRAIN)
    (package / "grids").mkdir()
    (package / "grids" / "__init__.py").write_text("")
    for n in sizes:
        (package / "grids" / f"grid_{n}.py").write_text(GRID.format(n=n))
    return folder


def signatures(output: str) -> List[str]:
    """The signature of every row of a grid table, in order (ANSI colours removed)."""
    sigs = []
    for line in output.splitlines():
        match = SIG.search(re.sub(r"\x1b\[[0-9;]*m", "", line))
        if match:
            sigs.append(match.group(1))
    return sigs


class Timing(NamedTuple):
    wall: float  # seconds
    cpu: float  # user + system seconds of the command and its children
    sigs: List[str]


def run_grid(python: str, project: Path, n: int) -> Timing:
    """Time `dora grid grid_N --dry_run --no_monitoring` and read its signatures."""
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("PYTHONPATH", None)
    command = [python, "-m", "dora", "-P", "bench_hydra", "grid", f"grid_{n}", "--dry_run",
               "--no_monitoring"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=3600)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}) in {project}:\n"
                 f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu, signatures(proc.stdout))


def cpu_model() -> str:
    """The CPU's model name (Linux), else the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def hydra_version() -> str:
    try:
        from importlib.metadata import version

        return version("hydra-core")
    except Exception:  # not installed here: the run fails later with its own message
        return "not installed"


def warm_up(python: str, project: Path) -> None:
    """One small run first, so that both sides start with compiled bytecode on disk."""
    subprocess.run([python, "-m", "dora", "-P", "bench_hydra", "grid", "grid_1", "--dry_run",
                    "--no_monitoring"], cwd=project, capture_output=True,
                   stdin=subprocess.DEVNULL, timeout=600)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alone", type=int, nargs="*", default=[100, 1000, 4000],
                        help="sizes timed for ours")
    parser.add_argument("--compare", type=int, nargs="*", default=[100, 1000],
                        help="sizes also timed for dora-search")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of ours per size, the fastest is shown (dora-search: one)")
    parser.add_argument("--no-oracle", action="store_true", help="time ours alone")
    parser.add_argument("--oracle-python", default=None,
                        help="the reference's interpreter (default: $ORACLE_VENV/bin/python, "
                             "else .oracle/ or .nox/compat-oracle/)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    compare = [] if args.no_oracle else list(args.compare)
    if args.oracle_python is None:
        args.oracle_python = str(default_oracle_python())
    if compare and not Path(args.oracle_python).exists():
        sys.exit(f"no reference interpreter at {args.oracle_python}: run tools/oracle_venv.sh, "
                 "set ORACLE_VENV or --oracle-python, or pass --no-oracle")
    sizes = sorted({1, *args.alone, *compare})
    folder = Path(tempfile.mkdtemp(prefix="dora-bench-hydra-"))
    try:
        ours = make_project(folder / "ours", sizes)
        reference = make_project(folder / "reference", sizes)
        warm_up(sys.executable, ours)
        if compare:
            warm_up(args.oracle_python, reference)
        results: Dict[int, Dict[str, Timing]] = {}
        print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python "
              f"{platform.python_version()}, hydra-core {hydra_version()}")
        fixed = min((run_grid(sys.executable, ours, 1) for _ in range(args.repeat)),
                    key=lambda timing: timing.wall)
        print(f"ours with 1 XP (start-up, imports, one composition): {fixed.wall:.2f} s, "
              f"CPU {fixed.cpu:.2f} s; load average before the run: {os.getloadavg()[0]:.1f}")
        print(f"{'XPs':>6} | {'ours s':>7} {'CPU s':>6} {'ms/XP':>6} | {'dora-search s':>13} "
              f"{'CPU s':>6} {'ms/XP':>6} | {'ratio':>6} {'CPU':>6} | same sigs")
        for n in sorted({*args.alone, *compare}):
            row = results.setdefault(n, {})
            row["ours"] = min((run_grid(sys.executable, ours, n) for _ in range(args.repeat)),
                              key=lambda timing: timing.wall)
            if n in compare:
                row["reference"] = run_grid(args.oracle_python, reference, n)
            mine = row["ours"]
            line = f"{n:>6} | {mine.wall:>7.2f} {mine.cpu:>6.2f} {1000 * mine.wall / n:>6.2f} |"
            if "reference" in row:
                ref = row["reference"]
                same = "yes" if mine.sigs == ref.sigs and len(mine.sigs) == n else (
                    f"NO ({len(mine.sigs)} vs {len(ref.sigs)} rows, "
                    f"{len(set(mine.sigs) ^ set(ref.sigs))} differ)")
                line += (f" {ref.wall:>13.2f} {ref.cpu:>6.1f} {1000 * ref.wall / n:>6.1f} |"
                         f" {ref.wall / mine.wall:>5.1f}x {ref.cpu / mine.cpu:>5.1f}x | {same}")
            else:
                line += f" {'':>13} {'':>6} {'':>6} | {'':>6} {'':>6} |"
                if len(mine.sigs) != n:
                    line += f" ({len(mine.sigs)} rows listed, {n} expected)"
            print(line, flush=True)
        mismatched = [n for n, row in results.items() if "reference" in row
                      and row["ours"].sigs != row["reference"].sigs]
        if mismatched:
            print(f"signatures differ from dora-search for N = {mismatched}")
            return 1
        return 0
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

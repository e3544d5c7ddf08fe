"""Benchmark: metric pushes through `Link.push_metrics`, dora vs dora-search 0.1.13.

dora-search rewrites the whole history.json on every push (quadratic in the number of
pushes); dora appends one line (linear). Each measurement runs in a fresh process and a
fresh folder, times only the push loop, then checks the file holds every record.

    tools/oracle_venv.sh                      # once: the reference in .oracle/
    .venv/bin/python benchmarks/link_push.py  # add --no-oracle to time dora alone

The side-by-side sizes need the oracle interpreter: `--oracle PYTHON`, else
`$ORACLE_VENV/bin/python` (the variable tools/oracle_venv.sh and the compat session
honour), else `.oracle/bin/python`; without one they are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parent.parent


def default_oracle() -> Path:
    """The reference's interpreter: `$ORACLE_VENV/bin/python`, else `.oracle/bin/python`."""
    venv = os.environ.get("ORACLE_VENV")
    return (Path(venv) if venv else ROOT / ".oracle") / "bin" / "python"


# Runs in a child interpreter: argv = implementation, pushes, folder.
_CHILD = r"""
import json, sys, time
from pathlib import Path

impl, count, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
if impl == "dora":
    from dora_link import Link
    link = Link(folder / "history.json", is_writer=True)
else:
    from dora.link import Link
    import dora.distrib  # imported by its first push: keep torch's import out of the timing
    link = Link(folder / "history.json")
metrics = {"epoch": 0, "train": {"loss": 0.25, "acc": 0.9},
           "valid": {"loss": 0.5, "acc": 0.8, "per_class": [0.1, 0.2, 0.3]}}
start = time.perf_counter()
for epoch in range(count):
    metrics["epoch"] = epoch
    link.push_metrics(metrics)
seconds = time.perf_counter() - start
with open(folder / "history.json") as handle:
    assert len(json.load(handle)) == count
print(json.dumps({"seconds": seconds}))
"""


def run(python: str, impl: str, count: int) -> float:
    """Time `count` pushes of `impl` ("dora" or "dora-search") under `python`."""
    with tempfile.TemporaryDirectory(prefix="link_push.") as folder:
        done = subprocess.run([python, "-c", _CHILD, impl, str(count), folder],
                              capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{impl} with {python} failed:\n{done.stderr}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def _row(cells: List[str]) -> str:
    return "  ".join(cell.rjust(width) for cell, width in zip(cells, (8, 20, 12, 10, 10)))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", "--oracle-python", default=str(default_oracle()),
                        metavar="PYTHON",
                        help="python of the dora-search 0.1.13 venv (default: "
                        "$ORACLE_VENV/bin/python, else .oracle/bin/python; see "
                        "tools/oracle_venv.sh)")
    parser.add_argument("--no-oracle", action="store_true", help="time dora alone")
    parser.add_argument("--compare", type=int, nargs="*", default=[1000, 4000],
                        help="push counts timed side by side")
    parser.add_argument("--alone", type=int, nargs="*", default=[10_000, 100_000],
                        help="push counts timed for dora alone")
    args = parser.parse_args(argv)

    oracle: Optional[str] = None if args.no_oracle else args.oracle
    if oracle is not None and not Path(oracle).exists():
        print(f"No oracle interpreter at {oracle}: run tools/oracle_venv.sh first. "
              "Timing dora alone.\n")
        oracle = None

    print(_row(["pushes", "dora-search 0.1.13", "dora", "speed-up", "us/push"]))
    print(_row(["-" * 6, "-" * 18, "-" * 10, "-" * 8, "-" * 7]))
    for count in args.compare + args.alone:
        ours = run(sys.executable, "dora", count)
        theirs: Optional[float] = None
        if oracle is not None and count in args.compare:
            theirs = run(oracle, "dora-search", count)
        print(_row([
            f"{count:,}",
            "-" if theirs is None else f"{theirs:.3f} s",
            f"{ours:.3f} s",
            "-" if theirs is None else f"{theirs / ours:.0f}x",
            f"{ours / count * 1e6:.1f}",
        ]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

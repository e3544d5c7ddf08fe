"""Generate the compatibility oracle's cases: Hydra projects and argv, argparse parsers and argv.

The cases are plain data, written as one JSON file (`cases.json`) plus one small Hydra
project per generated config tree (a package `pNNN/` holding `train.py` and `conf/`).
The same files are then evaluated by tools/compat_eval.py twice: once by the oracle
interpreter (dora-search 0.1.13) and once by ours, and tests/compat/ compares the two
results case by case.

Everything is drawn from one `random.Random(seed)`, so a seed gives the same cases on any
machine. Python values that JSON cannot hold (tuples, NaN, dicts with non-string keys,
objects that value_to_argv must refuse) are written with the tagged encoding of
tools/compat_values.py; the evaluator decodes them back into the exact Python values.

Usage: python tools/compat_cases.py OUT_DIR [--seed N] (stdlib only; any Python >= 3.9).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))

import compat_argparse_cases
import compat_hydra_cases
from compat_values import encode

SEED = 20250613
FORMAT = 1


def generate(
    seed: int = SEED,
    hydra_projects: int = 36,
    hydra_cases: int = 28,
    parsers: int = 50,
    argparse_cases: int = 24,
) -> Dict[str, Any]:
    """Every case of one oracle run, as encoded (JSON-ready) data.

    Args:
        seed: the seed of the one random generator everything is drawn from.
        hydra_projects: generated Hydra config trees.
        hydra_cases: argv cases per Hydra project (plus launcher-value cases).
        parsers: generated argparse parsers.
        argparse_cases: argv cases per parser (plus launcher-value cases).

    Returns:
        A mapping with `hydra` (projects and their cases) and `argparse` (parsers and
        their cases), every Python value encoded with `encode`.
    """
    rng = random.Random(seed)
    hydra = compat_hydra_cases.generate(rng, hydra_projects, hydra_cases)
    argparse_part = compat_argparse_cases.generate(rng, parsers, argparse_cases)
    return encode({"format": FORMAT, "seed": seed, "hydra": hydra, "argparse": argparse_part})


def counts(cases: Dict[str, Any]) -> Dict[str, int]:
    """How many cases of each kind `cases` holds."""
    hydra, argp = cases["hydra"], cases["argparse"]
    return {
        "hydra_argv": sum(len(p["cases"]) for p in hydra["projects"]),
        "hydra_launcher": sum(len(p["launcher"]) for p in hydra["projects"]),
        "hydra_render": len(hydra["render"]),
        "argparse_argv": sum(len(p["cases"]) for p in argp["parsers"]),
        "argparse_launcher": sum(len(p["launcher"]) for p in argp["parsers"]),
        "argparse_render": len(argp["render"]),
    }


def write(cases: Dict[str, Any], folder: Path) -> Path:
    """Write `cases.json` and every Hydra project under `folder`; return the JSON path."""
    folder.mkdir(parents=True, exist_ok=True)
    for project in cases["hydra"]["projects"]:
        package = folder / project["name"]
        for relative, text in project["files"].items():
            path = package / "conf" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf8")
        (package / "__init__.py").write_text("", encoding="utf8")
        (package / "train.py").write_text(project["module"], encoding="utf8")
    path = folder / "cases.json"
    path.write_text(json.dumps(cases, ensure_ascii=False, indent=0), encoding="utf8")
    return path


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    cases = generate(args.seed)
    path = write(cases, args.out)
    print(f"wrote {path}: {counts(cases)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

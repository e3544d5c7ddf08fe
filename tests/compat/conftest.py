"""The compatibility oracle: the same generated cases evaluated by dora-search and by us.

`DORA_COMPAT_ORACLE` names the interpreter of an environment holding dora-search 0.1.13
and hydra-core (the `compat` nox session creates one and sets it). Without it every test
here is skipped, saying so; with it, nothing is skipped: a broken oracle fails. Our side
is this interpreter (or `DORA_COMPAT_OURS`). `DORA_COMPAT_REPORT`, when set, is a folder
that receives the cases, both raw results and the full list of mismatches.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import List

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"
sys.path.insert(0, str(TOOLS))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import compat_cases  # noqa: E402
from compat_harness import Run, evaluate_both  # noqa: E402

ORACLE_VARIABLE = "DORA_COMPAT_ORACLE"


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.compat)
            if not os.environ.get(ORACLE_VARIABLE):
                item.add_marker(pytest.mark.skip(reason=(
                    f"compatibility oracle: {ORACLE_VARIABLE} is not set; run `nox -s compat` "
                    "(it installs dora-search 0.1.13 in its own environment and sets it)")))


@pytest.fixture(scope="session")
def compat_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    oracle_python = os.environ[ORACLE_VARIABLE]
    if not Path(oracle_python).exists():
        pytest.fail(f"{ORACLE_VARIABLE}={oracle_python}: no such interpreter", pytrace=False)
    our_python = os.environ.get("DORA_COMPAT_OURS", sys.executable)
    report = os.environ.get("DORA_COMPAT_REPORT")
    folder = Path(report).resolve() if report else tmp_path_factory.mktemp("compat")
    if report and folder.exists():
        shutil.rmtree(folder)
    cases = compat_cases.generate()
    compat_cases.write(cases, folder)
    oracle, ours, wall = evaluate_both(folder, oracle_python, our_python)
    counts = compat_cases.counts(cases)
    seconds = {"wall": wall, "oracle_cpu": sum(oracle["times"].values()),
               "ours_cpu": sum(ours["times"].values())}
    print(f"\ncompat: {counts}; {wall:.1f} s in all; evaluation time: oracle "
          f"({oracle['impl']}) {seconds['oracle_cpu']:.1f} s, ours ({ours['impl']}) "
          f"{seconds['ours_cpu']:.1f} s; files in {folder}")
    (folder / "summary.json").write_text(json.dumps(
        {"counts": counts, "seconds": seconds, "oracle_times": oracle["times"],
         "our_times": ours["times"]}, indent=1))
    return Run(folder, cases, oracle, ours, seconds)

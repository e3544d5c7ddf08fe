"""Compare two outputs of tools/compat_eval.py (the oracle's and ours), case by case.

Used by tests/compat/ and on its own, to read a run again:

    python tools/compat_compare.py CASES_DIR ORACLE.json OURS.json [--limit N]

A case matches when both sides refuse it (an exception, whatever its type: the wording
is each implementation's own), or when both accept it with the same signature (and, for
launcher values, the same argv). Short names are compared separately (`names=True`),
so that a naming difference never hides behind a signature difference or the other way.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compat_values import decode

SECTIONS = ("hydra_argv", "hydra_launcher", "hydra_render", "argparse_argv",
            "argparse_launcher", "argparse_render")
Result = Dict[str, Any]


def load_results(paths: List[Path]) -> Dict[str, Any]:
    """Merge the shard files of one implementation into one result."""
    merged: Dict[str, Any] = {section: {} for section in SECTIONS}
    merged["times"] = {}
    for path in paths:
        data = json.loads(path.read_text(encoding="utf8"))
        merged["impl"] = data["impl"]
        for section in SECTIONS:
            merged[section].update(data[section])
        for key, value in data["times"].items():
            merged["times"][key] = merged["times"].get(key, 0.0) + value
    return merged


def case_inputs(cases: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """What went in, per section and case id: the argv or the Python launcher value."""
    out: Dict[str, Dict[str, Any]] = {section: {} for section in SECTIONS}
    hydra, argp = cases["hydra"], cases["argparse"]
    for project in hydra["projects"]:
        name = project["name"]
        for number, argv in enumerate(project["cases"]):
            out["hydra_argv"][f"{name}/{number}"] = argv
        for number, value in enumerate(project["launcher"]):
            out["hydra_launcher"][f"{name}/L{number}"] = value
    for number, value in enumerate(hydra["render"]):
        out["hydra_render"][f"{hydra['render_project']}/R{number}"] = value
    for parser in argp["parsers"]:
        name = parser["name"]
        for number, argv in enumerate(parser["cases"]):
            out["argparse_argv"][f"{name}/{number}"] = argv
        for number, value in enumerate(parser["launcher"]):
            out["argparse_launcher"][f"{name}/L{number}"] = value
    first = argp["parsers"][0]["name"]
    for number, value in enumerate(argp["render"]):
        out["argparse_render"][f"{first}/R{number}"] = value
    return out


def _failed(result: Result) -> bool:
    return "error" in result or "render_error" in result


def differs(section: str, oracle: Optional[Result], ours: Optional[Result],
            names: bool = False) -> Optional[str]:
    """Why the two results of one case differ, or None when they agree."""
    if oracle is None or ours is None:
        return "missing on the oracle side" if oracle is None else "missing on our side"
    if section.endswith(("_launcher", "_render")):
        if ("render_error" in oracle) != ("render_error" in ours):
            return "value_to_argv refused on one side only"
        if oracle.get("argv") != ours.get("argv"):
            return "value_to_argv renders differently"
        if section.endswith("_render"):
            return None
    if ("error" in oracle) != ("error" in ours):
        return "refused on one side only"
    if "error" in oracle or "render_error" in oracle:
        return None
    if names:
        return None if oracle.get("name") == ours.get("name") else "short names differ"
    return None if oracle["sig"] == ours["sig"] else "signatures differ"


def mismatches(section: str, oracle: Dict[str, Any], ours: Dict[str, Any],
               names: bool = False) -> List[Tuple[str, str]]:
    """(case id, reason) of every case of `section` where the two sides differ."""
    out = []
    for key in oracle[section]:
        reason = differs(section, oracle[section].get(key), ours[section].get(key), names)
        if reason:
            out.append((key, reason))
    return out


def _side(result: Optional[Result]) -> str:
    if result is None:
        return "(no result)"
    parts = []
    if "argv" in result:
        parts.append(f"argv {json.dumps(result['argv'], ensure_ascii=False)}")
    if "render_error" in result:
        parts.append(f"value_to_argv raised {result['render_error']}")
    elif "error" in result:
        parts.append(f"raised {result['error']}")
    elif "sig" in result:
        parts.append(f"sig {result['sig']}  name {result.get('name')!r}")
        parts.append(f"delta {json.dumps(result['delta'], ensure_ascii=False)}")
    return "\n             ".join(parts)


def describe(section: str, key: str, reason: str, inputs: Dict[str, Dict[str, Any]],
             oracle: Dict[str, Any], ours: Dict[str, Any]) -> str:
    """A readable account of one mismatch: the input, then each side's answer."""
    given = inputs[section].get(key)
    if section.endswith("_argv"):
        shown = json.dumps(given, ensure_ascii=False)
    else:
        shown = repr(decode(given))
    return (
        f"[{section} {key}] {reason}\n"
        f"  input:     {shown}\n"
        f"  oracle:    {_side(oracle[section].get(key))}\n"
        f"  ours:      {_side(ours[section].get(key))}"
    )


def report(section: str, found: List[Tuple[str, str]], inputs: Dict[str, Dict[str, Any]],
           oracle: Dict[str, Any], ours: Dict[str, Any], limit: int = 12) -> str:
    total = len(oracle[section])
    lines = [f"{section}: {len(found)} of {total} cases differ from {oracle.get('impl')} "
             f"(ours: {ours.get('impl')}); the first {min(limit, len(found))}:"]
    lines += [describe(section, key, reason, inputs, oracle, ours)
              for key, reason in found[:limit]]
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=Path, help="the folder written by compat_cases.py")
    parser.add_argument("oracle", type=Path, nargs="+",
                        help="oracle shard files, then `--ours` and our shard files")
    parser.add_argument("--ours", type=Path, nargs="+", required=True)
    parser.add_argument("--limit", type=int, default=12)
    args = parser.parse_args(argv)
    inputs = case_inputs(json.loads((args.cases / "cases.json").read_text(encoding="utf8")))
    oracle, ours = load_results(args.oracle), load_results(args.ours)
    status = 0
    for section in SECTIONS:
        for names in (False,) if section.endswith("_render") else (False, True):
            found = mismatches(section, oracle, ours, names)
            label = f"{section} (short names)" if names else section
            if found:
                status = 1
                print(report(section, found, inputs, oracle, ours, args.limit), end="\n\n")
            else:
                print(f"{label}: all {len(oracle[section])} cases agree")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

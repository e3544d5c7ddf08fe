"""Evaluate the compatibility oracle's cases with whichever `dora` this interpreter imports.

Run once by the oracle interpreter (dora-search 0.1.13) and once by ours, on the same
folder written by tools/compat_cases.py; tests/compat/ compares the two outputs. Only
the public API both implementations share is used: `dora.hydra_main`,
`dora.argparse_main`, `main.get_xp(argv)` (`.sig`, `.delta`), `main.get_name(xp)` and
`main.value_to_argv(value)`. An exception is part of the result (its type and first
line): both sides must refuse the same cases.

Usage: python tools/compat_eval.py CASES_DIR OUT.json [--shard I/N]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compat_values import decode

TYPES: Dict[str, Callable[[str], Any]] = {"int": int, "float": float, "str": str, "bool": bool}
Result = Dict[str, Any]


def implementation() -> str:
    """Which `dora` this is: the distribution that provides it and its version."""
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("dora-search", "dora-cli"):
        try:
            return f"{dist} {version(dist)}"
        except PackageNotFoundError:
            continue
    return "unknown"


def plain(value: Any) -> Any:
    """Deltas as JSON data (OmegaConf containers as containers, unresolved)."""
    if type(value).__name__ in ("DictConfig", "ListConfig"):
        from omegaconf import OmegaConf

        return plain(OmegaConf.to_container(value))
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def error(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]


@contextlib.contextmanager
def quiet():
    """argparse and Hydra print to stderr on errors; the result already says it."""
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def forget_failed_walk() -> None:
    """Give the next case the state of a fresh process, as after a failed `dora` command.

    dora-search 0.1.13's Hydra diff keeps its current path in a mutable default argument
    (`path=[]`) that stays polluted when a walk raises (dora-behaviour.md 11.4): every
    later delta of the process would carry a stray prefix (`flag.optim.lr`). In real use
    the error ends the process; here the next case must not inherit it. A no-op for ours.
    """
    walk = getattr(sys.modules.get("dora.hydra"), "_compare_config", None)
    for default in getattr(walk, "__defaults__", None) or ():
        if isinstance(default, list):
            default.clear()


def fast_hits(main: Any) -> Optional[int]:
    """How many argvs our Hydra fast path has answered so far (None: not our HydraMain).

    Ours composes once per combination of group choices and applies value overrides
    without recomposing; anything else takes the reference's algorithm. Recording which
    path answered each case shows that the oracle goes through the fast one.
    """
    if not hasattr(main, "_fast"):
        return None
    return getattr(main._fast, "hits", 0)  # `_fast` is None until used; always, when slow


def xp_result(main: Any, argv: List[str]) -> Result:
    hits = fast_hits(main)
    try:
        with quiet():
            xp = main.get_xp(argv)
            out: Result = {"sig": xp.sig, "delta": [[k, plain(v)] for k, v in xp.delta]}
    except (Exception, SystemExit) as exc:
        forget_failed_walk()
        return {"error": error(exc)}
    after = fast_hits(main)
    if hits is not None and after is not None:
        out["path"] = "fast" if after > hits else "slow"
    try:
        with quiet():
            out["name"] = main.get_name(xp)
    except Exception as exc:
        out["name"] = f"<{error(exc)}>"
    return out


def launcher_result(main: Any, value: Any) -> Result:
    try:
        with quiet():
            argv = list(main.value_to_argv(value))
    except Exception as exc:
        return {"render_error": error(exc)}
    return {"argv": argv, **xp_result(main, argv)}


def render_result(main: Any, value: Any) -> Result:
    try:
        with quiet():
            return {"argv": list(main.value_to_argv(value))}
    except Exception as exc:
        return {"render_error": error(exc)}


def load_hydra_main(folder: Path, name: str) -> Any:
    with quiet():
        return importlib.import_module(f"{name}.train").main


def build_parser(spec: Dict[str, Any]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=spec["name"], add_help=False)
    for option in spec["args"]:
        kwargs = dict(option["kwargs"])
        if "type" in kwargs:
            kwargs["type"] = TYPES[kwargs["type"]]
        parser.add_argument(*option["flags"], **kwargs)
    parser.set_defaults(**spec["defaults"])
    return parser


def load_argparse_main(folder: Path, spec: Dict[str, Any]) -> Any:
    from dora import argparse_main

    decorate = argparse_main(build_parser(spec), dir=folder / "outputs",
                             exclude=list(spec["exclude"]),
                             use_underscore=spec["use_underscore"])

    def main() -> None:
        return None

    main.__module__ = "compat_argparse"
    return decorate(main)


def evaluate(folder: Path, shard: int = 0, shards: int = 1) -> Dict[str, Any]:
    cases = decode(json.loads((folder / "cases.json").read_text(encoding="utf8")))
    sys.path.insert(0, str(folder))
    out: Dict[str, Any] = {"impl": implementation(), "shard": [shard, shards], "times": {}}
    for section in ("hydra_argv", "hydra_launcher", "hydra_render", "argparse_argv",
                    "argparse_launcher", "argparse_render"):
        out[section] = {}

    def timed(section: str, started: float) -> None:
        out["times"][section] = out["times"].get(section, 0.0) + time.process_time() - started

    hydra = cases["hydra"]
    for index, project in enumerate(hydra["projects"]):
        renders = project["name"] == hydra["render_project"] and shard == 0
        if index % shards != shard and not renders:
            continue
        started = time.process_time()
        main: Optional[Any]
        try:
            main = load_hydra_main(folder, project["name"])
            failure = None
        except Exception as exc:
            main, failure = None, {"error": f"project failed to load: {error(exc)}"}
        timed("hydra_load", started)
        if renders:
            started = time.process_time()
            for number, value in enumerate(hydra["render"]):
                key = f"{project['name']}/R{number}"
                out["hydra_render"][key] = failure or render_result(main, value)
            timed("hydra_render", started)
        if index % shards != shard:
            continue
        started = time.process_time()
        for number, argv in enumerate(project["cases"]):
            out["hydra_argv"][f"{project['name']}/{number}"] = failure or xp_result(main, argv)
        timed("hydra_argv", started)
        started = time.process_time()
        for number, value in enumerate(project["launcher"]):
            key = f"{project['name']}/L{number}"
            out["hydra_launcher"][key] = failure or launcher_result(main, value)
        timed("hydra_launcher", started)

    started = time.process_time()
    for index, spec in enumerate(cases["argparse"]["parsers"]):
        if index % shards != shard:
            continue
        main = load_argparse_main(folder, spec)
        for number, argv in enumerate(spec["cases"]):
            out["argparse_argv"][f"{spec['name']}/{number}"] = xp_result(main, argv)
        for number, value in enumerate(spec["launcher"]):
            key = f"{spec['name']}/L{number}"
            out["argparse_launcher"][key] = launcher_result(main, value)
        if index == 0 and shard == 0:
            for number, value in enumerate(cases["argparse"]["render"]):
                key = f"{spec['name']}/R{number}"
                out["argparse_render"][key] = render_result(main, value)
    timed("argparse", started)
    return out


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--shard", default="0/1", help="I/N: evaluate every N-th project")
    args = parser.parse_args(argv)
    shard, shards = (int(part) for part in args.shard.split("/"))
    results = evaluate(args.folder.resolve(), shard, shards)
    args.out.write_text(json.dumps(results, ensure_ascii=False, default=repr), encoding="utf8")
    sizes = {key: len(value) for key, value in results.items() if isinstance(value, dict)}
    print(f"{results['impl']} shard {shard}/{shards}: {sizes}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Compute golden signature vectors with dora-search 0.1.13 (the reference implementation).

Run it with the oracle interpreter (see tools/oracle_venv.sh), never with the dev venv:

    tools/oracle_venv.sh && .oracle/bin/python tools/make_sig_vectors.py

It writes packages/dora-sig/tests/data/sig_vectors.json, which dora-sig's tests replay
against `signature`, `argparse_delta`, `mapping_delta`, `exclude` and `get_names`. Parsers
are described as data (flags and keyword arguments, with `type` given by name) so that the
tests rebuild exactly the parser that the reference saw. Every value in the file comes from
dora-search's own code paths: `ArgparseMain.get_xp` (delta, exclusion, jsonable, sig),
`ArgparseMain.get_names`, `dora.xp._get_sig` and `dora.hydra._compare_config`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Dict, List

from omegaconf import OmegaConf

from dora.conf import DoraConfig
from dora.hydra import _compare_config
from dora.main import ArgparseMain
from dora.utils import jsonable
from dora.xp import _get_sig

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "packages" / "dora-sig" / "tests" / "data" / "sig_vectors.json"

#: Names usable as `type` in a parser spec; the tests keep the same table.
TYPES: Dict[str, Callable[[str], Any]] = {
    "int": int, "float": float, "str": str, "path": Path, "json": json.loads,
}


def arg(*flags: str, **kwargs: Any) -> Dict[str, Any]:
    return {"flags": list(flags), "kwargs": kwargs}


PARSERS: Dict[str, Dict[str, Any]] = {
    "basic": {
        "args": [
            arg("--a", type="int"), arg("--b", type="int", default=42),
            arg("--num_workers", type="int", default=10), arg("--cat_a"),
            arg("--cat_b", type="int"),
        ],
        "exclude": ["num_workers", "cat_*"],
    },
    "dashed": {
        "args": [
            arg("--batch-size", type="int", default=64), arg("--lr", type="float", default=0.1),
            arg("--use-amp", action="store_true"),
            arg("--no-shuffle", dest="shuffle", action="store_false"),
            arg("--optim", choices=["sgd", "adam", "adamw"], default="adam"),
        ],
        "exclude": [],
    },
    "kinds": {
        "args": [
            arg("--epochs", type="int", default=40), arg("--lr", type="float", default=1e-3),
            arg("--wd", type="float", default=0.0), arg("--name", default="baseline"),
            arg("--path", type="path"), arg("--tags", nargs="*", default=[]),
            arg("--sizes", type="int", nargs="+", default=[1, 2]),
            arg("-v", "--verbose", action="count", default=0),
            arg("--layer", type="int", action="append"),
            arg("--mode", action="store_const", const="fast"),
            arg("--cfg", type="json"), arg("--typed-str-default", type="float", default="0.1"),
            arg("--flag", action="store_true"), arg("--msg", default="h\u00e9llo"),
        ],
        "exclude": ["log.*", "debug_*"],
        "defaults": {"extra": 1},
    },
    "nested": {
        "args": [
            arg("dataset", nargs="?", default="cifar"), arg("--seed", type="int", default=0),
            arg("--model.depth", dest="model.depth", type="int", default=12),
            arg("--model.encoder.channels", dest="model.encoder.channels", type="int",
                default=64),
            arg("--optim.loss", dest="optim.loss", default="l2"),
            arg("--log.every", dest="log.every", type="int", default=10),
            arg("--debug_level", type="int", default=0),
        ],
        "exclude": ["log.*", "debug_*", "seed"],
    },
}

FLOATS = ["0.1", "1e-5", "41.0", "41", "-0.0", "1e16", "0.30000000000000004", "nan", "inf",
          "-inf", "2.5e-300", "1e-7", "123456789.123"]
STRINGS = ["x", "with space", "\u65e5\u672c\u8a9e", "h\u00e9llo", 'quo"te', "back\\slash",
           "tab\there", "\U0001f600", "", "None", "True"]
JSONS = ['{"b": 1, "a": [1, 2.5, null, true]}', '{"a": 1, "b": 1}', '{"b": 1, "a": 1}', "[]",
         '{"z": {"y": {"x": 1e-07}}}', '"str"', "null", "false", "1.0", "[1, [2, [3]]]",
         '{"k": "\\u00e9"}', '{"": 0}']

SINGLE_ARGV: Dict[str, List[List[str]]] = {
    "basic": [["--a=4", "--cat_a=plop", "--num_workers=3"], ["--a=4"], ["--b=42"],
              ["--b=43"], ["--a=-1", "--b=0"], ["--cat_b=5"], ["--num_workers=0"], []],
    "dashed": [["--batch-size=32", "--lr=0.01"], ["--use-amp"], ["--no-shuffle"],
               ["--optim=sgd"], ["--optim=adam"], ["--lr=0.1"], ["--lr=1e-1"]]
    + [[f"--lr={value}"] for value in FLOATS],
    "kinds": [["--epochs=41"], ["--epochs=40"], ["--tags"], ["--tags", "a", "b"],
              ["--sizes", "1", "2"], ["--sizes", "3"], ["-vvv"], ["-v"],
              ["--layer=1", "--layer=2"], ["--mode"], ["--flag"], ["--path=/tmp/x"],
              ["--path=rel/dir/"], ["--typed-str-default=0.1"], ["--wd=0"], ["--wd=0.0"]]
    + [[f"--name={value}"] for value in STRINGS] + [[f"--msg={value}"] for value in STRINGS]
    + [[f"--wd={value}"] for value in FLOATS] + [[f"--cfg={value}"] for value in JSONS],
    "nested": [["imagenet"], ["cifar"], ["--model.depth=24"], ["--model.encoder.channels=32"],
               ["--optim.loss=l1", "--log.every=1", "--debug_level=3"], ["--seed=1"],
               ["mnist", "--model.depth=6", "--optim.loss=huber"]],
}

OPTIONS: Dict[str, List[List[str]]] = {
    "dashed": [["--batch-size=16", "--batch-size=128"], ["--lr=0.01", "--lr=3e-4"],
               ["--use-amp"], ["--no-shuffle"], ["--optim=sgd", "--optim=adamw"]],
    "kinds": [["--epochs=10", "--epochs=400"], ["--lr=1e-4", "--lr=0.001"],
              ["--name=a\u00e9", "--name=b c"], ["--tags=x"], ["--flag"], ["-vv"],
              ["--cfg={\"lr\": 0.1, \"sched\": [1, 2]}", "--cfg=[null]"], ["--layer=7"]],
    "nested": [["imagenet"], ["--model.depth=6", "--model.depth=48"],
               ["--model.encoder.channels=8"], ["--optim.loss=l1"], ["--log.every=5"]],
}


def build_parser(spec: Dict[str, Any]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    for entry in spec["args"]:
        kwargs = dict(entry["kwargs"])
        if "type" in kwargs:
            kwargs["type"] = TYPES[kwargs["type"]]
        parser.add_argument(*entry["flags"], **kwargs)
    parser.set_defaults(**spec.get("defaults", {}))
    return parser


def combined_argvs(name: str, count: int, rng: random.Random) -> List[List[str]]:
    """Random combinations of options (one value per option), without duplicates."""
    options = OPTIONS.get(name, [])
    seen = set()
    result: List[List[str]] = []
    for _ in range(count * 4):
        chosen: List[str] = []
        for values in options:
            if rng.random() < 0.5:
                chosen.append(rng.choice(values))
        key = tuple(chosen)
        if key not in seen:
            seen.add(key)
            result.append(chosen)
        if len(result) == count:
            break
    return result


def make_main(name: str, spec: Dict[str, Any], folder: Path) -> ArgparseMain:
    dora_config = DoraConfig(dir=folder, exclude=list(spec["exclude"]))
    return ArgparseMain(lambda: None, dora_config, build_parser(spec))


def argparse_vectors(folder: Path) -> tuple:
    rng = random.Random(1234)
    vectors: List[Dict[str, Any]] = []
    names: List[Dict[str, Any]] = []
    for name, spec in PARSERS.items():
        main = make_main(name, spec, folder)
        argvs = SINGLE_ARGV.get(name, []) + combined_argvs(name, 30, rng)
        xps = []
        for argv in argvs:
            xp = main.get_xp(argv)
            xps.append(xp)
            vectors.append({"parser": name, "argv": argv, "delta": xp.delta, "sig": xp.sig,
                            "name": main.get_name(xp)})
        for size in (2, 3, 5):
            for start in range(0, len(xps) - size, max(1, len(xps) // 6)):
                group = xps[start:start + size]
                xp_names, base = main.get_names(group)
                names.append({"parser": name, "deltas": [xp.delta for xp in group],
                              "names": xp_names, "base": base})
    return vectors, names


def delta_vectors() -> List[Dict[str, Any]]:
    """Deltas hashed directly: values argparse cannot produce (nested, None, bools...)."""
    values: List[Any] = [
        None, True, False, 0, 1, -1, 2**63, 0.0, -0.0, 0.1, 1e-5, 41.0, 1e16, 1e22, 1.5e-300,
        float("nan"), float("inf"), float("-inf"), "", "l1", "\u00e9t\u00e9", "\U0001f600",
        "line\nbreak", [], [1, 2], [1, [2.0, [None]]], (1, "a"), {}, {"x": 1, "y": [1, 2]},
        {"y": [1, 2], "x": 1}, {"a": {"b": {"c": True}}}, {"1": 1, "k": None},
        Path("/data/set"), Path("relative/file.txt"),
    ]
    out = []
    for index, value in enumerate(values):
        for key in ("a", "optim.lr", "z.y.x"):
            delta = [(key, value)]
            if index % 3 == 0:
                delta.append(("epochs", index))
            out.append({"delta": jsonable(delta), "sig": _get_sig(jsonable(delta))})
    keys = ["b", "a", "a.b", "a_b", "A", "\u00e9", "optim.loss", "optim", "group"]
    rng = random.Random(99)
    for size in range(2, 6):
        for _ in range(6):
            chosen = rng.sample(keys, size)
            delta = [(key, rng.choice(values[:20])) for key in chosen]
            out.append({"delta": jsonable(delta), "sig": _get_sig(jsonable(delta))})
    return out


MAPPING_CASES: List[Dict[str, Any]] = [
    {"base": {"epochs": 40}, "other": {"epochs": 40.0}},
    {"base": {"epochs": 40}, "other": {"epochs": 41.0}},
    {"base": {"epochs": 40}, "other": {"epochs": 41}},
    {"base": {"optim": {"loss": "l2", "lr": 0.1}, "epochs": 1},
     "other": {"optim": {"loss": "l1", "lr": 0.1}, "epochs": 2}},
    {"base": {"complex": {"a": 1, "b": {"a": 2, "b": 3}}},
     "other": {"complex": {"a": 1, "b": {"a": 21, "b": 3}}}},
    {"base": {"a": 1}, "other": {"a": 1, "new": {"x": 1, "y": [1, 2]}}},
    {"base": {"a": 1, "c": {"d": 1}}, "other": {"b": 2, "a": 1, "c": {"e": {"f": 1}, "d": 1}}},
    {"base": {"l": [1, 2, 3]}, "other": {"l": [1, 2, 4]}},
    {"base": {"l": [1, 2, 3]}, "other": {"l": [1.0, 2, 3]}},
    {"base": {"x": None}, "other": {"x": {"k": 1}}},
    {"base": {"x": None}, "other": {"x": 0}},
    {"base": {"x": False}, "other": {"x": 0}},
    {"base": {"x": True}, "other": {"x": "true"}},
    {"base": {"s": "\u00e9"}, "other": {"s": "\u00e8"}},
    {"base": {"z": 1, "y": 2, "x": {"b": 1, "a": 2}},
     "other": {"z": 3, "y": 4, "x": {"b": 5, "a": 6}, "w": 0}},
    {"base": {"a": {"b": {"c": {"d": 1}}}}, "other": {"a": {"b": {"c": {"d": 2, "e": [1]}}}}},
    {"base": {"n": 1e-5}, "other": {"n": 0.00001}},
    {"base": {"n": 1e-5}, "other": {"n": 1e-4}},
    {"base": {"lr": 0.1, "base_lr": 0.1, "tied": "${lr}"},
     "other": {"lr": 0.2, "base_lr": 0.1, "tied": "${lr}"}, "omegaconf_only": True},
    {"base": {"lr": 0.1, "tied": "${lr}"}, "other": {"lr": 0.1, "tied": 0.1},
     "omegaconf_only": True},
    {"base": {"dora": {"dir": "a"}, "slurm": {"gpus": 1}, "k": 1},
     "other": {"dora": {"dir": "b"}, "slurm": {"gpus": 2}, "k": 1},
     "exclude": ["dora.*", "slurm.*"]},
    {"base": {"num_workers": 10, "useless": {"a": 1, "b": True}, "optim": {"loss": "l2"}},
     "other": {"num_workers": 40, "useless": {"a": 1, "b": False}, "optim": {"loss": "l1"},
               "k": "youpi"},
     "exclude": ["num_workers", "useless.*"]},
]


def mapping_vectors() -> List[Dict[str, Any]]:
    out = []
    for case in MAPPING_CASES:
        base, other = OmegaConf.create(case["base"]), OmegaConf.create(case["other"])
        delta = [(".".join(diff.path), diff.other_value) for diff in _compare_config(base, other)]
        patterns = case.get("exclude", [])
        kept = DoraConfig(exclude=patterns)
        delta = jsonable([(key, value) for key, value in delta if not kept.is_excluded(key)])
        out.append(dict(case, delta=delta, sig=_get_sig(delta)))
    return out


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        argparse_cases, names = argparse_vectors(Path(folder))
    data = {
        "generator": "tools/make_sig_vectors.py",
        "dora_search": version("dora-search"),
        "types": sorted(TYPES),
        "parsers": PARSERS,
        "argparse": argparse_cases,
        "names": names,
        "deltas": delta_vectors(),
        "mappings": mapping_vectors(),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=1, ensure_ascii=True)
    OUTPUT.write_text(text + "\n", encoding="utf8")
    counts = {key: len(data[key]) for key in ("argparse", "names", "deltas", "mappings")}
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {counts}, total {sum(counts.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

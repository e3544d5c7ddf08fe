"""Generated argparse parsers and argv for the compatibility oracle.

A parser is data: a list of `{"flags": [...], "kwargs": {...}}` with `type` given by
name (see `TYPES` in tools/compat_eval.py), plus `set_defaults` extras, exclusion
patterns and `use_underscore`. Options cover int / float / str / `type=bool` flags,
store_true / store_false, choices, nargs lists (`*`, `+`, `2`, `?` with a const),
append, count, a positional, defaults given as strings (`default="0.1"` with
`type=float`: always in the delta), None defaults and unicode. Flags are underscored or
dashed; `use_underscore` usually matches them and sometimes does not.
"""

from __future__ import annotations

import random
from typing import Any, Dict, List, Tuple

from compat_values import Unsupported

DESTS = ["epochs", "lr", "batch_size", "num_workers", "use_amp", "model_name", "weight_decay",
         "cat_a", "cat_b", "seed", "dropout", "tags", "sizes", "betas", "mode", "optim",
         "verbose", "layer", "clip_grad", "warmup_steps", "name", "msg", "shuffle", "debug_x",
         "fp16", "momentum"]
STRINGS = ["x", "with space", "\u65e5\u672c\u8a9e", "h\u00e9llo", "caf\u00e9", "\U0001f600",
           "", "None", "True", "a=b", "-3", "0.1"]
FLOAT_TEXT = ["0.1", "1e-5", "41.0", "41", "40", "40.0", "-0.0", "1e16", "nan", "inf", "3e-4",
              "0.30000000000000004"]
EXCLUDE_POOL = ["num_workers", "cat_*", "debug_*", "seed", "*_steps", "?r", "[ab]*"]


def _option(rng: random.Random, dest: str, dashed: bool) -> Dict[str, Any]:
    """One add_argument call, as data, with what the argv generator needs in `meta`."""
    flag = "--" + (dest.replace("_", "-") if dashed else dest)
    kind = rng.choice(["int", "int", "float", "float", "str", "str", "bool", "store_true",
                       "store_false", "choice", "choice_int", "star", "plus", "two", "const",
                       "append", "count"])
    kwargs: Dict[str, Any] = {}
    if kind == "int":
        kwargs = {"type": "int", "default": rng.choice([0, 10, 42, -1, None, "3", 40])}
    elif kind == "float":
        kwargs = {"type": "float",
                  "default": rng.choice([0.1, 1e-3, 0.0, 40, 40.0, None, "0.1", "1e-3", 2.5])}
    elif kind == "str":
        kwargs = {"default": rng.choice([*STRINGS, None])}
    elif kind == "bool":
        kwargs = {"type": "bool", "default": rng.choice([False, True])}
    elif kind == "store_true":
        kwargs = {"action": "store_true"}
    elif kind == "store_false":
        flag = "--no-" + dest.replace("_", "-") if dashed else "--no_" + dest
        kwargs = {"action": "store_false", "dest": dest}
    elif kind == "choice":
        choices = rng.sample(["sgd", "adam", "adamw", "l1", "l2", "\u00e9t\u00e9"], 3)
        kwargs = {"choices": choices, "default": rng.choice([*choices, None])}
    elif kind == "choice_int":
        kwargs = {"type": "int", "choices": [1, 2, 4, 8], "default": rng.choice([1, 8, None])}
    elif kind == "star":
        kwargs = {"nargs": "*", "default": rng.choice([[], None, ["a"]])}
    elif kind == "plus":
        kwargs = {"type": "int", "nargs": "+", "default": rng.choice([[1, 2], None, [3]])}
    elif kind == "two":
        kwargs = {"type": "float", "nargs": 2, "default": rng.choice([[0.9, 0.999], None])}
    elif kind == "const":
        kwargs = {"nargs": "?", "const": "on", "default": rng.choice(["off", None])}
    elif kind == "append":
        kwargs = {"type": "int", "action": "append"}
    elif kind == "count":
        kwargs = {"action": "count", "default": rng.choice([0, None])}
    return {"flags": [flag], "kwargs": kwargs, "kind": kind, "dest": dest}


def make_parser(rng: random.Random) -> Dict[str, Any]:
    dashed = rng.random() < 0.5
    options = [_option(rng, dest, dashed) for dest in rng.sample(DESTS, rng.randint(3, 10))]
    if rng.random() < 0.3:
        options.insert(0, {"flags": ["dataset"], "kind": "positional", "dest": "dataset",
                           "kwargs": {"nargs": "?", "default": rng.choice(["cifar", None])}})
    return {
        "args": options,
        "defaults": rng.choice([{}, {}, {"extra": 1}, {"epochs": 3}]),
        "exclude": rng.sample(EXCLUDE_POOL, rng.randint(0, 2)),
        "use_underscore": (not dashed) if rng.random() < 0.85 else dashed,
    }


def _value_tokens(rng: random.Random, option: Dict[str, Any],
                  valid: bool = False) -> Tuple[List[str], Any]:
    """Command-line tokens for `option` (after the flag) and a Python value for it.

    Choices are sometimes invalid (argparse refuses them), unless `valid`.
    """
    kind = option["kind"]
    bad = [] if valid else ["bad"]
    if kind in ("int", "append"):
        value = rng.choice([0, 10, 42, 41, -1, 3, 40])
        return [str(value)], value
    if kind == "float":
        token = rng.choice(FLOAT_TEXT)
        return [token], float(token)
    if kind in ("str", "positional"):
        value = rng.choice([*STRINGS, "imagenet"])
        return [value], value
    if kind == "bool":
        value = rng.choice(["True", "False", "", "0"])
        return [value], value
    if kind == "choice":
        value = rng.choice(option["kwargs"]["choices"] + bad)
        return [value], value
    if kind == "choice_int":
        value = rng.choice([1, 2, 4, 8, *([3] if bad else [])])
        return [str(value)], value
    if kind == "star":
        values = rng.sample(["a", "b", "\u00e9", "x y"], rng.randint(0, 3))
        return values, values
    if kind == "plus":
        ints = [rng.choice([1, 2, 3]) for _ in range(rng.randint(1, 3))]
        return [str(v) for v in ints], ints
    if kind == "two":
        pair = [rng.choice([0.9, 0.99, 0.999, 1]) for _ in range(2)]
        return [str(v) for v in pair], pair
    if kind == "const":
        value = rng.choice(["on", "off", "auto"])
        return ([] if rng.random() < 0.4 else [value]), value
    return [], True


def make_argv(rng: random.Random, parser: Dict[str, Any]) -> List[str]:
    argv: List[str] = []
    for option in rng.sample(parser["args"], rng.randint(0, min(5, len(parser["args"])))):
        kind, flag = option["kind"], option["flags"][0]
        tokens, _ = _value_tokens(rng, option)
        if kind == "positional":
            argv += tokens
        elif kind in ("store_true", "store_false"):
            argv.append(flag)
        elif kind == "count":
            argv += [flag] * rng.randint(1, 3)
        elif len(tokens) == 1 and rng.random() < 0.6:
            argv.append(f"{flag}={tokens[0]}")
            if kind == "append" and rng.random() < 0.5:
                argv.append(f"{flag}={tokens[0]}")
        else:
            argv += [flag, *tokens]
    if rng.random() < 0.05:
        argv.append(rng.choice(["--unknown=1", "--epochs=notanint"]))
    return argv


def make_launcher(rng: random.Random, parser: Dict[str, Any]) -> Any:
    value: Dict[str, Any] = {}
    for option in rng.sample(parser["args"], rng.randint(1, min(4, len(parser["args"])))):
        if option["kind"] in ("positional", "two"):
            continue
        _, python_value = _value_tokens(rng, option, valid=rng.random() < 0.9)
        if option["kind"] in ("store_true", "store_false", "count"):
            python_value = rng.choice([True, True, True, True, True, False, None])
        if option["kind"] in ("star", "plus") and python_value:
            python_value = python_value[0]
        # The key a grid would write: the flag with underscores (use_underscore=False
        # turns them back into dashes).
        value[option["flags"][0][2:].replace("-", "_")] = python_value
    roll = rng.random()
    if roll < 0.15:
        dests = [option["dest"] for option in parser["args"]]
        return [value, "--seed=3" if "seed" in dests else {}]
    if roll < 0.25:
        return (value,)
    return value


def render_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.08:
        return Unsupported(rng.choice(["set", "object", "bytes"]))
    if roll < 0.15:
        return rng.choice(["--epochs=3", "-v", "positional"])
    scalars: List[Any] = [None, True, False, 0, 3, -2, 1e-4, 1e20, 0.1, float("nan"),
                          "\u65e5\u672c", "x y", "", [1, "a"], (2, 3), {"k": 1}]
    value = {rng.choice(DESTS + ["a-b", "\u00e9"]): rng.choice(scalars)
             for _ in range(rng.randint(0, 4))}
    if roll > 0.85:
        return [value, ["--x=1", {"lr": 0.5}]]
    return value


def generate(rng: random.Random, parsers: int, cases: int) -> Dict[str, Any]:
    out = []
    for index in range(parsers):
        spec = make_parser(rng)
        out.append({
            "name": f"a{index:03d}",
            **spec,
            "cases": [[]] + [make_argv(rng, spec) for _ in range(cases - 1)],
            "launcher": [make_launcher(rng, spec) for _ in range(max(1, cases // 3))],
        })
    render = [render_value(rng) for _ in range(300)]
    return {"parsers": out, "render": render}

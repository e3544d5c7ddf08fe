"""Random Hydra argvs for the `rich` test config (tests/hydra_conf/rich).

Used by the tests that compare the fast and the slow path of `HydraMain.get_xp`, and
usable to compare either with dora-search (each case is a plain list of strings). The
mix covers group choices (nested, with a package), values of every type, lists, dict
merges, new keys (`+`, `++`), repeated keys, interpolations, unicode, list indices,
excluded keys, and a few overrides the fast path hands to the slow path or that fail.
"""

from __future__ import annotations

import json
import random
from typing import Any, Callable, List

from dora._hydra._overrides import render_value

__all__ = ["random_argv", "random_value"]

_WORDS = ["relu", "héllo", "naïve café", "日本", "a b", "x_y", "it's", 'say "hi"', "", "l1"]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """A random Python value that Hydra's grammar can express through `render_value`."""
    kinds = ["int", "float", "bool", "none", "str", "str"]
    if depth < 2:
        kinds += ["list", "dict"]
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.choice([0, 1, -3, 40, 41, 10**12, rng.randint(-1000, 1000)])
    if kind == "float":
        return rng.choice([0.0, 40.0, 41.0, 1e-4, 1e-5, 0.1, -2.5, 3.14159, 2.5e300])
    if kind == "bool":
        return rng.choice([True, False])
    if kind == "none":
        return None
    if kind == "str":
        return rng.choice(_WORDS)
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = ["x", "y", "z", "k"]
    return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _scalar(rng: random.Random) -> str:
    """A value written as a user would type it on a command line."""
    return rng.choice([
        "3", "40", "40.0", "41", "41.0", "-1", "1e-3", "0.001", "1_000", "true", "False",
        "null", "abc", "'quoted'", '"dq"', "${lr}", "${epochs}", "run_${seed}", "0x10",
        "inf", "[1, 2]", "[]", "{}", "{a: 1}", "é", "'a b'",
    ])


def _rendered(rng: random.Random) -> str:
    return render_value(random_value(rng))


_GROUPS: List[Callable[[random.Random], str]] = [
    lambda rng: f"model={rng.choice(['small', 'big'])}",
    lambda rng: f"optim={rng.choice(['adam', 'sgd'])}",
    lambda rng: f"model/enc={rng.choice(['conv', 'rnn'])}",
]

_VALUES: List[Callable[[random.Random], str]] = [
    lambda rng: f"epochs={rng.choice(['40', '40.0', '41', '41.0', '3', '${seed}'])}",
    lambda rng: f"lr={rng.choice(['0.1', '0.2', '1e-3', '0.001', '1', '1.0'])}",
    lambda rng: f"seed={rng.randint(0, 5)}",
    lambda rng: f"name={_rendered(rng)}",
    lambda rng: f"name={rng.choice(_WORDS[:2])}",
    lambda rng: f"flag={rng.choice(['true', 'false', 'True', '1'])}",
    lambda rng: f"nothing={_scalar(rng)}",
    lambda rng: f"ratio={_rendered(rng)}",
    lambda rng: f"big={rng.choice(['100000000000', '1e11', '1'])}",
    lambda rng: f"tags={_rendered(rng)}",
    lambda rng: f"tags=[{rng.choice(['a', 'c'])}, b]",
    lambda rng: f"tags.0={rng.choice(['a', 'z', '1'])}",
    lambda rng: f"matrix.1.0={rng.choice(['3', '9'])}",
    lambda rng: f"nested.a.b.c={rng.choice(['1', '2', '1.0', 'x'])}",
    lambda rng: f"nested.a.b.d={_rendered(rng)}",
    lambda rng: f"nested.a.e={_scalar(rng)}",
    lambda rng: f"nested.a={{e: {rng.choice(['text', 'other'])}}}",
    lambda rng: f"nested.f={{{rng.choice(['k', 'j'])}: {rng.randint(0, 2)}}}",
    lambda rng: f"interp={rng.choice(['40', '3', '${lr}'])}",
    lambda rng: f"label={rng.choice(['x', 'run_10_0.1'])}",
    lambda rng: f"model.dim={rng.choice(['10', '100', '11', '10.0'])}",
    lambda rng: f"model.enc.kind={rng.choice(['conv', 'rnn', 'mlp'])}",
    lambda rng: f"optim.weight_decay={rng.choice(['0.0', '0', '0.0001', '1e-4'])}",
    lambda rng: f"optim.name={rng.choice(['adam', 'sgd'])}",
    lambda rng: f"useless.a={rng.randint(0, 9)}",
    lambda rng: f"num_workers={rng.randint(0, 9)}",
    lambda rng: f"dora.dir={rng.choice(['a', 'b'])}",
    lambda rng: f"slurm.cpus_per_task={rng.randint(1, 9)}",
    lambda rng: f"+k={_rendered(rng)}",
    lambda rng: f"+nested.a.new={_scalar(rng)}",
    lambda rng: f"+fresh.sub.key={rng.randint(0, 3)}",
    lambda rng: f"+nested.g={{x: {rng.randint(0, 3)}, y: [1, 2]}}",
    lambda rng: f"++epochs={rng.choice(['40', '3'])}",
    lambda rng: f"++newkey={_scalar(rng)}",
    lambda rng: f"++nested.a.b.c={rng.choice(['1', '5'])}",
    lambda rng: f"++nothing={{a: {rng.randint(0, 2)}}}",
]

# Overrides the fast path does not take (it must hand them to the slow path) or that fail.
_ODD: List[Callable[[random.Random], str]] = [
    lambda rng: "+data/train=a",
    lambda rng: "hydra.job.name=other",
    lambda rng: "lr=0.1,0.2",
    lambda rng: "nope=1",
    lambda rng: "+lr=1",
    lambda rng: "model=nope",
    lambda rng: "model={dim: 3}",
    lambda rng: "nested.a.b=3",
    lambda rng: "derived.node_ref.e=x",
    lambda rng: "nested.a.b.c.d=1",
    lambda rng: "optim@foo=sgd",
]


def random_argv(rng: random.Random, odd: float = 0.05) -> List[str]:
    """A random argv for the `rich` config; about `odd` of the cases hold an odd override."""
    argv = []
    for _ in range(rng.randint(0, 3)):
        argv.append(rng.choice(_GROUPS)(rng))
    for _ in range(rng.randint(0, 5)):
        argv.append(rng.choice(_VALUES)(rng))
    if rng.random() < odd:
        argv.append(rng.choice(_ODD)(rng))
    rng.shuffle(argv)
    if argv and rng.random() < 0.2:  # repeated keys: the last one counts
        argv.append(rng.choice(argv))
    return argv


if __name__ == "__main__":  # print cases as JSON lines: python hydra_cases.py COUNT SEED
    import sys

    count, seed = int(sys.argv[1]), int(sys.argv[2])
    generator = random.Random(seed)
    for _ in range(count):
        print(json.dumps(random_argv(generator)))

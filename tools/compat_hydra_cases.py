"""Generated Hydra projects and overrides for the compatibility oracle.

Each project is a config tree: a main `config.yaml` (about 30 keys: numbers of both
types, unicode strings, booleans, null, lists, nested mappings, an interpolation, a
`dora:` section with exclusion patterns and a `slurm:` section) and two to four config
groups, one of them nested (`data/aug`) and one `@package _global_` with no default.
The cases are argv lists of overrides: group choices, values of every type over existing
keys (including floats equal to an int default), mapping merges, new keys (`+key=`,
`++key=`, at nested paths), excluded keys, repeated keys, interpolations and a few
overrides that Hydra refuses (both implementations must refuse them too). Launcher cases
are Python values handed to `value_to_argv`; render cases only compare that rendering.

Config files are written in YAML flow style (JSON-like), which both sides read with the
same OmegaConf.
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
from typing import Any, Dict, List, Optional, Tuple

from compat_values import Unsupported

STRINGS = [
    "relu", "l1", "adam_w", "h\u00e9llo w\u00f6rld", "\u65e5\u672c\u8a9e", "\U0001f600 emoji",
    "with space", "", "None", "true", "42", "1e-3", "a.b/c", "it's", 'say "hi"', "x=y",
    "a,b", "\u00e9t\u00e9", "caf\u00e9", "\u0394t", "MiXeD", "-dash",
]
IDS = ["relu", "gelu", "l1", "l2", "adam_w", "cosine", "abc", "x_1", "Big", "none_x"]
KEY_POOL = [
    "seed", "batch_size", "B", "a_b", "a1", "_hidden", "warmup", "clip", "tag", "tags",
    "alpha", "beta", "gamma", "mode", "verbose", "x1", "x2", "Z", "mix", "scale",
]
EXCLUDE_POOL = ["*.seed", "data.aug.p?", "x[12]", "complex.b.*", "tag*", "model/*", "data/*",
                "opt*.wd", "B"]
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
RESERVED = re.compile(r"^(true|false|null|nan|inf)$", re.IGNORECASE)

# Group templates: (group, package or "" for _global_, option names, schema).
GROUPS: List[Tuple[str, str, List[str], Dict[str, str]]] = [
    ("model", "model", ["small", "big", "tiny", "lstm"],
     {"depth": "int", "width": "int", "act": "id", "dropout": "float",
      "enc": "dict", "layers": "list", "norm": "bool"}),
    ("optim", "optim", ["adam", "sgd", "lamb"],
     {"lr": "float", "momentum": "float", "betas": "floatlist", "wd": "float",
      "name": "str", "nesterov": "bool"}),
    ("data/aug", "data.aug", ["none", "flip", "crop"],
     {"p": "float", "kind": "id", "sizes": "list", "seed": "int"}),
    ("experiment", "", ["fast", "long"], {"epochs": "int", "tag": "str"}),
]


# -- values ------------------------------------------------------------------------------

def leaf(rng: random.Random, kind: Optional[str] = None) -> Any:
    """A random config value of `kind` (a random kind when None)."""
    kind = kind or rng.choice(["int", "float", "str", "id", "bool", "none", "list", "dict"])
    if kind == "int":
        return rng.choice([0, 1, 3, 40, -7, 1000, 2**40])
    if kind == "float":
        return rng.choice([0.1, 1e-05, 40.0, 0.0, -2.5, 1e20, 3.14159, 1.0, 0.5, 3e-4])
    if kind == "str":
        return rng.choice(STRINGS)
    if kind == "id":
        return rng.choice(IDS)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "floatlist":
        return [rng.choice([0.9, 0.99, 0.999, 1.0]) for _ in range(2)]
    if kind == "list":
        return [leaf(rng, rng.choice(["int", "float", "id", "bool"]))
                for _ in range(rng.randint(0, 3))]
    return {key: leaf(rng, rng.choice(["int", "float", "id", "bool", "none"]))
            for key in rng.sample(["a", "b", "c", "k", "Z"], rng.randint(1, 3))}


def text(value: Any, rng: random.Random) -> str:
    """`value` in Hydra's override grammar, in one of the spellings Hydra reads as it."""
    if value is None:
        return rng.choice(["null", "null", "NULL"])
    if isinstance(value, bool):
        word = "true" if value else "false"
        return rng.choice([word, word, word.capitalize()])
    if isinstance(value, int):
        spellings = [str(value), str(value)]
        if value >= 1000:
            spellings.append(f"{value:_}")
        if value >= 0:
            spellings.append(f"+{value}")
        return rng.choice(spellings)
    if isinstance(value, float):
        if math.isnan(value):
            return rng.choice(["nan", "NaN"])
        if math.isinf(value):
            return rng.choice(["inf", "Inf"]) if value > 0 else "-inf"
        if value.is_integer() and abs(value) < 1e15:
            return rng.choice([repr(value), f"{int(value)}.", f"{int(value)}e0",
                               f"{int(value)}E0"])
        if 0 < value < 1 and rng.random() < 0.3:
            return repr(value)[1:] if repr(value).startswith("0.") else repr(value)
        return repr(value)
    if isinstance(value, str):
        if IDENT.match(value) and not RESERVED.match(value) and rng.random() < 0.6:
            return value
        quote = "'" if "'" not in value else '"'
        return f"{quote}{value}{quote}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(text(item, rng) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {text(item, rng)}" for key, item in value.items()) + "}"
    raise TypeError(value)


def variant(rng: random.Random, value: Any) -> Any:
    """A new value for a key whose current value is `value`: often equal, often not."""
    roll = rng.random()
    if roll < 0.1:
        return copy.deepcopy(value)
    if roll < 0.17:
        return leaf(rng)
    if isinstance(value, bool):
        return rng.choice([not value, value, None, "yes"])
    if isinstance(value, int):
        return rng.choice([float(value), float(value), value + 1, value * 2, value + 0.5,
                           str(value), -value])
    if isinstance(value, float):
        options = [value * 10, value + 1, value / 3, 2.0, float("nan"), float("inf")]
        if value.is_integer() and abs(value) < 1e15:
            options += [int(value), int(value), int(value) + 1]
        return rng.choice(options)
    if isinstance(value, str):
        return rng.choice([*STRINGS, *IDS, value.upper(), 7, 0.25])
    if isinstance(value, list):
        return rng.choice([[], [*value, leaf(rng, "int")], value[::-1],
                           [float(v) if isinstance(v, int) and not isinstance(v, bool) else v
                            for v in value]])
    if value is None:
        return rng.choice([0, "x", {"k": 1}, [1, 2], False])
    return leaf(rng)


# -- config files ------------------------------------------------------------------------

def yaml(value: Any) -> str:
    """`value` in YAML flow style, exact for every type the generator makes."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(yaml(item) for item in value) + "]"
    return "{" + ", ".join(f"{yaml(k)}: {yaml(v)}" for k, v in value.items()) + "}"


def yaml_file(content: Dict[str, Any], header: str = "") -> str:
    lines = [header] if header else []
    lines += [f"{yaml(key)}: {yaml(value)}" for key, value in content.items()]
    return "\n".join(lines) + "\n"


def merge(into: Dict[str, Any], other: Dict[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def at(tree: Dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        tree = tree[part]
    return tree


def walk(tree: Dict[str, Any], prefix: str = "") -> List[Tuple[str, Any]]:
    """(dotted path, value) of every node below `tree`, mappings included."""
    out: List[Tuple[str, Any]] = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        out.append((path, value))
        if isinstance(value, dict):
            out += walk(value, path + ".")
    return out


# -- projects ----------------------------------------------------------------------------

class Project:
    """One generated config tree and what the case generator needs to know about it."""

    def __init__(self, rng: random.Random, name: str) -> None:
        self.name = name
        self.version_base = rng.choice([None, None, "1.1", "1.3"])
        chosen = [GROUPS[0]] + [g for g in GROUPS[1:] if rng.random() < 0.6]
        self.groups: Dict[str, Tuple[str, Dict[str, Dict[str, Any]]]] = {}
        for group, package, names, schema in chosen:
            options = {}
            for option in rng.sample(names, rng.randint(2, len(names))):
                content = {key: leaf(rng, kind) for key, kind in schema.items()
                           if rng.random() < 0.85 or key in ("lr", "epochs")}
                if option == "none":
                    content = {}
                elif rng.random() < 0.3:
                    content[f"only_{option}"] = leaf(rng, "int")
                options[option] = content
            self.groups[group] = (package, options)
        # `experiment` has no default: listed as `experiment: null` (then chosen with
        # `experiment=x`), or not listed at all (then added with `+experiment=x`).
        self.listed = rng.random() < 0.5
        self.defaults: List[Tuple[str, Optional[str]]] = []
        for group, (_, options) in self.groups.items():
            if group == "experiment" and not self.listed:
                continue
            default = None if group == "experiment" else rng.choice(list(options))
            self.defaults.append((group, default))
        if rng.random() < 0.85:  # else Hydra decides where the primary config goes
            self.defaults.insert(rng.choice([0, len(self.defaults)]), ("_self_", None))
        self.main = self._main_config(rng)
        self.exclude = ["num_workers", "useless.*", *rng.sample(EXCLUDE_POOL, rng.randint(0, 3))]
        self.main["dora"] = {"dir": "outputs", "exclude": self.exclude}
        self.main["slurm"] = {"gpus": rng.choice([0, 1, 8]), "partition": "learnlab",
                              "time": 60.0}

    def _main_config(self, rng: random.Random) -> Dict[str, Any]:
        cfg: Dict[str, Any] = {
            "epochs": rng.choice([40, 10, 100]),
            "num_workers": 10,
            "useless": {"a": 1, "b": True},
            "lr": leaf(rng, "float"),
            "name": leaf(rng, "str"),
            "flag": leaf(rng, "bool"),
            "nothing": None,
            "sizes": [1, 2, 3],
            "complex": {"a": 1, "b": {"a": 2, "c": [1, "x"]}, "Z": None},
            "tied": "${optim.lr}" if "optim" in self.groups else "${lr}",
            "cl\u00e9": "unicode key",
            "derived": {"lr": "${lr}", "label": "run_${epochs}"},
            "home": "${oc.env:DORA_COMPAT_UNSET,fallback}",
        }
        if "data/aug" in self.groups:
            cfg["data"] = {"root": "/data", "batch": 32}
        for key in rng.sample(KEY_POOL, rng.randint(6, 14)):
            cfg[key] = leaf(rng)
        return cfg

    def compose(self, choices: Dict[str, Optional[str]]) -> Dict[str, Any]:
        """What Hydra composes for these group choices (close enough to pick keys)."""
        result: Dict[str, Any] = {}
        listed = [group for group, _ in self.defaults]
        if "_self_" not in listed:
            listed.insert(0, "_self_")
        for group in listed + [g for g in self.groups if g not in listed]:
            if group == "_self_":
                merge(result, self.main)
                continue
            option = choices.get(group)
            package, options = self.groups[group]
            if option not in options:
                continue
            content = copy.deepcopy(options[option])
            for part in reversed(package.split(".") if package else []):
                content = {part: content}
            merge(result, content)
        return result

    def files(self) -> Dict[str, str]:
        defaults = []
        for group, default in self.defaults:
            defaults.append(group if group == "_self_" else {group: default})
        out = {"config.yaml": yaml_file({"defaults": defaults, **self.main})}
        for group, (package, options) in self.groups.items():
            header = "# @package _global_" if not package else ""
            for option, content in options.items():
                out[f"{group}/{option}.yaml"] = yaml_file(content, header)
        return out

    def module(self) -> str:
        version_base = repr(self.version_base)
        return (
            f'"""Generated by tools/compat_hydra_cases.py: project {self.name}."""\n'
            "from dora import hydra_main\n\n\n"
            f'@hydra_main(config_path="conf", config_name="config", '
            f"version_base={version_base})\n"
            "def main(cfg):\n"
            "    return cfg\n"
        )


# -- cases -------------------------------------------------------------------------------

class CaseMaker:
    """Draws the overrides of one case for a project."""

    def __init__(self, rng: random.Random, project: Project) -> None:
        self.rng = rng
        self.project = project

    def argv(self) -> List[str]:
        rng, project = self.rng, self.project
        choices = dict(project.defaults)
        argv: List[str] = []
        for group, (_, options) in project.groups.items():
            if rng.random() < 0.3:
                option = rng.choice(list(options))
                prefix = ""
                if group == "experiment":  # the other spelling is refused by Hydra
                    prefix = "+" if (rng.random() < 0.1) == project.listed else ""
                argv.append(f"{prefix}{group}={option}")
                choices[group] = option
        composed = project.compose(choices)
        nodes = [(p, v) for p, v in walk(composed)
                 if not p.startswith(("dora", "slurm")) and "\u00e9" not in p]
        for _ in range(rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6])):
            argv += self._one(nodes, argv)
        if rng.random() < 0.5:
            rng.shuffle(argv)
        return argv

    def _one(self, nodes: List[Tuple[str, Any]], argv: List[str]) -> List[str]:
        rng = self.rng
        leaves = [(p, v) for p, v in nodes if not isinstance(v, dict)]
        mappings = [(p, v) for p, v in nodes if isinstance(v, dict) and v]
        kind = rng.choices(
            ["leaf", "mapping", "new", "force", "excluded", "repeat", "interp", "hydra", "bad",
             "group", "special"],
            weights=[44, 5, 12, 6, 9, 8, 3, 2, 2, 4, 8])[0]
        if kind == "leaf" and leaves:
            path, value = rng.choice(leaves)
            return [f"{path}={text(variant(rng, value), rng)}"]
        if kind == "mapping" and mappings:
            path, value = rng.choice(mappings)
            keys = rng.sample(list(value), rng.randint(1, len(value)))
            merged = {k: variant(rng, value[k]) if not isinstance(value[k], dict) else {}
                      for k in keys if IDENT.match(k)}
            return [f"{path}={text(merged, rng)}"]
        if kind == "new":
            parent = rng.choice(["", "", *(p + "." for p, _ in mappings)])
            key = rng.choice(["new", "extra", "k", "zz", "A", "fresh.a.b"])
            return [f"+{parent}{key}={text(leaf(rng), rng)}"]
        if kind == "force":
            path = rng.choice([p for p, _ in leaves] + ["forced", "complex.b.forced"])
            return [f"++{path}={text(leaf(rng), rng)}"]
        if kind == "excluded":
            path = rng.choice(["num_workers", "useless.a", "useless.b", "slurm.gpus",
                               "slurm.partition", "dora.dir", "dora.exclude", "useless",
                               *[p for p, _ in leaves if p.endswith(("seed", "p", "wd"))]])
            value: Any = {"a": 5} if path == "useless" else leaf(rng, "int")
            if path == "dora.exclude":
                value = rng.choice([[], ["epochs"]])
            if path.startswith("slurm.partition") or path == "dora.dir":
                value = "elsewhere"
            return [f"{path}={text(value, rng)}"]
        if kind == "repeat" and argv:
            previous = rng.choice(argv)
            key = previous.split("=", 1)[0]
            if key.lstrip("+") in self.project.groups:
                options = list(self.project.groups[key.lstrip("+")][1])
                return [f"{key}={rng.choice(options)}"]
            return [f"{key}={text(leaf(rng, rng.choice(['int', 'float', 'id'])), rng)}"]
        if kind == "interp" and leaves:
            path, _ = rng.choice(leaves)
            source = rng.choice(["epochs", "lr", "complex.a", "flag"])
            return [f"{path}=${{{source}}}"]
        if kind == "hydra":
            return [rng.choice(["hydra/job_logging=disabled", "hydra.job.name=other",
                                "hydra/launcher=basic"])]
        if kind == "bad":
            return [rng.choice(["missing_key=1", "+epochs=3", "model=does_not_exist",
                                "complex.b.nokey=1", "epochs=${nowhere}", "name=h\u00e9llo",
                                "sizes=[1,", "complex={zz: 1}"])]
        if kind == "special":
            return [self._special(leaves, mappings)]
        if kind == "group":
            group = self.rng.choice(list(self.project.groups))
            return [f"{group}={self.rng.choice(list(self.project.groups[group][1]))}"]
        return []

    def _special(self, leaves: List[Tuple[str, Any]], mappings: List[Tuple[str, Any]]) -> str:
        """Rarer override spellings: list indexes, casts, interpolated strings, sweeps..."""
        rng = self.rng
        path, value = rng.choice(leaves)
        lists = [p for p, v in leaves if isinstance(v, list) and v]
        numbers = [(p, v) for p, v in leaves
                   if isinstance(v, (int, float)) and not isinstance(v, bool)]
        number_path, number = rng.choice(numbers) if numbers else (path, 1)
        accepted = [
            f"{path}= {text(variant(rng, value), rng)}",  # a space after `=`
            f"{path}=",  # the empty string
            f"{path}='${{epochs}}'",
            f"{path}=run_${{epochs}}",
            f"{number_path}=float({text(number, rng)})",
            f"{number_path}=int({text(number, rng)})",
            f"{path}=str({text(number, rng)})",
            f"epochs=float({text(number, rng)})",
        ]
        if lists:
            accepted.append(f"{rng.choice(lists)}.0={text(leaf(rng, 'int'), rng)}")
        refused = [
            f"{path}=1,2",
            f"{path}=range(1,3)",
            f"{rng.choice(list(self.project.groups))}=null",
            f"~{path}",
            f"~{path}={text(value, rng)}",
            f"model@alt={rng.choice(list(self.project.groups['model'][1]))}",
        ]
        if mappings:
            refused.append(f"{rng.choice(mappings)[0]}=null")
        return rng.choice(refused if rng.random() < 0.2 else accepted)

    def launcher(self) -> Any:
        """A Python value as a grid would hand it to the launcher."""
        rng, project = self.rng, self.project
        value: Dict[str, Any] = {}
        for group, (_, options) in project.groups.items():
            if rng.random() < 0.3 and group != "experiment":
                value[group] = rng.choice(list(options))
        composed = project.compose({**dict(project.defaults), **value})
        leaves = [(p, v) for p, v in walk(composed)
                  if not isinstance(v, dict) and not p.startswith(("dora", "slurm"))
                  and "\u00e9" not in p]
        for path, current in rng.sample(leaves, min(len(leaves), rng.randint(1, 4))):
            value[path] = variant(rng, current)
        if rng.random() < 0.2:
            value["+added"] = leaf(rng)
        if rng.random() < 0.15:
            value["complex.b"] = {"a": rng.choice([2, 2.0, 3, "x"])}
        if rng.random() < 0.2:
            return [f"epochs={rng.choice([40, 41])}", value]
        return value


def render_value(rng: random.Random, groups: List[str]) -> Any:
    """A launcher value only rendered (never composed): every type, some refused."""
    def anything(depth: int = 0) -> Any:
        kinds = ["int", "float", "str", "bool", "none", "special"]
        if depth < 2:
            kinds += ["list", "tuple", "dict"]
        kind = rng.choice(kinds)
        if kind == "list":
            return [anything(depth + 1) for _ in range(rng.randint(0, 3))]
        if kind == "tuple":
            return tuple(anything(depth + 1) for _ in range(rng.randint(0, 3)))
        if kind == "dict":
            keys: List[Any] = ["k", "a_b", 2, 1.5, True, None, "x.y", "\u00e9"]
            if rng.random() < 0.1:
                keys.append("bad:key")
            return {rng.choice(keys): anything(depth + 1) for _ in range(rng.randint(0, 3))}
        if kind == "special":
            return rng.choice([1e-4, 1e20, -0.0, float("nan"), float("inf"), 2**70, 1e-7,
                               "\u65e5\u672c", 'q"uote', "back\\slash", "new\nline"])
        return leaf(rng, kind)

    roll = rng.random()
    if roll < 0.05:
        return Unsupported(rng.choice(["set", "object", "bytes", "complex"]))
    if roll < 0.12:
        return rng.choice(["epochs=3", "+x=1", "model=big"])
    value = {}
    for _ in range(rng.randint(1, 4)):
        key = rng.choice([*groups, "epochs", "lr", "+new", "++forced", "a.b.c", "name"])
        value[key] = rng.choice(["small", "big"]) if key in groups else anything()
    if rng.random() < 0.04:
        value["opt"] = Unsupported(rng.choice(["set", "object"]))
    if roll > 0.85:
        return [value, rng.choice(["epochs=2", {"lr": 0.5}])]
    return value


def generate(rng: random.Random, projects: int, cases: int) -> Dict[str, Any]:
    """Projects (files, module, cases, launcher values) and render-only values."""
    out = []
    for index in range(projects):
        project = Project(rng, f"p{index:03d}")
        maker = CaseMaker(rng, project)
        argvs = [[]] + [maker.argv() for _ in range(cases - 1)]
        out.append({
            "name": project.name,
            "files": project.files(),
            "module": project.module(),
            "groups": list(project.groups),
            "cases": argvs,
            "launcher": [maker.launcher() for _ in range(max(1, cases // 4))],
        })
    groups = out[0]["groups"]
    render = [render_value(rng, groups) for _ in range(300)]
    return {"projects": out, "render_project": out[0]["name"], "render": render}

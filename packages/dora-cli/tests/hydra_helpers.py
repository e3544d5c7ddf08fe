"""Helpers of the Hydra tests: decorated mains on the test configs, and Hydra projects."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Dict, Optional

from dora.hydra import HydraMain

CONF = Path(__file__).resolve().parent / "hydra_conf"


def user_main(cfg: Any) -> Any:
    """The training function of the in-process tests: returns its config."""
    return cfg


def make_main(
    conf: str, config_name: str = "config", slow: bool = False, **kwargs: Any
) -> HydraMain:
    """A HydraMain on `hydra_conf/<conf>` (absolute config_path), fast or slow path."""
    kwargs.setdefault("version_base", "1.3")
    main = HydraMain(user_main, config_name=config_name, config_path=str(CONF / conf), **kwargs)
    main._force_slow = slow
    return main


TRAIN = '''
from dora import get_xp, hydra_main

{prelude}

@hydra_main(config_name="config", config_path="conf", version_base={version_base!r}{extra})
def main(cfg):
    xp = get_xp()
    print(f"running {{xp.sig}}", flush=True)
    xp.link.push_metrics({{"epoch": 1, "loss": 0.5}})
'''

GRID = '''
from dora import Explorer


@Explorer
def explorer(launcher):
    launcher.slurm_(gpus=0)
{calls}
'''

CONFIG = """
defaults:
  - _self_
  - model: small

epochs: 2
optim:
  lr: 0.1
dora:
  dir: outputs
  backend: local
  slots: 2
slurm:
  gpus: 0
"""


def write_project(
    root: Path,
    config: str = CONFIG,
    groups: Optional[Dict[str, str]] = None,
    grids: Optional[Dict[str, str]] = None,
    prelude: str = "",
    version_base: Optional[str] = "1.3",
    extra: str = "",
    package: str = "proj",
) -> Path:
    """`<root>/<package>/` with train.py (hydra_main), conf/ and a grids package.

    Args:
        groups: config files under conf/, e.g. {"model/small.yaml": "dim: 1"}.
        grids: grid name -> the body of its explore function (one line per call).
        prelude: code put before the decorated main (resolvers, ...).
        extra: more keyword arguments of hydra_main, e.g. ", resolvers={...}".
    """
    base = root / package
    (base / "conf").mkdir(parents=True)
    (base / "__init__.py").write_text("")
    (base / "train.py").write_text(
        TRAIN.format(prelude=prelude, version_base=version_base, extra=extra)
    )
    (base / "conf" / "config.yaml").write_text(textwrap.dedent(config))
    if groups is None:
        groups = {"model/small.yaml": "dim: 10\n", "model/big.yaml": "dim: 100\n"}
    for name, text in groups.items():
        path = base / "conf" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (base / "grids").mkdir()
    (base / "grids" / "__init__.py").write_text("")
    for name, body in (grids or {}).items():
        calls = textwrap.indent(textwrap.dedent(body).strip(), "    ")
        (base / "grids" / f"{name}.py").write_text(GRID.format(calls=calls))
    return base

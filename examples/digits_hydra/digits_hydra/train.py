"""Training script of the digits_hydra example: a Hydra `main(cfg)` made a Dora project.

Run one XP in the foreground with ``dora run model=mlp_wide optim.lr=0.2``, or the grid
in ``grids/demo.py`` with ``dora grid demo``. Each epoch pushes its metrics to the XP's
history and saves a checkpoint in the XP folder; a run that finds a checkpoint resumes
from it.

Set the environment variable ``DIGITS_EPOCH_SLEEP`` (seconds) to make every epoch last
longer, e.g. to watch a grid run; being an environment variable, it changes no signature.

numpy and the model are imported inside `main` only: `dora grid` imports this module to
find `main`, and a grid of thousands of XPs then starts without loading them.
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Tuple

from omegaconf import DictConfig

from dora import get_xp, hydra_main

if TYPE_CHECKING:  # pragma: no cover
    from .model import Params

CHECKPOINT = "checkpoint.npz"


def save_checkpoint(path: Path, params: Params, epoch: int, history: List[dict]) -> None:
    """Write the checkpoint atomically: a killed process leaves the previous one intact."""
    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, epoch=np.array(epoch), history=np.array(json.dumps(history)), **params)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(buffer.getvalue())
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> Tuple[Params, int, List[dict]]:
    """Weights, number of epochs done and metric history saved by `save_checkpoint`."""
    import numpy as np

    with np.load(path, allow_pickle=False) as saved:
        params = {name: saved[name] for name in ("w1", "b1", "w2", "b2")}
        return params, int(saved["epoch"]), json.loads(str(saved["history"]))


def _log(epoch: int, metrics: Dict[str, Dict[str, float]]) -> None:
    train, valid = metrics["train"], metrics["valid"]
    print(
        f"epoch {epoch:3d} | train loss {train['loss']:.4f} acc {train['acc']:.2%}"
        f" | valid loss {valid['loss']:.4f} acc {valid['acc']:.2%}",
        flush=True,
    )


@hydra_main(config_name="config", config_path="conf", version_base="1.3")
def main(cfg: DictConfig) -> None:
    from . import model

    xp = get_xp()
    print(f"XP {xp.sig} in {xp.folder}", flush=True)
    data = model.load_data()
    checkpoint = Path(xp.folder) / CHECKPOINT

    if checkpoint.exists():
        params, start, history = load_checkpoint(checkpoint)
        xp.link.update_history(history)
        print(f"Resuming after epoch {start}", flush=True)
    else:
        n_in = data.x_train.shape[1]
        params, start = model.init_params(n_in, cfg.model.hidden, cfg.seed), 0

    sleep = float(os.environ.get("DIGITS_EPOCH_SLEEP", "0"))
    for epoch in range(start, cfg.epochs):
        if sleep > 0:
            time.sleep(sleep)
        train = model.train_epoch(
            params, data, epoch=epoch, seed=cfg.seed, lr=cfg.optim.lr,
            batch_size=cfg.optim.batch_size, weight_decay=cfg.optim.weight_decay,
        )
        metrics = {"train": train, "valid": model.evaluate(params, data.x_valid, data.y_valid)}
        xp.link.push_metrics(metrics)
        save_checkpoint(checkpoint, params, epoch + 1, list(xp.link.history))
        if cfg.log_every and (epoch + 1) % cfg.log_every == 0:
            _log(epoch + 1, metrics)

    if xp.link.history:
        best = max(entry["valid"]["acc"] for entry in xp.link.history)
        print(f"Done: best valid acc {best:.2%}", flush=True)


if __name__ == "__main__":
    main()

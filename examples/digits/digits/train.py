"""Training script of the digits example, made a Dora project by one decorator.

Run one XP in the foreground with ``dora run -- --lr=0.2``, or the whole grid in
``grids/demo.py`` with ``dora grid demo``. Each epoch pushes its metrics to the XP's
history and saves a checkpoint in the XP folder; a run that finds a checkpoint resumes
from it, so a cancelled or killed XP started again picks up where it stopped.

Set the environment variable ``DIGITS_EPOCH_SLEEP`` (seconds) to make every epoch
last longer, e.g. to watch a grid run; it is read here, not a flag, so it does not
change any signature.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np

from dora import argparse_main, get_xp

from . import model

CHECKPOINT = "checkpoint.npz"

parser = argparse.ArgumentParser("digits.train")
parser.add_argument("--lr", type=float, default=0.1, help="SGD learning rate")
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--hidden", type=int, default=64, help="units in the hidden layer")
parser.add_argument("--batch_size", type=int, default=32)
parser.add_argument("--weight_decay", type=float, default=1e-4)
parser.add_argument("--seed", type=int, default=42)
parser.add_argument(
    "--log_every", type=int, default=1,
    help="print metrics every N epochs (0: never); excluded from the signature",
)


def save_checkpoint(path: Path, params: model.Params, epoch: int, history: List[dict]) -> None:
    """Write the checkpoint atomically: a killed process leaves the previous one intact."""
    buffer = io.BytesIO()
    np.savez(buffer, epoch=np.array(epoch), history=np.array(json.dumps(history)), **params)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(buffer.getvalue())
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> Tuple[model.Params, int, List[dict]]:
    """Weights, number of epochs done and metric history saved by `save_checkpoint`."""
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


@argparse_main(dir="./outputs", parser=parser, exclude=["log_*"])
def main() -> None:
    xp = get_xp()
    args: Any = xp.cfg
    print(f"XP {xp.sig} in {xp.folder}", flush=True)
    data = model.load_data()
    checkpoint = Path(xp.folder) / CHECKPOINT

    if checkpoint.exists():
        params, start, history = load_checkpoint(checkpoint)
        xp.link.update_history(history)
        print(f"Resuming after epoch {start}", flush=True)
    else:
        params, start = model.init_params(data.x_train.shape[1], args.hidden, args.seed), 0

    sleep = float(os.environ.get("DIGITS_EPOCH_SLEEP", "0"))
    for epoch in range(start, args.epochs):
        if sleep > 0:
            time.sleep(sleep)
        train = model.train_epoch(
            params, data, epoch=epoch, seed=args.seed, lr=args.lr,
            batch_size=args.batch_size, weight_decay=args.weight_decay,
        )
        metrics = {"train": train, "valid": model.evaluate(params, data.x_valid, data.y_valid)}
        xp.link.push_metrics(metrics)
        save_checkpoint(checkpoint, params, epoch + 1, list(xp.link.history))
        if args.log_every and (epoch + 1) % args.log_every == 0:
            _log(epoch + 1, metrics)

    if xp.link.history:
        best = max(entry["valid"]["acc"] for entry in xp.link.history)
        print(f"Done: best valid acc {best:.2%}", flush=True)


if __name__ == "__main__":
    main()

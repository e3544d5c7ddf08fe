"""A small search over the model (a config group) and the learning rate: `dora grid demo`.

Six XPs of 15 epochs each; on a laptop (`--backend local`) they share the local slots
and finish in seconds. Group values (`model`) are passed as they are; other values are
written in Hydra's override grammar (`optim.lr=0.05`).
"""

from __future__ import annotations

from dora import Launcher

from ._explorers import DigitsExplorer


@DigitsExplorer
def explorer(launcher: Launcher) -> None:
    # gpus=0: CPU only; on the local backend such an XP takes one slot.
    launcher.slurm_(gpus=0, time=10)
    launcher.bind_(epochs=15)
    for model in ["mlp_small", "mlp_wide"]:
        sub = launcher.bind(model=model)
        for lr in [0.05, 0.1, 0.3]:
            sub({"optim.lr": lr})

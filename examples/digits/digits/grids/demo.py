"""A small search over learning rate and width: `dora grid demo`.

Six XPs of 15 epochs each; on a laptop (`--backend local`) they share the local slots
and finish in seconds.
"""

from __future__ import annotations

from dora import Launcher

from ._explorers import DigitsExplorer


@DigitsExplorer
def explorer(launcher: Launcher) -> None:
    # gpus=0: CPU only; on the local backend such an XP takes one slot.
    launcher.slurm_(gpus=0, time=10)
    launcher.bind_(epochs=15)
    for hidden in [32, 128]:
        sub = launcher.bind(hidden=hidden)
        for lr in [0.05, 0.1, 0.3]:
            sub(lr=lr)

"""The parts of Dora that need torch.

This package will hold what cannot run without torch: initialising
``torch.distributed`` for an XP and its helpers, the worker processes behind
``dora run -d``, and the PyTorch Lightning integration (``get_trainer``,
``trainer_from_argparse_args``). That content comes in a later issue; today the package
only takes its place in the layering (it may import dora-sig, dora-link and dora-shep,
and only dora-cli may import it) and in the installs of the repository.

Importing it never imports torch: the functions that need torch will import it when
called.
"""

from __future__ import annotations

from typing import List

from dora_lightning._version import __version__ as __version__

__all__: List[str] = []

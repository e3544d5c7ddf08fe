"""Hydra support: `hydra_main` decorates a training `main(cfg)` configured by Hydra.

Needs hydra-core (`pip install "dora-cli[hydra]"`); importing this module without it
raises an ImportError that says so.
"""

from __future__ import annotations

try:
    import hydra as _hydra  # noqa: F401
except ImportError as _exc:
    from . import HYDRA_MISSING

    raise ImportError(HYDRA_MISSING) from _exc

from ._hydra._main import HydraMain, HydraXP, hydra_main

__all__ = ["HydraMain", "HydraXP", "hydra_main"]

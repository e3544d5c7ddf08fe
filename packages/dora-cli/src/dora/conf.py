"""Compatibility: `dora.conf` of dora-search (configuration dataclasses)."""

from __future__ import annotations

from dora_shep.conf import DoraConfig, ShepConfig, SlurmConfig, SubmitRules, update_from_args

__all__ = ["DoraConfig", "ShepConfig", "SlurmConfig", "SubmitRules", "update_from_args"]

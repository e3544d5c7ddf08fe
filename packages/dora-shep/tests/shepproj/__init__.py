"""A tiny project used by the dora-shep tests (its jobs run in real processes)."""

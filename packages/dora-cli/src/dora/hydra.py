"""Placeholder: `dora.hydra` comes in a later release; importing it says so clearly."""

from ._later import not_available

raise not_available("hydra")

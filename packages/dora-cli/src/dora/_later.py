"""Messages for the parts of dora-search's API that later releases of dora-cli add."""

from __future__ import annotations

__all__ = ["not_available"]


def not_available(name: str) -> ImportError:
    """The ImportError raised by importing `dora.<name>` before it exists."""
    from . import _LATER, NotAvailableYet

    return NotAvailableYet(_LATER[name])

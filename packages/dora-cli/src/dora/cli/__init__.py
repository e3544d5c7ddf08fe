"""The `dora` command: parser, discovery of the project's main, one module per sub-command.

Sub-command modules are imported only when their sub-command runs.
"""

from __future__ import annotations

__all__: list = []

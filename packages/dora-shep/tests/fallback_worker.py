"""The local supervisor as on a system without /proc (macOS): no process listing."""

from __future__ import annotations

import sys

from dora_shep.backends.local import worker

worker._leftover_processes = lambda: None  # type: ignore[assignment]

if __name__ == "__main__":
    sys.exit(worker.main())

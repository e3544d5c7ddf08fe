"""The local backend: XPs run on this machine under detached supervisors, N at a time.

See `backend.LocalBackend` and docs/architecture.md ("The local backend"). Importing this
package imports nothing else, so the supervisor starts fast.
"""

from __future__ import annotations

__all__: list = []

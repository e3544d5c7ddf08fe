"""Layout and records of the local backend's state folder, `<dora.dir>/local/`.

```
local/
  counter, counter.lock      last job number, incremented under the lock
  jobs/<job id>.json         the job's state record (atomic writes)
  jobs/<job id>.alive        flock held by the job's processes from submission to the end
  jobs/<job id>.payload.json what the runner executes (plain data)
  jobs/<job id>.cancel       present once a cancel was requested
  queue/<job id>             present while the job waits for slots (FIFO by number)
  slots/slot-<i>.lock        flock held by the job's processes while it runs
  slots/count                N, the number of slots set by the latest submission
```
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..._atomic import atomic_write_text
from ...locks import FileLock

__all__ = ["PREFIX", "LocalPaths", "job_number", "read_state", "write_state"]

PREFIX = "local-"


def job_number(job_id: str) -> int:
    """The number of a local job id (`local-12` -> 12); -1 if it is not one."""
    if not job_id.startswith(PREFIX):
        return -1
    try:
        return int(job_id[len(PREFIX) :])
    except ValueError:
        return -1


class LocalPaths:
    """File names inside one local state folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.jobs = self.root / "jobs"
        self.queue = self.root / "queue"
        self.slots = self.root / "slots"

    def make(self) -> None:
        """Create the folders."""
        for folder in (self.jobs, self.queue, self.slots):
            folder.mkdir(parents=True, exist_ok=True)

    def job(self, job_id: str) -> Path:
        return self.jobs / f"{job_id}.json"

    def alive(self, job_id: str) -> Path:
        return self.jobs / f"{job_id}.alive"

    def payload(self, job_id: str) -> Path:
        return self.jobs / f"{job_id}.payload.json"

    def cancel(self, job_id: str) -> Path:
        return self.jobs / f"{job_id}.cancel"

    def queued(self, job_id: str) -> Path:
        return self.queue / job_id

    def slot(self, index: int) -> Path:
        return self.slots / f"slot-{index}.lock"

    def set_slot_count(self, total: int) -> None:
        """Record N for every job of this folder, waiting ones included (latest wins)."""
        atomic_write_text(self.slots / "count", f"{total}\n")

    def slot_count(self, default: int) -> int:
        """N as set by the latest submission; `default` when unset or unreadable."""
        try:
            return max(1, int((self.slots / "count").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return default

    def allocate_ids(self, count: int) -> List[str]:
        """`count` new job ids, never given out before in this folder."""
        with FileLock(self.root / "counter.lock"):
            counter = self.root / "counter"
            try:
                last = int(counter.read_text(encoding="utf-8").strip() or 0)
            except FileNotFoundError:
                last = 0
            except ValueError:
                last = max([job_number(p.stem) for p in self.jobs.glob("*.json")] + [0])
            atomic_write_text(counter, f"{last + count}\n")
        return [f"{PREFIX}{last + i + 1}" for i in range(count)]


def read_state(path: Path) -> Optional[Dict[str, Any]]:
    """The state record at `path`; None when missing; a FAILED record when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data
    except ValueError as exc:
        return {"state": "FAILED", "reason": f"the state file {path} is damaged ({exc})"}


def write_state(path: Path, data: Dict[str, Any]) -> None:
    """Save a state record atomically."""
    atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")

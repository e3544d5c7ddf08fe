"""Run an XP in a job: `python -m dora_shep.runner PAYLOAD.json`, or `SubmititTarget`.

The payload is plain data (no pickled object of the project crosses the process
boundary)::

    {"module": "myproj.train", "attribute": "main", "import_root": "/home/me/proj",
     "cwd": "/home/me/proj", "argv": ["--lr=0.1"], "requeue": true,
     "rendezvous_file": "/home/me/proj/outputs/xps/1234abcd/rendezvous.txt"}

The runner puts `import_root` first on `sys.path`, changes to `cwd`, imports the decorated
main by its import path and calls it with the argv. The exit code is 0 when the main
returns, 1 (with the traceback printed) when it raises, and the code given to
`sys.exit` otherwise.

In a Slurm job, submitit calls `SubmititTarget()(payload)` (the target pickles by
reference: only the class name and the payload are in the job's pickle). On preemption
or timeout, submitit calls its `checkpoint`: the callbacks registered with
`register_preemption_callback` run, rank 0 deletes the rendezvous file, and the same
payload is requeued (always after a preemption, up to `max_num_timeout` times after a
timeout); in a chain of dependent jobs (`requeue` false) the job exits with status 1
instead, so the next job of the chain starts.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

__all__ = [
    "SubmititTarget",
    "load_payload",
    "main",
    "register_preemption_callaback",
    "register_preemption_callback",
    "run_payload",
]

logger = logging.getLogger(__name__)

PreemptionCallback = Callable[[], None]
_preemption_callbacks: List[PreemptionCallback] = []

REQUIRED = ("module", "attribute", "argv")


def load_payload(path: Union[str, Path]) -> Dict[str, Any]:
    """Read and check a payload file.

    Raises:
        ValueError: when the file is not a payload.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or any(key not in data for key in REQUIRED):
        raise ValueError(f"{path} is not a job payload (needs {', '.join(REQUIRED)})")
    if not isinstance(data["argv"], list):
        raise ValueError(f"{path}: argv must be a list of strings")
    return data


def run_payload(payload: Dict[str, Any]) -> Any:
    """Import the main named by `payload` and call it with the payload's argv."""
    from .git_save import prepare_local_code
    from .main import load_main

    payload = prepare_local_code(payload)  # git_save with local_code: run from a copy
    root = payload.get("import_root")
    if root:
        sys.path.insert(0, str(root))
    cwd = payload.get("cwd")
    if cwd:
        os.chdir(cwd)
    argv = [str(arg) for arg in payload["argv"]]
    sys.argv = [sys.argv[0], *argv]
    main = load_main(payload["module"], payload["attribute"])
    return main(argv)


def register_preemption_callback(callback: PreemptionCallback) -> None:
    """Call `callback()` (e.g. to save a checkpoint) when the Slurm job is preempted or
    times out, before it is requeued."""
    _preemption_callbacks.append(callback)


#: dora-search's spelling of `register_preemption_callback`.
register_preemption_callaback = register_preemption_callback


def _slurm_env_rank() -> Optional[int]:
    """This task's global rank inside a Slurm job started by submitit, else None."""
    if os.environ.get("SUBMITIT_EXECUTOR") != "slurm":
        return None
    try:
        return int(os.environ["SLURM_PROCID"])
    except (KeyError, ValueError):
        return None


def _rank() -> int:
    from .distrib import get_distrib_spec

    try:
        return get_distrib_spec().rank
    except Exception:  # inconsistent variables: fall back to Slurm's own
        rank = _slurm_env_rank()
        return 0 if rank is None else rank


class SubmititTarget:
    """What submitit runs in a Slurm job: `SubmititTarget()(payload)`.

    Holds no state: the payload (plain data) is the only argument, and `checkpoint`
    returns a resubmission of the very same payload.
    """

    def __call__(self, payload: Dict[str, Any]) -> None:
        rank = _slurm_env_rank()
        if rank is not None:
            # Variables inherited from the submitting shell (sbatch exports it) must not
            # override where this task sits in the job.
            for name in ("WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
                os.environ.pop(name, None)
            os.environ["RANK"] = str(rank)
        print(
            f"dora: job {os.environ.get('SLURM_JOB_ID', '?')} runs "
            f"{payload.get('module')}.{payload.get('attribute')} {payload.get('argv')} "
            f"with {sys.executable} in {payload.get('cwd') or os.getcwd()}",
            file=sys.stderr,
            flush=True,
        )
        run_payload(payload)

    def checkpoint(self, payload: Dict[str, Any]) -> Any:
        """Called by submitit on preemption or timeout (on global rank 0).

        Returns:
            a submitit DelayedSubmission of this target with the same payload.

        Raises:
            SystemExit: with status 1 when the payload says not to requeue (dependents).
        """
        for callback in list(_preemption_callbacks):
            try:
                callback()
            except Exception:
                logger.exception("A preemption callback failed")
                traceback.print_exc()
        if not payload.get("requeue", True):
            print("dora: not requeued (dependent jobs): exiting with status 1",
                  file=sys.stderr, flush=True)
            sys.exit(1)
        rendezvous = payload.get("rendezvous_file")
        if rendezvous and _rank() == 0:
            try:
                os.unlink(rendezvous)
            except FileNotFoundError:
                pass
            except OSError as exc:
                print(f"dora: could not delete {rendezvous}: {exc}", file=sys.stderr)
        from submitit.core.utils import DelayedSubmission

        return DelayedSubmission(self, payload)


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m dora_shep.runner PAYLOAD.json", file=sys.stderr)
        return 2
    try:
        payload = load_payload(args[0])
    except (OSError, ValueError) as exc:
        print(f"dora: cannot read the job payload: {exc}", file=sys.stderr)
        return 2
    try:
        run_payload(payload)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

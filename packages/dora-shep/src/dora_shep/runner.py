"""Run an XP in a job: `python -m dora_shep.runner PAYLOAD.json`.

The payload is plain data (no pickled object crosses the process boundary)::

    {"module": "myproj.train", "attribute": "main", "import_root": "/home/me/proj",
     "cwd": "/home/me/proj", "argv": ["--lr=0.1"], "requeue": true}

The runner puts `import_root` first on `sys.path`, changes to `cwd`, imports the decorated
main by its import path and calls it with the argv. The exit code is 0 when the main
returns, 1 (with the traceback printed) when it raises, and the code given to
`sys.exit` otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

__all__ = ["load_payload", "main", "run_payload"]

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
    from .main import load_main

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

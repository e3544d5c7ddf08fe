"""The `dora` command (`dora ...` or `python -m dora ...`)."""

from __future__ import annotations

import importlib
import sys
from typing import List, Optional

__all__ = ["main"]


def main(argv: Optional[List[str]] = None) -> int:
    """Run the `dora` command with `argv` (default: `sys.argv[1:]`); returns the exit status.

    A user mistake (no package found, unknown grid or sig, a grid file that raises, ...)
    prints one `FATAL: ...` message on stderr and returns 1; argparse usage errors exit 2.
    """
    from .cli.common import is_user_error
    from .cli.parser import build_parser, late_patterns, leftover_error
    from .log import setup_logging, simple_log

    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not late_patterns(args, extra):  # patterns after a flag are taken
        leftover_error(parser, args, extra)
    setup_logging(args.verbose)
    try:
        from .cli.discover import find_main

        decorated = find_main(args.package, args.main_module)
        action = importlib.import_module(f"dora.cli.{args.command}").action
        return int(action(args, decorated) or 0)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:  # `dora ... | head`: the reader left, nothing more to say
        _silence_stdout()
        return 141
    except Exception as exc:
        if not is_user_error(exc):
            raise
        simple_log("FATAL:", str(exc))
        return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises no second error."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())

"""The argument parser of the `dora` command (no heavy import: `dora --help` stays fast)."""

from __future__ import annotations

import argparse
import re
from typing import List, NoReturn

__all__ = ["build_parser", "COMMANDS", "is_pattern", "late_patterns", "leftover_error"]

COMMANDS = ("run", "launch", "info", "grid")
BACKENDS = ("auto", "local", "slurm")


def _add_from_sig(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-f", "--from_sig", metavar="SIG",
        help="start from the argv stored for this signature (added before ARGV)",
    )


def _add_argv(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "argv", nargs="*", default=[],
        help="arguments of the XP; for argparse projects put them after `--`",
    )


def _add_rules(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-r", "--retry", action="store_true",
                        help="reschedule failed or cancelled XPs")
    parser.add_argument("-R", "--replace", action="store_true",
                        help="cancel pending or running jobs and schedule them again")
    parser.add_argument("-D", "--replace_done", action="store_true",
                        help="reschedule XPs that completed")


def _add_backend(parser: argparse.ArgumentParser, submits: bool) -> None:
    if submits:
        text = ("where jobs run (default: the project's, auto = Slurm if a controller "
                "answers, else this machine)")
    else:
        text = ("as for launch and grid; this command schedules nothing: a job is read "
                "through the backend that runs it, and one that does not answer makes "
                "its state UNKNOWN, not an error")
    parser.add_argument("--backend", choices=BACKENDS, help=text)


def _add_submission(parser: argparse.ArgumentParser) -> None:
    _add_backend(parser, submits=True)
    parser.add_argument("--slots", type=int, metavar="N",
                        help="local backend: run at most N slots of XPs at once (default: "
                        "the project's `slots`, else one per visible GPU, else 1)")
    parser.add_argument("--no_git_save", action="store_false", dest="git_save", default=None,
                        help="do not run the jobs from a clone of the repository")
    parser.add_argument("-g", "--gpus", type=int, help="number of GPUs per XP")
    parser.add_argument("-p", "--partition", help="Slurm partition")
    parser.add_argument("--dev", action="store_true",
                        help="use the development partition (the Slurm config's "
                        "`dev_partition`, devlab by default)")
    parser.add_argument("-c", "--comment", help="Slurm comment")
    parser.add_argument("--constraint", help="Slurm constraint")


def _add_run(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run an XP here, in this process")
    _add_from_sig(parser)
    parser.add_argument("--clear", action="store_true",
                        help="cancel the XP's job if any and delete its folder first")
    parser.add_argument("--git_save", action="store_true", default=False,
                        help="run from a clean clone of the repository's last commit")
    parser.add_argument("-d", "--ddp", action="store_true",
                        help="distributed run on all GPUs (not available yet)")
    parser.add_argument("--ddp_workers", type=int, help="number of distributed workers")
    _add_backend(parser, submits=False)
    _add_argv(parser)


def _add_launch(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("launch", help="schedule one XP as a job and follow its log")
    _add_from_sig(parser)
    _add_rules(parser)
    parser.add_argument("-C", "--cancel", action="store_true", help="cancel the XP's job")
    parser.add_argument("--clear", action="store_true",
                        help="cancel the XP's job, delete its folder, schedule it again")
    parser.add_argument("--no_tail", action="store_true", help="do not follow the log")
    parser.add_argument("-a", "--attach", action="store_true",
                        help="follow the log and cancel the job on Ctrl-C")
    _add_submission(parser)
    _add_argv(parser)


def _add_info(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="show the state, folder and log of an XP")
    _add_from_sig(parser)
    parser.add_argument("-j", "--job_id", help="find the XP by job id")
    parser.add_argument("-C", "--cancel", action="store_true", help="cancel the XP's job")
    parser.add_argument("-l", "--log", action="store_true", help="print the log")
    parser.add_argument("-t", "--tail", action="store_true", help="follow the log")
    parser.add_argument("-m", "--metrics", action="store_true",
                        help="print the last metrics entry")
    _add_backend(parser, submits=False)
    _add_argv(parser)


def _add_grid(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("grid", help="reconcile a grid with its jobs and monitor it")
    parser.add_argument("grid", nargs="?", help="grid name (a.b for grids/a/b.py); "
                        "none lists the grids")
    parser.add_argument("patterns", nargs="*", default=[],
                        help="select XPs: a glob matched anywhere in the name, !glob to "
                        "drop, or an index in the table; all must hold")
    _add_rules(parser)
    parser.add_argument("-C", "--cancel", action="store_true",
                        help="cancel the selected XPs, schedule nothing")
    parser.add_argument("--clear", action="store_true",
                        help="cancel, delete the folders and reschedule (asks first)")
    parser.add_argument("--dry_run", action="store_true",
                        help="show what would happen; schedule, cancel and link nothing "
                        "(with --init, only the XP folders are written)")
    parser.add_argument("--init", action="store_true",
                        help="also write the folders (argv) of the selected XPs, so that "
                        "`dora run -f SIG` finds them")
    parser.add_argument("--no_monitoring", action="store_false", dest="monitor",
                        help="draw the table once and return")
    parser.add_argument("-i", "--interval", type=float, default=5.0,
                        help="minutes between table refreshes (default 5)")
    parser.add_argument("-T", "--trim", type=int, metavar="IDX",
                        help="trim histories to the length of XP IDX")
    parser.add_argument("-L", "--trim_last", action="store_true",
                        help="trim histories to the shortest one")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("-f", "--folder", type=int, metavar="IDX", help="print XP IDX's folder")
    action.add_argument("-l", "--log", type=int, metavar="IDX", help="print XP IDX's log")
    action.add_argument("-t", "--tail", type=int, metavar="IDX", help="follow XP IDX's log")
    _add_submission(parser)


_NEGATIVE_INDEX = re.compile(r"-[0-9]+")


def is_pattern(token: str) -> bool:
    """Whether a token left over by argparse is a grid pattern: anything that is not a
    flag, and negative indexes such as `-1` (the last XP), which no flag looks like."""
    return not token.startswith("-") or bool(_NEGATIVE_INDEX.fullmatch(token))


def late_patterns(args: argparse.Namespace, extra: List[str]) -> bool:
    """Moves the grid patterns argparse left over into `args.patterns`; False when `extra`
    holds anything else (an unknown flag, or patterns without a grid name).

    argparse takes the positionals in one go: in `dora grid demo --backend local a -1`,
    `a` and `-1` come after a flag and are left over; they are patterns all the same.
    """
    if not (getattr(args, "command", None) == "grid" and args.grid and extra
            and all(is_pattern(token) for token in extra)):
        return False
    args.patterns = [*args.patterns, *extra]
    return True


def leftover_error(parser: argparse.ArgumentParser, args: argparse.Namespace,
                   extra: List[str]) -> NoReturn:
    """Report arguments argparse did not take, with the usage of the command they were
    given to and, for XP commands, where the XP's own flags go; exits with status 2."""
    command = getattr(args, "command", None)
    sub = _subparsers(parser).get(command) if command else None
    message = f"unrecognized arguments: {' '.join(extra)}"
    if command in ("run", "launch", "info") and any(t.startswith("-") for t in extra):
        flags = " ".join(extra)
        message += (
            f". Arguments of the XP go after `--`: `dora {command} -- {flags}` for an "
            "argparse project; Hydra overrides take no dashes (`key=value`).")
    (sub or parser).error(message)
    raise AssertionError("unreachable")  # pragma: no cover - error() exits


def _subparsers(parser: argparse.ArgumentParser) -> dict:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def build_parser() -> argparse.ArgumentParser:
    """The parser of `dora [-P PKG] [-M MODULE] [-v] COMMAND ...`."""
    parser = argparse.ArgumentParser(
        prog="dora",
        description="Dora, the experiment manager: run, launch, inspect and grid-search "
        "XPs of a project whose main is decorated with @argparse_main or @hydra_main.",
    )
    parser.add_argument("-P", "--package",
                        help="the training package (default: $DORA_PACKAGE, or the one "
                        "folder of the current directory holding the main module)")
    parser.add_argument("-M", "--main_module",
                        help="module of the package holding `main` (default: "
                        "$DORA_MAIN_MODULE, or train)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    _add_run(subparsers)
    _add_launch(subparsers)
    _add_info(subparsers)
    _add_grid(subparsers)
    return parser

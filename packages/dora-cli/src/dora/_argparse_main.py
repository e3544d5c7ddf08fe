"""The argparse back-end: `@argparse_main(...)` turns a training `main()` into a decorated main.

The signature of an XP is computed from the parsed arguments that differ from the
parser's defaults (by `dest`), as dora-search does, so existing XP folders are found.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, Union

from dora_shep.conf import DoraConfig, SlurmConfig
from dora_shep.main import MainBase
from dora_shep.xp import XP

__all__ = ["ArgparseMain", "argparse_main"]


class ArgparseMain(MainBase):
    """A decorated main whose XPs are described by command-line flags.

    Args:
        main: the user function (takes no argument; reads `get_xp().cfg`).
        dora: the project's DoraConfig.
        parser: the project's ArgumentParser.
        slurm: the default SlurmConfig of `dora launch` / `dora grid`.
        use_underscore: keep `_` in flags built from launcher keys (`--batch_size`);
            False turns them into dashes (`--batch-size`).
    """

    def __init__(
        self,
        main: Callable,
        dora: DoraConfig,
        parser: argparse.ArgumentParser,
        slurm: Optional[SlurmConfig] = None,
        use_underscore: bool = True,
    ) -> None:
        super().__init__(main, dora, slurm)
        self.parser = parser
        self.use_underscore = use_underscore

    def get_xp(self, argv: Sequence[str]) -> XP:
        """Parse `argv` and build its XP.

        The parser's own errors exit the process (status 2) with argparse's message.
        """
        if isinstance(argv, str):
            raise TypeError(f"argv must be a list of strings, not the string {argv!r}.")
        from dora_sig import argparse_delta

        argv = list(argv)
        namespace = self.parser.parse_args(argv)
        delta = argparse_delta(self.parser, namespace)
        return XP(dora=self.dora, cfg=namespace, argv=argv, delta=delta)

    def get_xp_from_argv(self, argv: Sequence[str]) -> XP:
        """Same as `get_xp` (the name the dora-search README uses)."""
        return self.get_xp(argv)

    def _flag(self, key: Any) -> str:
        name = str(key)
        if not self.use_underscore:
            name = name.replace("_", "-")
        return f"--{name}"

    def value_to_argv(self, arg: Any) -> List[str]:
        """Turn a launcher value into flags.

        A string is kept as it is; a dict gives `--key=value` per entry (a bare `--key`
        for the value True); a list or tuple is converted item by item.

        Raises:
            ValueError: for any other type.
        """
        if isinstance(arg, str):
            return [arg]
        if isinstance(arg, dict):
            argv = []
            for key, value in arg.items():
                flag = self._flag(key)
                argv.append(flag if value is True else f"{flag}={value}")
            return argv
        if isinstance(arg, (list, tuple)):
            return [item for part in arg for item in self.value_to_argv(part)]
        raise ValueError(
            f"Cannot turn {arg!r} ({type(arg).__name__}) into command-line flags: give a "
            "string, a dict of flag values, or a list of those."
        )


def argparse_main(
    parser: Optional[argparse.ArgumentParser] = None,
    *,
    dir: Union[str, Path] = "./outputs",
    exclude: Optional[Sequence[str]] = None,
    use_underscore: bool = True,
    git_save: bool = False,
    slurm: Optional[SlurmConfig] = None,
    shared: Union[str, Path, None] = None,
    **dora_kwargs: Any,
) -> Callable[[Callable], ArgparseMain]:
    """Decorate the `main()` of a training script that uses argparse.

    Args:
        parser: the ArgumentParser of the project (default: one with no arguments).
        dir: where XP folders live (`<dir>/xps/<sig>`); relative to where Dora starts.
        exclude: glob patterns of argument dests left out of signatures.
        use_underscore: see `ArgparseMain`.
        git_save: run scheduled XPs from a clean clone of the repository.
        slurm: the default SlurmConfig.
        shared: a shared repository of XP argv, for teammates.
        dora_kwargs: any other DoraConfig field (e.g. `grid_package`, `backend`).

    Raises:
        TypeError: for a keyword that is not a DoraConfig field.
    """
    valid = {item.name for item in dataclasses.fields(DoraConfig)}
    unknown = sorted(set(dora_kwargs) - valid)
    if unknown:
        raise TypeError(
            f"argparse_main got unknown option(s) {', '.join(unknown)}. Valid options: "
            f"parser, dir, exclude, use_underscore, git_save, slurm, shared, "
            f"{', '.join(sorted(valid - {'dir', 'exclude', 'git_save', 'shared'}))}."
        )
    if parser is None:
        parser = argparse.ArgumentParser()

    def decorator(main: Callable) -> ArgparseMain:
        dora = DoraConfig(
            dir=Path(dir),
            exclude=list(exclude or []),
            git_save=git_save,
            shared=Path(shared) if shared is not None else None,
            **dora_kwargs,
        )
        return ArgparseMain(main, dora, parser, slurm=slurm, use_underscore=use_underscore)

    return decorator

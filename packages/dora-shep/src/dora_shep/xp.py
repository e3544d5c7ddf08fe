"""The XP: one experiment, identified by its signature, with its folder and metric link.

Also the current-XP context (`get_xp`, `is_xp`) and `init_xp_folder`, which writes the
argv and the delta of an XP into its folder and detects signature collisions.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence

from dora_link import Link
from dora_sig import exclude, signature, to_jsonable

from ._atomic import atomic_write_text
from .conf import DoraConfig
from .distrib import get_distrib_spec
from .errors import CorruptFileError, SignatureCollisionError

__all__ = ["DELTA_FILE", "XP", "get_xp", "init_xp_folder", "is_xp"]

logger = logging.getLogger(__name__)

ARGV_FILE = ".argv.json"
DELTA_FILE = ".delta.json"

_stack: List[XP] = []


class XP:
    """One experiment: a config, the argv that produced it, its delta and signature.

    Args:
        dora: the project's DoraConfig (where the XP folder lives).
        cfg: the parsed config (argparse Namespace, OmegaConf config, or None).
        argv: the arguments that produce `cfg`.
        sig: the signature; computed from `delta` when not given.
        delta: `(name, value)` pairs that differ from the defaults. Excluded names are
            dropped and values made JSON-able before the signature is computed.

    Equality compares dora, cfg, argv, sig and delta (not the link).
    """

    def __init__(
        self,
        dora: DoraConfig,
        cfg: Any,
        argv: Sequence[str],
        sig: Optional[str] = None,
        delta: Optional[Sequence[Sequence[Any]]] = None,
    ) -> None:
        self.dora = dora
        self.cfg = cfg
        self.argv: List[str] = list(argv)
        self.delta: Optional[List[list]] = None
        if delta is not None:
            kept = exclude([(name, value) for name, value in delta], dora.exclude)
            self.delta = [list(pair) for pair in to_jsonable(kept)]
        if sig is None:
            if self.delta is None:
                raise ValueError("An XP needs a signature or a delta to compute it from.")
            sig = signature([(name, value) for name, value in self.delta])
        self.sig: str = sig
        is_writer = get_distrib_spec().rank == 0
        self.link = Link(self.history, is_writer=is_writer)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, XP):
            return NotImplemented
        return (self.dora, self.cfg, self.argv, self.sig, self.delta) == (
            other.dora,
            other.cfg,
            other.argv,
            other.sig,
            other.delta,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"XP(sig={self.sig!r}, argv={self.argv!r})"

    @property
    def folder(self) -> Path:
        """`<dir>/xps/<sig>`."""
        return self.dora.dir / self.dora.xps / self.sig

    @property
    def code_folder(self) -> Path:
        """The code clone of this XP with git_save, else the relative path `.`."""
        if self.dora.git_save:
            return self.folder / "code"
        return Path(".")

    @property
    def _xp_submitit(self) -> Path:
        return self.folder / self.dora.shep.submitit_folder

    @property
    def _latest_submitit(self) -> Path:
        return self.folder / self.dora.shep.latest_submitit

    @property
    def submitit(self) -> Path:
        """The log folder of the latest submission (`latest` when it exists)."""
        latest = self._latest_submitit
        if latest.exists():
            return latest
        return self._xp_submitit

    @property
    def rendezvous_file(self) -> Path:
        """File used by torch.distributed's file rendezvous."""
        return self.folder / self.dora.rendezvous_file

    @property
    def history(self) -> Path:
        """The metric history file."""
        return self.folder / self.dora.history

    @property
    def _argv_cache(self) -> Path:
        return self.folder / ARGV_FILE

    @property
    def _delta_cache(self) -> Path:
        return self.folder / DELTA_FILE

    @property
    def _job_file(self) -> Path:
        return self.folder / self.dora.shep.json_job_file

    @property
    def _shared_folder(self) -> Optional[Path]:
        if self.dora.shared is None:
            return None
        return self.dora.shared / self.dora.xps / self.sig

    @property
    def _shared_argv_cache(self) -> Optional[Path]:
        shared = self._shared_folder
        return None if shared is None else shared / ARGV_FILE

    @contextmanager
    def enter(self, stack: bool = False) -> Iterator[XP]:
        """Make this XP the current one (`get_xp()`) for the duration of the block.

        Raises:
            RuntimeError: when an XP is already active and `stack` is False.
        """
        if _stack and not stack:
            raise RuntimeError("Already in a xp.")
        _stack.append(self)
        try:
            yield self
        finally:
            _stack.pop()


def get_xp() -> XP:
    """The current XP. Raises RuntimeError("Not in a xp!") outside of one."""
    if not _stack:
        raise RuntimeError("Not in a xp!")
    return _stack[-1]


def is_xp() -> bool:
    """Whether an XP is active."""
    return bool(_stack)


def _canonical(delta: Any) -> Optional[str]:
    """A canonical text of `delta` (None if it is not a list of pairs): equal means same XP."""
    if not isinstance(delta, list) or not all(isinstance(pair, list) for pair in delta):
        return None
    return json.dumps(sorted(json.dumps(pair) for pair in delta))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CorruptFileError(
            f"{path} is not valid JSON ({exc}). It was damaged or edited by hand: "
            "fix it, or delete it and run the XP again to rewrite it."
        ) from None


def _write_if_changed(path: Path, text: str, mode: Optional[int] = None) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, ValueError):
        pass
    atomic_write_text(path, text, mode=mode)


def _check_delta(xp: XP) -> None:
    """Write the delta beside the argv, or check it against the stored one."""
    if xp.delta is None:
        return
    path = xp._delta_cache
    if path.exists():
        stored = _read_json(path)
        if _canonical(stored) is None:
            raise CorruptFileError(
                f"{path} does not hold a list of [name, value] pairs. Fix it, or delete it "
                "and run the XP again to rewrite it."
            )
        if _canonical(stored) != _canonical(xp.delta):
            raise SignatureCollisionError(
                f"Signature collision on {xp.sig}: the XP folder {xp.folder} was made for "
                f"the delta {stored!r}, but this XP has the delta {xp.delta!r}. Two "
                "different XPs hash to the same signature; the folder was left untouched. "
                "Change one argument of the new XP (e.g. add a seed) to get another "
                "signature."
            )
        return
    atomic_write_text(path, json.dumps(xp.delta))


def _write_shared(xp: XP, text: str) -> None:
    shared = xp._shared_folder
    if shared is None:
        return
    try:
        for folder in (shared.parent.parent, shared.parent, shared):
            if not folder.exists():
                folder.mkdir(exist_ok=True)
                try:
                    os.chmod(folder, 0o777)
                except OSError:
                    pass
        _write_if_changed(shared / ARGV_FILE, text, mode=0o777)
    except OSError as exc:
        logger.warning(
            "Could not write the shared copy of the argv of %s in %s: %s", xp.sig, shared, exc
        )


def init_xp_folder(xp: XP) -> None:
    """Create the XP folder and write `.argv.json` and `.delta.json` (both atomically).

    A folder made by dora-search (no `.delta.json`) gets one. The shared repository,
    when configured, gets a copy of the argv; failing to write it only warns.

    Raises:
        SignatureCollisionError: when the folder's stored delta is not this XP's delta.
        CorruptFileError: when the stored delta cannot be read.
    """
    xp.folder.mkdir(parents=True, exist_ok=True)
    _check_delta(xp)
    text = json.dumps(xp.argv)
    _write_if_changed(xp._argv_cache, text)
    _write_shared(xp, text)

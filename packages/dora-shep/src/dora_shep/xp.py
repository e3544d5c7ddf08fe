"""The XP: one experiment, identified by its signature, with its folder and metric link.

Also the current-XP context (`get_xp`, `is_xp`), `init_xp_folder`, which writes the
argv and the delta of an XP into its folder, and `check_xp_folder`, which finds (reading
only) a signature collision or a damaged `.delta.json` / `.argv.json` in it.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import (
    Any,
    Collection,
    FrozenSet,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from dora_link import Link
from dora_sig import exclude, signature, to_jsonable

from ._atomic import atomic_write_text
from .conf import DoraConfig
from .distrib import get_distrib_spec
from .errors import CorruptFileError, ShepError, SignatureCollisionError

__all__ = [
    "DELTA_FILE",
    "XP",
    "FolderProblem",
    "check_xp_folder",
    "folder_listing",
    "get_xp",
    "init_xp_folder",
    "is_xp",
    "write_missing_delta",
]

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
    if not isinstance(delta, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) for pair in delta
    ):
        return None
    return json.dumps(sorted(json.dumps(pair) for pair in delta))


COLLISION = "collision"


@dataclass(frozen=True)
class FolderProblem:
    """What is wrong with an XP folder for one XP, found without writing anything.

    Attributes:
        kind: `collision` (the folder's `.delta.json` holds another delta), or the file
            that cannot be read: `delta` (`.delta.json`), `argv` (`.argv.json`) or `job`
            (`job.json`, or dora-search's `job.pkl`).
        path: the file concerned.
        message: one message naming the file, the problem and the fix.
    """

    kind: str
    path: Path
    message: str

    @property
    def label(self) -> str:
        """A few words for a table row: `signature collision`, `.argv.json damaged`..."""
        return "signature collision" if self.kind == COLLISION else f"{self.path.name} damaged"

    @property
    def job_unknown(self) -> bool:
        """Whether the folder's job cannot be taken as this XP's (so it is neither
        scheduled nor cancelled): a collision, a damaged delta or job record."""
        return self.kind != "argv"

    @property
    def owner_unknown(self) -> bool:
        """Whether the folder may be another XP's (collision, damaged delta): its metrics
        are not shown as this XP's, and no grid links to it."""
        return self.kind in (COLLISION, "delta")

    def error(self) -> ShepError:
        """The exception to raise where this XP cannot go on."""
        if self.kind == COLLISION:
            return SignatureCollisionError(self.message)
        return CorruptFileError(self.message)


def folder_listing(folder: Union[str, Path]) -> FrozenSet[str]:
    """The names in `folder` (empty when it does not exist): one system call for a new XP."""
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return frozenset()


def _move_away(path: str) -> str:
    return f"`mv {path} {path}.bad`"


def _read_raw(path: str) -> Tuple[Optional[bytes], Optional[str]]:
    """(bytes, None), or (None, what is wrong) when `path` cannot be read.

    Raises:
        FileNotFoundError: when it does not exist.
    """
    try:
        with open(path, "rb") as handle:
            return handle.read(), None
    except FileNotFoundError:
        raise
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"


def _parse(raw: bytes) -> Tuple[Any, Optional[str]]:
    """(content, None), or (None, what is wrong) when `raw` is not JSON text."""
    try:
        return json.loads(raw.decode("utf-8")), None
    except ValueError as exc:
        return None, f"not valid JSON: {exc}"


#: What `_read_stored` returns for a file holding exactly the text Dora would write.
_AS_WRITTEN = object()


def _read_stored(path: str, written: Optional[str] = None) -> Tuple[Any, Optional[str]]:
    """(content, None), or (None, what is wrong); `(_AS_WRITTEN, None)` when the file
    holds exactly `written` (the common case, answered without parsing).

    Raises:
        FileNotFoundError: when it does not exist.
    """
    raw, detail = _read_raw(path)
    if raw is None:
        return None, detail
    if written is not None and raw == written.encode("utf-8"):
        return _AS_WRITTEN, None
    return _parse(raw)


def _delta_problem(xp: XP, folder: str) -> Optional[FolderProblem]:
    assert xp.delta is not None
    path = os.path.join(folder, DELTA_FILE)
    stored, detail = _read_stored(path, json.dumps(xp.delta))
    if stored is _AS_WRITTEN:
        return None
    if detail is None and _canonical(stored) is None:
        detail = "not a list of [name, value] pairs"
    if detail is not None:
        return FolderProblem(
            "delta",
            Path(path),
            f"{path} is damaged ({detail}): Dora cannot tell whether the folder "
            f"{folder} belongs to XP {xp.sig}, and leaves it as it is. If its .argv.json "
            f"holds this XP's arguments, move the file away ({_move_away(path)}) and run "
            "again: Dora writes it again.",
        )
    if _canonical(stored) != _canonical(xp.delta):
        return FolderProblem(
            COLLISION,
            Path(path),
            f"Signature collision on {xp.sig}: the XP folder {folder} was made for the "
            f"delta {stored!r}, but this XP has the delta {xp.delta!r}. Two different XPs "
            "hash to the same signature; the folder is left untouched (nothing scheduled, "
            "cancelled, rewritten or deleted). Change one argument of the new XP (e.g. add "
            "a seed) to get another signature.",
        )
    return None


def _argv_problem(xp: XP, folder: str) -> Optional[FolderProblem]:
    path = os.path.join(folder, ARGV_FILE)
    stored, detail = _read_stored(path, json.dumps(xp.argv))
    if stored is _AS_WRITTEN:
        return None
    if detail is None and not (
        isinstance(stored, list) and all(isinstance(arg, str) for arg in stored)
    ):
        detail = "not a JSON list of strings"
    if detail is None:
        return None
    return FolderProblem(
        "argv",
        Path(path),
        f"{path} is damaged ({detail}) and Dora never overwrites it: move it away "
        f"({_move_away(path)}) and run again, Dora writes it again from the arguments of "
        f"XP {xp.sig}.",
    )


def check_xp_folder(
    xp: XP, names: Optional[Collection[str]] = None, folder: Optional[Path] = None
) -> Optional[FolderProblem]:
    """What is wrong with the XP's folder for this XP; reads, never writes.

    A folder that does not exist yet, or made by dora-search (no `.delta.json`), is fine.

    Args:
        xp: the XP.
        names: the names in its folder, when the caller listed it already.
        folder: `xp.folder`, when the caller has it already.

    Returns:
        a collision (the stored delta is another XP's), a damaged `.delta.json` or
        `.argv.json`, else None.
    """
    where = str(folder if folder is not None else xp.folder)
    if names is None:
        names = folder_listing(where)
    try:
        if xp.delta is not None and DELTA_FILE in names:
            problem = _delta_problem(xp, where)
            if problem is not None:
                return problem
        if ARGV_FILE in names:
            return _argv_problem(xp, where)
    except FileNotFoundError:  # deleted meanwhile: a new folder
        pass
    return None


def write_missing_delta(xp: XP) -> bool:
    """Give an existing folder made by dora-search (no `.delta.json`) this XP's delta.

    For commands that may write: a dry run never calls it. Returns whether it wrote.

    Raises:
        OSError: when the folder cannot be written.
    """
    if xp.delta is None or not xp.folder.is_dir() or os.path.lexists(xp._delta_cache):
        return False
    atomic_write_text(xp._delta_cache, json.dumps(xp.delta))
    return True


def _write_if_changed(path: Path, text: str, mode: Optional[int] = None) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, ValueError):
        pass
    atomic_write_text(path, text, mode=mode)


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
        copy = shared / ARGV_FILE
        if os.path.lexists(copy):
            stored, detail = _read_stored(str(copy))
            if detail is None and not isinstance(stored, list):
                detail = "not a JSON list"
            if detail is not None:
                logger.warning(
                    "The shared copy of the argv of %s, %s, is damaged (%s): left as it is. "
                    "Move it away to let Dora write it again.", xp.sig, copy, detail
                )
                return
        _write_if_changed(copy, text, mode=0o777)
    except OSError as exc:
        logger.warning(
            "Could not write the shared copy of the argv of %s in %s: %s", xp.sig, shared, exc
        )


def init_xp_folder(xp: XP) -> None:
    """Create the XP folder and write `.argv.json` and `.delta.json` (both atomically).

    A folder made by dora-search (no `.delta.json`) gets one. A damaged file is never
    overwritten. The shared repository, when configured, gets a copy of the argv;
    failing to write it only warns.

    Raises:
        SignatureCollisionError: when the folder's stored delta is not this XP's delta.
        CorruptFileError: when the stored delta or argv cannot be read.
    """
    problem = check_xp_folder(xp)
    if problem is not None:
        raise problem.error()
    xp.folder.mkdir(parents=True, exist_ok=True)
    write_missing_delta(xp)
    text = json.dumps(xp.argv)
    _write_if_changed(xp._argv_cache, text)
    _write_shared(xp, text)

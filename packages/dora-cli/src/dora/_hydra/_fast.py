"""The fast path of a Hydra signature: compose once per combination of group choices.

The reference composes the whole config twice per XP (about 50 ms). Here, for an argv
whose overrides are all plain group choices (`model=big`) and plain value overrides
(`lr=0.1`, `+k=v`, `++k=v`, `a.b={x: 1}`), the config is composed once per combination of
group choices, and the value overrides are applied to a working copy of that composition
by Hydra's own function (`ConfigLoaderImpl._apply_overrides_to_config`), after parsing
them with Hydra's own override parser. That is exactly what `compose` does after building
the defaults list, which value overrides cannot change, so the config is the same one
`compose` would give, with the same types (`41.0` stays a float, quoted strings are
strings).

The diff then only visits the key paths the overrides touch, plus every path holding an
interpolation or a `???` (found once per composition): every other subtree is untouched,
hence identical in both configs. Finally the touched subtrees of the working copy are
replaced by copies of the composition's, so the copy serves the next XP without a full
deep copy. Anything else (sweeps, `@package`, `+group=x`, `hydra.*` keys, a path through
an interpolation, keys that are not plain strings, any error) goes through the slow path,
which is the reference's algorithm: the slow path also gives every error message.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.nodes import ValueNode

from dora_sig import to_jsonable

from ._delta import ALL, BaseCache, Relevant, _All, config_delta

__all__ = ["FastPath", "scan"]

Pair = Tuple[str, Any]
Path = Tuple[str, ...]


def _load_apply() -> Optional[Callable[[List[Any], Any], None]]:
    """Hydra's function applying value overrides to a composed config (None if absent)."""
    try:
        from hydra._internal.config_loader_impl import ConfigLoaderImpl
        from hydra.core.override_parser.types import OverrideType, ValueType  # noqa: F401
    except ImportError:  # pragma: no cover - another Hydra layout: slow path only
        return None
    apply = getattr(ConfigLoaderImpl, "_apply_overrides_to_config", None)
    return apply if callable(apply) else None


def scan(cfg: Any) -> Optional[Dict[str, Any]]:
    """The tree of key paths of `cfg` that hold an interpolation or a `???`.

    Returns None when `cfg` has a key the fast path cannot address exactly (not a string,
    empty, or containing a dot).
    """
    tree: Dict[str, Any] = {}
    return tree if _scan(cfg, tree) else None


def _scan(node: Any, tree: Dict[str, Any]) -> bool:
    for key in node.keys():
        if type(key) is not str or not key or "." in key:
            return False
        child = node._get_node(key)
        if child._is_interpolation() or child._is_missing():
            tree[key] = ALL
        elif isinstance(child, DictConfig):
            if child._is_none():
                continue
            sub: Dict[str, Any] = {}
            if not _scan(child, sub):
                return False
            if sub:
                tree[key] = sub
        elif isinstance(child, ListConfig) and _is_dynamic(child):
            tree[key] = ALL
    return True


def _is_dynamic(node: Any) -> bool:
    """Whether a container holds an interpolation or a `???` anywhere below it."""
    if node._is_none():
        return False
    keys = range(len(node)) if isinstance(node, ListConfig) else list(node.keys())
    for key in keys:
        child = node._get_node(key)
        if child._is_interpolation() or child._is_missing():
            return True
        if isinstance(child, (DictConfig, ListConfig)) and _is_dynamic(child):
            return True
    return False


def _with_path(tree: Relevant, parts: Path) -> Relevant:
    """`tree` plus the whole subtree at `parts` (a copy along the path only)."""
    if isinstance(tree, _All):
        return ALL
    new = dict(tree)
    head = parts[0]
    new[head] = ALL if len(parts) == 1 else _with_path(tree.get(head, {}), parts[1:])
    return new


def _get(node: Any, key: str) -> Any:
    return node._get_node(key, validate_access=False)


def _restore_point(base: Any, parts: Path, container_value: bool) -> Optional[Path]:
    """The subtree an override of `parts` may change, or None if it may reach further.

    Existing mappings on the way are walked through (an update never replaces them); the
    first missing key, list, plain value, None or `???` on the way is replaced as a whole.
    A path through an interpolation could change what it points to: None.
    """
    node = base
    for index, part in enumerate(parts):
        child = _get(node, part)
        if child is None:
            return parts[: index + 1]
        last = index == len(parts) - 1
        if child._is_interpolation():
            return parts if last and not container_value else None
        if last:
            return parts
        if isinstance(child, DictConfig) and not child._is_none() and not child._is_missing():
            node = child
            continue
        return parts[: index + 1]
    return None  # pragma: no cover - parts is never empty


def _parent(node: Any, point: Path) -> Any:
    """The container holding the node at `point` (its ancestors are mappings)."""
    for part in point[:-1]:
        node = _get(node, part)
    return node


def _restore(work: Any, base: Any, point: Path, before: Any) -> None:
    """Make the subtree at `point` of `work` equal to a fresh copy of the one in `base`.

    `before` is the node `work` had there before the overrides. When the update only set
    its value (the same value node is still there), the original value is put back: a
    deep copy shares the value object anyway. Otherwise the subtree is copied.
    """
    work_parent, base_parent = _parent(work, point), _parent(base, point)
    last = point[-1]
    original = _get(base_parent, last)
    content = work_parent.__dict__["_content"]
    if original is None:
        content.pop(last, None)
        return
    current = content.get(last)
    if (
        current is before
        and isinstance(original, ValueNode)
        and type(current) is type(original)
        and "_val" in current.__dict__
    ):
        current.__dict__["_val"] = original.__dict__["_val"]
        return
    parent = original.__dict__["_parent"]
    try:
        original.__dict__["_parent"] = None  # copy the subtree, not its ancestors
        node = copy.deepcopy(original)
    finally:
        original.__dict__["_parent"] = parent
    node.__dict__["_parent"] = work_parent
    content[last] = node


class _Combo:
    """One composition (a combination of group choices) and what the fast path keeps."""

    def __init__(self, base: Any) -> None:
        self.base = base
        self.dynamic: Optional[Relevant] = scan(base)
        self.work: Optional[Any] = None
        self.cache: BaseCache = {}  # what the diffs read from `base`
        self._points: Dict[Tuple[Path, bool], Optional[Path]] = {}
        self._relevant: Dict[Tuple[Path, ...], Relevant] = {}

    def relevant(self, paths: Tuple[Path, ...]) -> Relevant:
        """The paths a diff visits for overrides of `paths`: those, and the dynamic ones."""
        try:
            return self._relevant[paths]
        except KeyError:
            pass
        assert self.dynamic is not None
        tree = self.dynamic
        for parts in paths:
            tree = _with_path(tree, parts)
        self._relevant[paths] = tree
        return tree

    def restore_point(self, parts: Path, container: bool) -> Optional[Path]:
        key = (parts, container)
        try:
            return self._points[key]
        except KeyError:
            point = self._points[key] = _restore_point(self.base, parts, container)
            return point

    def take_work(self) -> Any:
        work, self.work = self.work, None
        if work is None:
            work = copy.deepcopy(self.base)
            OmegaConf.clear_cache(work)
        return work


class _Arg:
    """One override as the fast path uses it: a group choice or a value override."""

    __slots__ = ("is_group", "override", "parts", "container")

    def __init__(self, is_group: bool, override: Any) -> None:
        self.is_group = is_group
        self.override = override
        self.parts: Path = tuple(override.key_or_group.split("."))
        self.container = isinstance(override.value(), (dict, list))


class FastPath:
    """Deltas of argvs without composing each one (see the module doc).

    Args:
        cached: returns the (cached, never modified) composition of group overrides.
        groups: the config groups, as the reference lists them (group overrides).
        group_dirs: every name Hydra takes as a config group (also folders without
            configs of their own).
    """

    def __init__(
        self,
        cached: Callable[[Tuple[str, ...]], Any],
        groups: FrozenSet[str],
        group_dirs: FrozenSet[str],
    ) -> None:
        self._cached = cached
        self._groups = groups
        self._group_dirs = group_dirs
        self._apply = _load_apply()
        self._parser: Any = None
        self._args: Dict[str, Optional[_Arg]] = {}
        self._combos: Dict[Tuple[str, ...], _Combo] = {}
        self.hits = 0  # argvs answered here; the others took the slow path
        self.misses = 0

    def _parse(self, arg: str) -> Any:
        """Hydra's parse of one override (None when it does not parse)."""
        if self._parser is None:
            from hydra.core.override_parser.overrides_parser import OverridesParser

            self._parser = OverridesParser.create()
        try:
            return self._parser.parse_overrides([arg])[0]
        except Exception:  # the slow path reports Hydra's message
            return None

    def _arg(self, arg: str) -> Optional[_Arg]:
        """How the fast path can use `arg` (None: it cannot), cached by text."""
        try:
            return self._args[arg]
        except KeyError:
            pass
        result = self._args[arg] = self._classify(arg)
        return result

    def _classify(self, arg: str) -> Optional[_Arg]:
        from hydra.core.override_parser.types import OverrideType, ValueType

        parsed = self._parse(arg)
        if parsed is None or parsed.package is not None:
            return None
        if parsed.value_type != ValueType.ELEMENT:
            return None
        raw_key = arg.split("=", 1)[0]
        if raw_key in self._groups:
            if (
                parsed.type != OverrideType.CHANGE
                or parsed.key_or_group != raw_key
                or isinstance(parsed.value(), dict)
            ):
                return None
            return _Arg(True, parsed)
        key = parsed.key_or_group
        if (
            parsed.type not in (OverrideType.CHANGE, OverrideType.ADD, OverrideType.FORCE_ADD)
            or key in self._group_dirs
            or "/" in key
            or key.split(".", 1)[0] == "hydra"
            or "" in key.split(".")
        ):
            return None
        return _Arg(False, parsed)

    def _combo(self, key: Tuple[str, ...]) -> _Combo:
        combo = self._combos.get(key)
        if combo is None:
            combo = _Combo(self._cached(key))
            self._combos[key] = combo
        return combo

    def delta(self, argv: Sequence[str]) -> Optional[Tuple[List[Pair], Callable[[], Any]]]:
        """The value part of the delta of `argv` (simplified), and a way to build its config.

        Returns None when the fast path cannot give the exact answer; the caller then
        takes the slow path. Group entries are not included (the caller adds them).
        """
        result = self._delta(argv)
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
        return result

    def _delta(self, argv: Sequence[str]) -> Optional[Tuple[List[Pair], Callable[[], Any]]]:
        """The value part of the delta of `argv` (simplified), and a way to build its config.

        Returns None when the fast path cannot give the exact answer; the caller then
        takes the slow path. Group entries are not included (the caller adds them).
        """
        if self._apply is None:
            return None
        group_args: List[str] = []
        values: List[_Arg] = []
        for text in argv:
            arg = self._arg(text)
            if arg is None:
                return None
            if arg.is_group:
                group_args.append(text)
            else:
                values.append(arg)
        combo = self._combo(tuple(group_args))
        if combo.dynamic is None:
            return None
        points: List[Path] = []
        for arg in values:
            point = combo.restore_point(arg.parts, arg.container)
            if point is None:
                return None
            points.append(point)
        relevant = combo.relevant(tuple(arg.parts for arg in values))
        overrides = [arg.override for arg in values]
        pairs = self._run(combo, overrides, points, relevant)
        if pairs is None:
            return None
        apply, base = self._apply, combo.base

        def compose() -> Any:
            cfg = copy.deepcopy(base)
            OmegaConf.clear_cache(cfg)
            apply(list(overrides), cfg)
            return cfg

        return pairs, compose

    def _run(
        self, combo: _Combo, overrides: List[Any], points: List[Path], relevant: Relevant
    ) -> Optional[List[Pair]]:
        """Apply, diff, restore. None (and the working copy dropped) on any exception."""
        work = combo.take_work()
        try:
            assert self._apply is not None
            before = [_get(_parent(work, point), point[-1]) for point in points]
            self._apply(overrides, work)
            pairs = [
                (name, to_jsonable(value))
                for name, value in config_delta(combo.base, work, relevant, combo.cache)
            ]
            for point, node in zip(points, before):
                _restore(work, combo.base, point, node)
            OmegaConf.clear_cache(work)
        except Exception:  # the slow path gives the exact result, or the error
            return None
        combo.work = work
        return pairs

"""Turn values into plain JSON types, as dora-search's `jsonable` does, without heavy imports.

numpy and torch values are recognised by duck typing (`tolist`, `detach`), and OmegaConf
containers only when `omegaconf` is already imported, so that this module never imports
any of them: computing a signature stays cheap.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, Dict, Iterable, List

from ._errors import NotJsonableError

__all__ = ["to_jsonable"]

_PLAIN_KEY_TYPES = (str, int, float, bool, type(None))


def to_jsonable(value: Any) -> Any:
    """Return `value` made of plain JSON types only (dict, list, str, int, float, bool, None).

    The result dumps to the same JSON text as dora-search's `jsonable` gives for every value
    that dora-search accepts, which is what keeps signatures identical:

    - mappings become dicts with the same keys in the same order. Keys that `json.dumps`
      accepts (str, int, float, bool, None) are kept; subclasses of these become the plain
      type; numpy-like scalar keys are converted with `tolist()`; anything else is refused;
    - lists and tuples (namedtuples included) become lists;
    - `None`, `bool`, `int`, `float` and `str` are kept; their subclasses (`numpy.float64`,
      `IntEnum` members, ...) become the plain type, which `json.dumps` renders identically;
    - `pathlib` paths become `str`;
    - torch tensors (`detach`, `cpu`, `tolist`) become `.detach().cpu().tolist()`, and
      numpy arrays and scalars (`tolist`) become `.tolist()` (`numpy.bool_` gives a `bool`);
    - OmegaConf `DictConfig` / `ListConfig` go through `OmegaConf.to_container(resolve=False)`,
      only when `omegaconf` is already imported (such values cannot exist otherwise).

    Raises:
        NotJsonableError: for any other value, e.g. a set or an arbitrary object.
    """
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is dict:
        return _plain_dict(value)
    if kind is list:
        return _plain_list(value)
    return _convert_other(value)


_ATOMS = frozenset([str, int, float, bool, type(None)])


def _plain_dict(value: Mapping) -> Dict[Any, Any]:
    # The hot path of metric pushes: plain dicts of plain values, converted with no call
    # per atom.
    out = {}
    for key, item in value.items():
        if type(key) is not str:
            key = _key(key)
        out[key] = item if type(item) in _ATOMS else to_jsonable(item)
    return out


def _plain_list(value: Iterable[Any]) -> List[Any]:
    return [item if type(item) in _ATOMS else to_jsonable(item) for item in value]


def _convert_other(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return _plain_list(value)
    if isinstance(value, dict):
        return _plain_dict(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, PurePath):
        return str(value)
    container = _omegaconf_container(value)
    if container is not None:
        return to_jsonable(container)
    if isinstance(value, Mapping):
        return _plain_dict(value)
    converted = _duck_array(value)
    if converted is not _MISSING:
        return converted
    raise NotJsonableError(f"{value!r} is not jsonable.")


class _Missing:
    """Marks 'no conversion found', since `None` is a valid converted value."""


_MISSING: Any = _Missing()


def _key(key: Any) -> Any:
    if type(key) in _ATOMS:
        return key
    if isinstance(key, _PLAIN_KEY_TYPES) or hasattr(key, "tolist"):
        converted = to_jsonable(key)
        if isinstance(converted, _PLAIN_KEY_TYPES):
            return converted
    raise NotJsonableError(f"{key!r} is not jsonable as a mapping key.")


def _omegaconf_container(value: Any) -> Any:
    """`OmegaConf.to_container(value)` for an OmegaConf container, else None."""
    module = type(value).__module__
    if not module.startswith("omegaconf") or "omegaconf" not in sys.modules:
        return None
    omegaconf = sys.modules["omegaconf"]
    base = getattr(omegaconf, "Container", None)
    if base is None or not isinstance(value, base):
        return None
    return omegaconf.OmegaConf.to_container(value, resolve=False)


def _duck_array(value: Any) -> Any:
    """Convert a torch tensor or numpy array / scalar without importing either."""
    tolist = getattr(value, "tolist", None)
    if not callable(tolist):
        return _MISSING
    detach = getattr(value, "detach", None)
    if callable(detach) and callable(getattr(value, "cpu", None)):
        result: Any = detach().cpu().tolist()
    else:
        result = tolist()
    if type(result) is type(value):
        raise NotJsonableError(f"{value!r} is not jsonable.")
    return to_jsonable(result)

"""to_jsonable(): plain JSON types out, same JSON text as dora-search's jsonable."""

from __future__ import annotations

import enum
import json
import sys
from collections import OrderedDict, namedtuple
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, List

import pytest

from dora_sig import NotJsonableError, SigError, to_jsonable


class _Color(enum.IntEnum):
    RED = 3


class _Mode(str, enum.Enum):
    FAST = "fast"


class _MyFloat(float):
    def __repr__(self) -> str:
        return "not-a-float"


class _FakeTensor:
    """Stands in for a torch tensor: to_jsonable must go through detach().cpu()."""

    def __init__(self, values: List[float]) -> None:
        self.values = values
        self.calls: List[str] = []

    def detach(self) -> _FakeTensor:
        self.calls.append("detach")
        return self

    def cpu(self) -> _FakeTensor:
        self.calls.append("cpu")
        return self

    def tolist(self) -> List[float]:
        self.calls.append("tolist")
        return self.values


class _SelfList:
    def tolist(self) -> _SelfList:
        return _SelfList()


def test_plain_values_are_kept() -> None:
    value = {"a": [1, 2.5, "x", None, True, False], "b": {"c": -0.0}}
    assert to_jsonable(value) == value
    assert to_jsonable(None) is None


def test_containers_are_converted() -> None:
    Point = namedtuple("Point", "x y")
    value = OrderedDict([("z", (1, Point(2, 3))), ("a", MappingProxyType({"k": 1}))])
    result = to_jsonable(value)
    assert result == {"z": [1, [2, 3]], "a": {"k": 1}}
    assert type(result) is dict
    assert list(result) == ["z", "a"]


def test_paths_become_strings() -> None:
    assert to_jsonable(Path("/a/b")) == "/a/b"
    assert to_jsonable(PurePosixPath("rel/c")) == "rel/c"


def test_subclasses_of_plain_types_become_plain_with_the_same_json() -> None:
    for value in (_Color.RED, _Mode.FAST, _MyFloat(0.1)):
        converted = to_jsonable(value)
        assert type(converted) in (int, str, float)
        assert json.dumps(converted) == json.dumps(value)


def test_keys_accepted_by_json_are_kept() -> None:
    value = {1: "a", 2.5: "b", False: "c", None: "d", _Color.RED: "e", _MyFloat(0.5): "f"}
    result = to_jsonable(value)
    assert json.dumps(result) == json.dumps(value)


def test_other_keys_are_refused() -> None:
    with pytest.raises(NotJsonableError, match="mapping key"):
        to_jsonable({(1, 2): "x"})


def test_duck_typed_tensor_goes_through_detach_and_cpu() -> None:
    tensor = _FakeTensor([1.0, 2.0])
    assert to_jsonable({"loss": tensor}) == {"loss": [1.0, 2.0]}
    assert tensor.calls == ["detach", "cpu", "tolist"]


def test_tolist_that_does_not_convert_is_refused() -> None:
    with pytest.raises(NotJsonableError):
        to_jsonable(_SelfList())


@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes", 1j])
def test_other_values_are_refused_with_the_reference_message(value: Any) -> None:
    with pytest.raises(NotJsonableError, match="is not jsonable") as info:
        to_jsonable({"a": [value]})
    assert isinstance(info.value, SigError)
    assert isinstance(info.value, ValueError)


def test_numpy_values() -> None:
    numpy = pytest.importorskip("numpy")
    value = {
        "f64": numpy.float64(0.1), "f32": numpy.float32(0.5), "i": numpy.int64(7),
        "b": numpy.bool_(True), "a": numpy.arange(3), "m": numpy.zeros((2, 2)),
    }
    result = to_jsonable(value)
    assert result == {"f64": 0.1, "f32": 0.5, "i": 7, "b": True, "a": [0, 1, 2],
                      "m": [[0.0, 0.0], [0.0, 0.0]]}
    assert type(result["f64"]) is float and type(result["i"]) is int
    assert type(result["b"]) is bool
    assert to_jsonable({numpy.int64(3): 1}) == {3: 1}


def test_omegaconf_containers_are_converted_without_resolving() -> None:
    omegaconf = pytest.importorskip("omegaconf")
    config = omegaconf.OmegaConf.create({"a": {"b": [1, 2]}, "c": "${a.b}"})
    assert to_jsonable(config) == {"a": {"b": [1, 2]}, "c": "${a.b}"}
    assert to_jsonable(config.a.b) == [1, 2]


def test_importing_dora_sig_imports_no_heavy_module() -> None:
    import subprocess

    code = ("import sys, dora_sig; dora_sig.signature([('a', 1)]); "
            "print(sorted(m for m in ('numpy', 'torch', 'omegaconf') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"

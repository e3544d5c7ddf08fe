"""signature(): the published test vectors and the properties users rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dora_sig import NotJsonableError, SigError, signature
from dora_sig._signature import canonical_json

REFERENCE_VECTORS = [
    ([], "97d170e1"),
    ([["a", 4]], "9cf6e41e"),
    ([["optim.loss", "l1"]], "3da894fd"),
    ([["group", "lapin"], ["k", "youpi"], ["optim.loss", "l1"]], "0516e96b"),
    ([["batch_size", 32], ["lr", 0.01]], "399e2ae3"),
    ([["epochs", 41.0]], "fe70716e"),
    ([["epochs", 41]], "3fd60c3a"),
    ([["complex.b.a", 21]], "9f7a9aba"),
    ([["new", {"x": 1, "y": [1, 2]}]], "7c10dc55"),
]


@pytest.mark.parametrize(("delta", "expected"), REFERENCE_VECTORS)
def test_reference_vectors(delta: list, expected: str) -> None:
    assert signature(delta) == expected


def test_pairs_may_be_tuples_and_in_any_order() -> None:
    delta = [("optim.loss", "l1"), ("k", "youpi"), ("group", "lapin")]
    assert signature(delta) == "0516e96b"
    assert signature(iter(delta)) == "0516e96b"


def test_int_and_float_give_different_signatures() -> None:
    assert signature([("epochs", 41)]) != signature([("epochs", 41.0)])


def test_dict_insertion_order_matters_as_in_the_reference() -> None:
    first = signature([("new", {"x": 1, "y": 2})])
    second = signature([("new", {"y": 2, "x": 1})])
    assert first != second


def test_values_are_made_jsonable_before_hashing() -> None:
    assert signature([("path", Path("/data"))]) == signature([("path", "/data")])
    assert signature([("sizes", (1, 2))]) == signature([("sizes", [1, 2])])


def test_canonical_json_is_the_hashed_text() -> None:
    text = canonical_json([("b", 0.1), ("a", "\u00e9"), ("c", None), ("d", float("nan"))])
    assert text == '[["a", "\\u00e9"], ["b", 0.1], ["c", null], ["d", NaN]]'
    assert json.loads(text)[0] == ["a", "\u00e9"]


def test_entry_that_is_not_a_pair_is_refused() -> None:
    with pytest.raises(SigError, match="pair"):
        signature([("a", 1, 2)])  # type: ignore[list-item]


def test_duplicate_names_with_unorderable_values_are_refused() -> None:
    with pytest.raises(SigError, match="unique"):
        signature([("a", {"x": 1}), ("a", {"x": 2})])


def test_unjsonable_value_is_refused() -> None:
    with pytest.raises(NotJsonableError, match="is not jsonable"):
        signature([("a", {1, 2})])

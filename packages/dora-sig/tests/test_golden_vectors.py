"""Replay the golden vectors computed by dora-search 0.1.13 (tools/make_sig_vectors.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from dora_sig import (
    argparse_delta,
    exclude,
    get_name,
    get_names,
    mapping_delta,
    signature,
    to_jsonable,
)

DATA = json.loads((Path(__file__).parent / "data" / "sig_vectors.json").read_text("utf8"))

TYPES: Dict[str, Callable[[str], Any]] = {
    "int": int, "float": float, "str": str, "path": Path, "json": json.loads,
}


def _build_parser(spec: Dict[str, Any]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    for entry in spec["args"]:
        kwargs = dict(entry["kwargs"])
        if "type" in kwargs:
            kwargs["type"] = TYPES[kwargs["type"]]
        parser.add_argument(*entry["flags"], **kwargs)
    parser.set_defaults(**spec.get("defaults", {}))
    return parser


def _same_json(left: Any, right: Any) -> bool:
    # NaN != NaN, so compare the texts the signature is made of.
    return json.dumps(left) == json.dumps(right)


def _ids(cases: List[Dict[str, Any]], key: str) -> List[str]:
    return [f"{index}-{case.get(key, '')}"[:60] for index, case in enumerate(cases)]


def test_the_vector_file_comes_from_the_reference_release() -> None:
    assert DATA["dora_search"] == "0.1.13"
    assert sorted(DATA["types"]) == sorted(TYPES)
    total = sum(len(DATA[key]) for key in ("argparse", "names", "deltas", "mappings"))
    assert total >= 200


@pytest.mark.parametrize("case", DATA["argparse"], ids=_ids(DATA["argparse"], "argv"))
def test_argparse_delta_and_signature_match_the_reference(case: Dict[str, Any]) -> None:
    spec = DATA["parsers"][case["parser"]]
    parser = _build_parser(spec)
    namespace = parser.parse_args(case["argv"])
    delta = to_jsonable(exclude(argparse_delta(parser, namespace), spec["exclude"]))
    assert _same_json(delta, case["delta"])
    assert signature(delta) == case["sig"]
    assert get_name(delta) == case["name"]


@pytest.mark.parametrize("case", DATA["deltas"], ids=_ids(DATA["deltas"], "sig"))
def test_signature_of_stored_delta_matches_the_reference(case: Dict[str, Any]) -> None:
    assert signature(case["delta"]) == case["sig"]
    assert signature(reversed(case["delta"])) == case["sig"]


@pytest.mark.parametrize("case", DATA["names"], ids=_ids(DATA["names"], "base"))
def test_names_match_the_reference(case: Dict[str, Any]) -> None:
    deltas = [[tuple(pair) for pair in delta] for delta in case["deltas"]]
    assert get_names(deltas) == (case["names"], case["base"])


@pytest.mark.parametrize("case", DATA["mappings"], ids=_ids(DATA["mappings"], "sig"))
def test_mapping_delta_on_omegaconf_matches_the_reference(case: Dict[str, Any]) -> None:
    omegaconf = pytest.importorskip("omegaconf")
    base = omegaconf.OmegaConf.create(case["base"])
    other = omegaconf.OmegaConf.create(case["other"])
    delta = to_jsonable(exclude(mapping_delta(base, other), case.get("exclude", [])))
    assert _same_json(delta, case["delta"])
    assert signature(delta) == case["sig"]


@pytest.mark.parametrize(
    "case",
    [case for case in DATA["mappings"] if not case.get("omegaconf_only")],
    ids=_ids([case for case in DATA["mappings"] if not case.get("omegaconf_only")], "sig"),
)
def test_mapping_delta_on_plain_dicts_matches_the_reference(case: Dict[str, Any]) -> None:
    delta = to_jsonable(exclude(mapping_delta(case["base"], case["other"]),
                                case.get("exclude", [])))
    assert _same_json(delta, case["delta"])
    assert signature(delta) == case["sig"]

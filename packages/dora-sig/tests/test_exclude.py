"""is_excluded() / exclude(): fnmatch on the whole dotted name, as in the reference."""

from __future__ import annotations

from dora_sig import exclude, is_excluded


def test_glob_matches_the_whole_name() -> None:
    assert is_excluded("num_workers", ["num_workers"])
    assert not is_excluded("num_workers_x", ["num_workers"])
    assert is_excluded("cat_a", ["cat_*"])
    assert not is_excluded("xcat_a", ["cat_*"])


def test_star_crosses_dots_and_classes_work() -> None:
    assert is_excluded("useless.a.b", ["useless.*"])
    assert is_excluded("layer3", ["layer[0-9]"])
    assert is_excluded("ab", ["a?"])
    assert not is_excluded("anything", [])


def test_exclude_keeps_order_and_accepts_one_shot_iterables() -> None:
    delta = [("a", 1), ("dora.dir", "x"), ("b", 2), ("slurm.gpus", 8)]
    patterns = iter(["dora.*", "slurm.*"])
    assert exclude(delta, patterns) == [("a", 1), ("b", 2)]
    assert exclude([["a", 1]], []) == [("a", 1)]  # type: ignore[list-item]

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from dora_shep.conf import DoraConfig
from dora_shep.errors import CorruptFileError, SignatureCollisionError
from dora_shep.xp import XP, get_xp, init_xp_folder, is_xp


def make_xp(dora: DoraConfig, delta: list, argv: list = None) -> XP:  # type: ignore[assignment]
    return XP(dora, None, argv if argv is not None else [], delta=delta)


def test_signature_comes_from_the_delta_without_excluded_names(outputs: Path) -> None:
    dora = DoraConfig(dir=outputs, exclude=["num_workers", "cat_*"])
    xp = make_xp(dora, [("a", 4), ("num_workers", 3), ("cat_a", "plop")])
    assert xp.delta == [["a", 4]]
    assert xp.sig == "9cf6e41e"
    assert make_xp(dora, []).sig == "97d170e1"


def test_explicit_sig_without_delta() -> None:
    xp = XP(DoraConfig(), None, ["--x=1"], sig="deadbeef")
    assert xp.sig == "deadbeef" and xp.delta is None
    with pytest.raises(ValueError):
        XP(DoraConfig(), None, [])


def test_derived_paths(outputs: Path) -> None:
    dora = DoraConfig(dir=outputs, shared=outputs.parent / "shared")
    xp = make_xp(dora, [("a", 4)])
    folder = outputs / "xps" / "9cf6e41e"
    assert xp.folder == folder
    assert xp.history == folder / "history.json"
    assert xp.rendezvous_file == folder / "rendezvous.txt"
    assert xp._argv_cache == folder / ".argv.json"
    assert xp._delta_cache == folder / ".delta.json"
    assert xp._job_file == folder / "job.json"
    assert xp.submitit == folder / "submitit"
    assert xp.code_folder == Path(".")
    assert xp._shared_argv_cache == outputs.parent / "shared" / "xps" / "9cf6e41e" / ".argv.json"
    assert xp.link.history_file == folder / "history.json"
    dora.git_save = True
    assert xp.code_folder == folder / "code"


def test_submitit_follows_latest_when_it_exists(outputs: Path) -> None:
    xp = make_xp(DoraConfig(dir=outputs), [])
    init_xp_folder(xp)
    (xp.folder / "local").mkdir()
    (xp.folder / "latest").symlink_to("local")
    assert xp.submitit == xp.folder / "latest"


def test_equality_ignores_the_link(outputs: Path) -> None:
    dora = DoraConfig(dir=outputs)
    one, two = make_xp(dora, [("a", 1)], ["--a=1"]), make_xp(dora, [("a", 1)], ["--a=1"])
    assert one == two and one.link is not two.link
    assert one != make_xp(dora, [("a", 1)], ["--a=01"])


def test_link_writes_only_on_rank_zero(outputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dora = DoraConfig(dir=outputs)
    assert make_xp(dora, []).link.is_writer
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert not make_xp(dora, []).link.is_writer


def test_context_stack() -> None:
    one, two = XP(DoraConfig(), None, [], sig="one"), XP(DoraConfig(), None, [], sig="two")
    assert not is_xp()
    with pytest.raises(RuntimeError, match="Not in a xp!"):
        get_xp()
    with one.enter():
        assert is_xp() and get_xp() is one
        with pytest.raises(RuntimeError, match="Already in a xp."):
            with two.enter():
                pass
        with two.enter(stack=True):
            assert get_xp() is two
        assert get_xp() is one
    assert not is_xp()


def test_init_writes_argv_and_delta(outputs: Path) -> None:
    xp = make_xp(DoraConfig(dir=outputs), [("a", 4), ("b", [1, 2])], ["--a=4", "--b=[1,2]"])
    init_xp_folder(xp)
    assert xp._argv_cache.read_text() == '["--a=4", "--b=[1,2]"]'
    assert json.loads(xp._delta_cache.read_text()) == [["a", 4], ["b", [1, 2]]]
    assert [p.name for p in xp.folder.iterdir() if p.name.endswith(".tmp")] == []


def test_last_init_wins_for_argv(outputs: Path) -> None:
    dora = DoraConfig(dir=outputs, exclude=["note"])
    init_xp_folder(make_xp(dora, [("a", 4), ("note", "x")], ["--a=4", "--note=x"]))
    xp = make_xp(dora, [("a", 4), ("note", "y")], ["--a=4", "--note=y"])
    init_xp_folder(xp)
    assert json.loads(xp._argv_cache.read_text()) == ["--a=4", "--note=y"]


def test_collision_is_reported_and_nothing_is_overwritten(outputs: Path) -> None:
    dora = DoraConfig(dir=outputs)
    xp = make_xp(dora, [("a", 4)], ["--a=4"])
    init_xp_folder(xp)
    other = XP(dora, None, ["--b=5"], sig=xp.sig, delta=None)
    other.delta = [["b", 5]]  # same sig, another delta: what a hash collision looks like
    with pytest.raises(SignatureCollisionError) as info:
        init_xp_folder(other)
    message = str(info.value)
    assert xp.sig in message and "['a', 4]" in message and "['b', 5]" in message
    assert str(xp.folder) in message
    assert json.loads(xp._argv_cache.read_text()) == ["--a=4"]
    assert json.loads(xp._delta_cache.read_text()) == [["a", 4]]


def test_same_delta_in_another_order_is_no_collision(outputs: Path) -> None:
    dora = DoraConfig(dir=outputs)
    init_xp_folder(make_xp(dora, [("a", 4), ("b", 5)]))
    init_xp_folder(make_xp(dora, [("b", 5), ("a", 4)]))


def test_folder_made_by_dora_search_gets_a_delta(outputs: Path) -> None:
    xp = make_xp(DoraConfig(dir=outputs), [("a", 4)], ["--a=4"])
    xp.folder.mkdir(parents=True)
    xp._argv_cache.write_text('["--a=4"]')
    (xp.folder / "history.json").write_text("[]")
    init_xp_folder(xp)
    assert json.loads(xp._delta_cache.read_text()) == [["a", 4]]
    assert (xp.folder / "history.json").read_text() == "[]"


def test_damaged_delta_file_is_a_clear_error(outputs: Path) -> None:
    xp = make_xp(DoraConfig(dir=outputs), [("a", 4)])
    xp.folder.mkdir(parents=True)
    xp._delta_cache.write_text('[["a", 4')
    with pytest.raises(CorruptFileError, match=".delta.json"):
        init_xp_folder(xp)


def test_shared_copy_of_argv(outputs: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    xp = make_xp(DoraConfig(dir=outputs, shared=shared), [("a", 4)], ["--a=4"])
    init_xp_folder(xp)
    copy = shared / "xps" / xp.sig / ".argv.json"
    assert copy.read_text() == '["--a=4"]'
    assert copy.stat().st_mode & 0o777 == 0o777
    assert (shared / "xps" / xp.sig).stat().st_mode & 0o777 == 0o777


def test_unwritable_shared_folder_only_warns(
    outputs: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    xp = make_xp(DoraConfig(dir=outputs, shared=blocker / "shared"), [("a", 4)])
    with caplog.at_level(logging.WARNING):
        init_xp_folder(xp)
    assert xp._argv_cache.exists()
    assert "shared copy" in caplog.text

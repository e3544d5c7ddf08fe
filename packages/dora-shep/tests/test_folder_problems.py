"""Colliding and damaged XP folders: found when a sheep is built, reported, never rewritten."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest
from shep_helpers import wait_for

from dora_shep.conf import SubmitRules
from dora_shep.errors import CorruptFileError, SignatureCollisionError
from dora_shep.records import read_job_record
from dora_shep.shepherd import Sheep, Shepherd
from dora_shep.xp import XP, check_xp_folder, init_xp_folder


class Logs(list):
    def __call__(self, line: str) -> None:
        self.append(line)


def shepherd(main: Any) -> Shepherd:
    return Shepherd(main, log=Logs(), backend="local")


def submit(shep: Shepherd, sheep: Sheep, **rules: bool) -> None:
    shep.maybe_submit_lazy(sheep, shep.main.get_slurm_config(), SubmitRules(**rules))
    shep.commit()


def completed(main: Any, argv: list) -> XP:
    """An XP that ran to completion on the local backend."""
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(argv)
    submit(shep, sheep)

    def done() -> Any:
        shep.update()
        return sheep.is_done() and sheep.state()

    assert wait_for(done, 20.0, "the XP to finish") == "COMPLETED"
    return sheep.xp


def snapshot(folder: Path) -> Dict[str, bytes]:
    """Every file under `folder` (links as their target), but the job logs, which the
    job's supervisor may still be finishing."""
    files: Dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".log":
            continue
        if path.is_symlink():
            files[str(path)] = os.readlink(path).encode()
        elif path.is_file():
            files[str(path)] = path.read_bytes()
    return files


def collide(xp: XP) -> None:
    """Make the folder of `xp` look as if another delta had produced the same signature."""
    xp._delta_cache.write_text(json.dumps([["seed", 999]]))


def test_a_collision_is_found_by_reading_only(main: Any) -> None:
    xp = completed(main, ["--seed=1"])
    collide(xp)
    before = snapshot(xp.folder)
    sheep = shepherd(main).get_sheep_from_argv(["--seed=1"])
    problem = sheep.problem
    assert problem is not None and problem.kind == "collision"
    assert problem.label == "signature collision" and problem.job_unknown
    assert f"Signature collision on {xp.sig}" in problem.message
    assert "['seed', 999]" in problem.message and str(xp.folder) in problem.message
    assert sheep.job is None and sheep.state() is None  # the other XP's job is not ours
    assert snapshot(xp.folder) == before


def test_a_colliding_sheep_is_refused_before_anything_is_queued(main: Any) -> None:
    xp = completed(main, ["--seed=1"])
    collide(xp)
    job = read_job_record(xp)
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=1"])
    for rules in ({}, {"replace_done": True}, {"retry": True, "replace": True}):
        with pytest.raises(SignatureCollisionError, match=xp.sig):
            submit(shep, sheep, **rules)
    assert shep.log == [] and read_job_record(xp) == job


def test_a_run_of_a_colliding_xp_stops_before_the_user_code(main: Any) -> None:
    xp = completed(main, ["--seed=1"])
    collide(xp)
    history = xp.history.read_text()
    with pytest.raises(SignatureCollisionError):
        main(["--seed=1"])
    assert xp.history.read_text() == history
    assert json.loads(xp._delta_cache.read_text()) == [["seed", 999]]


@pytest.mark.parametrize("content", [b'[["seed", 1', b"{}", b"\xff\xfe\x00", b'[["seed"]]'])
def test_a_damaged_delta_file_hides_the_folders_job(main: Any, content: bytes) -> None:
    xp = completed(main, ["--seed=1"])
    xp._delta_cache.write_bytes(content)
    sheep = shepherd(main).get_sheep_from_argv(["--seed=1"])
    assert sheep.problem is not None and sheep.problem.label == ".delta.json damaged"
    assert sheep.job is None and sheep.problem.owner_unknown
    assert str(xp._delta_cache) in sheep.problem.message and "mv " in sheep.problem.message
    with pytest.raises(CorruptFileError, match=".delta.json"):
        init_xp_folder(xp)
    assert xp._delta_cache.read_bytes() == content


@pytest.mark.parametrize("content", [b"garbage", b'{"a": 1}', b'["--seed=1", 3]', b"\xff"])
def test_a_damaged_argv_file_is_reported_and_never_overwritten(
    main: Any, content: bytes
) -> None:
    xp = completed(main, ["--seed=1"])
    xp._argv_cache.write_bytes(content)
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=1"])
    problem = sheep.problem
    assert problem is not None and problem.label == ".argv.json damaged"
    assert not problem.job_unknown and sheep.state() == "COMPLETED"  # the job is this XP's
    assert f"mv {xp._argv_cache} {xp._argv_cache}.bad" in problem.message
    with pytest.raises(CorruptFileError, match=r"\.argv\.json is damaged"):
        submit(shep, sheep, replace_done=True)
    with pytest.raises(CorruptFileError, match=r"\.argv\.json is damaged"):
        init_xp_folder(main.get_xp(["--seed=1"]))
    assert xp._argv_cache.read_bytes() == content
    assert shep.log == []


@pytest.mark.parametrize("content", [b"{", b"[]", b'{"array_job_ids": []}', b"\xff\xfe"])
def test_a_damaged_job_record_is_a_problem_not_an_exception(main: Any, content: bytes) -> None:
    xp = completed(main, ["--seed=1"])
    xp._job_file.write_bytes(content)
    with pytest.raises(CorruptFileError, match="job.json"):
        read_job_record(xp)
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=1"])
    assert sheep.problem is not None and sheep.problem.label == "job.json damaged"
    assert sheep.job is None and sheep.is_done()  # nothing to wait for, nothing to cancel
    assert str(xp._job_file) in sheep.problem.message
    with pytest.raises(CorruptFileError, match="job.json"):
        submit(shep, sheep, retry=True)
    assert xp._job_file.read_bytes() == content and shep.log == []


def test_a_job_record_that_is_a_folder_is_reported(main: Any) -> None:
    xp = main.get_xp(["--seed=3"])
    init_xp_folder(xp)
    xp._job_file.mkdir()
    with pytest.raises(CorruptFileError, match="job.json cannot be read"):
        read_job_record(xp)
    sheep = shepherd(main).get_sheep_from_argv(["--seed=3"])
    assert sheep.problem is not None and sheep.problem.kind == "job"


def test_a_new_xp_and_a_healthy_folder_have_no_problem(main: Any) -> None:
    sheep = shepherd(main).get_sheep_from_argv(["--seed=4"])
    assert sheep.problem is None and not sheep.xp.folder.exists()
    xp = completed(main, ["--seed=5"])
    assert check_xp_folder(xp) is None
    assert shepherd(main).get_sheep_from_argv(["--seed=5"]).problem is None


def test_a_dora_search_folder_gets_its_delta_only_from_a_command_that_writes(
    main: Any,
) -> None:
    xp = completed(main, ["--seed=6"])
    xp._delta_cache.unlink()  # what dora-search leaves: no .delta.json
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=6"])
    assert sheep.problem is None and sheep.state() == "COMPLETED"
    shep.maybe_submit_lazy(sheep, main.get_slurm_config(), SubmitRules())  # a dry run stops here
    assert not xp._delta_cache.exists()
    shep.commit()
    assert json.loads(xp._delta_cache.read_text()) == [["seed", 6]]
    assert shep.log == []  # nothing scheduled: the job completed

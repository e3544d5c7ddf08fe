"""XP folders written by dora-search: their job.pkl (pickled submitit jobs) and job.json
give their jobs, so a grid started with dora-search is not submitted again."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
from slurm_fakes import FakeSlurm

from dora_shep.backends.slurm.legacy import read_job_pkl
from dora_shep.conf import SlurmConfig, SubmitRules
from dora_shep.errors import CorruptFileError
from dora_shep.records import read_job_record
from dora_shep.shepherd import Shepherd

DATA = Path(__file__).resolve().parent / "data" / "job_pkl"


@pytest.mark.parametrize(
    "name, job_id, array, dependents",
    [
        ("single.pkl", "1234", ["1234"], []),
        ("array.pkl", "2000_1", ["2000_0", "2000_1", "2000_2"], []),
        ("dependents.pkl", "3000", ["3000"], ["3001", "3002"]),
        ("two_tuple.pkl", "4000", ["4000"], []),
        ("bare.pkl", "5000", ["5000"], []),
    ],
)
def test_every_job_pkl_shape_is_read(name: str, job_id: str, array: list,
                                     dependents: list) -> None:
    record = read_job_pkl(DATA / name)
    assert (record.job_id, record.array_job_ids, record.dependent_job_ids) == (
        job_id, array, dependents)
    assert record.backend == "slurm" and record.log is None and record.submitted_at > 0


def test_a_tuple_of_another_length_is_a_clear_error() -> None:
    with pytest.raises(CorruptFileError, match="tuple of 4 items"):
        read_job_pkl(DATA / "four_tuple.pkl")


def test_a_pickle_that_would_run_code_is_refused(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self) -> Any:
            return (print, ("pwned",))

    path = tmp_path / "job.pkl"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CorruptFileError, match="builtins.print is not part of a submitit"):
        read_job_pkl(path)
    path.write_bytes(b"\x80\x04garbage")
    with pytest.raises(CorruptFileError, match="cannot be read"):
        read_job_pkl(path)


def dora_search_xp(main: Any, argv: list, pkl: str, job_json: bool = False) -> Any:
    """An XP folder as dora-search leaves it: .argv.json, job.pkl, maybe job.json."""
    xp = main.get_xp(argv)
    xp.folder.mkdir(parents=True)
    (xp.folder / ".argv.json").write_text(json.dumps(argv))
    shutil.copy(DATA / pkl, xp.folder / "job.pkl")
    if job_json:
        record = read_job_pkl(DATA / pkl)
        (xp.folder / "job.json").write_text(json.dumps({
            "job_id": record.job_id, "array_job_ids": record.array_job_ids,
            "dependent_job_ids": record.dependent_job_ids,
            "slurm_config": {"gpus": 8, "partition": "learnlab"}}))
    return xp


def test_a_running_dora_search_job_is_not_submitted_again(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.add_job("1234", "RUNNING")
    fake_slurm.add_job("5000", "COMPLETED")
    running = dora_search_xp(main, ["--seed=1"], "single.pkl")
    done = dora_search_xp(main, ["--seed=2"], "bare.pkl", job_json=True)
    shep = Shepherd(main, log=lambda line: None, backend="slurm")
    sheeps = [shep.get_sheep_from_argv(["--seed=1"]), shep.get_sheep_from_argv(["--seed=2"])]
    assert [sheep.state() for sheep in sheeps] == ["RUNNING", "COMPLETED"]
    assert len(fake_slurm.calls("sacct")) == 1
    for sheep in sheeps:
        shep.maybe_submit_lazy(sheep, SlurmConfig(gpus=0), SubmitRules(retry=True))
    shep.commit()
    assert fake_slurm.calls("sbatch") == []
    assert sheeps[0].job_id == "1234" and sheeps[1].job_id == "5000"
    assert sheeps[0].log == running.folder / "submitit" / "1234_0_log.out"
    assert not (running.folder / "job.json").exists()  # nothing rewritten
    record = read_job_record(done)
    assert record is not None and record.slurm_config["partition"] == "learnlab"


def test_a_lost_dora_search_array_element_is_missing(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.add_job("2000", "COMPLETED", array=3)
    fake_slurm.configure(forget=["2000_1"])
    xp = dora_search_xp(main, ["--seed=3"], "array.pkl")
    os.utime(xp.folder / "job.pkl", (1e9, 1e9))  # submitted long ago
    sheep = Shepherd(main, backend="slurm").get_sheep_from_argv(["--seed=3"])
    assert sheep.state() == "MISSING"


def test_a_dependent_chain_from_dora_search_reads_its_current_job(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.add_job("3000", "TIMEOUT")
    fake_slurm.add_job("3001", "RUNNING")
    fake_slurm.add_job("3002", "PENDING")
    xp = dora_search_xp(main, ["--seed=4"], "dependents.pkl")
    (xp.folder / "submitit").mkdir()
    (xp.folder / "submitit" / "3001_0_log.out").write_text("running\n")
    shep = Shepherd(main, backend="slurm")
    sheep = shep.get_sheep_from_argv(["--seed=4"])
    assert sheep.state() == "RUNNING" and sheep.current_job_id == "3001"
    assert shep.get_sheep_from_job_id("3001") is None  # dora-search made no link for it


def test_a_damaged_job_pkl_is_reported(main: Any, fake_slurm: FakeSlurm) -> None:
    xp = main.get_xp(["--seed=5"])
    xp.folder.mkdir(parents=True)
    (xp.folder / "job.pkl").write_bytes(b"not a pickle")
    with pytest.raises(CorruptFileError, match=r"job.pkl cannot be read.*Delete it"):
        read_job_record(xp)
    sheep = Shepherd(main, backend="slurm").get_sheep_from_argv(["--seed=5"])
    assert sheep.job is None and sheep.problem is not None  # its row says so, see dora-grid
    assert sheep.problem.label == "job.pkl damaged" and "Delete it" in sheep.problem.message


def test_a_job_pkl_written_under_python_3_13_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python 3.13 made pathlib a package: a job.pkl written there names
    # `pathlib._local.PosixPath`, a module older Pythons do not have.
    import pathlib
    import sys

    from submitit import SlurmJob

    job = SlurmJob(folder="/old/outputs/xps/0123abcd/submitit", job_id="6000", tasks=(0,))
    with monkeypatch.context() as patch:
        patch.setattr(pathlib.PosixPath, "__module__", "pathlib._local")
        patch.setitem(sys.modules, "pathlib._local", sys.modules.get("pathlib._local",
                                                                      pathlib))
        data = pickle.dumps((job, [job], []), protocol=4)
    assert b"pathlib._local" in data and b"PosixPath" in data
    path = tmp_path / "job.pkl"
    path.write_bytes(data)
    record = read_job_pkl(path)
    assert (record.job_id, record.array_job_ids, record.dependent_job_ids) == (
        "6000", ["6000"], [])


def _short_string(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw  # SHORT_BINUNICODE


def test_a_dotted_name_cannot_reach_what_submitit_imports(tmp_path: Path) -> None:
    # protocol 4 resolves `module` + `a.b` by attribute lookup: submitit.core.utils.os.system
    witness = tmp_path / "ran"
    data = (b"\x80\x04" + _short_string("submitit.core.utils") + _short_string("os.system")
            + b"\x93" + _short_string(f"touch {witness}") + b"\x85R.")
    path = tmp_path / "job.pkl"
    path.write_bytes(data)
    with pytest.raises(CorruptFileError, match="os.system is not part of a submitit job"):
        read_job_pkl(path)
    assert not witness.exists()
    data = data.replace(_short_string("os.system"), _short_string("shutil"))
    path.write_bytes(data)
    with pytest.raises(CorruptFileError, match="not part of a submitit job"):
        read_job_pkl(path)  # a module submitit imports is not a submitit class either

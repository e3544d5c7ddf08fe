"""Choosing the backend: Slurm only when a controller answers, never a submitit traceback."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from slurm_fakes import FakeSlurm

from dora_shep.backends import choose_backend, slurm_status
from dora_shep.backends.local.backend import LocalBackend
from dora_shep.backends.slurm import SlurmBackend
from dora_shep.errors import BackendUnavailable
from dora_shep.shepherd import Shepherd


def test_auto_is_slurm_when_the_controller_answers(main: Any, fake_slurm: FakeSlurm) -> None:
    assert isinstance(choose_backend("auto", main.dora), SlurmBackend)
    assert isinstance(Shepherd(main).backend, SlurmBackend)  # the project says auto
    assert fake_slurm.calls("scontrol") == [["ping"]]  # asked once per process


def test_client_commands_alone_do_not_count(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.configure(down=True)
    assert isinstance(choose_backend("auto", main.dora), LocalBackend)
    up, said = slurm_status()
    assert not up and "DOWN" in said


def test_forcing_slurm_without_a_controller_says_so_and_writes_nothing(
    main: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(BackendUnavailable, match=r"no Slurm controller answers here.*"
                       r"scontrol.*--backend local"):
        Shepherd(main, backend="slurm")
    assert isinstance(choose_backend("auto", main.dora), LocalBackend)
    assert not main.dora.dir.exists()


def test_slurm_records_read_unknown_where_slurm_is_not_available(
    main: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dora_shep.records import JobRecord, write_job_record

    xp = main.get_xp(["--seed=1"])
    main.init_xp(xp)
    write_job_record(xp, JobRecord("123", "slurm", ["123"]))
    monkeypatch.setenv("PATH", str(tmp_path))
    sheep = Shepherd(main, backend="local").get_sheep_from_argv(["--seed=1"])
    assert sheep.state() == "UNKNOWN"
    assert sheep.reason is not None and "no Slurm controller" in sheep.reason


def test_a_missing_slurm_conf_answers_at_once(main: Any, fake_slurm: FakeSlurm,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_CONF", "/nonexistent/slurm.conf")
    up, said = slurm_status()
    assert not up and "/nonexistent/slurm.conf" in said
    assert fake_slurm.calls("scontrol") == []


def test_the_answer_follows_the_environment(main: Any, fake_slurm: FakeSlurm,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert slurm_status()[0]
    monkeypatch.setenv("PATH", os.devnull)
    assert not slurm_status()[0]


def test_the_slurm_backend_imports_submitit_only_when_it_works(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys, dora_shep, dora_shep.backends.slurm, dora_shep.runner, "
            "dora_shep.records\nprint('submitit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, check=True)
    assert out.stdout.strip() == "False"

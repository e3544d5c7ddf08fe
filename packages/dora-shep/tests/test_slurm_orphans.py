"""Orphan markers: a crash between sbatch and job.json is cleaned up by the next commit,
and a submission in flight in another process is never touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, List

import pytest
from shep_helpers import with_tests_on_path
from slurm_fakes import FakeSlurm

from dora_shep.backends.slurm.orphans import LEGACY_MIN_AGE_S, OrphanMarker
from dora_shep.locks import FileLock
from dora_shep.records import JobRecord, read_job_record, write_job_record
from dora_shep.shepherd import Shepherd

SUBMITTER = """
import os, sys, time
import dora_shep._submit as submit
from dora_shep.conf import SlurmConfig, SubmitRules
from dora_shep.shepherd import Shepherd
from shepproj.train import main

def stop(xp, record):
    print("SUBMITTED", record.job_id, flush=True)
    if sys.argv[1] == "crash":
        os._exit(3)
    time.sleep(120)

submit.write_job_record = stop
shep = Shepherd(main, backend="slurm")
sheep = shep.get_sheep_from_argv(["--seed=1"])
shep.maybe_submit_lazy(sheep, SlurmConfig(gpus=0, mem_per_gpu=1, cpus_per_gpu=1),
                       SubmitRules())
shep.commit()
"""


class Logs(list):
    def __call__(self, line: str) -> None:
        self.append(line)


def start_submitter(mode: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SUBMITTER, mode], env=with_tests_on_path(),
                            stdout=subprocess.PIPE, text=True)


def commit(main: Any) -> List[str]:
    logs = Logs()
    Shepherd(main, log=logs, backend="slurm").commit()
    return logs


def markers(main: Any) -> List[Path]:
    folder = main.dora.dir / "orphans"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_crash_after_sbatch_leaves_a_marker_and_the_next_run_cancels(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    proc = start_submitter("crash")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 3 and "SUBMITTED 100" in out
    (marker,) = markers(main)
    assert marker.name.startswith(f"shepproj_{main.get_xp(['--seed=1']).sig}.")
    assert json.loads(marker.read_text())["job_ids"] == ["100"]
    assert fake_slurm.state_of("100") == "PENDING"
    logs = commit(main)
    assert fake_slurm.calls("scancel") == [["100"]]
    assert fake_slurm.state_of("100").startswith("CANCELLED")
    assert markers(main) == [] and any("orphan job(s) 100" in line for line in logs)


def test_a_submission_in_flight_elsewhere_is_never_cancelled(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    proc = start_submitter("hang")
    try:
        assert proc.stdout is not None
        assert "SUBMITTED 100" in proc.stdout.readline()
        commit(main)
        commit(main)
        assert fake_slurm.calls("scancel") == [] and len(markers(main)) == 1
    finally:
        proc.kill()
        proc.wait()
    commit(main)  # its process is gone: now it is an orphan
    assert fake_slurm.calls("scancel") == [["100"]] and markers(main) == []


def test_a_crash_before_sbatch_answered_is_found_by_name(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    xp = main.get_xp(["--seed=2"])
    main.init_xp(xp)
    name = f"shepproj_{xp.sig}"
    fake_slurm.add_job("70", "RUNNING", name=name)   # sbatch made it, nobody recorded it
    fake_slurm.add_job("71", "RUNNING", name=name)   # a later submission, recorded
    fake_slurm.add_job("72", "RUNNING", name="someone_else")
    write_job_record(xp, JobRecord("71", "slurm", ["71"], [], {}, time.time()))
    marker = OrphanMarker.create(main.dora.dir / "orphans", name, [xp.folder])
    os.close(marker._fd)  # type: ignore[arg-type]  # the process "died"
    commit(main)
    assert fake_slurm.calls("scancel") == [["70"]]
    squeue = fake_slurm.calls("squeue")[0]
    assert squeue[squeue.index("-n") + 1] == name and "-u" in squeue
    assert markers(main) == []


def test_a_recorded_submission_is_not_cancelled(main: Any, fake_slurm: FakeSlurm) -> None:
    xp = main.get_xp(["--seed=3"])
    main.init_xp(xp)
    fake_slurm.add_job("80", "RUNNING")
    write_job_record(xp, JobRecord("80", "slurm", ["80"], [], {}, time.time()))
    marker = OrphanMarker.create(main.dora.dir / "orphans", "shepproj_x", [xp.folder])
    marker.add_job_ids(["80"])
    os.close(marker._fd)  # type: ignore[arg-type]  # died after job.json, before cleanup
    commit(main)
    assert fake_slurm.calls("scancel") == [] and markers(main) == []
    record = read_job_record(xp)
    assert record is not None and record.job_id == "80"


def test_unrecorded_array_elements_are_cancelled(main: Any, fake_slurm: FakeSlurm) -> None:
    xps = [main.get_xp([f"--seed={i}"]) for i in range(3)]
    for xp in xps:
        main.init_xp(xp)
    fake_slurm.add_job("90", "RUNNING", array=3)
    ids = ["90_0", "90_1", "90_2"]
    write_job_record(xps[0], JobRecord("90_0", "slurm", ids, [], {}, time.time()))
    marker = OrphanMarker.create(main.dora.dir / "orphans", "shepproj_array_x",
                                 [xp.folder for xp in xps])
    marker.add_job_ids(ids)
    os.close(marker._fd)  # type: ignore[arg-type]
    commit(main)
    assert fake_slurm.calls("scancel") == [["90_1", "90_2"]]
    assert fake_slurm.state_of("90_0") == "RUNNING"


def test_a_marker_whose_xp_is_locked_waits(main: Any, fake_slurm: FakeSlurm) -> None:
    xp = main.get_xp(["--seed=4"])
    main.init_xp(xp)
    fake_slurm.add_job("95", "RUNNING")
    marker = OrphanMarker.create(main.dora.dir / "orphans", "shepproj_y", [xp.folder])
    marker.add_job_ids(["95"])
    os.close(marker._fd)  # type: ignore[arg-type]
    with FileLock(xp.folder / ".submit.lock"):
        commit(main)
        assert fake_slurm.calls("scancel") == [] and len(markers(main)) == 1
    commit(main)
    assert fake_slurm.calls("scancel") == [["95"]]


def test_dora_search_markers_are_handled_once_old(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.add_job("96", "RUNNING", name="shepproj_abcdef12")
    folder = main.dora.dir / "orphans"
    folder.mkdir(parents=True)
    legacy = folder / "shepproj_abcdef12"
    legacy.touch()
    commit(main)
    assert fake_slurm.calls("scancel") == [] and legacy.exists()
    old = time.time() - LEGACY_MIN_AGE_S - 10
    os.utime(legacy, (old, old))
    commit(main)
    assert fake_slurm.calls("scancel") == [["96"]] and not legacy.exists()


def test_a_failed_orphan_cancel_keeps_the_marker(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.add_job("97", "RUNNING")
    fake_slurm.configure(scancel_fail=["97"])
    marker = OrphanMarker.create(main.dora.dir / "orphans", "shepproj_z", [])
    marker.add_job_ids(["97"])
    os.close(marker._fd)  # type: ignore[arg-type]
    logs = commit(main)
    assert len(markers(main)) == 1 and any("orphan marker" in line for line in logs)
    fake_slurm.configure(scancel_fail=[])
    commit(main)
    assert markers(main) == [] and fake_slurm.state_of("97").startswith("CANCELLED")


def test_an_interrupted_submission_keeps_its_marker(main: Any, fake_slurm: FakeSlurm) -> None:
    import dora_shep.backends.slurm.backend as backend_module
    from dora_shep.conf import SlurmConfig, SubmitRules

    shep = Shepherd(main, backend="slurm")
    sheep = shep.get_sheep_from_argv(["--seed=9"])
    name = f"shepproj_{sheep.xp.sig}"

    def sbatch_then_ctrl_c(*args: Any, **kwargs: Any) -> Any:
        fake_slurm.add_job("120", "PENDING", name=name)  # the job exists...
        raise KeyboardInterrupt  # ...but its id never came back

    real = backend_module.SlurmBackend._sbatch

    def interrupted(self: Any, executor: Any, *args: Any) -> Any:
        executor.submit = sbatch_then_ctrl_c
        return real(self, executor, *args)

    shep.maybe_submit_lazy(sheep, SlurmConfig(gpus=0), SubmitRules())
    backend_module.SlurmBackend._sbatch = interrupted  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt):
            shep.commit()
    finally:
        backend_module.SlurmBackend._sbatch = real  # type: ignore[assignment]
    (marker,) = markers(main)
    assert json.loads(marker.read_text())["job_ids"] == []
    commit(main)
    assert fake_slurm.calls("scancel") == [["120"]] and markers(main) == []


class Interleaved:
    """A stand-in for a module (`os`, `fcntl`) that runs `between()` after each call: as if
    another process ran right then, between two steps of the caller."""

    def __init__(self, module: Any, between: Any) -> None:
        self._module = module
        self._between = between

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._module, name)
        if not callable(real) or isinstance(real, type):
            return real

        def step(*args: Any, **kwargs: Any) -> Any:
            result = real(*args, **kwargs)
            self._between(f"{self._module.__name__}.{name}")
            return result

        return step


def test_recovery_between_any_two_steps_of_creating_a_marker_touches_nothing(
    main: Any, fake_slurm: FakeSlurm, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race: another process's recovery runs while this one creates its marker. It
    # must never see the marker unlocked or empty, so never cancel by name nor delete it.
    import fcntl

    from dora_shep.backends.slurm import orphans

    xp = main.get_xp(["--seed=5"])
    main.init_xp(xp)
    name = f"shepproj_{xp.sig}"
    fake_slurm.add_job("130", "RUNNING", name=name)  # the XP's job, recorded
    write_job_record(xp, JobRecord("130", "slurm", ["130"], [], {}, time.time()))
    folder = main.dora.dir / "orphans"
    cancelled: List[List[str]] = []
    logs = Logs()
    steps: List[str] = []
    busy = []

    def another_process_recovers(step: str) -> None:
        if busy:
            return  # the recovery's own calls
        busy.append(1)
        try:
            steps.append(step)
            orphans.recover_orphans(folder, cancelled.append, logs)
        finally:
            busy.pop()

    with monkeypatch.context() as patch:
        patch.setattr(orphans, "os", Interleaved(os, another_process_recovers))
        patch.setattr(orphans, "fcntl", Interleaved(fcntl, another_process_recovers))
        marker = OrphanMarker.create(folder, name, [xp.folder])
        marker.add_job_ids(["131"])
    assert "os.open" in steps and "fcntl.flock" in steps  # recovery ran in between
    assert cancelled == [] and logs == []
    assert markers(main) == [marker.path]
    assert json.loads(marker.path.read_text())["xp_folders"] == [str(xp.folder)]
    assert fake_slurm.state_of("130") == "RUNNING"
    marker.discard()


def test_a_marker_of_ours_naming_no_xp_and_no_job_never_cancels_by_name(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.add_job("140", "RUNNING", name="shepproj_array_abc")  # recorded somewhere
    folder = main.dora.dir / "orphans"
    marker = OrphanMarker.create(folder, "shepproj_array_abc", [])
    os.close(marker._fd)  # type: ignore[arg-type]
    damaged = folder / "shepproj_0123abcd.0123456789ab"
    damaged.write_text('{"job_name": "shepproj_0123ab')  # not a marker any more
    fake_slurm.add_job("141", "RUNNING", name="shepproj_0123abcd")
    logs = commit(main)
    assert fake_slurm.calls("scancel") == [] and fake_slurm.calls("squeue") == []
    assert fake_slurm.state_of("140") == fake_slurm.state_of("141") == "RUNNING"
    assert markers(main) == []
    said = "\n".join(logs)
    assert "names no XP folder and no job id" in said and "cannot be read" in said
    assert "squeue -n shepproj_array_abc" in said and "squeue -n shepproj_0123abcd" in said


def test_a_marker_left_half_created_is_removed_once_stale(main: Any, fake_slurm: FakeSlurm) -> None:
    folder = main.dora.dir / "orphans"
    folder.mkdir(parents=True)
    left = folder / ".shepproj_x.0123456789ab.tmp"  # a process died creating it
    left.write_text("{}")
    commit(main)
    assert left.exists()  # maybe still being created
    old = time.time() - LEGACY_MIN_AGE_S - 10
    os.utime(left, (old, old))
    commit(main)
    assert not left.exists() and fake_slurm.calls("scancel") == []


def test_a_dora_search_marker_spares_the_job_its_xp_records(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    xp = main.get_xp(["--seed=6"])
    main.init_xp(xp)
    name = f"shepproj_{xp.sig}"
    fake_slurm.add_job("150", "RUNNING", name=name)  # dora-search submitted, crashed
    fake_slurm.add_job("151", "RUNNING", name=name)  # submitted again later, recorded
    write_job_record(xp, JobRecord("151", "slurm", ["151"], [], {}, time.time()))
    legacy = main.dora.dir / "orphans" / name
    legacy.parent.mkdir(parents=True)
    legacy.touch()
    old = time.time() - LEGACY_MIN_AGE_S - 10
    os.utime(legacy, (old, old))
    commit(main)
    assert fake_slurm.calls("scancel") == [["150"]] and not legacy.exists()
    assert fake_slurm.state_of("151") == "RUNNING"

"""Submitting to Slurm through submitit, against fake sbatch/sacct/scancel on PATH."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import pickletools
from pathlib import Path
from typing import Any, List

import pytest
from slurm_fakes import FakeSlurm

from dora_shep.conf import SlurmConfig, SubmitRules
from dora_shep.errors import ConfigError, ShepError, SubmissionError
from dora_shep.records import read_job_record
from dora_shep.shepherd import Sheep, Shepherd

# Small enough for the fake node, as a grid would set with launcher.slurm_(...).
SMALL = {"gpus": 0, "mem_per_gpu": 1, "cpus_per_gpu": 1, "time": 5}


class Logs(list):
    def __call__(self, line: str) -> None:
        self.append(line)


def shepherd(main: Any) -> Shepherd:
    return Shepherd(main, log=Logs(), backend="slurm")


def schedule(shep: Shepherd, sheeps: List[Sheep], array: bool = False, **slurm: Any) -> None:
    config = SlurmConfig(**dict(SMALL, **slurm))
    if array:
        with shep.job_array(config):
            for sheep in sheeps:
                shep.maybe_submit_lazy(sheep, config, SubmitRules())
    else:
        for sheep in sheeps:
            shep.maybe_submit_lazy(sheep, config, SubmitRules())
    shep.commit()


def script_of(fake: FakeSlurm, job_id: str) -> dict:
    return fake.job(job_id)["params"]


def submitted_payload(folder: Path, job_id: str) -> dict:
    from submitit.core.utils import DelayedSubmission

    delayed = DelayedSubmission.load(folder / f"{job_id}_submitted.pkl")
    assert type(delayed.function).__name__ == "SubmititTarget"
    (payload,) = delayed.args
    return payload


def test_one_xp_is_one_job_recorded_with_its_links(main: Any, fake_slurm: FakeSlurm) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=1"])
    schedule(shep, [sheep])
    xp = sheep.xp
    assert sheep.job_id == "100" and len(fake_slurm.calls("sbatch")) == 1
    assert shep.log == [f"Scheduled job 100 for sheep {xp.sig}/seed=1"]
    data = json.loads(xp._job_file.read_text())
    assert data["job_id"] == "100" and data["array_job_ids"] == ["100"]
    assert data["dependent_job_ids"] == [] and data["backend"] == "slurm"
    assert data["slurm_config"]["gpus"] == 0 and data["slurm_config"]["gpus_per_node"] == 8
    assert Path(os.readlink(main.dora.dir / "by_id" / "100")) == xp.folder.resolve()
    assert os.readlink(xp.folder / "latest") == "submitit"
    assert sheep.log == xp.folder / "submitit" / "100_0_log.out"
    params = script_of(fake_slurm, "100")
    assert params["job-name"] == f"shepproj_{xp.sig}"
    assert params["output"] == str(xp.folder / "submitit" / "%j_0_log.out")
    assert "partition" not in params and "gres" not in params
    assert list((main.dora.dir / "orphans").iterdir()) == []
    assert sheep.state() == "PENDING"


def test_the_payload_is_plain_data_and_small(main: Any, fake_slurm: FakeSlurm) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=2", "--note=x"])
    schedule(shep, [sheep])
    pkl = sheep.xp.folder / "submitit" / f"{sheep.job_id}_submitted.pkl"
    assert pkl.stat().st_size < 2048
    globals_used = set()

    class Recording(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            globals_used.add(f"{module} {name}")
            return super().find_class(module, name)

    with open(pkl, "rb") as stream:
        Recording(stream).load()
    strings = [arg for op, arg, _ in pickletools.genops(pkl.read_bytes())
               if isinstance(arg, str)]
    assert "dora_shep.runner" in strings and "SubmititTarget" in strings
    modules = {s for s in strings if s.endswith(".xp") or s.startswith("shepproj")}
    assert modules == {"shepproj.train"}  # only as the payload's module name, a string
    assert globals_used == {"submitit.core.utils DelayedSubmission",
                            "dora_shep.runner SubmititTarget"}
    payload = submitted_payload(sheep.xp.folder / "submitit", sheep.job_id)
    assert payload == {
        "module": "shepproj.train", "attribute": "main",
        "import_root": main.import_root, "cwd": os.getcwd(),
        "argv": ["--seed=2", "--note=x"], "requeue": True,
        "rendezvous_file": str(sheep.xp.rendezvous_file),
    }
    assert pickle.loads(pickle.dumps(payload)) == payload


def test_a_job_array_is_one_sbatch_call_with_its_throttle(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    shep = shepherd(main)
    sheeps = [shep.get_sheep_from_argv([f"--seed={i}"]) for i in range(4)]
    schedule(shep, sheeps, array=True, array_parallelism=2)
    assert len(fake_slurm.calls("sbatch")) == 1
    assert [s.job_id for s in sheeps] == ["100_0", "100_1", "100_2", "100_3"]
    asig = hashlib.sha1(json.dumps(sorted(s.xp.sig for s in sheeps)).encode()).hexdigest()[:8]
    name = f"shepproj_array_{asig}"
    folder = main.dora.dir / "arrays" / name
    params = script_of(fake_slurm, "100")
    assert params["array"] == "0-3%2" and params["job-name"] == name
    assert params["output"] == str(folder / "%A_%a_0_log.out")
    for index, sheep in enumerate(sheeps):
        record = read_job_record(sheep.xp)
        assert record is not None and record.array_job_ids == [s.job_id for s in sheeps]
        assert Path(os.readlink(sheep.xp.folder / name)) == folder
        assert (sheep.xp.folder / "latest").resolve() == folder.resolve()
        assert sheep.log == folder / f"100_{index}_0_log.out"
        assert (main.dora.dir / "by_id" / f"100_{index}").is_symlink()
        assert submitted_payload(folder, f"100_{index}")["argv"] == [f"--seed={index}"]


def test_many_xps_in_arrays_need_one_sbatch_per_array(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    # benchmarks/ measures 1,000 XPs on a real cluster; the count of calls is what matters.
    shep = shepherd(main)
    sheeps = [shep.get_sheep_from_argv([f"--seed={i}"]) for i in range(300)]
    config = SlurmConfig(**SMALL)
    for part in (sheeps[:150], sheeps[150:]):
        with shep.job_array(config):
            for sheep in part:
                shep.maybe_submit_lazy(sheep, config, SubmitRules())
    shep.commit()
    assert len(fake_slurm.calls("sbatch")) == 2
    assert sheeps[299].job_id == "101_149"
    shep.update()
    assert {s.state() for s in sheeps} == {"PENDING"}
    assert len(fake_slurm.calls("sacct")) <= 2  # first read, then the update


def test_dependents_chain_jobs_after_not_ok(main: Any, fake_slurm: FakeSlurm) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=3"])
    schedule(shep, [sheep], dependents=2)
    assert sheep.job is not None
    assert sheep.job.job_id == "100" and sheep.job.dependent_job_ids == ["101", "102"]
    assert "dependency" not in script_of(fake_slurm, "100")
    assert script_of(fake_slurm, "101")["dependency"] == "afternotok:100"
    assert script_of(fake_slurm, "102")["dependency"] == "afternotok:101"
    folder = sheep.xp.folder / "submitit"
    assert [submitted_payload(folder, i)["requeue"] for i in ("100", "101", "102")] == [
        False, False, True]
    for job_id in ("100", "101", "102"):
        assert (main.dora.dir / "by_id" / job_id).is_symlink()
    assert main.dora.dir.joinpath("by_id", "101").resolve() == sheep.xp.folder.resolve()


def test_dependents_and_arrays_do_not_mix(main: Any, fake_slurm: FakeSlurm) -> None:
    shep = shepherd(main)
    sheeps = [shep.get_sheep_from_argv([f"--seed={i}"]) for i in range(2)]
    with pytest.raises(SubmissionError, match="dependents.*job arrays"):
        schedule(shep, sheeps, array=True, dependents=1)
    assert fake_slurm.calls("sbatch") == []


def test_sbatch_refusing_leaves_nothing_and_a_retry_works(
    main: Any, fake_slurm: FakeSlurm, capfd: pytest.CaptureFixture
) -> None:
    fake_slurm.configure(sbatch_fail="Job violates accounting/QOS policy", sbatch_fail_count=1)
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=4"])
    with pytest.raises(SubmissionError, match="accounting/QOS policy") as info:
        schedule(shep, [sheep])
    assert "Nothing was scheduled" in str(info.value)
    printed = capfd.readouterr()
    assert "accounting/QOS" not in printed.out + printed.err  # said once, by the error
    xp = sheep.xp
    assert not xp._job_file.exists() and not (xp.folder / "submitit").exists()
    assert not (xp.folder / "latest").exists() and sheep.job is None
    assert list((main.dora.dir / "orphans").iterdir()) == []
    assert not (main.dora.dir / "by_id").exists()
    again = shepherd(main)
    retry = again.get_sheep_from_argv(["--seed=4"])
    schedule(again, [retry])
    assert retry.job_id == "100" and read_job_record(xp) is not None


def test_a_failing_array_leaves_no_array_folder(main: Any, fake_slurm: FakeSlurm) -> None:
    fake_slurm.configure(sbatch_fail="Invalid account or account/partition combination")
    shep = shepherd(main)
    sheeps = [shep.get_sheep_from_argv([f"--seed={i}"]) for i in range(3)]
    with pytest.raises(SubmissionError, match="Invalid account"):
        schedule(shep, sheeps, array=True)
    assert list((main.dora.dir / "arrays").iterdir()) == []
    assert all(read_job_record(s.xp) is None for s in sheeps)


def test_a_failing_dependent_cancels_the_chain(main: Any, fake_slurm: FakeSlurm) -> None:
    # The first sbatch succeeds, the second is refused: the first job must not stay.
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=5"])
    original = fake_slurm.read()
    fake_slurm.write(original)
    config = SlurmConfig(**dict(SMALL, dependents=1))
    shep.maybe_submit_lazy(sheep, config, SubmitRules())

    import dora_shep.backends.slurm.backend as backend_module

    real = backend_module.SlurmBackend._sbatch

    def refuse_after_first(self: Any, executor: Any, *args: Any) -> Any:
        submit = executor.submit
        calls = []

        def once(*a: Any, **k: Any) -> Any:
            calls.append(1)
            if len(calls) == 2:
                fake_slurm.configure(sbatch_fail="Dependency rejected")
            return submit(*a, **k)

        executor.submit = once
        return real(self, executor, *args)

    backend_module.SlurmBackend._sbatch = refuse_after_first  # type: ignore[assignment]
    try:
        with pytest.raises(SubmissionError, match="Dependency rejected"):
            shep.commit()
    finally:
        backend_module.SlurmBackend._sbatch = real  # type: ignore[assignment]
    assert fake_slurm.state_of("100").startswith("CANCELLED")
    assert read_job_record(sheep.xp) is None
    assert list((main.dora.dir / "orphans").iterdir()) == []


def test_an_unknown_partition_is_refused_before_anything_is_written(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=6"])
    with pytest.raises(SubmissionError, match=r"no partition named 'learnlab'.*debug, devlab"):
        schedule(shep, [sheep], partition="learnlab")
    assert fake_slurm.calls("sbatch") == [] and not sheep.xp.folder.exists()
    shep = shepherd(main)
    schedule(shep, [shep.get_sheep_from_argv(["--seed=6"])], partition="devlab")
    assert script_of(fake_slurm, "100")["partition"] == "devlab"


def test_an_impossible_gpu_request_writes_nothing(main: Any, fake_slurm: FakeSlurm) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=7"])
    with pytest.raises(ConfigError, match="12 GPUs"):
        schedule(shep, [sheep], gpus=12)
    assert fake_slurm.calls("sbatch") == [] and not sheep.xp.folder.exists()


def test_two_shepherds_never_submit_one_xp_twice(main: Any, fake_slurm: FakeSlurm) -> None:
    first, second = shepherd(main), shepherd(main)
    a = first.get_sheep_from_argv(["--seed=8"])
    b = second.get_sheep_from_argv(["--seed=8"])
    config = SlurmConfig(**SMALL)
    first.maybe_submit_lazy(a, config, SubmitRules())
    second.maybe_submit_lazy(b, config, SubmitRules())
    first.commit()
    second.commit()
    assert len(fake_slurm.calls("sbatch")) == 1
    assert a.job_id == b.job_id == "100"
    assert any("submitted meanwhile" in line for line in second.log)


def test_the_executor_options_reach_the_batch_script(main: Any, fake_slurm: FakeSlurm) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=9"])
    schedule(shep, [sheep], gpus=16, mem_per_gpu=40, cpus_per_gpu=10, qos="high",
             nodelist=["n1", "n2"], srun_args=["--export=ALL"],
             additional_parameters={"mail_type": "END"}, constraint=None, comment="c")
    params = script_of(fake_slurm, "100")
    assert (params["nodes"], params["ntasks-per-node"], params["gres"], params["mem"]) == (
        "2", "8", "gpu:8", "320GB")
    assert (params["qos"], params["nodelist"], params["mail-type"], params["comment"]) == (
        "high", "n1,n2", "END", "c")
    assert "constraint" not in params and params["signal"] == "USR2@90"
    script = fake_slurm.job("100")["script"]
    assert "export SLURM_KILL_BAD_EXIT=1" in script
    assert "srun --unbuffered --output" in script and "--export=ALL" in script


def test_retry_resubmits_a_failed_job_only_with_the_rule(
    main: Any, fake_slurm: FakeSlurm
) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=10"])
    schedule(shep, [sheep])
    fake_slurm.set_state("100", "FAILED", "3:0")
    again = shepherd(main)
    same = again.get_sheep_from_argv(["--seed=10"])
    assert same.state() == "FAILED" and same.reason == "exit code 3"
    config = SlurmConfig(**SMALL)
    again.maybe_submit_lazy(same, config, SubmitRules())
    again.commit()
    assert same.job_id == "100"
    again.maybe_submit_lazy(same, config, SubmitRules(retry=True))
    again.commit()
    assert same.job_id == "101" and len(fake_slurm.calls("sbatch")) == 2


def test_replace_cancels_the_running_job_first(main: Any, fake_slurm: FakeSlurm) -> None:
    shep = shepherd(main)
    sheep = shep.get_sheep_from_argv(["--seed=11"])
    schedule(shep, [sheep])
    fake_slurm.set_state("100", "RUNNING")
    again = shepherd(main)
    same = again.get_sheep_from_argv(["--seed=11"])
    again.maybe_submit_lazy(same, SlurmConfig(**SMALL), SubmitRules(replace=True))
    again.commit()
    assert fake_slurm.calls("scancel") == [["100"]]
    assert fake_slurm.state_of("100").startswith("CANCELLED") and same.job_id == "101"


def test_shep_errors_are_one_family() -> None:
    from dora_shep.backends.slurm.commands import SlurmCommandError

    assert issubclass(SlurmCommandError, ShepError)

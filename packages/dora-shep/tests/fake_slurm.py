"""Fake Slurm client commands for the tests: `fake_slurm.py NAME ARGS...`.

`sbatch`, `sacct`, `scancel`, `squeue`, `scontrol` and `srun` read and write one JSON
state file (`$FAKE_SLURM_STATE`, under a lock) and append each call to `calls.jsonl`
beside it. Tests change the state to produce what a real cluster rarely does: sbatch
refusing a job, sacct failing, lagging (`sacct_lag`: ids sacct does not show yet) or
forgetting an array element (`forget`: ids neither sacct nor squeue shows), scancel
failing for one id. With `execute` on, sbatch starts the batch script in the background
(srun runs its command with the Slurm task variables set), so jobs really run through
submitit.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

ACTIVE = ("PENDING", "RUNNING", "REQUEUED", "COMPLETING")


def state_path() -> Path:
    return Path(os.environ["FAKE_SLURM_STATE"])


@contextmanager
def locked_state() -> Iterator[Dict[str, Any]]:
    path = state_path()
    with open(str(path) + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = json.loads(path.read_text())
        yield state
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        os.replace(tmp, path)


def record_call(name: str, argv: List[str]) -> None:
    with open(state_path().parent / "calls.jsonl", "a") as out:
        out.write(json.dumps({"cmd": name, "argv": argv, "pid": os.getpid()}) + "\n")


def fail(message: str, code: int = 1) -> int:
    print(message, file=sys.stderr)
    return code


def parse_script(text: str) -> Dict[str, Any]:
    params: Dict[str, Any] = {}
    for line in text.splitlines():
        match = re.match(r"#SBATCH --([\w-]+)(?:=(.*))?$", line.strip())
        if match:
            value = match.group(2)
            if value is not None and len(value) >= 2 and value[0] == value[-1] == "'":
                value = value[1:-1]
            params[match.group(1)] = True if value is None else value
    return params


def partition_fields(item: Any) -> Dict[str, str]:
    """A partition of the state: a name, or a dict of scontrol fields with PartitionName
    (the first partition is the default one)."""
    return {"PartitionName": item} if isinstance(item, str) else dict(item)


def element_ids(job_id: str, job: Dict[str, Any]) -> List[str]:
    if job.get("array") is None:
        return [job_id]
    return [f"{job_id}_{index}" for index in range(job["array"])]


def sbatch(argv: List[str]) -> int:
    script = Path(argv[-1])
    text = script.read_text()
    params = parse_script(text)
    with locked_state() as state:
        failing = state.get("sbatch_fail")
        if failing:
            if state.get("sbatch_fail_count") is not None:
                state["sbatch_fail_count"] -= 1
                if state["sbatch_fail_count"] <= 0:
                    state["sbatch_fail"] = None
            return fail(f"sbatch: error: Batch job submission failed: {failing}")
        partition = params.get("partition")
        known = [partition_fields(item)["PartitionName"] for item in state["partitions"]]
        if partition is not None and any(name not in known for name in partition.split(",")):
            return fail("sbatch: error: Batch job submission failed: Invalid partition name "
                        "specified")
        job_id = str(state["next_id"])
        state["next_id"] += 1
        array = None
        if "array" in params:
            match = re.match(r"0-(\d+)(?:%(\d+))?", params["array"])
            assert match, params["array"]
            array = int(match.group(1)) + 1
        job = {
            "name": params.get("job-name", "sbatch"),
            "array": array,
            "params": params,
            "script": text,
            "states": dict.fromkeys(element_ids(job_id, {"array": array}), "PENDING"),
            "exit": {},
        }
        state["jobs"][job_id] = job
        execute = state.get("execute", False)
    if execute:  # like a real node: later, in the background, once sbatch has answered
        copy = state_path().parent / f"job_{job_id}.sh"
        copy.write_text(text)
        subprocess.Popen([sys.executable, __file__, "_run", job_id, str(copy)],
                         start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"Submitted batch job {job_id}")
    return 0


def run_job(argv: List[str]) -> int:
    job_id, script = argv
    with locked_state() as state:
        elements = list(state["jobs"][job_id]["states"])
    for element in elements:
        run_element(job_id, element, Path(script))
    return 0


def run_element(job_id: str, element: str, script: Path) -> None:
    env = dict(os.environ, SLURM_JOB_ID=job_id, SLURM_PROCID="0", SLURM_NTASKS="1",
               SLURM_LOCALID="0", SLURM_NODEID="0", SLURM_JOB_NUM_NODES="1",
               SLURM_JOB_NODELIST="fakenode")
    if "_" in element:
        env["SLURM_ARRAY_JOB_ID"], env["SLURM_ARRAY_TASK_ID"] = element.split("_")
    set_state(element, "RUNNING")
    output = parse_script(script.read_text()).get("output")  # the batch shell's output
    if output:
        task = element.split("_")[1] if "_" in element else ""
        output = (output.replace("%A", job_id).replace("%a", task)
                  .replace("%j", job_id).replace("%t", "0"))
    with open(output or os.devnull, "ab") as out:
        done = subprocess.run(["bash", str(script)], env=env, stdin=subprocess.DEVNULL,
                              stdout=out, stderr=subprocess.STDOUT)
    code = done.returncode
    set_state(element, "COMPLETED" if code == 0 else "FAILED", f"{code if code > 0 else 0}:0")


def set_state(element: str, value: str, exit_code: str = "0:0") -> None:
    with locked_state() as state:
        job = state["jobs"][element.split("_")[0]]
        job["states"][element] = value
        job["exit"][element] = exit_code


def srun(argv: List[str]) -> int:
    output = None
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg in ("--output", "--error", "--container-workdir"):
            if arg == "--output":
                output = argv[index + 1]
            index += 2
        elif arg.startswith("-"):
            index += 1
        else:
            break
    command = argv[index:]
    if output:
        array_id = os.environ.get("SLURM_ARRAY_JOB_ID", os.environ.get("SLURM_JOB_ID", ""))
        output = (output.replace("%A", array_id)
                  .replace("%a", os.environ.get("SLURM_ARRAY_TASK_ID", ""))
                  .replace("%j", os.environ.get("SLURM_JOB_ID", "")).replace("%t", "0"))
        with open(output, "ab") as out:
            return subprocess.run(command, stdout=out, stderr=subprocess.STDOUT).returncode
    return subprocess.run(command).returncode


def option_values(argv: List[str], *names: str) -> List[str]:
    values = []
    for index, arg in enumerate(argv):
        for name in names:
            if arg == name and index + 1 < len(argv):
                values.append(argv[index + 1])
            elif arg.startswith(name + "="):
                values.append(arg.split("=", 1)[1])
    return values


def sacct(argv: List[str]) -> int:
    with locked_state() as state:
        if state.get("sacct_fail"):
            return fail(state["sacct_fail"])
        fields = (option_values(argv, "-o", "--format") or ["JobID,State,ExitCode"])[0]
        names = fields.split(",")
        ids = [i for value in option_values(argv, "-j", "--jobs") for i in value.split(",")]
        forgotten = set(state.get("forget", [])) | set(state.get("sacct_lag", []))
        lines = ["|".join(names)]
        for job_id in ids:
            job = state["jobs"].get(job_id.split("_")[0])
            if job is None:
                continue
            elements = [e for e in job["states"] if e not in forgotten]
            pending = [e for e in elements if job["states"][e] == "PENDING"]
            if state.get("range_rows") and job["array"] and pending == elements and elements:
                first, last = elements[0].split("_")[1], elements[-1].split("_")[1]
                rows = [(f"{job_id}_[{first}-{last}]", "PENDING", "0:0")]
            else:
                rows = [(e, job["states"][e], job["exit"].get(e, "0:0")) for e in elements]
            for row_id, row_state, exit_code in rows:
                values = {"JobID": row_id, "State": row_state, "ExitCode": exit_code}
                lines.append("|".join(values.get(name, "") for name in names))
    print("\n".join(lines))
    return 0


def scancel(argv: List[str]) -> int:
    ids = [arg for arg in argv if not arg.startswith("-")]
    code = 0
    with locked_state() as state:
        failing = set(state.get("scancel_fail", []))
        for job_id in ids:
            job = state["jobs"].get(job_id.split("_")[0])
            if job_id in failing or job is None:
                print(f"scancel: error: Kill job error on job id {job_id}: Invalid job id "
                      "specified", file=sys.stderr)
                code = 1
                continue
            targets = [job_id] if "_" in job_id else list(job["states"])
            active = [t for t in targets if job["states"].get(t) in ACTIVE]
            if not active:
                print(f"scancel: error: Kill job error on job id {job_id}: Job/step already "
                      "completing or completed", file=sys.stderr)
                code = 1
            for target in active:
                job["states"][target] = f"CANCELLED by {os.getuid()}"
    return code


def squeue(argv: List[str]) -> int:
    names = option_values(argv, "-n", "--name")
    wanted = [i for value in option_values(argv, "-j", "--jobs") for i in value.split(",")]
    with locked_state() as state:
        if state.get("squeue_fail"):
            return fail(state["squeue_fail"])
        if wanted:  # -r -o %i|%T -j IDS: one line per active element, with its state
            if len(wanted) == 1 and wanted[0] not in state["jobs"]:
                return fail("slurm_load_jobs error: Invalid job id specified")
            every = "all" in option_values(argv, "-t", "--states")
            for job_id in wanted:
                job = state["jobs"].get(job_id, {"states": {}})
                for element, value in job["states"].items():
                    if (every or value in ACTIVE) and element not in state.get("forget", []):
                        print(f"{element}|{value.split()[0]}")
            return 0
        for job_id, job in state["jobs"].items():
            if names and job["name"] not in names:
                continue
            active = [e for e, value in job["states"].items() if value in ACTIVE]
            if job["array"] and active and all(job["states"][e] == "PENDING" for e in active):
                print(f"{job_id}_[0-{job['array'] - 1}]")
            else:
                for element in active:
                    print(element)
    return 0


def scontrol(argv: List[str]) -> int:
    with locked_state() as state:
        if "ping" in argv:
            up = "DOWN" if state.get("down") else "UP"
            print(f"Slurmctld(primary) at fakehost is {up}")
            return 1 if state.get("down") else 0
        if "partition" in argv:
            for index, item in enumerate(state["partitions"]):
                fields = {"Default": "YES" if index == 0 else "NO", "DefaultTime": "NONE",
                          "MaxTime": "UNLIMITED", **partition_fields(item)}
                name = fields.pop("PartitionName")
                print(f"PartitionName={name} AllowGroups=ALL "
                      + " ".join(f"{key}={value}" for key, value in fields.items())
                      + " State=UP TRES=cpu=16,mem=500G,node=1")
            return 0
    return fail(f"scontrol: unsupported fake call {argv}")


COMMANDS = {"sbatch": sbatch, "sacct": sacct, "scancel": scancel, "squeue": squeue,
            "scontrol": scontrol, "srun": srun, "_run": run_job}


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    name, rest = args[0], args[1:]
    if name not in ("srun", "_run"):
        record_call(name, rest)
    return COMMANDS[name](rest)


if __name__ == "__main__":
    sys.exit(main())

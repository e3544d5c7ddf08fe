"""Integration tests against a real Slurm: the cluster, a throwaway project, and helpers.

The cluster is the one scripts/slurm/start.sh starts (`nox -s integration` does it all):
these tests find it through `SLURM_CONF`. Without a controller that answers they skip,
saying why; with `CI=true` they fail instead, since CI must run them.

They run only when asked for by path (`pytest tests/integration`, which the nox session
does): a plain `pytest tests` skips them, so a run without a cluster stays green.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Set, Tuple

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SLURM_TOOLS = ("sbatch", "squeue", "sacct", "scancel", "scontrol", "sinfo")
HOW_TO_START = (
    "start one as root with `eval \"$(scripts/slurm/start.sh)\"`, or run the whole thing "
    "with `nox -s integration`"
)


# --- when to run ----------------------------------------------------------------------

def _asked_for(config: pytest.Config) -> bool:
    """Whether the command line names this folder, or something inside it."""
    for arg in config.args:
        path = Path(arg.split("::")[0])
        if not path.is_absolute():
            path = Path(config.invocation_params.dir) / path
        try:
            path.resolve().relative_to(HERE)
        except ValueError:
            continue
        return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    asked = _asked_for(config)
    skip = pytest.mark.skip(
        reason="Slurm integration tests run only when asked for: `pytest tests/integration` "
        "with a cluster, or `nox -s integration`")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.slurm)
            if not asked:
                item.add_marker(skip)


def _run(cmd: List[str], timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def cluster_problem() -> Optional[str]:
    """Why there is no usable Slurm cluster here, or None when there is one."""
    conf = os.environ.get("SLURM_CONF")
    if not conf:
        return ("SLURM_CONF is not set, so there is no Slurm cluster to test against: "
                + HOW_TO_START)
    if not Path(conf).is_file():
        return f"SLURM_CONF={conf} does not exist: {HOW_TO_START}"
    missing = [tool for tool in SLURM_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"Slurm client commands not found: {', '.join(missing)} (scripts/slurm/install.sh)"
    try:
        ping = _run(["scontrol", "ping"], timeout=20)
    except subprocess.TimeoutExpired:
        return f"`scontrol ping` hung for 20 s (SLURM_CONF={conf}): {HOW_TO_START}"
    if "UP" not in ping.stdout:
        return (f"no Slurm controller answers for SLURM_CONF={conf} ("
                f"{(ping.stdout + ping.stderr).strip()}): {HOW_TO_START}")
    acct = _run(["sacct", "-n", "-X", "-j", "1"], timeout=20)
    if acct.returncode != 0:
        return f"sacct does not answer (accounting is off?): {acct.stderr.strip()}"
    return None


@pytest.fixture(scope="session")
def _cluster_checked() -> Optional[str]:
    return cluster_problem()


@pytest.fixture(autouse=True)
def slurm_cluster(_cluster_checked: Optional[str]) -> None:
    """Every test here needs the cluster: skip without it, or fail in CI."""
    if _cluster_checked is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and no Slurm cluster: {_cluster_checked}", pytrace=False)
    pytest.skip(_cluster_checked)


# --- Slurm, read directly ---------------------------------------------------------------

def default_partition() -> str:
    out = _run(["sinfo", "-h", "-o", "%P"]).stdout.split()
    return next(name[:-1] for name in out if name.endswith("*"))


def sacct(job_ids: List[str], duplicates: bool = False,
          fields: str = "JobID,State") -> List[List[str]]:
    """Rows of `sacct -X` for these jobs (an array id lists its tasks), in sacct's order."""
    cmd = ["sacct", "-n", "-P", "-X", "-o", fields, "-j", ",".join(job_ids)]
    if duplicates:
        cmd.append("-D")
    proc = _run(cmd)
    assert proc.returncode == 0, proc.stderr
    return [line.split("|") for line in proc.stdout.splitlines() if line.strip()]


def states(job_ids: List[str]) -> Dict[str, str]:
    """{job id: state} from sacct, `CANCELLED by N` read as CANCELLED."""
    return {row[0]: ("CANCELLED" if row[1].startswith("CANCELLED") else row[1])
            for row in sacct(job_ids)}


def queued(under: Optional[Path] = None) -> Dict[str, str]:
    """{job id: state} of the jobs in squeue (array tasks as `<id>_<k>`).

    With `under`, only the jobs whose batch script or working folder lies under that
    folder: other people may share the cluster.
    """
    out = _run(["squeue", "-h", "-o", "%i|%T|%o|%Z"]).stdout
    jobs = {}
    for line in out.splitlines():
        if not line.strip():
            continue
        job_id, state, script, workdir = line.split("|", 3)
        if under is None or any(_is_under(path, under) for path in (script, workdir)):
            jobs[job_id] = state
    return jobs


def _is_under(path: str, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def wait_for(predicate: Callable[[], bool], timeout: float, what: str,
             interval: float = 0.3) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_states(job_ids: List[str], wanted: str, timeout: float = 60) -> Dict[str, str]:
    """Waits until sacct shows every one of `job_ids` in state `wanted` (sacct lags)."""
    seen: Dict[str, str] = {}

    def reached() -> bool:
        nonlocal seen
        seen = states(job_ids)
        return all(seen.get(job_id) == wanted for job_id in job_ids)

    try:
        wait_for(reached, timeout, f"jobs {job_ids} to be {wanted}")
    except AssertionError as error:
        raise AssertionError(f"{error}; sacct says {seen}") from None
    return seen


def job_field(job_id: str, field: str) -> str:
    """A field of `scontrol show job` (the controller keeps finished jobs for MinJobAge)."""
    out = _run(["scontrol", "show", "job", "-o", job_id]).stdout
    match = re.search(rf"\b{field}=(\S*)", out)
    assert match, f"no {field}= for job {job_id}: {out}"
    return match.group(1)


def uses_srun(job_id: str) -> bool:
    """Whether the job's batch script runs the work under srun (signals go to steps)."""
    script = Path(job_field(job_id.split("_")[0], "Command")).read_text()
    return any(line.strip().startswith("srun") or " srun " in line
               for line in script.splitlines() if not line.lstrip().startswith("#"))


def preempt(job_id: str) -> None:
    """Preempts a job the way Slurm does: USR2 to the processes doing the work."""
    target = [] if uses_srun(job_id) else ["--batch"]
    proc = _run(["scancel", *target, "--signal=USR2", job_id])
    assert proc.returncode == 0, proc.stderr


# --- a throwaway project ---------------------------------------------------------------

TRAIN = '''
"""A tiny argparse project for the Slurm tests: no torch, no numpy."""
import argparse
import json
import os
import sys
import time
from pathlib import Path

from dora import argparse_main, get_xp
from dora.conf import SlurmConfig

parser = argparse.ArgumentParser("slurmproj.train")
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--fail_at", type=int, default=-1, help="raise at this epoch")
parser.add_argument("--sleep", type=float, default=0.0, help="seconds per epoch (excluded)")


@argparse_main(dir="./outputs", parser=parser, exclude=["sleep"], git_save=GIT_SAVE,
               slurm=SlurmConfig(gpus=1, cpus_per_gpu=1, mem_per_gpu=1, time=60))
def main():
    xp = get_xp()
    args = xp.cfg
    folder = Path(xp.folder)
    checkpoint = folder / "checkpoint.json"
    start = 0
    if checkpoint.exists():
        saved = json.loads(checkpoint.read_text())
        start = saved["epoch"]
        xp.link.update_history(saved["history"])
        print(f"Resuming after epoch {start}", flush=True)
    where = {"cwd": os.getcwd(), "file": os.path.abspath(__file__),
             "job": os.environ.get("SLURM_JOB_ID"),
             "restarts": os.environ.get("SLURM_RESTART_COUNT", "0")}
    with open(folder / "runs.jsonl", "a") as runs:
        runs.write(json.dumps(where) + "\\n")
    print(f"XP {xp.sig} starts at epoch {start} in {where['cwd']}", flush=True)
    for epoch in range(start, args.epochs):
        time.sleep(args.sleep)
        if epoch == args.fail_at:
            sys.exit(f"failing at epoch {epoch}, as asked")
        xp.link.push_metrics({"epoch": epoch + 1, "loss": args.lr / (epoch + 1)})
        tmp = checkpoint.with_name("checkpoint.json.tmp")
        tmp.write_text(json.dumps({"epoch": epoch + 1, "history": list(xp.link.history)}))
        os.replace(tmp, checkpoint)
        print(f"epoch {epoch + 1} done", flush=True)
    print(f"XP {xp.sig} done", flush=True)
'''

EXPLORERS = '''
import treetable as tt

from dora import Explorer


class LossExplorer(Explorer):
    def get_grid_metrics(self):
        return [tt.group("train", [tt.leaf("epoch"), tt.leaf("loss", ".4f")])]

    def process_history(self, history):
        row = {"epoch": len(history)}
        for entry in history:
            row.update(entry)
        return {"train": row}
'''

# The `dora` command under test: this Python's, unless DORA_TEST_COMMAND names another
# (for instance a wrapper around dora-search, to check the tests themselves).
DORA = shlex.split(os.environ.get("DORA_TEST_COMMAND", "")) or [sys.executable, "-m", "dora"]

STATES = ("PEN", "RUN", "COM", "FAI", "CAN", "TIM", "UNK", "REQ", "MIS", "N/A", "OUT",
          "NOD", "PRE", "COMPLETING")


def parse_table(text: str) -> Dict[str, Tuple[str, str]]:
    """Rows of the last grid table in `text`: {sig: (state, row)}."""
    rows: Dict[str, Tuple[str, str]] = {}
    for line in text.splitlines():
        line = re.sub(r"\x1b\[[0-9;]*m", "", line)
        sig = re.search(r"\b([0-9a-f]{8})\b", line)
        state = re.search(r"\b(" + "|".join(re.escape(s) for s in STATES) + r")\b", line)
        if sig and state:
            rows[sig.group(1)] = (state.group(1), line)
    return rows


class Project:
    """A throwaway Dora project in a temp folder, driven through the `dora` command."""

    def __init__(self, root: Path, git_save: bool = False) -> None:
        self.root = root
        self.package = root / "slurmproj"
        (self.package / "grids").mkdir(parents=True)
        (self.package / "__init__.py").write_text("")
        (self.package / "grids" / "__init__.py").write_text("")
        (self.package / "grids" / "_explorers.py").write_text(EXPLORERS.lstrip())
        (self.package / "train.py").write_text(
            TRAIN.lstrip().replace("GIT_SAVE", str(git_save)))
        self.outputs = root / "outputs"
        self.env = dict(os.environ)
        for name in ("DORA_PACKAGE", "DORA_MAIN_MODULE", "_DORA_ORIGINAL_DIR",
                     "_DORA_GIT_SAVE_DONE"):
            self.env.pop(name, None)
        self.env["PYTHONUNBUFFERED"] = "1"

    def dora(self, *args: str, timeout: float = 120,
             env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [*DORA, *args], cwd=self.root, env=env or self.env,
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        # Shown by pytest when a test fails: what dora said.
        print(f"$ dora {' '.join(args)}  -> rc {proc.returncode}\n{proc.stdout}{proc.stderr}")
        return proc

    def write_grid(self, name: str, body: str, slurm: str = "") -> None:
        """grids/<name>.py: `body` is the explore function's body, launcher in scope.

        `slurm` is added to the resources every XP of the grid gets (after the ones
        that fit the test cluster).
        """
        resources = f"gpus=1, cpus_per_gpu=1, mem_per_gpu=1, partition={default_partition()!r}"
        if slurm:
            resources += ", " + slurm
        text = ("from ._explorers import LossExplorer\n\n\n@LossExplorer\n"
                "def explorer(launcher):\n"
                f"    launcher.slurm_({resources})\n"
                + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n")
        (self.package / "grids" / f"{name}.py").write_text(text)

    def xp(self, sig: str) -> Path:
        return self.outputs / "xps" / sig

    def job(self, sig: str) -> dict:
        """The XP's job record (job.json)."""
        return json.loads((self.xp(sig) / "job.json").read_text())

    def job_id(self, sig: str) -> str:
        return str(self.job(sig)["job_id"])

    def grid_sigs(self, name: str) -> List[str]:
        folder = self.outputs / "grids" / name
        return sorted(link.name for link in folder.iterdir()) if folder.exists() else []

    def history(self, sig: str) -> List[dict]:
        path = self.xp(sig) / "history.json"
        return json.loads(path.read_text()) if path.exists() else []

    def sig_of(self, *argv: str) -> str:
        """The signature of the one XP whose stored argv holds every flag in `argv`."""
        found = [
            path.parent.name for path in self.outputs.glob("xps/*/.argv.json")
            if set(argv) <= set(json.loads(path.read_text()))
        ]
        assert len(found) == 1, f"XPs with {argv}: {found}"
        return found[0]

    def all_job_ids(self) -> List[str]:
        ids: Set[str] = set()
        for record in self.outputs.glob("xps/*/job.json"):
            try:
                data = json.loads(record.read_text())
            except (OSError, ValueError):
                continue
            for key in ("job_id", "array_job_ids", "dependent_job_ids"):
                value = data.get(key) or []
                ids.update(str(v) for v in (value if isinstance(value, list) else [value]))
        return sorted(ids)


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def scheduled_ids(text: str) -> List[str]:
    """Job ids from the `Scheduled job <id> for sheep ...` lines."""
    return re.findall(r"Scheduled job (\S+) for sheep", text)


def _cancel_everything_of(project: Project) -> None:
    ids = project.all_job_ids()
    if ids:
        _run(["scancel", *ids])


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A fresh throwaway project; its jobs are cancelled when the test ends."""
    proj = Project(tmp_path / "proj")
    yield proj
    _cancel_everything_of(proj)


@pytest.fixture
def git_project(tmp_path: Path) -> Iterator[Project]:
    """A throwaway project with git_save on, committed in a fresh git repository."""
    proj = Project(tmp_path / "gitproj", git_save=True)
    (proj.root / ".gitignore").write_text("outputs/\n__pycache__/\n")
    git(proj, "init", "-q", "-b", "main")
    git(proj, "add", "-A")
    git(proj, "commit", "-q", "-m", "first")
    yield proj
    _cancel_everything_of(proj)


def git(project: Project, *args: str) -> str:
    env = dict(project.env, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    proc = subprocess.run(["git", *args], cwd=project.root, env=env, capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()

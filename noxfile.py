"""Task runner for the whole repository: `nox -l` lists the sessions.

Every install names the local package folders it needs, so pip never takes a sibling
from the package index (some of the names, `dora-cli` among them, belong to other
projects there), and every install goes through constraints.txt.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

import nox
import nox.project
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

nox.needs_version = ">=2024.3.2"
nox.options.reuse_venv = "yes"
nox.options.error_on_external_run = True

ROOT = Path(__file__).resolve().parent
CONSTRAINTS = str(ROOT / "constraints.txt")

# Layering order: a package may only import (and depend on) the ones before it.
PACKAGES = ("dora-sig", "dora-link", "dora-shep", "dora-grid", "dora-lightning", "dora-cli")


def _local_dependencies(package: str) -> List[str]:
    """Sibling packages that `package` declares, directly or not."""
    pyproject = nox.project.load_toml(str(ROOT / "packages" / package / "pyproject.toml"))
    direct = [
        canonicalize_name(Requirement(spec).name)
        for spec in pyproject["project"].get("dependencies", [])
    ]
    closure: List[str] = []
    for name in direct:
        if name in PACKAGES:
            for dep in [*_local_dependencies(name), name]:
                if dep not in closure:
                    closure.append(dep)
    return closure


def _with_dependencies(packages: List[str]) -> List[str]:
    """`packages` and their local dependencies, in layering order."""
    wanted = set(packages)
    for package in packages:
        wanted.update(_local_dependencies(package))
    return [name for name in PACKAGES if name in wanted]


# Run inside a session's venv: every installed sibling must come from this checkout.
_CHECK_LOCAL = """
import importlib.metadata as md, json, sys
expected, root = set(json.loads(sys.argv[1])), sys.argv[2]
siblings = set(json.loads(sys.argv[3])) | {"dora-search"}
errors = []
found = set()
for dist in md.distributions():
    name = dist.metadata["Name"].lower().replace("_", "-")
    if name not in siblings:
        continue
    found.add(name)
    url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
    if name not in expected:
        errors.append(f"{name} is installed but this session did not ask for it")
    elif not url.startswith("file://") or not url.rstrip("/").endswith("/packages/" + name):
        errors.append(f"{name} was not installed from {root}/packages/{name} (got {url!r})")
errors += [f"{name} is missing" for name in sorted(expected - found)]
if errors:
    sys.exit("Wrong sibling packages in this environment:\\n  " + "\\n  ".join(errors))
"""


def install_local(session: nox.Session, packages: List[str], *extra: str) -> None:
    """Install `packages` with their local dependencies (by path) and `extra` requirements.

    One pip command resolves everything, with the local folders standing for the
    sibling names, so the index is only asked for third-party packages.
    """
    names = _with_dependencies(packages)
    paths = [str(ROOT / "packages" / name) for name in names]
    # pip rebuilds a local folder on every install, so a reused venv gets the new code.
    session.install("-c", CONSTRAINTS, *paths, *extra)
    check = Path(session.create_tmp()) / "check_local_installs.py"
    check.write_text(_CHECK_LOCAL)
    session.run("python", str(check), json.dumps(names), str(ROOT), json.dumps(PACKAGES))


# dora-cli with its `hydra` extra (hydra-core), for the sessions that test Hydra projects.
CLI_WITH_HYDRA = f"{ROOT / 'packages' / 'dora-cli'}[hydra]"


def _test_group(package: str) -> List[str]:
    """The `test` dependency group of `package` (what its tests use beyond the package)."""
    pyproject = nox.project.load_toml(str(ROOT / "packages" / package / "pyproject.toml"))
    if "test" not in pyproject.get("dependency-groups", {}):
        return []
    return list(nox.project.dependency_groups(pyproject, "test"))


def _make_tests_session(package: str) -> None:
    def tests(session: nox.Session) -> None:
        extras = [CLI_WITH_HYDRA] if package == "dora-cli" else []
        install_local(session, [package], "pytest", *extras, *_test_group(package))
        session.run("pytest", f"packages/{package}/tests", *session.posargs)

    tests.__doc__ = f"Test {package}, installed alone with what it declares."
    nox.session(name=f"tests-{package}")(tests)


for _package in PACKAGES:
    _make_tests_session(_package)

TEST_SESSIONS = [f"tests-{package}" for package in PACKAGES]


@nox.session
def e2e(session: nox.Session) -> None:
    """End-to-end and whole-repository tests (tests/): every package, the digits examples.

    tests/integration (a real Slurm) and tests/compat (the reference) have their own
    sessions, which set up what they need.
    """
    install_local(session, list(PACKAGES), "pytest", "numpy", "scikit-learn", CLI_WITH_HYDRA)
    session.run("pytest", "tests", "--ignore=tests/integration", "--ignore=tests/compat",
                *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole tree (configured in the root pyproject.toml)."""
    session.install("-c", CONSTRAINTS, "ruff")
    session.run("ruff", "check", *(session.posargs or ["."]))


@nox.session
def types(session: nox.Session) -> None:
    """mypy over packages/*/src (configured in the root pyproject.toml)."""
    paths: Dict[str, str] = {name: str(ROOT / "packages" / name) for name in PACKAGES}
    # Editable, so mypy sees one copy of each module: the sources it checks.
    editable = [arg for name in PACKAGES for arg in ("-e", paths[name])]
    session.install("-c", CONSTRAINTS, *editable, "mypy")
    session.run("mypy", *session.posargs)


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@nox.session
def integration(session: nox.Session) -> None:
    """The Slurm backend against a real cluster started here (scripts/slurm/), then stopped.

    Installs the Slurm, munge and MariaDB OS packages when missing and starts private
    daemons on loopback, so it needs root and apt-get: without them it is skipped, except
    with CI=true, where it fails.
    """
    problem = None
    if os.geteuid() != 0:
        problem = "it needs root to install and start a Slurm cluster (scripts/slurm/)"
    elif shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        problem = "it needs apt-get to install Slurm (or slurmctld, slurmd and friends)"
    if problem:
        if os.environ.get("CI") != "true":
            session.skip(f"no real Slurm here: {problem}. Run `nox -s integration` as root.")
        session.error(f"CI=true but {problem}")
    install_local(session, list(PACKAGES), "pytest")
    scripts = ROOT / "scripts" / "slurm"
    session.run("bash", str(scripts / "install.sh"), external=True)
    # A fresh state folder, traversable by all (munge's rule for its socket path), and
    # four free ports, so that a cluster someone keeps running here is left alone.
    state = tempfile.mkdtemp(prefix="dora-slurm-", dir="/tmp")
    os.chmod(state, 0o755)
    port = next(base for base in range(16817, 30000, 100)
                if all(_port_free(base + k) for k in range(4)))
    passed = False
    try:
        session.run("bash", str(scripts / "start.sh"), state, external=True,
                    env={"DORA_SLURM_PORT": str(port)})
        session.run("pytest", "tests/integration", *session.posargs,
                    env={"SLURM_CONF": f"{state}/etc/slurm.conf"})
        passed = True
    finally:
        session.run("bash", str(scripts / "stop.sh"), state, external=True)
        if passed:
            shutil.rmtree(state, ignore_errors=True)
        else:
            session.log(f"Slurm logs kept in {state}/log")


# The reference implementation, in an environment of its own (never in a session's venv:
# it is also imported as `dora`). torch comes from constraints.txt (the CPU build).
ORACLE = {"dora-search": "0.1.13", "hydra-core": "1.3.8"}
_ORACLE_READY = """
import importlib.metadata as md, json, sys
sys.exit(any(md.version(n) != v for n, v in json.loads(sys.argv[1]).items()))
"""


def _oracle_python(session: nox.Session) -> str:
    """The interpreter of the oracle environment, created (or repaired) when needed."""
    venv = Path(os.environ.get("ORACLE_VENV") or ROOT / ".nox" / "compat-oracle")
    python = venv / "bin" / "python"
    ready = python.exists() and subprocess.run(
        [str(python), "-c", _ORACLE_READY, json.dumps(ORACLE)],
        capture_output=True).returncode == 0
    if ready:
        session.log(f"oracle environment ready: {venv}")
        return str(python)
    # virtualenv is what nox itself creates venvs with, so it is there wherever nox runs.
    session.run(sys.executable, "-m", "virtualenv", "--quiet", "--clear", str(venv),
                external=True)
    pins = [f"{name}=={version}" for name, version in ORACLE.items()]
    session.run(str(python), "-m", "pip", "install", "--quiet", "-c", CONSTRAINTS, *pins,
                external=True)
    return str(python)


@nox.session
def compat(session: nox.Session) -> None:
    """Signatures, short names and launcher renderings against dora-search 0.1.13.

    tests/compat/ generates more than 1,000 Hydra and 1,000 argparse cases (fixed seed)
    and evaluates each with the reference, run in its own environment
    (`.nox/compat-oracle`, or $ORACLE_VENV), and with ours (this session's venv, with the
    same hydra-core). Never skipped here: a broken oracle fails the session.
    """
    install_local(session, list(PACKAGES), "pytest", f"hydra-core=={ORACLE['hydra-core']}")
    oracle = _oracle_python(session)
    report = Path(session.create_tmp()).resolve() / "compat-report"
    session.run("pytest", "tests/compat", *session.posargs,
                env={"DORA_COMPAT_ORACLE": oracle, "DORA_COMPAT_REPORT": str(report)})


nox.options.sessions = [*TEST_SESSIONS, "e2e", "lint", "types", "integration", "compat"]

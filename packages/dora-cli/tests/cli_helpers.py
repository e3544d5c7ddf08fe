"""Helpers of the dora-cli tests: a throwaway project, and the `dora` command run on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

TRAIN = '''
import argparse
import time

from dora import argparse_main, get_xp

parser = argparse.ArgumentParser("proj.train")
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--sleep", type=float, default=0.0)
parser.add_argument("--fail", action="store_true")
parser.add_argument("--num_workers", type=int, default=4)


@argparse_main(dir="./outputs", parser=parser, exclude=["num_workers"], backend="local", slots=4)
def main():
    xp = get_xp()
    print(f"training {xp.sig} lr={xp.cfg.lr}", flush=True)
    for epoch in range(xp.cfg.epochs):
        time.sleep(xp.cfg.sleep)
        xp.link.push_metrics({"epoch": epoch, "loss": 1 / (epoch + 1)})
    if xp.cfg.fail:
        raise RuntimeError("asked to fail")
'''

GRID = '''
from dora import Explorer


@Explorer
def explorer(launcher):
    launcher.slurm_(gpus=0)
    launcher(lr=0.2)
    launcher(lr=0.3)
'''

GRIDS = {
    "__init__.py": "",
    "g.py": GRID,
    "_helpers.py": "",
    "sub/__init__.py": "",
    "sub/g1.py": GRID,
    "bad.py": "from dora import Explorer\n\nx = 1\nraise ImportError('no module named plop')\n",
    "noexp.py": "x = 1\n",
    "plain.py": "def explorer(launcher):\n    launcher(lr=0.5)\n",
    "boom.py": (
        "from dora import Explorer\n\n\n@Explorer\ndef explorer(launcher):\n"
        "    launcher(lr=0.5)\n    raise ValueError('grid evaluation failed here')\n"
    ),
    "badarg.py": (
        "from dora import Explorer\n\n\n@Explorer\ndef explorer(launcher):\n"
        "    launcher(lr=0.5)\n    launcher(['--nope=1'])\n"
    ),
}


def write_project(root: Path, package: str = "proj", module: str = "train") -> Path:
    """`<root>/<package>/<module>.py` with argparse_main, and its grids package."""
    base = root / package
    base.mkdir(parents=True)
    (base / "__init__.py").write_text("")
    (base / f"{module}.py").write_text(TRAIN.replace("proj.train", f"{package}.{module}"))
    for name, text in GRIDS.items():
        path = base / "grids" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return base


class Dora:
    """Runs `python -m dora` in a folder with a clean environment."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env: Dict[str, str] = dict(os.environ)
        for name in ("DORA_PACKAGE", "DORA_MAIN_MODULE", "WORLD_SIZE", "RANK", "LOCAL_RANK",
                     "_DORA_ORIGINAL_DIR"):
            self.env.pop(name, None)
        self.env["CUDA_VISIBLE_DEVICES"] = ""
        self.env["PYTHONUNBUFFERED"] = "1"

    def __call__(self, *args: str, timeout: float = 120, **env: str) -> Any:
        return subprocess.run(
            [sys.executable, "-m", "dora", *args], cwd=self.cwd, env={**self.env, **env},
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )

    @property
    def outputs(self) -> Path:
        return self.cwd / "outputs"

    def start(self, *args: str, **env: str) -> Running:
        """`python -m dora ARGS` in the background, its output read as it comes."""
        return Running(subprocess.Popen(
            [sys.executable, "-m", "dora", *args], cwd=self.cwd, env={**self.env, **env},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            stdin=subprocess.DEVNULL,
        ))


class Running:
    """A `dora` command running in the background (see `Dora.start`).

    Two threads collect its stdout and stderr, so a test can wait for a line without
    blocking on a pipe; `interrupt()` is the user's Ctrl-C (SIGINT to that process only).
    """

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self._chunks: Dict[str, List[str]] = {"stdout": [], "stderr": []}
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._read, args=(name, getattr(proc, name)), daemon=True)
            for name in ("stdout", "stderr")
        ]
        for thread in self._threads:
            thread.start()

    def _read(self, name: str, stream: Any) -> None:
        for line in iter(stream.readline, ""):
            with self._lock:
                self._chunks[name].append(line)
        stream.close()

    def output(self, name: str) -> str:
        with self._lock:
            return "".join(self._chunks[name])

    def wait_output(self, text: str, name: str = "stdout", timeout: float = 60.0) -> None:
        """Wait until `text` shows in the command's `name` stream; fail if it exits first."""
        def seen() -> bool:
            if text in self.output(name):
                return True
            if self.proc.poll() is not None:
                for thread in self._threads:
                    thread.join(5)
                if text in self.output(name):
                    return True
                raise AssertionError(
                    f"`dora` exited ({self.proc.returncode}) before printing {text!r}:\n"
                    f"{self.output('stdout')}{self.output('stderr')}")
            return False

        wait_for(seen, timeout=timeout, what=f"{text!r} on {name}")

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to the command (not to the job, which runs in its own session)."""
        self.proc.send_signal(signal.SIGINT)

    def finish(self, timeout: float = 60.0) -> Tuple[int, str, str]:
        """Wait for the command to end: (exit code, stdout, stderr)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        for thread in self._threads:
            thread.join(5)
        return code, self.output("stdout"), self.output("stderr")


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.1)

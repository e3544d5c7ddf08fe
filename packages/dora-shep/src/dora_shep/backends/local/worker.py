"""The detached supervisor of one local job: `python -m <this module> JOBFILE --alive-fd N`.

It runs in a session of its own, with the XP log as stdout and stderr. It waits for its
turn and its slots, runs the job through `dora_shep.runner` with the slot locks and the
alive lock inherited, enforces the time limit, honours cancellation, records the final
state, and finally kills whatever the job left behind in its process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any, List, Optional, Tuple

from ._state import LocalPaths, read_state, write_state
from .slots import acquire_slots, devices_for, queue_position

__all__ = ["main"]

POLL_S = 0.2
GRACE_S = 3.0
MAX_POLL_S = 2.0


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _leftover_processes() -> Optional[List[int]]:
    """Other processes of our group or session (Linux /proc); None when unknown."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    me, group, session = os.getpid(), os.getpgrp(), os.getsid(0)
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 3 and fields[0] != "Z":
            if int(fields[2]) == group or int(fields[3]) == session:
                found.append(int(entry.name))
    return found


class Supervisor:
    """Runs one local job from its state record to its final state."""

    def __init__(self, job_file: Path, alive_fd: int) -> None:
        self.job_file = job_file
        self.paths = LocalPaths(job_file.parent.parent)
        record = read_state(job_file)
        if record is None or "job_id" not in record:
            raise RuntimeError(f"No job record in {job_file}")
        self.record = record
        self.job_id: str = record["job_id"]
        self.alive_fd = alive_fd
        self.own_group = os.getpgrp() == os.getpid()
        self.signal_received: Optional[int] = None

    def log(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        print(f"[dora local {stamp}] {self.job_id}: {message}", flush=True)

    def update(self, **fields: Any) -> None:
        self.record.update(fields)
        write_state(self.job_file, self.record)

    def _on_signal(self, number: int, frame: Any) -> None:
        self.signal_received = number

    def cancel_requested(self) -> bool:
        return self.signal_received is not None or self.paths.cancel(self.job_id).exists()

    def _cancel_reason(self) -> Optional[str]:
        if self.paths.cancel(self.job_id).exists() or self.signal_received is None:
            return None
        return f"received {_signal_name(self.signal_received)}"

    def wait_for_slots(self) -> Optional[List[Tuple[int, int]]]:
        """Wait for this job's turn and slots; None when cancelled while waiting.

        N is read again at every try, so `--slots` given to a later `dora` command also
        applies to the jobs already waiting (never below what this job needs).
        """
        total, needed = int(self.record["num_slots"]), int(self.record["slots_needed"])
        while not self.cancel_requested():
            position = queue_position(self.paths, self.job_id)
            if position == 0:
                total = max(needed, self.paths.slot_count(total))
                taken = acquire_slots(self.paths, total, needed)
                if taken is not None:
                    return taken
            self._sleep(min(MAX_POLL_S, POLL_S * (1 + position / 4)))
        return None

    def _sleep(self, seconds: float) -> None:
        """Sleep, waking up early when a signal arrives."""
        end = time.monotonic() + seconds
        while self.signal_received is None and time.monotonic() < end:
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))

    def _child_env(self, slots: List[int]) -> dict:
        env = dict(os.environ)
        env.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", LOCAL_WORLD_SIZE="1")
        env["DORA_LOCAL_JOB_ID"] = self.job_id
        gpus = list(self.record.get("gpus") or [])
        if gpus:
            if int(self.record.get("gpus_asked") or 0) == 0:
                env["CUDA_VISIBLE_DEVICES"] = ""
            else:
                env["CUDA_VISIBLE_DEVICES"] = devices_for(slots, gpus) or ""
        return env

    def _terminate(self, process: subprocess.Popen) -> None:
        """SIGTERM the job's processes (our whole group when we lead it, else the child)."""
        try:
            if self.own_group:
                os.killpg(os.getpgrp(), signal.SIGTERM)
            else:
                process.terminate()
        except OSError:
            pass

    def run_job(self, taken: List[Tuple[int, int]]) -> Tuple[str, Optional[str], Optional[int]]:
        """Run the job in the slots `taken`; (final state, reason, exit code)."""
        slots = [index for index, _ in taken]
        env = self._child_env(slots)
        command = list(self.record["python"]) + [
            "-m",
            "dora_shep.runner",
            str(self.paths.payload(self.job_id)),
        ]
        fds = [self.alive_fd] + [fd for _, fd in taken]
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, pass_fds=fds)
        self.update(
            state="RUNNING",
            started_at=time.time(),
            slots=slots,
            cuda_visible_devices=env.get("CUDA_VISIBLE_DEVICES"),
            child_pid=process.pid,
        )
        self._leave_queue()
        self.log(f"running on slots {slots} (pid {process.pid})")
        limit = self.record.get("time_limit_s")
        deadline = time.monotonic() + float(limit) if limit else None
        stop: Optional[str] = None
        stop_at = 0.0
        code: Optional[int] = None
        while True:
            try:
                code = process.wait(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if stop is None:
                if self.cancel_requested():
                    stop = "CANCELLED"
                elif deadline is not None and now >= deadline:
                    stop = "TIMEOUT"
                if stop is not None:
                    self.log(f"stopping ({stop.lower()})")
                    self._terminate(process)
                    stop_at = now + GRACE_S
            elif now >= stop_at:
                code = None
                break
        if stop == "TIMEOUT":
            return "TIMEOUT", f"time limit of {float(limit or 0) / 60:g} min reached", code
        if stop == "CANCELLED" or (code != 0 and self.cancel_requested()):
            return "CANCELLED", self._cancel_reason(), code
        if code == 0:
            return "COMPLETED", None, 0
        assert code is not None
        if code < 0:
            return "FAILED", f"killed by signal {_signal_name(-code)}", code
        return "FAILED", f"exit code {code}", code

    def _leave_queue(self) -> None:
        try:
            os.unlink(self.paths.queued(self.job_id))
        except OSError:
            pass

    def finish(self, state: str, reason: Optional[str], code: Optional[int] = None) -> None:
        """Record the final state, then end every process the job left behind."""
        self.update(state=state, reason=reason, exit_code=code, ended_at=time.time())
        self._leave_queue()
        self.log(state + (f" ({reason})" if reason else ""))
        sys.stdout.flush()
        sys.stderr.flush()
        if not self.own_group:  # started by hand: the group is not ours to clean
            return
        leftovers = _leftover_processes()
        if leftovers is None:
            os.killpg(os.getpgrp(), signal.SIGKILL)  # ends this supervisor too
        for pid in leftovers or []:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def run(self) -> None:
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(number, self._on_signal)
        self.update(supervisor_pid=os.getpid(), pgid=os.getpgrp())
        self.log("waiting for a slot")
        taken = self.wait_for_slots()
        if taken is None:
            self.finish("CANCELLED", self._cancel_reason())
            return
        try:
            state, reason, code = self.run_job(taken)
        except Exception as exc:  # could not start the job
            traceback.print_exc()
            state, reason, code = "FAILED", f"the job could not start: {exc}", None
        self.finish(state, reason, code)


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point: `worker JOBFILE --alive-fd N`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3 or args[1] != "--alive-fd":
        print("usage: python -m dora_shep.backends.local.worker JOBFILE --alive-fd N")
        return 2
    supervisor = Supervisor(Path(args[0]), int(args[2]))
    try:
        supervisor.run()
    except Exception as exc:
        traceback.print_exc()
        supervisor.finish("FAILED", f"the local supervisor failed: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

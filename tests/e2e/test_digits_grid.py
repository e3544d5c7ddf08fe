"""The digits example, run for real on the local backend through the `dora` command."""
from __future__ import annotations

import json

from .conftest import Project, parse_table, wait_for, write_grid

LRS = [0.05, 0.1, 0.2, 0.4]


def _calls(lrs):
    return [f"lr={lr}, epochs=3" for lr in lrs]


def test_demo_grid_has_six_xps_or_more(digits: Project) -> None:
    proc = digits.dora("grid", "demo", "--backend", "local", "--dry_run", "--no_monitoring")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = parse_table(proc.stdout)
    assert len(rows) >= 6
    assert {state for state, _ in rows.values()} == {"N/A"}
    assert not (digits.root / "outputs" / "xps").exists(), "a dry run must write nothing"


def test_grid_survives_dora_exit_and_cancels_removed_xps(digits: Project) -> None:
    digits.env["DIGITS_EPOCH_SLEEP"] = "1.5"
    write_grid(digits, "e2e", _calls(LRS))

    # 1. Schedule the grid and monitor it; one slot, so one XP runs and three wait.
    monitor = digits.popen("grid", "e2e", "--backend", "local", "--slots", "1", "-i", "0.02")
    table = {}

    def one_running_others_pending() -> bool:
        nonlocal table
        table = digits.table("e2e")
        states = sorted(state for state, _ in table.values())
        return len(table) == 4 and states.count("RUN") == 1 and states.count("PEN") == 3

    try:
        wait_for(one_running_others_pending, 60, "one XP running and three pending")
    finally:
        # 2. The `dora` process dies while XPs run and wait.
        monitor.kill()
        monitor.wait()
    first = next(sig for sig, (state, _) in table.items() if state == "RUN")
    pending = [sig for sig, (state, _) in table.items() if state == "PEN"]

    # 3. Waiting XPs start by themselves when the slot frees: no dora process is alive.
    def a_waiting_xp_started() -> bool:
        nonlocal table
        table = digits.table("e2e")
        return table[first][0] == "COM" and any(
            table[sig][0] in ("RUN", "COM") for sig in pending)

    wait_for(a_waiting_xp_started, 90, "a pending XP to start after dora exited")

    # 4. Remove from the grid an XP that is still waiting: it is cancelled.
    removed = next(sig for sig in pending if table[sig][0] == "PEN")
    removed_lr = _lr_of(digits, removed)
    write_grid(digits, "e2e", _calls([lr for lr in LRS if lr != removed_lr]))
    proc = digits.dora("grid", "e2e", "--backend", "local", "--no_monitoring")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Canceling" in proc.stderr + proc.stdout
    assert removed not in parse_table(proc.stdout)
    info = digits.dora("info", "-f", removed)
    assert info.returncode == 0, info.stdout + info.stderr
    assert "CANCELLED" in info.stdout + info.stderr
    assert not (digits.root / "outputs" / "grids" / "e2e" / removed).exists()

    # 5. Monitor again until the rest complete; the table shows real accuracies.
    proc = digits.dora("grid", "e2e", "--backend", "local", "-i", "0.02", timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    final = parse_table(proc.stdout.split("Monitoring")[-1])
    kept = set(table) - {removed}
    assert {sig: final[sig][0] for sig in kept} == dict.fromkeys(kept, "COM")
    for sig in kept:
        history = json.loads((digits.root / "outputs" / "xps" / sig / "history.json").read_text())
        assert len(history) == 3
        assert 0.5 < history[-1]["valid"]["acc"] <= 1.0
    removed_history = digits.root / "outputs" / "xps" / removed / "history.json"
    assert not removed_history.exists() or len(json.loads(removed_history.read_text())) == 0


def _lr_of(project: Project, sig: str) -> float:
    argv = json.loads((project.root / "outputs" / "xps" / sig / ".argv.json").read_text())
    for arg in argv:
        if arg.startswith("--lr="):
            return float(arg.split("=", 1)[1])
    raise AssertionError(f"no --lr in {argv}")


def test_readme_quick_start_grid_completes_with_real_accuracies(digits: Project) -> None:
    """The README's first command: `dora grid demo --backend local -i 0.05`, to the end."""
    proc = digits.dora("grid", "demo", "--backend", "local", "-i", "0.05", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    final = parse_table(proc.stdout.split("Monitoring")[-1])
    assert len(final) >= 6 and {state for state, _ in final.values()} == {"COM"}
    for sig, (_, row) in final.items():
        history = json.loads((digits.root / "outputs" / "xps" / sig / "history.json").read_text())
        assert len(history) == 15
        accuracy = history[-1]["valid"]["acc"]
        assert accuracy > 0.9, f"{sig}: {accuracy}"
        assert f"{accuracy:.2%}" in row, f"the row of {sig} does not show its accuracy: {row}"


def test_a_killed_run_resumes_from_its_checkpoint(digits: Project) -> None:
    digits.env["DIGITS_EPOCH_SLEEP"] = "0.4"
    run = digits.popen("run", "--", "--epochs=6", "--lr=0.2")
    outputs = digits.root / "outputs" / "xps"

    def two_epochs_done() -> bool:
        histories = list(outputs.glob("*/history.json"))
        return bool(histories) and len(json.loads(histories[0].read_text())) >= 2

    try:
        wait_for(two_epochs_done, 60, "two epochs in the history")
    finally:
        run.kill()
        run.wait()
    [history_file] = outputs.glob("*/history.json")
    before = json.loads(history_file.read_text())
    assert 2 <= len(before) < 6

    digits.env["DIGITS_EPOCH_SLEEP"] = "0"
    proc = digits.dora("run", "--", "--epochs=6", "--lr=0.2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Resuming after epoch" in proc.stdout
    after = json.loads(history_file.read_text())
    assert len(after) == 6 and after[: len(before)] == before

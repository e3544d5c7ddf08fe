"""The monitoring table: rows, names, trimming, failed XPs, damaged histories, the loop."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional

import pytest
import treetable as tt

from dora_grid import Explorer, PatternError
from dora_grid.monitor import monitor
from dora_grid.table import build_table, render_table

DONE = ("COMPLETED", "FAILED", "CANCELLED", None)


@dataclass
class FakeSheep:
    """A sheep whose state is set by the test (states belong to dora-shep's tests)."""

    xp: Any
    status: Optional[str] = None
    reason: Optional[str] = None
    log: Optional[Path] = None

    @property
    def job(self) -> Any:
        return None if self.status is None else object()

    @property
    def job_id(self) -> Optional[str]:
        return None if self.status is None else f"local-{self.xp.sig[:2]}"

    current_job_id = job_id

    def state(self) -> Optional[str]:
        return self.status

    def is_done(self) -> bool:
        return self.status in DONE


def make_sheep(main: Any, argv: List[str], history: Any = (), **kwargs: Any) -> FakeSheep:
    xp = main.get_xp(argv)
    main.init_xp(xp)
    if isinstance(history, str):
        xp.history.write_text(history)
    else:
        for metrics in history:
            xp.link.push_metrics(metrics)
    return FakeSheep(xp, **kwargs)


def plain(explorer: Explorer, table: Any) -> str:
    return render_table(explorer, table, colors=False)


def test_rows_have_meta_and_the_explorers_metrics(main: Any) -> None:
    sheeps = [
        make_sheep(main, ["--seed=1", "--lr=0.2"], [{"loss": 2.0}, {"loss": 1.5}],
                   status="RUNNING"),
        make_sheep(main, ["--seed=1", "--lr=0.3"], [{"loss": 3.0}], status="COMPLETED"),
        make_sheep(main, ["--seed=1", "--lr=0.4"]),
    ]
    explorer = Explorer(lambda launcher: None)
    table = build_table(main, explorer, sheeps)
    assert table.base_name == "seed=1"
    meta = [line["Meta"] for line in table.lines]
    assert [m["name"] for m in meta] == ["lr=0.2", "lr=0.3", "lr=0.4"]
    assert [m["state"] for m in meta] == ["RUN", "COM", "N/A"]
    assert [m["index"] for m in meta] == [0, 1, 2]
    assert meta[2]["sid"] == "" and meta[0]["sid"].startswith("local-")
    assert table.lines[0]["epoch"] == 2 and table.lines[0]["loss"] == 1.5
    text = plain(explorer, table)
    assert text.splitlines()[0] == "Base name: seed=1"
    assert sheeps[0].xp.sig in text and "RUN" in text and "\x1b[" not in text


def test_custom_metric_columns_render(main: Any) -> None:
    class LossExplorer(Explorer):
        def get_grid_metrics(self) -> List[Any]:
            return [tt.group("train", [tt.leaf("epoch"), tt.leaf("loss", ".3f")], align=">")]

        def process_history(self, history: List[dict]) -> dict:
            return {"train": super().process_history(history)}

    sheeps = [make_sheep(main, ["--lr=0.2"], [{"loss": 0.12345}], status="COMPLETED")]
    explorer = LossExplorer(lambda launcher: None)
    text = plain(explorer, build_table(main, explorer, sheeps))
    assert "train" in text and "0.123" in text


def test_process_sheep_when_overridden_replaces_process_history(main: Any) -> None:
    class SheepExplorer(Explorer):
        def process_sheep(self, sheep: Any, history: List[dict]) -> dict:
            return {"log_exists": sheep.log is not None, "n": len(history)}

    sheeps = [make_sheep(main, ["--lr=0.2"], [{"loss": 1}], status="COMPLETED")]
    (line,) = build_table(main, SheepExplorer(print), sheeps).lines
    assert line["n"] == 1 and line["log_exists"] is False and "epoch" not in line


def test_a_corrupt_history_shows_in_its_row_and_the_others_display(main: Any) -> None:
    sheeps = [
        make_sheep(main, ["--lr=0.2"], [{"loss": 1.0}], status="COMPLETED"),
        make_sheep(main, ["--lr=0.3"], "garbage{", status="COMPLETED"),
        make_sheep(main, ["--lr=0.4"], [{"loss": 0.5}, {"loss": 0.25}], status="RUNNING"),
    ]
    explorer = Explorer(lambda launcher: None)
    table = build_table(main, explorer, sheeps)
    assert [line.get("loss") for line in table.lines] == [1.0, None, 0.25]
    assert "history unreadable" in table.lines[1]["Meta"]["name"]
    text = plain(explorer, table)
    assert f"1 {sheeps[1].xp.sig}: history.json unreadable" in text
    assert str(sheeps[1].xp.history) in text
    assert sheeps[1].xp.history.read_text() == "garbage{"  # nothing is rewritten


def test_an_explorer_that_raises_on_one_xp_only_marks_that_row(main: Any) -> None:
    class Picky(Explorer):
        def process_history(self, history: List[dict]) -> dict:
            return {"train": history[-1]["train"]}

    sheeps = [
        make_sheep(main, ["--lr=0.2"], [{"train": 1}], status="COMPLETED"),
        make_sheep(main, ["--lr=0.3"], [{"valid": 1}], status="COMPLETED"),
    ]
    table = build_table(main, Picky(print), sheeps)
    assert table.lines[0]["train"] == 1 and "train" not in table.lines[1]
    assert any("KeyError" in note and sheeps[1].xp.sig in note for note in table.notes)


def test_trim_cuts_histories_to_one_xp_or_to_the_shortest(main: Any) -> None:
    sheeps = [
        make_sheep(main, ["--lr=0.2"], [{"loss": 3}, {"loss": 2}, {"loss": 1}], status="RUNNING"),
        make_sheep(main, ["--lr=0.3"], [{"loss": 30}, {"loss": 20}], status="RUNNING"),
    ]
    explorer = Explorer(lambda launcher: None)
    trimmed = build_table(main, explorer, sheeps, trim=1)
    assert [(line["epoch"], line["loss"]) for line in trimmed.lines] == [(2, 2), (2, 20)]
    last = build_table(main, explorer, sheeps, trim_last=True)
    assert [line["epoch"] for line in last.lines] == [2, 2]
    with pytest.raises(PatternError, match="trim index 5"):
        build_table(main, explorer, sheeps, trim=5)


def test_failed_xps_are_listed_with_their_reason_and_log(main: Any, tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    sheeps = [
        make_sheep(main, ["--lr=0.2"], status="COMPLETED"),
        make_sheep(main, ["--lr=0.3"], status="FAILED", reason="exit code 3", log=log),
    ]
    explorer = Explorer(lambda launcher: None)
    text = plain(explorer, build_table(main, explorer, sheeps))
    assert f"1 {sheeps[1].xp.sig} lr=0.3: exit code 3 (log: {log})" in text


def test_colors_only_when_asked(main: Any) -> None:
    sheeps = [make_sheep(main, ["--lr=0.2"], status="COMPLETED")]
    explorer = Explorer(lambda launcher: None)
    assert "\x1b[1m" in render_table(explorer, build_table(main, explorer, sheeps), colors=True)


class CountingShepherd:
    """Stands for a Shepherd: each update moves the fake sheep one state further."""

    def __init__(self, sheeps: List[FakeSheep], steps: List[str]) -> None:
        self.sheeps, self.steps, self.updates = sheeps, steps, 0

    def update(self) -> None:
        state = self.steps[min(self.updates, len(self.steps) - 1)]
        for sheep in self.sheeps:
            sheep.status = state
        self.updates += 1


def test_monitor_refreshes_until_every_xp_is_done(main: Any) -> None:
    sheeps = [make_sheep(main, ["--lr=0.2"], status="PENDING")]
    shepherd = CountingShepherd(sheeps, ["PENDING", "RUNNING", "COMPLETED"])
    out = io.StringIO()
    done = monitor(main, Explorer(print), shepherd, sheeps, "g", interval=0.0001, out=out)
    assert done and shepherd.updates == 3
    text = out.getvalue()
    assert text.startswith("Monitoring Grid g")
    assert [state in text for state in ("PEN", "RUN", "COM")] == [True] * 3
    assert "Next update" not in text  # no countdown when not on a terminal


def test_monitor_without_keep_going_draws_once(main: Any) -> None:
    sheeps = [make_sheep(main, ["--lr=0.2"], status="PENDING")]
    shepherd = CountingShepherd(sheeps, ["RUNNING"])
    out = io.StringIO()
    done = monitor(main, Explorer(print), shepherd, sheeps, "g", keep_going=False, out=out)
    assert not done and shepherd.updates == 1 and out.getvalue().count("RUN") == 1


def test_silent_monitor_prints_nothing(main: Any) -> None:
    sheeps = [make_sheep(main, ["--lr=0.2"], status="PENDING")]
    out = io.StringIO()
    monitor(main, Explorer(print), CountingShepherd(sheeps, ["COMPLETED"]), sheeps, "g",
            silent=True, out=out)
    assert out.getvalue() == ""

"""How the grid table of the digits_hydra example looks."""

from __future__ import annotations

from typing import Any, Dict, List

import treetable as tt

from dora import Explorer


class DigitsExplorer(Explorer):
    """Shows, for each XP, the last epoch's train and valid metrics and the best valid acc."""

    def get_grid_metrics(self) -> List[Any]:
        return [
            tt.group("train", [
                tt.leaf("epoch"),
                tt.leaf("loss", ".4f"),
                tt.leaf("acc", ".2%"),
            ], align=">"),
            tt.group("valid", [
                tt.leaf("loss", ".4f"),
                tt.leaf("acc", ".2%"),
                tt.leaf("best", ".2%"),
            ], align=">"),
        ]

    def process_history(self, history: List[dict]) -> Dict[str, Dict[str, Any]]:
        train: Dict[str, Any] = {"epoch": len(history)}
        valid: Dict[str, Any] = {}
        for metrics in history:
            train.update(metrics.get("train", {}))
            valid.update(metrics.get("valid", {}))
            if "acc" in valid:
                valid["best"] = max(valid["acc"], valid.get("best", 0.0))
        return {"train": train, "valid": valid}

"""`Explorer`: a grid's explore function plus the hooks that shape its monitoring table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List

if TYPE_CHECKING:  # pragma: no cover
    from dora_shep.shepherd import Sheep

    from .launcher import Launcher

__all__ = ["Explorer"]


class Explorer:
    """Wrap the explore function of a grid file.

    Use it as a decorator (`@Explorer`), or subclass it to customise the table and use
    the subclass as the decorator (`@MyExplorer`). Calling the explorer with a
    `Launcher` calls the explore function.

    Args:
        explore: function taking a `Launcher` and calling it once per XP.
    """

    def __init__(self, explore: Callable[[Launcher], Any]) -> None:
        if not callable(explore):
            raise TypeError(
                f"{type(self).__name__} wraps a function taking a launcher, "
                f"got {type(explore).__name__}."
            )
        self.explore = explore

    def __call__(self, launcher: Launcher) -> None:
        """Run the explore function with `launcher`."""
        self.explore(launcher)

    def __repr__(self) -> str:
        name = getattr(self.explore, "__qualname__", repr(self.explore))
        return f"{type(self).__name__}({name})"

    def get_grid_metrics(self) -> List[Any]:
        """Treetable nodes (`tt.group` / `tt.leaf`) of the metric columns; none by default."""
        return []

    def get_grid_meta(self) -> List[Any]:
        """Treetable leaves of the Meta group: index, name, state, sig, sid."""
        import treetable as tt

        return [
            tt.leaf("index", align=">"),
            tt.leaf("name"),
            tt.leaf("state"),
            tt.leaf("sig", align=">"),
            tt.leaf("sid", align=">"),
        ]

    def get_colors(self) -> List[str]:
        """ANSI colour codes alternated over the table rows."""
        return ["0", "38;5;245"]

    def process_sheep(self, sheep: Sheep, history: List[dict]) -> Dict[str, Any]:
        """Turn one XP and its history into a table row; overriding it replaces process_history.

        Raises:
            NotImplementedError: by default, so that `process_history` is used.
        """
        raise NotImplementedError()

    def process_history(self, history: List[dict]) -> Dict[str, Any]:
        """Default row: `epoch` (number of entries) updated with every entry, last wins."""
        row: Dict[str, Any] = {"epoch": len(history)}
        for metrics in history:
            if isinstance(metrics, dict):
                row.update(metrics)
        return row

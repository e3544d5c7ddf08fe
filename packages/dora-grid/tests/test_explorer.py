"""Explorer: decorator and subclass forms, and its default hooks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, List

import pytest

from dora_grid import Explorer


def test_decorating_a_function_makes_an_explorer_that_calls_it() -> None:
    calls: List[Any] = []

    @Explorer
    def explorer(launcher: Any) -> None:
        calls.append(launcher)

    assert isinstance(explorer, Explorer)
    explorer("launcher")
    assert calls == ["launcher"]
    assert "explorer" in repr(explorer)


def test_default_hooks() -> None:
    explorer = Explorer(lambda launcher: None)
    assert explorer.get_grid_metrics() == []
    meta = explorer.get_grid_meta()
    assert [leaf.key for leaf in meta] == ["index", "name", "state", "sig", "sid"]
    assert [leaf.align for leaf in meta] == [">", None, None, ">", ">"]
    assert explorer.get_colors() == ["0", "38;5;245"]
    with pytest.raises(NotImplementedError):
        explorer.process_sheep(None, [])  # type: ignore[arg-type]


def test_process_history_counts_epochs_and_keeps_the_last_values() -> None:
    explorer = Explorer(lambda launcher: None)
    history = [{"loss": 3, "acc": 0.1}, {"loss": 2}, {"loss": 1, "lr": 0.5}]
    assert explorer.process_history(history) == {"epoch": 3, "loss": 1, "acc": 0.1, "lr": 0.5}
    assert explorer.process_history([]) == {"epoch": 0}


def test_a_subclass_through_an_abc_mixin_works_as_a_decorator() -> None:
    class BaseExplorer(ABC, Explorer):
        @abstractmethod
        def get_grid_metrics(self) -> List[Any]: ...

    class MyExplorer(BaseExplorer):
        def get_grid_metrics(self) -> List[Any]:
            return ["metrics"]

    @MyExplorer
    def explorer(launcher: Any) -> None:
        launcher.append(1)

    assert isinstance(explorer, Explorer)
    assert explorer.get_grid_metrics() == ["metrics"]
    seen: List[int] = []
    explorer(seen)
    assert seen == [1]
    with pytest.raises(TypeError):
        BaseExplorer(lambda launcher: None)  # type: ignore[abstract]


def test_wrapping_something_not_callable_is_refused() -> None:
    with pytest.raises(TypeError, match="function"):
        Explorer(42)  # type: ignore[arg-type]

"""The batch's progress bar: ``rich`` on a terminal, nothing otherwise.

``rich`` is an optional extra (``pip install 'codex-python-sdk[progress]'``) and imported only here, only
when a bar is drawn: it costs ~150 ms and 13 MB with its dependencies, which a library imported by
services and scripts should not pay by default.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING, Any

from ..errors import CodexAgenticError

if TYPE_CHECKING:
    from ._types import PoolResult

__all__ = ["NullProgress", "ProgressBar", "make_progress"]


class NullProgress:
    """No bar: every call does nothing."""

    def start(self, total: int) -> None:
        """A batch of ``total`` tasks begins."""

    def advance(self, result: PoolResult) -> None:
        """One task finished."""

    def stop(self) -> None:
        """The batch is over."""


class ProgressBar(NullProgress):
    """A ``rich`` progress bar: done / total, failures, elapsed time."""

    def __init__(self, description: str) -> None:
        from rich.progress import (  # lazily: see the module's docstring
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress: Any = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
        )
        self._description = description
        self._task: Any = None
        self._failed = 0

    def start(self, total: int) -> None:
        """Show the bar."""
        self._progress.start()
        self._task = self._progress.add_task(self._description, total=total, failed=0)

    def advance(self, result: PoolResult) -> None:
        """Count one finished task."""
        self._failed += not result.ok
        self._progress.update(self._task, advance=1, failed=self._failed)

    def stop(self) -> None:
        """Draw the final state and stop refreshing."""
        self._progress.stop()


def make_progress(progress: bool | None, description: str) -> NullProgress:
    """The bar for ``progress``: True forces one (``rich`` needed), False none, None one only when
    stdout is a terminal and ``rich`` is installed."""
    if progress is None:
        isatty = getattr(sys.stdout, "isatty", None)
        if not (callable(isatty) and isatty()) or importlib.util.find_spec("rich") is None:
            return NullProgress()
    elif not progress:
        return NullProgress()
    elif importlib.util.find_spec("rich") is None:
        raise CodexAgenticError(
            "progress=True needs rich: pip install 'codex-python-sdk[progress]' (or pass progress=None)"
        )
    return ProgressBar(description)

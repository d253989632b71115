"""The producer's progress bar: events sent, their rate and how many Kafka acknowledged."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Final

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

_REFRESH_SECONDS: Final = 0.1


class EventsPerSecondColumn(ProgressColumn):
    """The producer's rate, in events per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        shown = f"{speed:,.0f} events/s" if speed else "- events/s"
        return Text(shown, style="progress.data.speed")


class ProgressDisplay:
    """A rich progress bar when asked for, otherwise nothing."""

    def __init__(
        self,
        enabled: bool,
        total: int | None,
        console: Console | None,
        delivered: Callable[[], int],
    ) -> None:
        self.delivered = delivered
        self.shown_at = 0.0
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        if enabled:
            self.progress = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(bar_width=12),
                MofNCompleteColumn(),
                EventsPerSecondColumn(),
                TextColumn("{task.fields[delivered]:,} delivered"),
                TimeElapsedColumn(),
                console=console or Console(stderr=True),
            )
            self.task = self.progress.add_task("Producing", total=total, delivered=0)

    def __enter__(self) -> ProgressDisplay:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.progress is not None:
            self.progress.stop()

    def show(self, sent: int, *, force: bool = False) -> None:
        """Update the bar with the events sent: at most ten times a second, unless forced."""
        if self.progress is None or self.task is None:
            return
        now = time.monotonic()
        if force or now - self.shown_at >= _REFRESH_SECONDS:
            self.shown_at = now
            self.progress.update(self.task, completed=sent, delivered=self.delivered())

"""Feeding a stream of events to a renderer, sync or async: the one loop under ``render_live_events``
and ``render_exec_style_events``.

The renderer is finished and the iterator closed even when the stream raises: closing a turn's stream
early interrupts the turn (docs/reliability.md), so a view that stops must not leave it running.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Coroutine, Iterable
from typing import Any, Protocol

from ..events import ResponseEvent

__all__ = ["drive"]


class _Renderer(Protocol):
    def render(self, event: ResponseEvent) -> None: ...

    def finish(self) -> None: ...


def drive(
    renderer: _Renderer, events: Iterable[ResponseEvent] | AsyncIterable[ResponseEvent]
) -> Coroutine[Any, Any, None] | None:
    """Show ``events`` with ``renderer``: now for a sync iterable; a coroutine to await for an async one."""
    if not isinstance(events, Iterable) and isinstance(events, AsyncIterable):
        return _drive_async(renderer, events)
    iterator = iter(events)
    try:
        for event in iterator:
            renderer.render(event)
    finally:
        try:
            renderer.finish()
        finally:
            close = getattr(iterator, "close", None)
            if callable(close):
                close()
    return None


async def _drive_async(renderer: _Renderer, events: AsyncIterable[ResponseEvent]) -> None:
    aiterator = aiter(events)
    try:
        async for event in aiterator:
            renderer.render(event)
    finally:
        try:
            renderer.finish()
        finally:
            aclose = getattr(aiterator, "aclose", None)
            if callable(aclose):
                await aclose()

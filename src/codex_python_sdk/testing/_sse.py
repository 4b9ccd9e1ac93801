"""Responses-API event streams as data: the output items the fake model's replies are made of.

Pure functions and small values, no I/O: :mod:`._script` builds :class:`Reply` objects from them.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["message_events", "reasoning_events"]

_ids = itertools.count(1)


def _next_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids)}"


_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _split(text: str, parts: int) -> list[str]:
    """Split ``text`` into ``parts`` pieces of nearly equal length (empty pieces only if text is short)."""
    if parts <= 1:
        return [text]
    size, extra = divmod(len(text), parts)
    out: list[str] = []
    pos = 0
    for i in range(parts):
        n = size + (1 if i < extra else 0)
        out.append(text[pos : pos + n])
        pos += n
    return out


@dataclasses.dataclass(frozen=True)
class _Item:
    """One output item: its SSE events (without the response framing) and its tool call id, if any."""

    events: tuple[Mapping[str, Any], ...]
    call_id: str | None
    label: str


def message_events(item_id: str, chunks: Sequence[str], final: str) -> tuple[Mapping[str, Any], ...]:
    """An assistant message streamed as ``chunks``, its ``output_item.done`` carrying ``final``."""
    events: list[Mapping[str, Any]] = [
        {
            "type": "response.output_item.added",
            "item": {"type": "message", "role": "assistant", "id": item_id, "content": []},
        }
    ]
    events.extend(
        {"type": "response.output_text.delta", "item_id": item_id, "content_index": 0, "delta": chunk}
        for chunk in chunks
    )
    events.append(
        {
            "type": "response.output_item.done",
            "item": {
                "type": "message",
                "role": "assistant",
                "id": item_id,
                "status": "completed",
                "content": [{"type": "output_text", "text": final, "annotations": []}],
            },
        }
    )
    return tuple(events)


def reasoning_events(
    item_id: str, parts: Sequence[str], text: str | None, deltas: int
) -> tuple[Mapping[str, Any], ...]:
    """A reasoning item: summary ``parts`` and optional raw ``text``, each streamed in ``deltas`` deltas."""
    events: list[Mapping[str, Any]] = [
        {
            "type": "response.output_item.added",
            "item": {"type": "reasoning", "id": item_id, "summary": []},
        }
    ]
    for index, part in enumerate(parts):
        events.append({"type": "response.reasoning_summary_part.added", "summary_index": index})
        events.extend(
            {"type": "response.reasoning_summary_text.delta", "delta": chunk, "summary_index": index}
            for chunk in _split(part, max(deltas, 1))
        )
    if text is not None:
        events.extend(
            {"type": "response.reasoning_text.delta", "delta": chunk, "content_index": 0}
            for chunk in _split(text, max(deltas, 1))
        )
    item: dict[str, Any] = {
        "type": "reasoning",
        "id": item_id,
        "summary": [{"type": "summary_text", "text": part} for part in parts],
    }
    if text is not None:
        item["content"] = [{"type": "reasoning_text", "text": text}]
    events.append({"type": "response.output_item.done", "item": item})
    return tuple(events)

"""A user's program that streams turns: ``tests/unit/test_typing.py`` checks it with ``mypy --strict``.

It is never run. Each ``reveal_type`` line ends with the type mypy must reveal (module paths left out);
``TypedEvent`` stands for the whole union. None of them may involve ``Any``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from pydantic import BaseModel

from codex_python_sdk import AsyncCodexAgenticClient, CodexAgenticClient, OutputValidationError
from codex_python_sdk.events import UnknownEvent

if TYPE_CHECKING:
    from typing_extensions import reveal_type


async def stream(client: AsyncCodexAgenticClient) -> str:
    text = ""
    async for event in client.responses_events(prompt="hi"):
        reveal_type(event)  # TypedEvent
        reveal_type(event.message_text)  # str | None
        if event.type == "item/agentMessage/delta":
            reveal_type(event)  # ItemAgentMessageDeltaEvent
            reveal_type(event.payload)  # AgentMessageDeltaNotification
            reveal_type(event.payload.delta)  # str
            text += event.payload.delta
        elif event.type == "turn/completed":
            reveal_type(event.payload.turn.id)  # str
            failed = event.payload.turn.status == "failed"  # a literal: a misspelt status is an error
            reveal_type(failed)  # bool
            reveal_type(event.payload.turn.error)  # TurnError | None
        elif event.type == "warning":
            reveal_type(event.payload)  # WarningNotification
            reveal_type(event.payload.message)  # str
        elif event.type == "item/commandExecution/requestApproval":
            reveal_type(event.payload)  # CommandExecutionRequestApprovalParams
            reveal_type(event.request_id)  # str | int | None
        elif event.type == "item/completed":
            reveal_type(event.payload.item)  # ThreadItem
        elif event.type == "thread/ready":
            reveal_type(event)  # ThreadReadyEvent
            reveal_type(event.thread_id)  # str | None
        elif isinstance(event, UnknownEvent):
            reveal_type(event.method)  # str
    return text


async def review_and_listen(client: AsyncCodexAgenticClient, thread_id: str) -> None:
    async for event in client.review_events(thread_id, {"type": "uncommittedChanges"}):
        if event.type == "item/fileChange/patchUpdated":
            reveal_type(event.payload.changes)  # list[FileUpdateChange]
    async for note in client.notifications(["configWarning"]):
        reveal_type(note)  # TypedEvent
        if note.type == "configWarning":
            reveal_type(note.payload.summary)  # str


async def collect(client: AsyncCodexAgenticClient) -> int:
    response = await client.responses_create(prompt="hi")
    reveal_type(response.usage)  # ThreadTokenUsage | None
    reveal_type(response.items)  # list[ThreadItem]
    reveal_type(response.typed_items)  # list[ThreadItem]
    return response.usage.total.total_tokens if response.usage is not None else 0


def sync_stream(client: CodexAgenticClient) -> None:
    for event in client.responses_events(prompt="hi"):
        reveal_type(event)  # TypedEvent
        if event.type == "item/reasoning/textDelta":
            reveal_type(event.payload)  # ReasoningTextDeltaNotification
    for note in client.notifications(["deprecationNotice"]):
        if note.type == "deprecationNotice":
            reveal_type(note.payload.details)  # str | None


@dataclass
class Point:
    x: int
    y: int


class Movie(TypedDict):
    title: str
    year: int


class Person(BaseModel):
    name: str


async def structured_output(client: AsyncCodexAgenticClient, sync: CodexAgenticClient) -> None:
    point = await client.responses_create(prompt="a point", output_type=Point)
    reveal_type(point)  # ParsedResponse[Point]
    reveal_type(point.output)  # Point
    reveal_type(point.repaired_from)  # AgentResponse | None
    movie = sync.responses_create(prompt="a film", output_type=Movie)
    reveal_type(movie.output)  # TypedDict(Movie, {'title': str, 'year': int})
    reveal_type(sync.thread().run("who?", output_type=Person).output)  # Person
    reveal_type(await client.thread().run("hi"))  # AgentResponse
    try:
        sync.responses_create(prompt="json", output_type={"type": "object"})
    except OutputValidationError as error:
        reveal_type(error.raw_text)  # str
        reveal_type(error.errors)  # list[str]
        reveal_type(error.response)  # AgentResponse


async def thread_handles(client: AsyncCodexAgenticClient, sync: CodexAgenticClient) -> None:
    handle = client.thread(model="gpt-5.5", sandbox="read-only")
    reveal_type(handle)  # AsyncThreadHandle
    reveal_type(handle.id)  # str | None
    async for chunk in handle.stream("hi"):
        reveal_type(chunk)  # str
    reveal_type(await handle.steer("more"))  # TurnSteerResponse
    reveal_type(await handle.interrupt())  # TurnInterruptResponse | None
    reveal_type(await handle.fork())  # AsyncThreadHandle
    reveal_type(sync.thread("t").fork())  # ThreadHandle
    for event in sync.thread("t").events("hi"):
        reveal_type(event)  # TypedEvent

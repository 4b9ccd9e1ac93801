"""A user's program, type-checked by tests/unit/test_user_typing.py with ``mypy --strict
--disallow-any-expr``: everything it touches must be typed (no ``Any`` reaches the user's code).
Never run: it only has to type-check."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from pydantic import BaseModel

from codex_python_sdk import (
    AgentResponse,
    OutputValidationError,
    ParsedResponse,
    RequestContext,
    ThreadHandle,
    create_async_client,
    create_client,
)
from codex_python_sdk.hooks import CommandApprovalAnswer, UserInputAnswer
from codex_python_sdk.protocol import (
    CommandExecutionRequestApprovalParams,
    CommandExecutionRequestApprovalResponse,
    ToolRequestUserInputParams,
)


def approve_reads(params: CommandExecutionRequestApprovalParams) -> CommandApprovalAnswer:
    command = params.command or ""
    return "accept" if command.startswith("/bin/bash -lc 'ls") else "decline"


async def approve_with_context(
    params: CommandExecutionRequestApprovalParams, *, context: RequestContext
) -> CommandExecutionRequestApprovalResponse:
    if context.thread_id and params.cwd:
        return CommandExecutionRequestApprovalResponse(decision="accept")
    return CommandExecutionRequestApprovalResponse(decision="decline")


def answer_questions(params: ToolRequestUserInputParams) -> UserInputAnswer:
    return {"answers": {q.id: {"answers": ["yes"]} for q in params.questions}}


def quick_start() -> str:
    with create_client(
        on_command_approval=approve_reads, on_tool_request_user_input=answer_questions
    ) as client:
        result: AgentResponse = client.responses_create(prompt="Reply with exactly: READY")
        print(result.thread_id, result.turn_id, result.status, result.session_id)
        if result.usage is not None:
            print(result.usage.total.total_tokens, result.usage.last.cached_input_tokens)
        print([item.type for item in result.items])
        for chunk in client.responses_stream_text(prompt="Count to five", thread_id=result.thread_id):
            print(chunk, end="")
        return result.text


def threads() -> None:
    with create_client() as client:
        started = client.thread_start(params={"cwd": "/tmp"})
        thread_id: str = started.thread.id
        client.thread_name_set(thread_id, "demo")
        thread = client.thread_read(thread_id, include_turns=True)
        print(thread.name, thread.cwd, thread.preview)
        page = client.thread_list(limit=10)
        print([t.id for t in page], page.next_cursor)
        fork = client.thread_fork(thread_id)
        print(fork.thread.id)
        client.thread_archive(fork.thread.id)
        models = client.model_list(limit=5)
        print([m.id for m in models.data])
        done = client.command_exec(["echo", "hi"])
        print(done.exit_code, done.stdout)


async def streamed() -> None:
    async with create_async_client(on_command_approval=approve_with_context, turn_timeout=600) as client:
        async for event in client.responses_events(prompt="List the files"):
            print(event.type, event.phase, event.text_delta, event.thread_id, event.turn_id)
        review = await client.review(thread_id="t", target={"type": "uncommittedChanges"})
        print(review.text)
        await client.turn_interrupt("t", "u")


@dataclass
class Step:
    title: str
    done: bool


@dataclass
class Plan:
    steps: list[Step]


class Verdict(TypedDict):
    ok: bool
    reason: str


class Person(BaseModel):
    name: str
    age: int


def structured() -> None:
    with create_client() as client:
        plan: ParsedResponse[Plan] = client.responses_create(prompt="plan it", output_type=Plan)
        print([step.title for step in plan.output.steps if not step.done], plan.text)
        if plan.repaired_from is not None:
            print("repaired:", plan.repaired_from.text)
        verdict = client.responses_create(prompt="ok?", output_type=Verdict, thread_id=plan.thread_id)
        print(verdict.output["ok"], verdict.output["reason"])
        try:
            person = client.responses_create(prompt="who?", output_type=Person)
            print(person.output.name, person.output.age + 1)
        except OutputValidationError as error:
            print(error.raw_text, error.errors, error.response.thread_id)
        raw = client.responses_create(prompt="json", output_type={"type": "object"})
        if isinstance(raw.output, Mapping):  # not dict: that would narrow to dict[Any, Any]
            print(sorted(raw.output))


def handles() -> None:
    with create_client() as client:
        thread: ThreadHandle = client.thread(model="gpt-5.5", sandbox="read-only")
        first = thread.run("hello", effort="low")
        print(first.text, thread.id)
        for chunk in thread.stream("more"):
            print(chunk, end="")
        thread.steer("and this")
        thread.interrupt()
        plan = thread.run("plan it", output_type=Plan)
        print(plan.output.steps)
        fork = thread.fork()
        print(fork.read(include_turns=True).turns)
        thread.revert(turns=1)
        thread.compact()
        thread.archive()


async def async_handles() -> None:
    async with create_async_client() as client:
        thread = client.thread()
        async for event in thread.events("hi"):
            if event.type == "turn/started":
                await thread.steer("more")
        result: AgentResponse = await thread.run("again")
        print(result.text, (await thread.read()).preview)


asyncio.run(streamed())

"""A user's program, type-checked by tests/unit/test_user_typing.py with ``mypy --strict
--disallow-any-expr``: everything it touches must be typed (no ``Any`` reaches the user's code).
Never run: it only has to type-check."""

from __future__ import annotations

import asyncio

from codex_python_sdk import AgentResponse, RequestContext, create_async_client, create_client
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


asyncio.run(streamed())

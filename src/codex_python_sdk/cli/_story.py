"""The demo's story: one agent session, shown the way a user of the SDK would see it.

The model is the built-in fake (its answers are scripted here), everything else is real: the codex
app-server runs the turn in a read-only sandbox, asks for approval to list the workspace (a rule accepts
it) and to edit ``main.py`` (a rule accepts edits inside the workspace), applies the patch, calls a Python
``@tool`` the client serves, and reports token usage. :func:`run_story` shows it with the live view
(plain text when the output is not a terminal) and then checks that all of it really happened.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..tools import Tool, tool
from ._approvals import CliPolicy

if TYPE_CHECKING:
    from ..testing import Reply
    from ._fake import FakeBackend

__all__ = ["STORY_PROMPT", "run_story", "story_replies", "story_rubric", "word_count_tool"]

STORY_PROMPT = "Make main.py greet the whole world, then tell me how many words README.md has."
_PATCH = (
    "*** Begin Patch\n*** Update File: main.py\n@@\n-print('hello')\n+print('hello, world')\n*** End Patch\n"
)
_GREETING = "print('hello, world')\n"
_ANSWER = (
    "Done:\n\n"
    "- `main.py` now prints **hello, world** (one line changed)\n"
    "- `README.md` has **3 words**\n\n"
    "Try it with `python main.py`."
)
_LIST_RULE = "read-only commands"
_EDIT_RULE = "edits inside the workspace"


def story_rubric(workspace: Path) -> dict[str, Any]:
    """The story's policy: read-only commands may leave the sandbox, edits stay inside the workspace."""
    return {
        "command_rules": [
            {"name": _LIST_RULE, "when": {"command_prefix": ["ls", "cat", "pwd"]}, "decision": "accept"}
        ],
        "file_change_rules": [
            {"name": _EDIT_RULE, "when": {"paths_under": [str(workspace)]}, "decision": "accept"}
        ],
    }


def word_count_tool(workspace: Path) -> Tool:
    """The story's Python tool: ``word_count(path)`` of a file in ``workspace``."""

    @tool
    def word_count(path: str) -> int:
        """Count the words of a file in the workspace.

        Args:
            path: The file, relative to the workspace.
        """
        return len((workspace / path).read_text(encoding="utf-8").split())

    return word_count


def story_replies() -> list[Reply]:
    """What the fake model says, one reply per model request of the turn."""
    from ..testing import Reply

    think = Reply.reasoning(
        ["The user wants `main.py` to greet the world.", "I'll look at the workspace first."], deltas=4
    )
    listing = Reply.shell("ls -1", escalated=True, justification="see the files of the workspace")
    change = Reply.text("`main.py` prints *hello*; I'll make it greet the world.", deltas=4)
    return [
        Reply.items(think, listing).with_usage(2400, 60, reasoning_output_tokens=24),
        Reply.items(change, Reply.apply_patch(_PATCH)).with_usage(2550, 90, cached_input_tokens=2304),
        Reply.tool_call("word_count", {"path": "README.md"}).with_usage(2700, 20, cached_input_tokens=2432),
        Reply.text(_ANSWER, deltas=12).with_usage(2760, 45, cached_input_tokens=2560),
    ]


def run_story(fake: FakeBackend, out: TextIO) -> str:
    """Show the story on ``out`` and check it; returns what was checked (AssertionError when not)."""
    from .._client._turn_loop import TurnAccumulator
    from ..render import LiveRenderer

    workspace = fake.home.workspace
    replies = story_replies()
    fake.queue(replies)
    renderer = LiveRenderer(out, cwd=str(workspace), show_prompt=True)
    policy = CliPolicy(story_rubric(workspace), report=renderer.decided)
    word_count = word_count_tool(workspace)
    with fake.home.client(policy_engine=policy, tools=[word_count]) as client:
        acc = TurnAccumulator("", keep_events=False)
        events = client.responses_events(
            prompt=STORY_PROMPT, thread_params={"approvalPolicy": "on-request", "sandbox": "read-only"}
        )
        try:
            for event in events:
                acc.add_event(event)
                renderer.render(event)
        finally:
            renderer.finish()
            out.write("\n")
    response = acc.response()
    problems = []
    if response.status != "completed":
        problems.append(f"the turn ended {response.status}")
    expected = [
        ("command", "accept", f"rule {_LIST_RULE!r}"),
        ("file_change", "accept", f"rule {_EDIT_RULE!r}"),
    ]
    if policy.decisions != expected:
        problems.append(f"approvals decided {policy.decisions}")
    if (workspace / "main.py").read_text(encoding="utf-8") != _GREETING:
        problems.append("main.py was not changed")
    kinds = [item["type"] for item in response.items]
    for kind in ("reasoning", "commandExecution", "fileChange", "dynamicToolCall"):
        if kind not in kinds:
            problems.append(f"no {kind} item")
    tool_output = fake.model.tool_output(replies[2].call_id)
    if tool_output != "3":
        problems.append(f"word_count answered {tool_output!r}")
    if response.usage is None or response.text != _ANSWER:
        problems.append("no usage" if response.usage is None else f"answer {response.text!r}")
    if problems:
        raise AssertionError("; ".join(problems))
    total = response.usage["total"]["totalTokens"] if response.usage is not None else 0
    return (
        "reasoning, 2 approvals accepted by rules, main.py patched (+1 -1), "
        f"word_count(README.md) -> 3, answer streamed, {total:,} tokens"
    )

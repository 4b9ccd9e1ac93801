"""The demo's offline backend (``--fake-model``): the real app-server against a scripted fake model.

Everything happens in a temporary directory (``CODEX_HOME``, ``HOME`` and the workspace the app-server
runs in), outbound network is refused, and the model's answers are scripted per demo case, so the demo
runs on a machine with no account and no network and leaves nothing behind.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..testing import FakeHome, FakeModel, Reply

__all__ = ["FakeBackend", "count_words", "expected_answer", "run_replies"]

# Files the scripted ``ls`` of the events case finds in the temporary workspace.
WORKSPACE_FILES = {"README.md": "# demo workspace\n", "main.py": "print('hello')\n", "data.csv": "a,b\n1,2\n"}
EVENTS_ANSWER = "The workspace has three files: README.md, data.csv and main.py."
COMPACTION_SUMMARY = "The user ran the SDK demo: replies, a stream and a listing of three files."

_EXACTLY = re.compile(r"reply with exactly:\s*(.+)", re.IGNORECASE | re.DOTALL)


def expected_answer(prompt: str) -> str:
    """What the fake model answers ``prompt``: X for "Reply with exactly: X", otherwise a fixed text."""
    match = _EXACTLY.search(prompt)
    return match.group(1).strip() if match else "FAKE_MODEL_OK"


def count_words(text: str) -> int:
    """Count the words of a text.

    Args:
        text: The text whose words are counted.
    """
    return len(text.split())


def _words(count: int) -> str:
    return f"{count} word" + ("" if count == 1 else "s")


def run_replies(prompt: str) -> list[Reply]:
    """The fake model's turn for ``codex-python-sdk run --fake-model PROMPT``: it thinks, asks to list the
    workspace outside the sandbox (an approval: declined unless ``--allow ls`` or ``--ask``), calls the
    CLI's Python tool ``count_words`` on the prompt and answers."""
    from ..testing import Reply

    match = _EXACTLY.search(prompt)
    answer = (
        match.group(1).strip()
        if match
        else f"Your prompt has **{_words(count_words(prompt))}**. (This answer comes from the built-in fake "
        "model: run without `--fake-model` to ask a real one.)"
    )
    thinking = Reply.reasoning(["Let me look around the workspace,", "then count the words of the prompt."])
    listing = Reply.shell("ls", escalated=True, justification="see which files the workspace has")
    return [
        Reply.items(thinking, listing).with_usage(1200, 40, reasoning_output_tokens=16),
        Reply.tool_call("count_words", {"text": prompt}).with_usage(1300, 20, cached_input_tokens=1024),
        Reply.text(answer, deltas=max(1, min(12, len(answer) // 8))).with_usage(
            1350, 30, cached_input_tokens=1280
        ),
    ]


class FakeBackend:
    """A running fake model (:class:`~codex_python_sdk.testing.FakeModel`) and a temporary home for it.

    Use as a context manager; :meth:`client_kwargs` gives the keywords that wire a client to them and
    :meth:`script` (the runner's ``before_case`` hook) queues the answers of the case about to run.
    """

    def __init__(self, *, prompt_create: str, prompt_stream: str) -> None:
        """Remember the prompts whose answers are scripted; nothing starts before ``with``."""
        self.prompt_create = prompt_create
        self.prompt_stream = prompt_stream
        self._model: FakeModel | None = None
        self._home: FakeHome | None = None
        self.hanging: Reply | None = None
        """The review's scripted reply, which hangs until the demo interrupts the turn."""

    def __enter__(self) -> FakeBackend:
        from ..testing import FakeModel

        self._model = FakeModel().start()
        try:
            self._model.on_compaction(COMPACTION_SUMMARY)
            self._home = self._model.home()
            for name, text in WORKSPACE_FILES.items():
                (self._home.workspace / name).write_text(text, encoding="utf-8")
        except BaseException:
            self._model.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._home is not None:
                self._home.close()  # closes clients still open and deletes the temporary directory
        finally:
            if self._model is not None:
                self._model.stop()  # also ends the hanging review stream

    @property
    def model(self) -> FakeModel:
        """The running fake model."""
        if self._model is None:
            raise RuntimeError("FakeBackend is not started; use it in a with block")
        return self._model

    @property
    def home(self) -> FakeHome:
        """The temporary CODEX_HOME / HOME / workspace."""
        if self._home is None:
            raise RuntimeError("FakeBackend is not started; use it in a with block")
        return self._home

    @property
    def codex_home(self) -> Path:
        """The temporary ``CODEX_HOME``."""
        return self.home.codex_home

    def client_kwargs(self, **client_kwargs: Any) -> dict[str, Any]:
        """Client keywords: a clean environment with ``CODEX_HOME`` in the temporary directory, the fake
        model as provider (``server_config_overrides``), the temporary workspace as ``process_cwd``."""
        return self.home.client_kwargs(**client_kwargs)

    def script(self, case: str) -> None:
        """Queue the model's answers for ``case`` (cases that make no model call queue nothing)."""
        from ..testing import Reply

        replies: list[Reply]
        if case == "responses_create":
            replies = [Reply.text(expected_answer(self.prompt_create))]
        elif case == "responses_stream_text":
            replies = [Reply.text(expected_answer(self.prompt_stream), deltas=4)]
        elif case == "responses_events":
            # An escalated command: codex asks the client for approval, the permissive hook accepts it.
            shell = Reply.shell("ls -1", escalated=True, justification="list the files of the workspace")
            reasoning = Reply.reasoning(["I will list the workspace.", "Then name three files."])
            replies = [Reply.items(reasoning, shell), Reply.text(EVENTS_ANSWER, deltas=6)]
        elif case == "review_start":
            self.hanging = Reply.text("Reviewing the changes", deltas=2).hang()
            replies = [self.hanging]
        else:
            return
        self.queue(replies)

    def queue(self, replies: list[Reply]) -> None:
        """Make ``replies`` the model's answers, in order (dropping any left over)."""
        model = self.model
        model.clear()  # a failed earlier case must not leave its answers to this one
        model.on_compaction(COMPACTION_SUMMARY)
        model.add(*replies)

    def problems(self) -> list[str]:
        """Model requests nobody scripted (a sign the demo and the app-server disagree)."""
        return [f"unscripted model request: {r!r}" for r in self.model.unscripted]

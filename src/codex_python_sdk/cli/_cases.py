"""The demo's cases, one method each, named after the SDK method they show.

``smoke`` runs the core turn APIs, ``demo`` adds the thread, catalogue and account APIs, ``full`` adds the
review / interrupt / rollback / compaction paths. Every case checks what it can: against the fake model
the answers are known exactly; against a real model only their shape and status.

Against a real account nothing writes outside the demo's own threads: ``skills_config_write`` (it edits
``~/.codex/config.toml``) runs only with ``--fake-model``, and archive / unarchive touch only the thread
this run started.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..errors import AuthRequiredError, MethodNotFoundError
from ..events import ResponseEvent
from ..render._exec import render_exec_style_events
from ._fake import EVENTS_ANSWER, FakeBackend, expected_answer
from ._runner import Runner, Skip

__all__ = ["DEMO", "FULL", "SMOKE", "DemoCases"]

SMOKE = ("thread_start", "responses_create", "responses_stream_text")
DEMO = (
    "responses_events",
    "thread_read",
    "thread_list",
    "thread_name_set",
    "thread_fork",
    "thread_loaded_list",
    "skills_list",
    "app_list",
    "model_list",
    "account_rate_limits_read",
    "account_read",
    "thread_archive",
    "thread_unarchive",
    "skills_config_write",
)
FULL = (
    "skills_remote_list",
    "thread_rollback",
    "review_start",
    "turn_interrupt",
    "thread_compact_start",
    "skills_remote_export",
)
_NAME = "demo-thread"
_FINISHED = "finished"


def _wait(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy; TimeoutError naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:g} s")
        time.sleep(interval)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


class DemoCases:
    """State shared by the cases (the client, the demo's threads) and the cases themselves."""

    def __init__(
        self, client: Any, args: argparse.Namespace, runner: Runner, fake: FakeBackend | None
    ) -> None:
        """Cases run with ``client`` (sync) and report to ``runner``; ``fake`` is set in offline mode."""
        self.client = client
        self.args = args
        self.runner = runner
        self.fake = fake
        self.thread_id: str | None = None
        self.fork_id: str | None = None
        self.archived = False
        self.review: tuple[str, str] | None = None  # (thread id, running turn id)

    def run(self, names: Iterable[str]) -> None:
        """Run the named cases in order."""
        for name in names:
            if self.client.closed:  # one failure already said why; the rest would only repeat it
                self.runner.skip(name, "no app-server connection (see the first failure)")
            else:
                self.runner.run(name, getattr(self, name))

    def _thread(self) -> str:
        if self.thread_id is None:
            raise Skip("no demo thread (thread_start failed)")
        return self.thread_id

    def _fork(self) -> str:
        if self.fork_id is None:
            raise Skip("no forked thread (thread_fork failed or did not run)")
        return self.fork_id

    def _turns(self, thread_id: str) -> list[Any]:
        return list(self.client.thread_read(thread_id, include_turns=True)["turns"] or [])

    # -- smoke -----------------------------------------------------------------------------------------
    def thread_start(self) -> str:
        """Start the demo's thread (``--model`` applies here)."""
        params = {"model": self.args.model} if self.args.model else None
        result = self.client.thread_start(params=params)
        self.thread_id = str(result["thread"]["id"])
        return f"thread_id={self.thread_id}"

    def responses_create(self) -> str:
        """One turn, aggregated."""
        result = self.client.responses_create(prompt=self.args.prompt_create, thread_id=self._thread())
        _expect(result.status == "completed", f"turn ended {result.status}")
        if self.fake is not None:
            _expect(
                result.text == expected_answer(self.args.prompt_create), f"unexpected text {result.text!r}"
            )
        return f"status={result.status} text={result.text!r}"

    def responses_stream_text(self) -> str:
        """One turn, the agent's text as it streams."""
        chunks = list(
            self.client.responses_stream_text(prompt=self.args.prompt_stream, thread_id=self._thread())
        )
        text = "".join(chunks).strip()
        if self.fake is not None:
            _expect(text == expected_answer(self.args.prompt_stream), f"unexpected text {text!r}")
        return f"{len(chunks)} chunks, text={text!r}"

    # -- demo ------------------------------------------------------------------------------------------
    def responses_events(self) -> str:
        """One turn as events; rendered with ``--show-events``, else counted."""
        stats: dict[str, Any] = {
            "count": 0,
            "types": [],
            "approvals": 0,
            "commands": [],
            "text": "",
            "status": None,
        }

        def tap(events: Iterable[ResponseEvent]) -> Iterator[ResponseEvent]:
            for event in events:
                stats["count"] += 1
                if len(stats["types"]) < 8 and event.type not in stats["types"]:
                    stats["types"].append(event.type)
                if isinstance(event.raw, dict) and "id" in event.raw:
                    stats["approvals"] += 1
                item = event.item if event.type == "item/completed" else None
                if item is not None and item.get("type") == "commandExecution":
                    stats["commands"].append(item.get("status"))
                elif item is not None and item.get("type") == "agentMessage":
                    stats["text"] = item.get("text") or ""
                elif event.type == "turn/completed":
                    stats["status"] = (event.params.get("turn") or {}).get("status")
                yield event

        events = tap(self.client.responses_events(prompt=self.args.prompt_events, thread_id=self._thread()))
        if self.args.show_events:
            render_exec_style_events(events, color=self.args.color)
        else:
            for _ in events:
                pass
        _expect(stats["status"] == "completed", f"turn ended {stats['status']}")
        if self.fake is not None:
            _expect(stats["approvals"] >= 1, "no approval request reached the stream")
            _expect(stats["commands"] == ["completed"], f"command items: {stats['commands']}")
            _expect(stats["text"] == EVENTS_ANSWER, f"unexpected text {stats['text']!r}")
        shown = (
            "rendered by ExecStyleRenderer"
            if self.args.show_events
            else f"first types: {', '.join(stats['types'])}"
        )
        return (
            f"{stats['count']} events, approvals={stats['approvals']}, commands={stats['commands']}, "
            f"status={stats['status']}; {shown}"
        )

    def thread_read(self) -> str:
        """The thread with its turns."""
        thread = self.client.thread_read(self._thread(), include_turns=True)
        turns = thread["turns"] or []
        if self.fake is not None:
            _expect(len(turns) >= 3, f"expected the 3 demo turns, found {len(turns)}")
        return f"turns={len(turns)}, preview={thread['preview']!r}"

    def thread_list(self) -> str:
        """One page of threads."""
        page = self.client.thread_list(limit=10)
        ids = [t["id"] for t in page]
        if self.fake is not None:
            _expect(self._thread() in ids, "the demo thread is not listed")
        return f"{len(page)} threads, next_cursor={page.next_cursor!r}"

    def thread_name_set(self) -> str:
        """Name the demo thread, then read the name back."""
        thread_id = self._thread()
        self.client.thread_name_set(thread_id, _NAME)
        name = self.client.thread_read(thread_id)["name"]
        _expect(name == _NAME, f"name read back: {name!r}")
        return f"name={name!r}"

    def thread_fork(self) -> str:
        """Fork the demo thread (the full mode's review, rollback and compaction use the fork)."""
        result = self.client.thread_fork(self._thread(), params={"approvalPolicy": "on-request"})
        self.fork_id = str(result["thread"]["id"])
        return f"fork_id={self.fork_id}"

    def thread_loaded_list(self) -> str:
        """Threads loaded in this app-server."""
        data = list(self.client.thread_loaded_list(limit=5)["data"] or [])
        if self.fake is not None:
            _expect(self._thread() in data, "the demo thread is not loaded")
        return f"{len(data)} loaded"

    def skills_list(self) -> str:
        """Skills for the working directory."""
        entries = list(self.client.skills_list(force_reload=False)["data"] or [])
        skills = sum(len(entry["skills"] or []) for entry in entries)
        return f"{skills} skills in {len(entries)} cwd(s)"

    def app_list(self) -> str:
        """Apps (connectors)."""
        try:
            data = list(self.client.app_list(limit=5)["data"] or [])
        except AuthRequiredError as exc:
            raise Skip(f"needs a ChatGPT login ({exc})") from exc
        return f"{len(data)} apps"

    def model_list(self) -> str:
        """The model catalogue."""
        data = list(self.client.model_list(limit=5)["data"] or [])
        _expect(bool(data), "empty model list")
        return f"{len(data)} models: {', '.join(str(m['id']) for m in data)}"

    def account_rate_limits_read(self) -> str:
        """Rate limits (a ChatGPT login only)."""
        try:
            result = self.client.account_rate_limits_read()
        except AuthRequiredError as exc:
            raise Skip(f"needs a ChatGPT login ({exc})") from exc
        return f"keys={sorted(result.keys())}"

    def account_read(self) -> str:
        """The account in use."""
        result = self.client.account_read(refresh_token=False)
        account = result["account"]
        kind = account["type"] if account else None
        return f"account={kind or 'none'}, requires_openai_auth={result['requiresOpenaiAuth']}"

    def thread_archive(self) -> str:
        """Archive the demo's own thread (never another one)."""
        self.client.thread_archive(self._thread())
        self.archived = True
        return f"archived {self.thread_id}"

    def thread_unarchive(self) -> str:
        """Unarchive it again."""
        if not self.archived:
            raise Skip("the demo thread was not archived")
        self.client.thread_unarchive(self._thread())
        self.archived = False
        return f"unarchived {self.thread_id}"

    def skills_config_write(self) -> str:
        """Disable a skill in config.toml: only in the temporary CODEX_HOME of ``--fake-model``."""
        if self.fake is None:
            raise Skip("writes ~/.codex/config.toml; runs only with --fake-model (temporary CODEX_HOME)")
        path = self.fake.codex_home / "skills" / "demo-skill" / "SKILL.md"
        result = self.client.skills_config_write(str(path), False)
        config = (self.fake.codex_home / "config.toml").read_text(encoding="utf-8")
        _expect(str(path) in config, "the skill entry is not in the temporary config.toml")
        return f"effectiveEnabled={result['effectiveEnabled']} in the temporary config.toml"

    # -- full ------------------------------------------------------------------------------------------
    def skills_remote_list(self) -> str:
        """Gone from codex 0.163: reported as skipped, with the reason."""
        try:
            self.client.skills_remote_list()
        except MethodNotFoundError as exc:
            raise Skip(str(exc)) from exc
        return "listed"

    def skills_remote_export(self) -> str:
        """Gone from codex 0.163: reported as skipped, with the reason."""
        try:
            self.client.skills_remote_export("demo")
        except MethodNotFoundError as exc:
            raise Skip(str(exc)) from exc
        return "exported"

    def thread_rollback(self) -> str:
        """Drop the fork's last turn (the client does it with ``thread/revert``)."""
        fork = self._fork()
        before = len(self._turns(fork))
        if before == 0:
            raise Skip("the fork has no turns")
        self.client.thread_rollback(fork, 1)
        after = len(self._turns(fork))
        _expect(after == before - 1, f"turns {before} -> {after}")
        return f"turns {before} -> {after}"

    def review_start(self) -> str:
        """Start a code review of uncommitted changes on the fork, inline."""
        fork = self._fork()
        result = self.client.review_start(fork, {"type": "uncommittedChanges"})
        thread_id = str(result["reviewThreadId"] or fork)
        reported = result["turn"]["id"]

        def running() -> str | None:
            turns = self._turns(thread_id)
            ids = [t["id"] for t in turns if t["status"] == "inProgress"]
            if not ids and any(i["type"] == "exitedReviewMode" for t in turns for i in t["items"] or []):
                return _FINISHED  # a fast model finished the review before we looked
            # codex 0.163 may answer with the id of the review's request, not of the running turn
            return reported if reported in ids else (ids[-1] if ids else None)

        turn_id = _wait(running, 20, "the review turn starting")
        if turn_id is _FINISHED:
            return f"review finished on {thread_id} before it could be interrupted"
        self.review = (thread_id, str(turn_id))
        return f"review turn {turn_id} running on {thread_id}"

    def turn_interrupt(self) -> str:
        """Interrupt the running review turn and wait until it ends."""
        if self.review is None:
            raise Skip("no running review turn to interrupt")
        thread_id, turn_id = self.review
        self.client.turn_interrupt(thread_id, turn_id)

        def ended() -> str | None:
            status = next((t["status"] for t in self._turns(thread_id) if t["id"] == turn_id), None)
            return None if status in (None, "inProgress") else str(status)

        status = _wait(ended, 30, "the interrupted turn ending")
        if self.fake is not None:
            _expect(status == "interrupted", f"turn ended {status}")
        return f"review turn {status}"

    def thread_compact_start(self) -> str:
        """Compact the fork's history and wait for the compaction turn to end.

        The end is read from the ``turn/completed`` notification (subscribed before the start): right
        after an interrupted review, ``thread/read`` may report a finished compaction turn as
        interrupted for a while.
        """
        fork = self._fork()
        ended: dict[str, str] = {}
        with self.client.notifications(methods=["turn/completed"], thread_id=fork) as done:
            self.client.thread_compact_start(fork)

            def read() -> None:
                with contextlib.suppress(Exception):  # the stream is closed on a timeout
                    for event in done:
                        ended["status"] = str(event.params.get("turn", {}).get("status"))
                        return

            reader = threading.Thread(target=read, name="demo-compaction", daemon=True)
            reader.start()
            reader.join(60)
        if "status" not in ended:
            raise TimeoutError("the compaction turn did not end within 60 s")
        status = ended["status"]
        _expect(status == "completed", f"compaction turn ended {status}")
        return f"compaction turn {status}"

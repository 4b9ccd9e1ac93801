"""The seed's top-level convenience methods, same names and shapes, on the current protocol.

Results are the generated typed models, which also answer ``result["wireName"]`` so code written against
the seed's plain dicts keeps working. Methods the server dropped are rebuilt on their replacement
(``thread_rollback`` on ``thread/revert``) or raise :class:`MethodNotFoundError` saying why.
"""

from __future__ import annotations

import base64
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import CodexAgenticError, MethodNotFoundError, SessionNotFoundError
from ..events import CommandExecEvent
from ..inputs import to_wire_input
from ._seed_attrs import SeedAttributes

if TYPE_CHECKING:
    from .._rpc._connection import RpcConnection
    from ._options import ClientOptions
    from ._routing import Router

__all__ = ["SeedMethods", "ThreadPage"]

_UNSET: Any = object()


class ThreadPage(list):  # type: ignore[type-arg]
    """A list of threads (typed ``Thread`` models) that also carries ``next_cursor`` for the next page."""

    next_cursor: str | None = None


def _typed(method: str, result: Any) -> Any:
    """Wrap a raw result in the generated response model of ``method`` (raw when there is none)."""
    if not isinstance(result, dict):
        return result
    from ..protocol import _registry

    spec = _registry.CLIENT_METHODS.get(method)
    name = getattr(spec, "response", None) if spec is not None else None
    if not name:
        return result
    return _registry.load_model(name).from_wire(result)


def _model(name: str, data: Any) -> Any:
    from ..protocol import _registry

    return _registry.load_model(name).from_wire(data) if isinstance(data, dict) else data


def _clean(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _guardian_event(params: Mapping[str, Any]) -> dict[str, Any]:
    """``item/autoApprovalReview/completed`` params as the core's ``GuardianAssessmentEvent`` (snake_case
    keys, snake_case enum values), which ``thread/approveGuardianDeniedAction`` takes."""

    def convert(value: Any, key: str = "") -> Any:
        if isinstance(value, Mapping):
            return {_snake(k): convert(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        enums = ("type", "source", "status", "decisionSource", "riskLevel", "userAuthorization")
        return _snake(value) if isinstance(value, str) and key in enums else value

    # threadId goes to the request itself; the review's fields are flattened into the event.
    event = {
        "id" if k == "reviewId" else _snake(k): convert(v, k)
        for k, v in params.items()
        if k not in ("threadId", "review")
    }
    event.update(convert(params.get("review") or {}))
    return event


def _removed(name: str, why: str) -> MethodNotFoundError:
    return MethodNotFoundError(f"{name} is not available: {why}", method=name)


class SeedMethods(SeedAttributes):
    """Mixin of the seed's convenience methods (and option attributes); the client supplies ``request``
    and the plumbing."""

    if TYPE_CHECKING:
        _options: ClientOptions
        _router: Router

        async def request(self, method: str, params: Any = None, *, timeout: Any = ...) -> Any: ...
        async def _connection(self) -> RpcConnection: ...
        async def _start_thread_raw(self, params: Mapping[str, Any] | None) -> dict[str, Any]: ...
        async def _resume_thread_raw(
            self, thread_id: str, params: Mapping[str, Any] | None
        ) -> dict[str, Any]: ...

    async def _call(
        self, method: str, params: Mapping[str, Any] | None = None, *, timeout: Any = _UNSET
    ) -> Any:
        if timeout is _UNSET:
            result = await self.request(method, _clean(params) if params is not None else None)
        else:
            result = await self.request(
                method, _clean(params) if params is not None else None, timeout=timeout
            )
        return _typed(method, result)

    # -- threads ---------------------------------------------------------------------------------------
    async def thread_start(self, *, params: Mapping[str, Any] | None = None) -> Any:
        """Start a thread: baseline (on-request, workspace-write), then ``default_thread_params``, then
        ``params``. Returns the ``thread/start`` result (``result.thread.id``)."""
        return _typed("thread/start", await self._start_thread_raw(params))

    async def thread_resume(self, thread_id: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """Load a stored thread into this app-server. Only ``params`` are sent: settings you do not pass
        (sandbox, approval policy) stay as the thread had them."""
        return _typed("thread/resume", await self._resume_thread_raw(thread_id, params))

    async def thread_read(self, thread_id: str, *, include_turns: bool = False) -> Any:
        """The thread (a ``Thread`` model), with its turns when ``include_turns``."""
        result = await self.request("thread/read", {"threadId": thread_id, "includeTurns": include_turns})
        if not isinstance(result, dict) or not isinstance(result.get("thread"), dict):
            raise SessionNotFoundError(
                f"thread/read returned no thread for {thread_id}", method="thread/read"
            )
        return _model("Thread", result["thread"])

    async def thread_list(
        self,
        limit: int | None = 50,
        *,
        sort_key: str | None = "updated_at",
        cursor: str | None = None,
        archived: bool | None = None,
        cwd: str | None = None,
        search_term: str | None = None,
        model_providers: Sequence[str] | None = None,
        sort_direction: str | None = None,
    ) -> ThreadPage:
        """One page of threads, newest first; ``page.next_cursor`` fetches the next (see ``iter_threads``)."""
        result = await self.request(
            "thread/list",
            _clean(
                {
                    "limit": limit,
                    "sortKey": sort_key,
                    "cursor": cursor,
                    "archived": archived,
                    "cwd": cwd,
                    "searchTerm": search_term,
                    "modelProviders": list(model_providers) if model_providers is not None else None,
                    "sortDirection": sort_direction,
                }
            ),
        )
        page = ThreadPage(_model("Thread", t) for t in (result or {}).get("data") or [])
        page.next_cursor = (result or {}).get("nextCursor")
        return page

    async def iter_threads(self, *, page_size: int = 50, **filters: Any) -> AsyncIterator[Any]:
        """Every thread matching ``filters`` (the ``thread_list`` keywords), fetching pages as needed."""
        cursor = filters.pop("cursor", None)
        while True:
            page = await self.thread_list(page_size, cursor=cursor, **filters)
            for thread in page:
                yield thread
            if not page.next_cursor or not page:
                return
            cursor = page.next_cursor

    async def thread_archive(self, thread_id: str) -> Any:
        """Archive a thread (it needs ``thread_unarchive`` and a resume before new turns)."""
        return await self._call("thread/archive", {"threadId": thread_id})

    async def thread_unarchive(self, thread_id: str) -> Any:
        """Unarchive a thread; the next turn on it resumes it automatically."""
        return await self._call("thread/unarchive", {"threadId": thread_id})

    async def thread_fork(self, thread_id: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """Fork a thread into a new one. Only ``params`` are sent: the fork keeps the source's settings
        unless you override them (the baseline is not re-applied, so a read-only thread stays read-only)."""
        return await self._call("thread/fork", {**dict(params or {}), "threadId": thread_id})

    async def thread_name_set(self, thread_id: str, name: str) -> Any:
        """Name a thread."""
        return await self._call("thread/name/set", {"threadId": thread_id, "name": name})

    async def thread_compact_start(self, thread_id: str) -> Any:
        """Start compacting a thread's history (runs as a turn; returns at once)."""
        return await self._call("thread/compact/start", {"threadId": thread_id})

    async def thread_rollback(self, thread_id: str, num_turns: int) -> Any:
        """Drop the last ``num_turns`` turns. ``thread/rollback`` is gone from the server; this uses its
        replacement ``thread/revert`` with the id of the first dropped turn."""
        if not isinstance(num_turns, int) or num_turns < 1:
            raise ValueError(f"num_turns must be a positive int, got {num_turns!r}")
        result = await self.request("thread/read", {"threadId": thread_id, "includeTurns": True})
        turns = ((result or {}).get("thread") or {}).get("turns") or []
        if num_turns > len(turns):
            raise CodexAgenticError(
                f"thread {thread_id} has {len(turns)} turns; cannot roll back {num_turns}"
            )
        before = turns[-num_turns]["id"]
        return await self._call("thread/revert", {"threadId": thread_id, "beforeTurnId": before})

    async def thread_loaded_list(self, *, limit: int | None = None, cursor: str | None = None) -> Any:
        """Threads loaded in this app-server."""
        return await self._call("thread/loaded/list", {"limit": limit, "cursor": cursor})

    async def thread_metadata_update(
        self, thread_id: str, *, git_info: Mapping[str, Any] | None = None
    ) -> Any:
        """Update a thread's stored metadata (git info)."""
        return await self._call("thread/metadata/update", {"threadId": thread_id, "gitInfo": git_info})

    async def approve_guardian_denied_action(self, review: Any, *, thread_id: str | None = None) -> Any:
        """Approve an action that Codex's automatic reviewer (``approvalsReviewer: "auto_review"``) denied.

        ``review`` is the ``item/autoApprovalReview/completed`` notification (its :class:`ResponseEvent`,
        its params as a dict or typed model) or an already serialized ``GuardianAssessmentEvent``. Codex
        then tells the model that the user approved exactly that action, so it may try it again (the
        retry is reviewed again; nothing runs by itself).
        """
        params = getattr(review, "params", review)
        params = params.to_wire() if hasattr(params, "to_wire") else dict(params)
        thread = thread_id or params.get("threadId")
        if not thread:
            raise CodexAgenticError("approve_guardian_denied_action needs the thread id of the review")
        event = _guardian_event(params) if "reviewId" in params else params
        return await self._call("thread/approveGuardianDeniedAction", {"threadId": thread, "event": event})

    # -- turns -----------------------------------------------------------------------------------------
    async def turn_interrupt(self, thread_id: str, turn_id: str) -> Any:
        """Interrupt a running turn; its stream ends with status ``interrupted``."""
        return await self._call("turn/interrupt", {"threadId": thread_id, "turnId": turn_id})

    async def turn_steer(self, thread_id: str, turn_id: str, prompt: Any) -> Any:
        """Add input to a running turn (text, images or a list of inputs, like ``prompt``)."""
        return await self._call(
            "turn/steer", {"threadId": thread_id, "expectedTurnId": turn_id, "input": to_wire_input(prompt)}
        )

    async def review_start(
        self, thread_id: str, target: Mapping[str, Any], *, delivery: str | None = None
    ) -> Any:
        """Start a code review turn (``target`` e.g. ``{"type": "uncommittedChanges"}``)."""
        return await self._call(
            "review/start", {"threadId": thread_id, "target": dict(target), "delivery": delivery}
        )

    # -- skills and apps -------------------------------------------------------------------------------
    async def skills_list(
        self, *, cwds: Sequence[str] | None = None, force_reload: bool | None = None
    ) -> Any:
        """Skills available for the given working directories."""
        return await self._call(
            "skills/list", {"cwds": list(cwds) if cwds else None, "forceReload": force_reload}
        )

    async def skills_config_write(self, path: str, enabled: bool) -> Any:
        """Enable or disable a skill in the user's config (a relative ``path`` is taken from the
        app-server's working directory; the server only accepts absolute paths)."""
        path = os.path.join(self._options.process_cwd, os.fspath(path))
        return await self._call("skills/config/write", {"path": path, "enabled": enabled})

    async def skills_remote_list(self, **_ignored: Any) -> Any:
        """Removed: codex 0.163 has no remote-skills API (``skills/remote/list`` is gone)."""
        raise _removed("skills/remote/list", "codex app-server 0.163 removed the remote skills API")

    async def skills_remote_export(self, hazelnut_id: str) -> Any:
        """Removed: codex 0.163 has no remote-skills API (``skills/remote/export`` is gone)."""
        raise _removed("skills/remote/export", "codex app-server 0.163 removed the remote skills API")

    async def skills_remote_read(self) -> Any:
        """Removed (was a deprecated alias of ``skills_remote_list``)."""
        raise _removed("skills/remote/list", "codex app-server 0.163 removed the remote skills API")

    async def skills_remote_write(self, hazelnut_id: str, is_preload: bool = False) -> Any:
        """Removed (was a deprecated alias of ``skills_remote_export``)."""
        raise _removed("skills/remote/export", "codex app-server 0.163 removed the remote skills API")

    async def app_list(self, *, limit: int | None = None, cursor: str | None = None) -> Any:
        """Apps (connectors) available to the account."""
        return await self._call("app/list", {"limit": limit, "cursor": cursor})

    # -- models, features, account ---------------------------------------------------------------------
    async def experimental_feature_list(self, *, limit: int | None = None, cursor: str | None = None) -> Any:
        """Feature flags with their stage and state."""
        return await self._call("experimentalFeature/list", {"limit": limit, "cursor": cursor})

    async def model_list(self, *, limit: int | None = None, cursor: str | None = None) -> Any:
        """The model catalogue."""
        return await self._call("model/list", {"limit": limit, "cursor": cursor})

    async def account_rate_limits_read(self) -> Any:
        """The account's rate limits (needs a ChatGPT login; raises :class:`AuthRequiredError` otherwise)."""
        return await self._call("account/rateLimits/read")

    async def account_read(self, *, refresh_token: bool | None = None) -> Any:
        """The current account and whether OpenAI auth is required."""
        return await self._call("account/read", {"refreshToken": refresh_token})

    # -- config ----------------------------------------------------------------------------------------
    async def config_read(self, *, cwd: str | None = None, include_layers: bool = False) -> Any:
        """The effective config (snake_case keys) and where each value came from."""
        return await self._call("config/read", {"cwd": cwd, "includeLayers": include_layers})

    async def config_value_write(
        self,
        key_path: str,
        value: Any,
        *,
        merge_strategy: str = "upsert",
        file_path: str | None = None,
        expected_version: str | None = None,
    ) -> Any:
        """Write one config value (``expected_version`` guards against concurrent edits)."""
        params = {"keyPath": key_path, "value": value, "mergeStrategy": merge_strategy}
        params.update(_clean({"filePath": file_path, "expectedVersion": expected_version}))
        return _typed("config/value/write", await self.request("config/value/write", params))

    async def config_batch_write(
        self,
        edits: Sequence[Mapping[str, Any]],
        *,
        file_path: str | None = None,
        expected_version: str | None = None,
    ) -> Any:
        """Write several config values atomically."""
        return await self._call(
            "config/batchWrite",
            {"edits": [dict(e) for e in edits], "filePath": file_path, "expectedVersion": expected_version},
        )

    async def config_requirements_read(self) -> Any:
        """Requirements imposed by managed configuration."""
        return await self._call("configRequirements/read")

    async def config_mcp_server_reload(self) -> Any:
        """Reload MCP server configuration."""
        return await self._call("config/mcpServer/reload")

    async def mcp_server_status_list(self, *, limit: int | None = None, cursor: str | None = None) -> Any:
        """Status of the configured MCP servers."""
        return await self._call("mcpServerStatus/list", {"limit": limit, "cursor": cursor})

    async def mcp_server_oauth_login(
        self, name: str, *, scopes: Sequence[str] | None = None, timeout_secs: int | None = None
    ) -> Any:
        """Start an OAuth login for an MCP server."""
        return await self._call(
            "mcpServer/oauth/login",
            {"name": name, "scopes": list(scopes) if scopes else None, "timeoutSecs": timeout_secs},
        )

    async def fuzzy_file_search(
        self, query: str, *, roots: Sequence[str] | None = None, cancellation_token: str | None = None
    ) -> Any:
        """Fuzzy-find files under ``roots`` (default: the app-server's working directory)."""
        return await self._call(
            "fuzzyFileSearch",
            {
                "query": query,
                "roots": list(roots) if roots else [self._options.process_cwd],
                "cancellationToken": cancellation_token,
            },
        )

    # -- command/exec ----------------------------------------------------------------------------------
    @staticmethod
    def _command_exec_params(kw: Mapping[str, Any]) -> dict[str, Any]:
        """``command/exec`` params from the keywords of ``command_exec`` / ``command_exec_events``
        (their ``locals()``; a flag that is not among them is off)."""
        command = kw["command"]
        if not command or not all(isinstance(c, str) for c in command):
            raise ValueError("command must be a non-empty list of strings")
        if kw["tty"] and not kw["size"]:
            raise CodexAgenticError("tty=True needs size={'rows': ..., 'cols': ...}")
        params = {
            "command": list(command),
            "cwd": kw["cwd"],
            "timeoutMs": kw["timeout_ms"],
            "processId": kw["process_id"],
            "env": kw["env"],
            "outputBytesCap": kw["output_bytes_cap"],
            "sandboxPolicy": kw["sandbox_policy"],
            "size": kw["size"],
        }
        params = _clean(params)
        for key, flag in (
            ("disableOutputCap", "disable_output_cap"),
            ("disableTimeout", "disable_timeout"),
            ("streamStdin", "stream_stdin"),
            ("streamStdoutStderr", "stream_stdout_stderr"),
            ("tty", "tty"),
        ):
            if kw.get(flag):
                params[key] = True
        return params

    @staticmethod
    def _command_exec_timeout(timeout_ms: int | None, disable_timeout: bool) -> float | None:
        return None if disable_timeout or timeout_ms is None else timeout_ms / 1000 + 30

    async def command_exec(
        self,
        command: Sequence[str],
        *,
        cwd: str | None = None,
        timeout_ms: int | None = None,
        process_id: str | None = None,
        env: Mapping[str, str | None] | None = None,
        output_bytes_cap: int | None = None,
        disable_output_cap: bool = False,
        disable_timeout: bool = False,
        sandbox_policy: Mapping[str, Any] | None = None,
        stream_stdin: bool = False,
        stream_stdout_stderr: bool = False,
        tty: bool = False,
        size: Mapping[str, int] | None = None,
    ) -> Any:
        """Run a command under the server's sandbox (no thread needed); returns exit code and output."""
        if (stream_stdin or stream_stdout_stderr or tty) and not process_id:
            raise CodexAgenticError("streaming or tty command_exec needs a process_id")
        params = self._command_exec_params(locals())
        timeout = self._command_exec_timeout(timeout_ms, disable_timeout)
        return _typed("command/exec", await self.request("command/exec", params, timeout=timeout))

    async def command_exec_write(
        self, process_id: str, *, data: bytes | None = None, close_stdin: bool = False
    ) -> Any:
        """Write to (and/or close) the stdin of a streaming ``command_exec``."""
        params: dict[str, Any] = {"processId": process_id, "closeStdin": close_stdin}
        if data is not None:
            params["deltaBase64"] = base64.b64encode(data).decode("ascii")
        return await self._call("command/exec/write", params)

    async def command_exec_resize(self, process_id: str, *, rows: int, cols: int) -> Any:
        """Resize the pty of a tty ``command_exec``."""
        return await self._call(
            "command/exec/resize", {"processId": process_id, "size": {"rows": rows, "cols": cols}}
        )

    async def command_exec_terminate(self, process_id: str) -> Any:
        """Terminate a running ``command_exec``."""
        return await self._call("command/exec/terminate", {"processId": process_id})

    async def command_exec_events(
        self,
        command: Sequence[str],
        *,
        process_id: str | None = None,
        cwd: str | None = None,
        timeout_ms: int | None = None,
        env: Mapping[str, str | None] | None = None,
        output_bytes_cap: int | None = None,
        disable_output_cap: bool = False,
        disable_timeout: bool = False,
        sandbox_policy: Mapping[str, Any] | None = None,
        stream_stdin: bool = False,
        tty: bool = False,
        size: Mapping[str, int] | None = None,
    ) -> AsyncIterator[CommandExecEvent]:
        """Run a command and stream its output as :class:`CommandExecEvent`; the last event is
        ``command/exec/completed`` with the exit code. Output is routed by process id, so concurrent turn
        streams never see it. Leaving early terminates the process. ``process_id`` defaults to a new id."""
        process_id = process_id or f"sdk-{uuid.uuid4().hex[:12]}"
        params = self._command_exec_params(locals())
        params["streamStdoutStderr"] = True
        conn = await self._connection()
        queue = self._router.subscribe_process(process_id)
        done = False
        try:
            future = conn.start_request(
                "command/exec", params, timeout=self._command_exec_timeout(timeout_ms, disable_timeout)
            )
            while True:
                while len(queue):
                    yield _exec_event(queue.get_nowait(), process_id)
                if future.done():
                    break
                waiter = _first_of(queue, future)
                await waiter
            result = future.result()
            while len(queue):
                yield _exec_event(queue.get_nowait(), process_id)
            done = True
            yield CommandExecEvent(
                type="command/exec/completed",
                process_id=process_id,
                exit_code=result.get("exitCode"),
                stdout=result.get("stdout"),
                stderr=result.get("stderr"),
                raw=result,
            )
        finally:
            self._router.unsubscribe_process(process_id)
            if not done and not conn.closed:
                with contextlib.suppress(Exception):  # already finished: nothing to terminate
                    await conn.request("command/exec/terminate", {"processId": process_id}, timeout=5)


def _exec_event(msg: dict[str, Any], process_id: str) -> CommandExecEvent:
    params = msg.get("params") or {}
    data = params.get("deltaBase64")
    return CommandExecEvent(
        type="command/exec/outputDelta",
        process_id=process_id,
        stream=params.get("stream"),
        data=base64.b64decode(data) if isinstance(data, str) else b"",
        cap_reached=bool(params.get("capReached")),
        raw=msg,
    )


def _first_of(queue: Any, future: Any) -> Any:
    """An awaitable that finishes when the queue has an item or the future is done."""
    import asyncio

    async def wait_queue() -> None:
        await queue.wait()

    waiter = asyncio.ensure_future(wait_queue())

    async def both() -> None:
        try:
            await asyncio.wait({waiter, future}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()

    return both()

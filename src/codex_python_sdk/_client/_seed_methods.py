"""The seed's top-level convenience methods, same names and shapes, on the current protocol.

Results are the generated typed models, which also answer ``result["wireName"]`` so code written against
the seed's plain dicts keeps working. Methods the server dropped are rebuilt on their replacement
(``thread_rollback`` on ``thread/revert``) or raise :class:`MethodNotFoundError` saying why.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, cast

from .._unset import UNSET, Unset
from ..errors import CodexAgenticError, MethodNotFoundError, SessionNotFoundError
from ._seed_attrs import SeedAttributes

if TYPE_CHECKING:
    from .._rpc import RpcConnection
    from ..events import ResponseEvent
    from ..inputs import Prompt
    from ..protocol import (
        AppsListResponse,
        ConfigReadResponse,
        ConfigRequirementsReadResponse,
        ConfigWriteResponse,
        ExperimentalFeatureListResponse,
        FuzzyFileSearchResponse,
        GetAccountRateLimitsResponse,
        GetAccountResponse,
        ListMcpServerStatusResponse,
        McpServerOauthLoginResponse,
        McpServerRefreshResponse,
        MergeStrategy,
        ModelListResponse,
        ReviewDelivery,
        ReviewStartResponse,
        SkillsConfigWriteResponse,
        SkillsListResponse,
        SortDirection,
        Thread,
        ThreadApproveGuardianDeniedActionResponse,
        ThreadArchiveResponse,
        ThreadCompactStartResponse,
        ThreadForkResponse,
        ThreadLoadedListResponse,
        ThreadMetadataUpdateResponse,
        ThreadResumeResponse,
        ThreadRevertResponse,
        ThreadSetNameResponse,
        ThreadSortKey,
        ThreadStartResponse,
        ThreadUnarchiveResponse,
        TurnInterruptResponse,
        TurnSteerResponse,
    )
    from ..protocol._base import JsonValue, Model
    from ._options import ClientOptions
    from ._routing import Router
    from ._turns import TurnTracker

__all__ = ["SeedMethods", "ThreadPage", "as_response"]


class ThreadPage(list["Thread"]):
    """A list of threads (typed ``Thread`` models) that also carries ``next_cursor`` for the next page."""

    next_cursor: str | None = None


def as_response(method: str, result: object) -> Any:
    """Wrap a raw result in the generated response model of ``method`` (raw when there is none)."""
    if not isinstance(result, dict):
        return result
    from ..protocol import _registry

    spec = _registry.CLIENT_METHODS.get(method)
    name = getattr(spec, "response", None) if spec is not None else None
    if not name:
        return result
    return _registry.load_model(name).from_wire(result)


def _model(name: str, data: object) -> Any:
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
        _turns: TurnTracker

        async def _request(self, method: str, params: Any = None, *, timeout: Any = ...) -> Any: ...
        async def _connection(self) -> RpcConnection: ...
        async def _start_thread_raw(self, params: Mapping[str, object] | None) -> dict[str, Any]: ...
        async def _resume_thread_raw(
            self, thread_id: str, params: Mapping[str, object] | None
        ) -> dict[str, Any]: ...

    async def _call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | Unset | None = UNSET,
    ) -> Any:
        """``method``'s result as its generated response model (``None`` params are left out)."""
        result = await self._request(method, _clean(params) if params is not None else None, timeout=timeout)
        return as_response(method, result)

    # -- threads ---------------------------------------------------------------------------------------
    async def thread_start(self, *, params: Mapping[str, object] | None = None) -> ThreadStartResponse:
        """Start a thread: baseline (on-request, workspace-write), then ``default_thread_params``, then
        ``params``. Returns the ``thread/start`` result (``result.thread.id``)."""
        return cast("ThreadStartResponse", as_response("thread/start", await self._start_thread_raw(params)))

    async def thread_resume(
        self, thread_id: str, *, params: Mapping[str, object] | None = None
    ) -> ThreadResumeResponse:
        """Load a stored thread into this app-server. Only ``params`` are sent: settings you do not pass
        (sandbox, approval policy) stay as the thread had them."""
        result = await self._resume_thread_raw(thread_id, params)
        return cast("ThreadResumeResponse", as_response("thread/resume", result))

    async def thread_read(self, thread_id: str, *, include_turns: bool = False) -> Thread:
        """The thread (a ``Thread`` model), with its turns when ``include_turns``."""
        result = await self._request("thread/read", {"threadId": thread_id, "includeTurns": include_turns})
        if not isinstance(result, dict) or not isinstance(result.get("thread"), dict):
            raise SessionNotFoundError(
                f"thread/read returned no thread for {thread_id}", method="thread/read"
            )
        return cast("Thread", _model("Thread", result["thread"]))

    async def thread_list(
        self,
        limit: int | None = 50,
        *,
        sort_key: ThreadSortKey | None = "updated_at",
        cursor: str | None = None,
        archived: bool | None = None,
        cwd: str | None = None,
        search_term: str | None = None,
        model_providers: Sequence[str] | None = None,
        sort_direction: SortDirection | None = None,
    ) -> ThreadPage:
        """One page of threads, newest first; ``page.next_cursor`` fetches the next (see ``iter_threads``)."""
        result = await self._request(
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

    async def iter_threads(
        self,
        *,
        page_size: int = 50,
        sort_key: ThreadSortKey | None = "updated_at",
        cursor: str | None = None,
        archived: bool | None = None,
        cwd: str | None = None,
        search_term: str | None = None,
        model_providers: Sequence[str] | None = None,
        sort_direction: SortDirection | None = None,
    ) -> AsyncIterator[Thread]:
        """Every thread matching the filters (those of ``thread_list``), fetching pages as needed."""
        while True:
            page = await self.thread_list(
                page_size,
                sort_key=sort_key,
                cursor=cursor,
                archived=archived,
                cwd=cwd,
                search_term=search_term,
                model_providers=model_providers,
                sort_direction=sort_direction,
            )
            for thread in page:
                yield thread
            if not page.next_cursor or not page:
                return
            cursor = page.next_cursor

    async def thread_archive(self, thread_id: str) -> ThreadArchiveResponse:
        """Archive a thread (it needs ``thread_unarchive`` and a resume before new turns)."""
        return cast("ThreadArchiveResponse", await self._call("thread/archive", {"threadId": thread_id}))

    async def thread_unarchive(self, thread_id: str) -> ThreadUnarchiveResponse:
        """Unarchive a thread; the next turn on it resumes it automatically."""
        return cast("ThreadUnarchiveResponse", await self._call("thread/unarchive", {"threadId": thread_id}))

    async def thread_fork(
        self, thread_id: str, *, params: Mapping[str, object] | None = None
    ) -> ThreadForkResponse:
        """Fork a thread into a new one. Only ``params`` are sent: the fork keeps the source's settings
        unless you override them (the baseline is not re-applied, so a read-only thread stays read-only)."""
        return cast(
            "ThreadForkResponse",
            await self._call("thread/fork", {**dict(params or {}), "threadId": thread_id}),
        )

    async def thread_name_set(self, thread_id: str, name: str) -> ThreadSetNameResponse:
        """Name a thread."""
        return cast(
            "ThreadSetNameResponse",
            await self._call("thread/name/set", {"threadId": thread_id, "name": name}),
        )

    async def thread_compact_start(self, thread_id: str) -> ThreadCompactStartResponse:
        """Start compacting a thread's history (runs as a turn; returns at once)."""
        return cast(
            "ThreadCompactStartResponse", await self._call("thread/compact/start", {"threadId": thread_id})
        )

    async def thread_rollback(self, thread_id: str, num_turns: int) -> ThreadRevertResponse:
        """Drop the last ``num_turns`` turns. ``thread/rollback`` is gone from the server; this uses its
        replacement ``thread/revert`` with the id of the first dropped turn."""
        if not isinstance(num_turns, int) or num_turns < 1:
            raise ValueError(f"num_turns must be a positive int, got {num_turns!r}")
        result = await self._request("thread/read", {"threadId": thread_id, "includeTurns": True})
        turns = ((result or {}).get("thread") or {}).get("turns") or []
        if num_turns > len(turns):
            raise CodexAgenticError(
                f"thread {thread_id} has {len(turns)} turns; cannot roll back {num_turns}"
            )
        before = turns[-num_turns]["id"]
        return cast(
            "ThreadRevertResponse",
            await self._call("thread/revert", {"threadId": thread_id, "beforeTurnId": before}),
        )

    async def thread_loaded_list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> ThreadLoadedListResponse:
        """Threads loaded in this app-server."""
        return cast(
            "ThreadLoadedListResponse",
            await self._call("thread/loaded/list", {"limit": limit, "cursor": cursor}),
        )

    async def thread_metadata_update(
        self, thread_id: str, *, git_info: Mapping[str, object] | None = None
    ) -> ThreadMetadataUpdateResponse:
        """Update a thread's stored metadata (git info)."""
        return cast(
            "ThreadMetadataUpdateResponse",
            await self._call("thread/metadata/update", {"threadId": thread_id, "gitInfo": git_info}),
        )

    async def approve_guardian_denied_action(
        self, review: ResponseEvent | Model | Mapping[str, object], *, thread_id: str | None = None
    ) -> ThreadApproveGuardianDeniedActionResponse:
        """Approve an action that Codex's automatic reviewer (``approvalsReviewer: "auto_review"``) denied.

        ``review`` is the ``item/autoApprovalReview/completed`` notification (its :class:`ResponseEvent`,
        its params as a dict or typed model) or an already serialized ``GuardianAssessmentEvent``. Codex
        then tells the model that the user approved exactly that action, so it may try it again (the
        retry is reviewed again; nothing runs by itself).
        """
        raw: Any = getattr(review, "params", review)
        to_wire = getattr(raw, "to_wire", None)
        params: dict[str, Any] = dict(to_wire() if callable(to_wire) else raw)
        thread = thread_id or params.get("threadId")
        if not thread:
            raise CodexAgenticError("approve_guardian_denied_action needs the thread id of the review")
        event = _guardian_event(params) if "reviewId" in params else params
        return cast(
            "ThreadApproveGuardianDeniedActionResponse",
            await self._call("thread/approveGuardianDeniedAction", {"threadId": thread, "event": event}),
        )

    # -- turns -----------------------------------------------------------------------------------------
    async def turn_interrupt(self, thread_id: str, turn_id: str) -> TurnInterruptResponse:
        """Interrupt a running turn; its stream ends with status ``interrupted``. For a review, the id
        ``review_start`` returned works: it is resolved to the review's running turn."""
        running = await self._turns.running_id_soon(thread_id, turn_id)
        return cast(
            "TurnInterruptResponse",
            await self._call("turn/interrupt", {"threadId": thread_id, "turnId": running}),
        )

    async def turn_steer(self, thread_id: str, turn_id: str, prompt: Prompt) -> TurnSteerResponse:
        """Add input to a running turn (text, images or a list of inputs, like ``prompt``)."""
        from ..inputs import to_wire_input  # lazy: its dataclasses are kept off the clients' import

        params = {"threadId": thread_id, "expectedTurnId": turn_id, "input": to_wire_input(prompt)}
        return cast("TurnSteerResponse", await self._call("turn/steer", params))

    async def review_start(
        self, thread_id: str, target: Mapping[str, object], *, delivery: ReviewDelivery | None = None
    ) -> ReviewStartResponse:
        """Start a code review turn (``target`` e.g. ``{"type": "uncommittedChanges"}``) and return at
        once. ``turn_interrupt`` with the returned ``turn.id`` stops it; to run a review to its end (or
        stream it) like any turn, use :meth:`review` / :meth:`review_events`."""
        params = {"threadId": thread_id, "target": dict(target), "delivery": delivery}
        result: ReviewStartResponse = await self._call("review/start", params)
        # codex 0.163 runs the review under another turn id, announced right after by turn/started; wait
        # (briefly) for it, so that turn_interrupt(thread_id, result.turn.id) can name the running turn.
        turn = result.get("turn")
        turn_id = turn.get("id") if isinstance(turn, dict) else None
        if isinstance(turn_id, str):
            deadline = time.monotonic() + 2.0
            while self._turns.running_id(thread_id, turn_id) == turn_id and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        return result

    # -- skills and apps -------------------------------------------------------------------------------
    async def skills_list(
        self, *, cwds: Sequence[str] | None = None, force_reload: bool | None = None
    ) -> SkillsListResponse:
        """Skills available for the given working directories."""
        params = {"cwds": list(cwds) if cwds else None, "forceReload": force_reload}
        return cast("SkillsListResponse", await self._call("skills/list", params))

    async def skills_config_write(self, path: str, enabled: bool) -> SkillsConfigWriteResponse:
        """Enable or disable a skill in the user's config (a relative ``path`` is taken from the
        app-server's working directory; the server only accepts absolute paths)."""
        path = os.path.join(self._options.process_cwd, os.fspath(path))
        return cast(
            "SkillsConfigWriteResponse",
            await self._call("skills/config/write", {"path": path, "enabled": enabled}),
        )

    async def skills_remote_list(self, **_ignored: object) -> NoReturn:
        """Removed: codex 0.163 has no remote-skills API (``skills/remote/list`` is gone)."""
        raise _removed("skills/remote/list", "codex app-server 0.163 removed the remote skills API")

    async def skills_remote_export(self, hazelnut_id: str) -> NoReturn:
        """Removed: codex 0.163 has no remote-skills API (``skills/remote/export`` is gone)."""
        raise _removed("skills/remote/export", "codex app-server 0.163 removed the remote skills API")

    async def skills_remote_read(self) -> NoReturn:
        """Removed (was a deprecated alias of ``skills_remote_list``)."""
        raise _removed("skills/remote/list", "codex app-server 0.163 removed the remote skills API")

    async def skills_remote_write(self, hazelnut_id: str, is_preload: bool = False) -> NoReturn:
        """Removed (was a deprecated alias of ``skills_remote_export``)."""
        raise _removed("skills/remote/export", "codex app-server 0.163 removed the remote skills API")

    async def app_list(self, *, limit: int | None = None, cursor: str | None = None) -> AppsListResponse:
        """Apps (connectors) available to the account."""
        return cast("AppsListResponse", await self._call("app/list", {"limit": limit, "cursor": cursor}))

    # -- models, features, account ---------------------------------------------------------------------
    async def experimental_feature_list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> ExperimentalFeatureListResponse:
        """Feature flags with their stage and state."""
        return cast(
            "ExperimentalFeatureListResponse",
            await self._call("experimentalFeature/list", {"limit": limit, "cursor": cursor}),
        )

    async def model_list(self, *, limit: int | None = None, cursor: str | None = None) -> ModelListResponse:
        """The model catalogue."""
        return cast("ModelListResponse", await self._call("model/list", {"limit": limit, "cursor": cursor}))

    async def account_rate_limits_read(self) -> GetAccountRateLimitsResponse:
        """The account's rate limits (needs a ChatGPT login; raises :class:`AuthRequiredError` otherwise)."""
        return cast("GetAccountRateLimitsResponse", await self._call("account/rateLimits/read"))

    async def account_read(self, *, refresh_token: bool | None = None) -> GetAccountResponse:
        """The current account and whether OpenAI auth is required."""
        return cast("GetAccountResponse", await self._call("account/read", {"refreshToken": refresh_token}))

    # -- config ----------------------------------------------------------------------------------------
    async def config_read(
        self, *, cwd: str | None = None, include_layers: bool = False
    ) -> ConfigReadResponse:
        """The effective config (snake_case keys) and where each value came from."""
        return cast(
            "ConfigReadResponse",
            await self._call("config/read", {"cwd": cwd, "includeLayers": include_layers}),
        )

    async def config_value_write(
        self,
        key_path: str,
        value: JsonValue,
        *,
        merge_strategy: MergeStrategy = "upsert",
        file_path: str | None = None,
        expected_version: str | None = None,
    ) -> ConfigWriteResponse:
        """Write one config value (``expected_version`` guards against concurrent edits). ``None`` is
        sent as ``null`` (it clears the key)."""
        params: dict[str, Any] = {"keyPath": key_path, "value": value, "mergeStrategy": merge_strategy}
        params.update(_clean({"filePath": file_path, "expectedVersion": expected_version}))
        result = await self._request("config/value/write", params)
        return cast("ConfigWriteResponse", as_response("config/value/write", result))

    async def config_batch_write(
        self,
        edits: Sequence[Mapping[str, object]],
        *,
        file_path: str | None = None,
        expected_version: str | None = None,
    ) -> ConfigWriteResponse:
        """Write several config values atomically."""
        params = {
            "edits": [dict(e) for e in edits],
            "filePath": file_path,
            "expectedVersion": expected_version,
        }
        return cast("ConfigWriteResponse", await self._call("config/batchWrite", params))

    async def config_requirements_read(self) -> ConfigRequirementsReadResponse:
        """Requirements imposed by managed configuration."""
        return cast("ConfigRequirementsReadResponse", await self._call("configRequirements/read"))

    async def config_mcp_server_reload(self) -> McpServerRefreshResponse:
        """Reload MCP server configuration."""
        return cast("McpServerRefreshResponse", await self._call("config/mcpServer/reload"))

    async def mcp_server_status_list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> ListMcpServerStatusResponse:
        """Status of the configured MCP servers."""
        return cast(
            "ListMcpServerStatusResponse",
            await self._call("mcpServerStatus/list", {"limit": limit, "cursor": cursor}),
        )

    async def mcp_server_oauth_login(
        self, name: str, *, scopes: Sequence[str] | None = None, timeout_secs: int | None = None
    ) -> McpServerOauthLoginResponse:
        """Start an OAuth login for an MCP server."""
        params = {"name": name, "scopes": list(scopes) if scopes else None, "timeoutSecs": timeout_secs}
        return cast("McpServerOauthLoginResponse", await self._call("mcpServer/oauth/login", params))

    async def fuzzy_file_search(
        self, query: str, *, roots: Sequence[str] | None = None, cancellation_token: str | None = None
    ) -> FuzzyFileSearchResponse:
        """Fuzzy-find files under ``roots`` (default: the app-server's working directory)."""
        params = {
            "query": query,
            "roots": list(roots) if roots else [self._options.process_cwd],
            "cancellationToken": cancellation_token,
        }
        return cast("FuzzyFileSearchResponse", await self._call("fuzzyFileSearch", params))

"""``CodexAgenticClient``: the sync facade over the async core.

The same methods as :class:`AsyncCodexAgenticClient`, blocking, generated from it (``_sync_methods``) so the
two cannot drift. All calls run on one private event loop thread; calls from several caller threads run
concurrently, so ``turn_interrupt`` from a second thread stops a ``responses_create`` in progress.
"""

from __future__ import annotations

import atexit
import contextlib
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..events import ResponseEvent
from ._async import AsyncCodexAgenticClient
from ._options import HOOK_NAMES
from ._portal import Portal
from ._sync_methods import SyncMethods

if TYPE_CHECKING:
    from ..protocol._methods import SyncRpcMethods

__all__ = ["CodexAgenticClient"]

_UNSET: Any = object()
_LIVE: weakref.WeakSet[CodexAgenticClient] = weakref.WeakSet()
_FORWARDED = frozenset({*HOOK_NAMES, "on_hook_error", "policy_engine"})


@atexit.register
def _close_live_clients() -> None:
    # A forgotten close() must not leave an app-server behind when the interpreter exits.
    for client in list(_LIVE):
        with contextlib.suppress(Exception):
            client.close()


class CodexAgenticClient(SyncMethods):
    """Sync client for ``codex app-server``; takes the same keywords as :class:`AsyncCodexAgenticClient`.

    Use it as ``with CodexAgenticClient() as client:`` (or ``create_client()``). Hooks may be swapped at
    runtime (``client.on_command_approval = fn``); sync hooks run in worker threads, so a hook may block
    (e.g. ask a human) without stalling other turns.
    """

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_async", AsyncCodexAgenticClient(**kwargs))
        object.__setattr__(self, "_portal", Portal())
        object.__setattr__(self, "_rpc", None)
        _LIVE.add(self)

    # Hooks and the policy engine live on the async client, which reads them at dispatch time.
    def __getattr__(self, name: str) -> Any:
        if name in _FORWARDED:
            return getattr(self._async, name)
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FORWARDED:
            setattr(self._async, name, value)
        else:
            object.__setattr__(self, name, value)

    # -- lifecycle -------------------------------------------------------------------------------------
    def __enter__(self) -> CodexAgenticClient:
        try:
            self.connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        """Start the app-server and initialize (otherwise done lazily by the first call)."""
        self._portal.call(self._async.connect())

    def close(self) -> None:
        """Stop the app-server and the client's loop thread (idempotent)."""
        _LIVE.discard(self)
        if not self._async.closed or self._async._conn is not None:
            with contextlib.suppress(Exception):
                self._portal.call(self._async.close())
        self._portal.stop()

    @property
    def closed(self) -> bool:
        """True after :meth:`close` or once the app-server connection died."""
        return self._async.closed

    @property
    def server_info(self) -> dict[str, Any]:
        """The ``initialize`` result."""
        return self._async.server_info

    @property
    def user_agent(self) -> str | None:
        """The server's user agent."""
        return self._async.user_agent

    @property
    def binary_path(self) -> str | None:
        """The codex executable in use."""
        return self._async.binary_path

    @property
    def hook_errors(self) -> list[Any]:
        """Recent hook/policy results that were rejected and answered fail-closed."""
        return self._async.hook_errors

    def stderr_tail(self) -> list[str]:
        """The app-server's last stderr lines."""
        return self._async.stderr_tail()

    # -- raw and typed protocol access -----------------------------------------------------------------
    def request(self, method: str, params: Any = None, *, timeout: Any = _UNSET) -> Any:
        """Send any JSON-RPC request and return its raw ``result`` (the escape hatch)."""
        if timeout is _UNSET:
            return self._portal.call(self._async.request(method, params))
        return self._portal.call(self._async.request(method, params, timeout=timeout))

    def _rpc_call(self, method: str, params: Any, timeout: Any) -> Any:
        return self._portal.call(self._async._rpc_call(method, params, timeout))

    @property
    def rpc(self) -> SyncRpcMethods:
        """Every protocol method as a typed blocking call: ``client.rpc.thread_list(limit=10)``."""
        if self._rpc is None:
            from ..protocol._methods import SyncRpcMethods

            object.__setattr__(self, "_rpc", SyncRpcMethods(self._rpc_call))
        rpc: SyncRpcMethods = self._rpc
        return rpc

    def notifications(
        self, methods: list[str] | None = None, *, thread_id: Any = _UNSET, maxsize: int = 10_000
    ) -> Iterator[ResponseEvent]:
        """Iterate over notifications (see ``AsyncCodexAgenticClient.notifications``)."""
        kwargs: dict[str, Any] = {"maxsize": maxsize}
        if thread_id is not _UNSET:
            kwargs["thread_id"] = thread_id
        return self._portal.iterate(self._async.notifications(methods, **kwargs))

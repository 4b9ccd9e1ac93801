"""The rest of connecting, once the transport has started: the server-request dispatcher and the
``initialize`` handshake.

Imported by ``AsyncCodexAgenticClient._connect`` right after the app-server was started (or dialled), so
that its code, the server-request machinery (hooks, answer schemas) and what the first turn needs (the turn
loop and its watch, the inputs, the events) load while codex boots, not with the clients
(docs/performance.md).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .. import inputs  # noqa: F401  (what the first turn needs: imported while codex boots)
from .._version import __version__
from ..errors import AppServerConnectionError, ClientClosedError, CodexAgenticError
from ..events import _event, _response  # noqa: F401
from . import _turn_loop, _watch  # noqa: F401
from ._server_requests import ServerRequestDispatcher

if TYPE_CHECKING:
    from .._rpc import RpcConnection
    from .._transport import Transport
    from ._async import AsyncCodexAgenticClient

__all__ = ["finish_connect"]

logger = logging.getLogger("codex_python_sdk")


async def finish_connect(client: AsyncCodexAgenticClient, conn: RpcConnection, transport: Transport) -> None:
    """Answer server requests on ``conn`` and run the handshake; the client is connected after it. If the
    handshake fails, the connection is closed and the client marked dead (only ``reconnect()`` helps)."""
    options = client._options
    secrets = options.secret_overrides()
    if secrets:
        logger.warning(
            "server_config_overrides %s look like secrets: they are on the app-server's command line, "
            "visible to other users (ps); pass them through env= and the provider's env_key / "
            "env_http_headers instead",
            secrets,
        )
    client._dispatcher = dispatcher = ServerRequestDispatcher(
        conn,
        client._router,
        get_hook=lambda name: getattr(client, name, None),
        get_policy_engine=lambda: client.policy_engine,
        hook_runner=client._hook_runner,
        tool_runner=client._tool_runner,
        approval_timeout=options.approval_timeout,
        on_hook_error=client._report_hook_error,
        tool_handler=client._tool_call_handler,
        on_decided=lambda *decision: client._ledger.decided(client._turns, *decision),
    )
    dispatcher.errors.extend(client._carried_hook_errors)  # hook_errors survive a reconnect
    client._carried_hook_errors.clear()
    conn.add_close_callback(lambda error: client._on_connection_lost(conn, error))
    capabilities: dict[str, Any] = {"experimentalApi": options.experimental_api}
    if options.opt_out_notification_methods:
        capabilities["optOutNotificationMethods"] = options.opt_out_notification_methods
    try:
        info = await conn.request(
            "initialize",
            {
                "clientInfo": {"name": options.client_name, "title": None, "version": __version__},
                "capabilities": capabilities,
            },
        )
        client._server_info = info if isinstance(info, dict) else {}
        conn.notify("initialized")
        # Only now: callers that find the connection skip the connect lock, and nothing may be sent
        # before the handshake is done.
        client._conn = conn
    except BaseException as exc:
        await conn.aclose()
        # The process is stopped and its pipes closed: no later call may try to start it again.
        where = (
            "app-server failed to start"
            if options.endpoint is None
            else f"the {transport.describe()} did not initialize"
        )
        failed = AppServerConnectionError(
            f"{where}: {exc.message}"
            if isinstance(exc, CodexAgenticError)
            else f"connecting to the app-server was stopped ({type(exc).__name__})",
            stderr_tail=transport.stderr_tail(),
            returncode=transport.returncode,
        )
        client._dead = failed
        if isinstance(exc, AppServerConnectionError) and not isinstance(exc, ClientClosedError):
            raise failed from exc
        raise
    if options.automatic_approval_review and client._approvals_reviewer() is None:
        logger.warning(
            "automatic_approval_review=True but an approval hook or policy is configured: approvals go "
            "to your hook/policy (it takes precedence), not to Codex's native reviewer"
        )

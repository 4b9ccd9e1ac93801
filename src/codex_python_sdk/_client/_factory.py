"""The seed's factories, which also make the cold start fast.

``create_client()`` / ``create_async_client()`` start the app-server *first* and only then import the
client (asyncio, orjson, the SDK's modules), so codex's own start-up runs while Python imports. The process
is owned by the returned client from then on: ``close()`` (or leaving ``with``) stops it, and it is killed
if the client is dropped unused. A custom ``transport=`` is used as given.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: this module is on the cold-start path
if TYPE_CHECKING:
    from typing import Any

    from ._async import AsyncCodexAgenticClient
    from ._sync import CodexAgenticClient

__all__ = ["create_async_client", "create_client"]


def _prelaunch(kwargs: dict[str, Any]) -> dict[str, Any]:
    if kwargs.get("transport") is not None:
        return kwargs
    from .._transport._spawn import popen_app_server
    from ..errors import AppServerConnectionError
    from ._launch import plan_launch
    from ._options import ClientOptions

    plan = plan_launch(ClientOptions.from_kwargs(kwargs))  # bad options fail here, before any process
    try:
        process = popen_app_server(plan.argv, plan.env, plan.cwd)
    except OSError as exc:
        raise AppServerConnectionError(f"could not start {plan.argv[0]}: {exc}") from exc
    from .._transport import StdioTransport  # the heavy imports, while codex starts

    return {
        **kwargs,
        "transport": StdioTransport(
            plan.argv, env=plan.env, cwd=plan.cwd, process=process, binary=plan.binary
        ),
    }


def create_client(**kwargs: Any) -> CodexAgenticClient:
    """A sync :class:`CodexAgenticClient` (keywords as :class:`AsyncCodexAgenticClient`)."""
    kwargs = _prelaunch(kwargs)
    from ._sync import CodexAgenticClient

    return CodexAgenticClient(**kwargs)


def create_async_client(**kwargs: Any) -> AsyncCodexAgenticClient:
    """An :class:`AsyncCodexAgenticClient` (the app-server starts now; ``initialize`` runs on connect)."""
    kwargs = _prelaunch(kwargs)
    from ._async import AsyncCodexAgenticClient

    return AsyncCodexAgenticClient(**kwargs)

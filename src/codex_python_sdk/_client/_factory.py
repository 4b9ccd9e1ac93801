"""The seed's factories, which also make the cold start fast.

``create_client()`` / ``create_async_client()`` (generated in ``_init.py``, keyword for keyword) start the
app-server *first* and only then import the client (asyncio, orjson, the SDK's modules), so codex's own
start-up runs while Python imports. The process is owned by the returned client from then on: ``close()``
(or leaving ``with``) stops it, and it is killed if the client is dropped unused. A custom ``transport=``
is used as given; with ``url=`` nothing is started (the client dials the running app-server when it
connects).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: this module is on the cold-start path
if TYPE_CHECKING:
    from ._options import ClientOptions

__all__ = ["prelaunch"]


def prelaunch(options: ClientOptions) -> ClientOptions:
    """Spawn the app-server for ``options`` now (unless they carry a transport or a ``url``) and return
    the options with a transport that owns the process."""
    if options.transport is not None or options.url is not None:
        return options
    from .._transport._spawn import popen_app_server
    from ..errors import AppServerConnectionError
    from ._launch import plan_launch

    plan = plan_launch(options)  # no codex binary: fails here, before anything starts
    try:
        process = popen_app_server(plan.argv, plan.env, plan.cwd)
    except OSError as exc:
        raise AppServerConnectionError(f"could not start {plan.argv[0]}: {exc}") from exc
    from .._transport import StdioTransport

    options.transport = StdioTransport(
        plan.argv, env=plan.env, cwd=plan.cwd, process=process, binary=plan.binary
    )
    options._prelaunched = True  # ours, not the caller's: reconnect() may start another one
    return options

"""Test helpers for code that drives codex: a scripted fake of the model, served on loopback.

Run the *real* ``codex app-server`` offline, with zero tokens, by pointing it at a :class:`FakeModel`,
a tiny OpenAI Responses API server whose answers you script with :class:`Reply`::

    from codex_python_sdk.testing import FakeModel, Reply

    with FakeModel() as model, model.client() as client:   # temporary CODEX_HOME, HOME, workspace
        shell = Reply.shell("echo hi")
        model.add(shell, Reply.text("done"))
        result = client.responses_create(prompt="say hi")
        assert result.text == "done"
        assert "hi" in (model.tool_output(shell.call_id) or "")

Also here: the pytest plugin (fixtures ``codex_fake_model``, ``codex_client``, ``codex_async_client``;
see :mod:`codex_python_sdk.testing.pytest_plugin`), cassettes (:func:`record`,
:class:`RecordingTransport`, :class:`ReplayTransport`, :class:`Cassette`), a scripted MCP server
(:class:`FakeMcpServer`), and app-servers listening on a socket for remote clients
(:meth:`FakeHome.serve`, :class:`ListeningAppServer`). Names are imported lazily; importing this
package starts nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._cassette import Cassette, CassetteEntry, RecordingTransport, scrub
    from ._fake_model import FakeModel, Responder
    from ._gate import Gate
    from ._mcp_server import FakeMcpServer
    from ._replay import ReplayAnswer, ReplayTransport
    from ._requests import COMPACTION_PROMPT_PREFIX, ModelRequest, ModelRequestKind
    from ._script import Reply
    from ._serve import ListeningAppServer
    from ._wiring import AsyncFakeModelClient, FakeHome, FakeModelClient, record

__all__ = [
    "COMPACTION_PROMPT_PREFIX",
    "AsyncFakeModelClient",
    "Cassette",
    "CassetteEntry",
    "FakeHome",
    "FakeMcpServer",
    "FakeModel",
    "FakeModelClient",
    "Gate",
    "ListeningAppServer",
    "ModelRequest",
    "RecordingTransport",
    "ReplayAnswer",
    "ReplayTransport",
    "Reply",
    "ModelRequestKind",
    "Responder",
    "record",
    "scrub",
]

_WHERE = {
    "FakeModel": "._fake_model",
    "Responder": "._fake_model",
    "ModelRequest": "._requests",
    "ModelRequestKind": "._requests",
    "COMPACTION_PROMPT_PREFIX": "._requests",
    "Reply": "._script",
    "Gate": "._gate",
    "FakeHome": "._wiring",
    "FakeModelClient": "._wiring",
    "AsyncFakeModelClient": "._wiring",
    "record": "._wiring",
    "Cassette": "._cassette",
    "CassetteEntry": "._cassette",
    "RecordingTransport": "._cassette",
    "scrub": "._cassette",
    "ReplayTransport": "._replay",
    "ReplayAnswer": "._replay",
    "FakeMcpServer": "._mcp_server",
    "ListeningAppServer": "._serve",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

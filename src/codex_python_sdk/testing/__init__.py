"""Test helpers for code that drives codex: a scripted fake of the model, served on loopback.

Run the *real* ``codex app-server`` offline by pointing it at a :class:`FakeModel`, a tiny OpenAI
Responses API server whose answers you script with :class:`Reply`::

    from codex_python_sdk.testing import FakeModel, Reply

    with FakeModel() as model:
        model.add(Reply.shell("echo hi"), Reply.text("done"))
        # start codex with model.config_overrides() (or model.config_args()) and model.env()
        ...
        request = model.turn_requests[1]
        assert "hi" in (request.tool_output(...) or "")

Everything here uses only the standard library. Names are imported lazily.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._fake_model import FakeModel, Responder
    from ._gate import Gate
    from ._requests import COMPACTION_PROMPT_PREFIX, ModelRequest, RequestKind
    from ._script import Reply

__all__ = [
    "COMPACTION_PROMPT_PREFIX",
    "FakeModel",
    "Gate",
    "ModelRequest",
    "Reply",
    "RequestKind",
    "Responder",
]

_WHERE = {
    "FakeModel": "._fake_model",
    "Responder": "._fake_model",
    "ModelRequest": "._requests",
    "RequestKind": "._requests",
    "COMPACTION_PROMPT_PREFIX": "._requests",
    "Reply": "._script",
    "Gate": "._gate",
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

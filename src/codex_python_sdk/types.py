"""The seed's ``codex_python_sdk.types`` module path: the result and event classes, re-exported.

They live in :mod:`codex_python_sdk.events`; this module exists so ``from codex_python_sdk.types import
AgentResponse`` (seed code) keeps working. It is loaded only when imported by this path.
"""

from __future__ import annotations

from .events import AgentResponse, CommandExecEvent, ResponseEvent

__all__ = ["AgentResponse", "CommandExecEvent", "ResponseEvent"]

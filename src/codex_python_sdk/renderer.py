"""The seed's ``codex_python_sdk.renderer`` module path: the ``codex exec``-style renderer, re-exported.

It lives in :mod:`codex_python_sdk.render`; this module exists so seed imports keep working. It is loaded
only when imported by this path.
"""

from __future__ import annotations

from .events import ResponseEvent
from .render import ExecStyleRenderer, render_exec_style_events

__all__ = ["ExecStyleRenderer", "ResponseEvent", "render_exec_style_events"]

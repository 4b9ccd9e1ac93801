"""Rendering a turn's events for people: the seed's ``codex exec``-style text renderer.

:class:`ExecStyleRenderer` / :func:`render_exec_style_events` print a turn the way ``codex exec`` does (see
``render._exec`` for the format). Features layer: it reads events and never talks to a client.
"""

from ._exec import ExecStyleRenderer, render_exec_style_events, resolve_color_mode

__all__ = ["ExecStyleRenderer", "render_exec_style_events", "resolve_color_mode"]

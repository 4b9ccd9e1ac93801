"""Rendering a turn's events for people.

- :class:`LiveRenderer` / :func:`render_live_events`: the live view — on a terminal, streaming Markdown,
  spinners, approvals with their decision, coloured diffs and a per-turn footer (drawn with ``rich``,
  loaded only then); plain text lines elsewhere. See ``render._live``.
- :class:`ExecStyleRenderer` / :func:`render_exec_style_events`: the seed's ``codex exec``-style text
  (see ``render._exec`` for the format).

Features layer: renderers read events and never talk to a client.
"""

from ._exec import ExecStyleRenderer, render_exec_style_events, resolve_color_mode
from ._live import LiveRenderer, render_live_events, resolve_live_view

__all__ = [
    "ExecStyleRenderer",
    "LiveRenderer",
    "render_exec_style_events",
    "render_live_events",
    "resolve_color_mode",
    "resolve_live_view",
]

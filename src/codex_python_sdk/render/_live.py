"""Show a turn the way a person wants to watch it: :class:`LiveRenderer` and :func:`render_live_events`.

::

    from codex_python_sdk.render import render_live_events

    with create_client() as client:
        render_live_events(client.responses_events(prompt="Tidy up main.py"))

On a terminal the view is live (drawn with ``rich``): the agent's answer streams in as Markdown, a spinner
runs while a command, a tool or an approval is under way, each approval is shown with its decision (and
who took it, when told with :meth:`LiveRenderer.decided`), file changes with their coloured diff, finished
commands with their exit code and output, tool calls with their result, and every turn ends with a footer:
status, time and the turn's tokens. Anywhere else the same things are written as plain text lines, with
the text streamed as it arrives and without loading ``rich`` at all (it costs ~80 ms to import).

Which view (``view="auto"``, the default): ``TERM=dumb`` gives plain text; otherwise a terminal gets the
live view, without colour when ``NO_COLOR`` is set to anything; when the output is not a terminal,
``CLICOLOR_FORCE`` set to anything but ``0`` (and no ``NO_COLOR``) gives the coloured view without
animation (each block appears when it is finished), else plain text. ``view="live"``, ``"styled"`` or
``"plain"`` force one.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterable, Coroutine, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, TextIO, overload

from ..events import ResponseEvent
from ._drive import drive
from ._turn import Block, TurnReader

if TYPE_CHECKING:
    from ._rich_view import RichView

__all__ = ["LiveRenderer", "render_live_events", "resolve_live_view"]

_VIEWS = ("live", "styled", "plain")


def resolve_live_view(view: str = "auto", file: Any = None) -> str:
    """``"live"``, ``"styled"`` or ``"plain"``: what ``view`` (see the module docstring) means on ``file``."""
    if view in _VIEWS:
        return view
    env = os.environ
    if env.get("TERM") == "dumb":
        return "plain"
    try:
        tty = bool(file.isatty())
    except Exception:  # a closed, detached or odd stream is not a terminal
        tty = False
    if tty:
        return "live"
    force = env.get("CLICOLOR_FORCE")
    return "styled" if force and force != "0" and not env.get("NO_COLOR") else "plain"


class PlainView:
    """Plain text lines: streamed text inline after ``thinking:`` / ``assistant:``, one line per block."""

    _PREFIX: ClassVar[dict[str, str]] = {"reasoning": "thinking: ", "message": "assistant: "}

    def __init__(self, file: TextIO) -> None:
        """Write to ``file``."""
        self.file = file
        self._inline: tuple[str, str] | None = None  # (kind, item) of the half-written line
        self._streamed: set[str] = set()

    def _end_line(self) -> None:
        if self._inline is not None:
            self.file.write("\n")
            self._inline = None

    def stream(self, kind: str, item_id: str, delta: str) -> None:
        """Write ``delta`` after the item's prefix (a new line when another item was being written)."""
        if self._inline != (kind, item_id):
            self._end_line()
            self.file.write(self._PREFIX.get(kind, ""))
            self._inline = (kind, item_id)
        self._streamed.add(item_id)
        self.file.write(delta)
        self.file.flush()

    def stream_done(self, kind: str, item_id: str, text: str) -> None:
        """End the item's line; write its text if none of it was streamed."""
        if item_id in self._streamed:
            self._streamed.discard(item_id)
            if self._inline == (kind, item_id):
                self._end_line()
        elif text:
            self._end_line()
            self.file.write(f"{self._PREFIX.get(kind, '')}{text}\n")
        self.file.flush()

    def busy(self, key: str, label: str) -> None:
        """Nothing: plain output shows things when they are finished."""

    def idle(self, key: str) -> None:
        """Nothing (see :meth:`busy`)."""

    def block(self, block: Block) -> None:
        """One line for the block, its output or diff indented below."""
        self._end_line()
        kind, title, detail = block.kind, block.title, block.detail
        if kind == "approval":
            line = f"{title} -> {detail}"
        elif kind == "tool":
            line = f"tool: {title}" + (f"  [{detail}]" if detail else "")
        elif kind in ("warning", "error"):
            line = f"{kind}: {title}"
        elif kind == "prompt":
            line = f"you: {title}"
        elif kind == "footer":
            line = f"-- {title} --" + (f"\nerror: {detail}" if detail else "")
        else:
            line = title + (f"  [{detail}]" if detail else "")
        self.file.write(line + "\n")
        if block.body:
            self.file.write("".join(f"    {text}\n" for text in block.body.splitlines()))
        self.file.flush()

    def pause(self) -> None:
        """End a half-written line (someone else is about to write)."""
        self._end_line()
        self.file.flush()

    def resume(self) -> None:
        """Nothing to restore."""

    def close(self) -> None:
        """End a half-written line."""
        self.pause()


class LiveRenderer:
    """Shows a turn's events as they arrive: live on a terminal, plain text elsewhere (see the module).

    Call :meth:`render` for each event and :meth:`finish` at the end (or use it as a context manager).
    Options: ``file`` (default ``sys.stdout``), ``view`` (``auto``, ``live``, ``styled``, ``plain``),
    ``show_reasoning``, ``show_prompt`` (the user's message too), ``cwd`` (paths under it are shown
    relative; default the current directory), ``width`` (columns of the rich views; default the
    terminal's), ``console`` (a ``rich.console.Console`` to draw on instead, e.g. one made with
    ``record=True`` to save the view as SVG or HTML).

    Thread-safe: hooks, which run in worker threads, may call :meth:`decided` (so that approvals show who
    decided them) and use :meth:`suspended` to ask the user something without the live view in the way.
    """

    def __init__(
        self,
        file: TextIO | None = None,
        *,
        view: str = "auto",
        show_reasoning: bool = True,
        show_prompt: bool = False,
        cwd: str | None = None,
        width: int | None = None,
        console: Any = None,
    ) -> None:
        self.file: TextIO = file if file is not None else sys.stdout
        if console is not None:
            self.view = "live" if console.is_interactive else "styled"
        else:
            self.view = resolve_live_view(view, self.file)
        self._view: PlainView | RichView
        if self.view == "plain":
            self._view = PlainView(self.file)
        else:
            from ._rich_view import RichView  # rich loads only for a view that draws with it

            no_color = bool(os.environ.get("NO_COLOR"))
            self._view = RichView(
                self.file, interactive=self.view == "live", no_color=no_color, width=width, console=console
            )
        self._reader = TurnReader(self._view, show_reasoning, cwd or os.getcwd(), show_prompt)
        self._finished = False

    @property
    def console(self) -> Any:
        """The ``rich`` console drawn on (None for plain text)."""
        return getattr(self._view, "console", None)

    def render(self, event: ResponseEvent) -> None:
        """Show one event."""
        self._reader.render(event)

    def decided(self, request_id: str | int | None, decision: str, by: str | None = None) -> None:
        """Tell the view how the server request ``request_id`` was decided (``"accept"``, ``"decline"``
        ...) and by whom (``"rule 'ls'"``, ``"you"``); shown with the approval when it is resolved.
        Without it an approval shows the outcome the item reports (accepted or declined)."""
        self._reader.decided(request_id, decision, by)

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """Hold the view still (no animation, no output) while the caller writes to or reads from the
        terminal, e.g. an approval prompt; events that arrive meanwhile wait."""
        with self._reader._lock:
            self._view.pause()
            try:
                yield
            finally:
                self._view.resume()

    def finish(self) -> None:
        """Stop animations and end a half-written line (calling it twice is harmless)."""
        if not self._finished:
            self._finished = True
            with self._reader._lock:
                self._view.close()

    def __enter__(self) -> LiveRenderer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.finish()


@overload
def render_live_events(events: Iterable[ResponseEvent], **options: Any) -> None: ...
@overload
def render_live_events(events: AsyncIterable[ResponseEvent], **options: Any) -> Coroutine[Any, Any, None]: ...
def render_live_events(
    events: Iterable[ResponseEvent] | AsyncIterable[ResponseEvent], **options: Any
) -> Coroutine[Any, Any, None] | None:
    """Show every event of ``events`` with a :class:`LiveRenderer` (``options`` are its constructor's).

    A sync iterable is shown now; an async one gives a coroutine to ``await``. The view is finished and
    the iterator closed (which interrupts a turn left early) even when the stream raises.
    """
    return drive(LiveRenderer(**options), events)

"""The ``rich`` drawing of :class:`~codex_python_sdk.render.LiveRenderer` (imported only when it draws).

Finished blocks are printed once, above a live region that holds what is still happening: the text
streaming in (the answer as Markdown, reasoning dimmed) and a spinner per running command, tool or
approval. The live region is transient: when the turn ends only the finished blocks remain. Without a
terminal (``interactive=False``, e.g. ``CLICOLOR_FORCE`` into a file) there is no live region: each block
appears, coloured, when it is finished.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markdown import Markdown
from rich.padding import Padding
from rich.rule import Rule
from rich.spinner import Spinner
from rich.text import Text

from ._turn import WORKING, Block

__all__ = ["RichView"]

_MARKS = {  # kind -> (mark when ok, mark when not, style of the title)
    "command": ("✓", "✗", "bold"),
    "file_change": ("✎", "✗", "bold"),
    "tool": ("⚙", "✗", "bold"),
    "approval": ("◆", "◆", "magenta"),
    "warning": ("!", "!", "yellow"),
    "error": ("✗", "✗", "red"),
}
_PROMPT_MARK = "❯ "  # noqa: RUF001  # the shell-prompt look is the point
_TAIL_MARGIN = 6  # lines of the terminal kept free below streaming text (spinners, prompt)


def _diff_text(diff: str) -> Text:
    text = Text()
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        else:
            style = "dim"
        text.append(line + "\n", style=style)
    text.rstrip()
    return text


class RichView:
    """Draws a turn on a ``rich`` console (see the module docstring)."""

    def __init__(
        self,
        file: TextIO,
        *,
        interactive: bool,
        no_color: bool = False,
        width: int | None = None,
        console: Console | None = None,
    ) -> None:
        """Draw on ``console``, or on a new one writing to ``file``."""
        self.console = console or Console(
            file=file,
            force_terminal=True,
            force_interactive=interactive,
            no_color=no_color,
            width=width,
            highlight=False,
        )
        self._lock = threading.Lock()  # guards the state below; never held while drawing
        self._streams: dict[str, tuple[str, list[str]]] = {}  # item -> (kind, chunks)
        self._spinners: dict[str, Spinner] = {}
        self._since: dict[str, float] = {}
        self._live: Live | None = None
        self._paused = False

    # -- the live region -----------------------------------------------------------------------------
    def _renderable(self) -> RenderableType:
        with self._lock:
            streams = [(kind, "".join(chunks)) for kind, chunks in self._streams.values()]
            spinners = [spinner for key, spinner in self._spinners.items() if key != WORKING]
            working = self._spinners.get(WORKING)
        if working is not None and not streams and not spinners:  # waiting for the model: say so
            elapsed = time.monotonic() - self._since.get(WORKING, time.monotonic())
            working.update(text=Text(f"working {elapsed:.0f} s", style="dim"))
            spinners = [working]
        room = max(self.console.height - _TAIL_MARGIN - len(spinners), 3)
        parts: list[RenderableType] = []
        for kind, text in streams:
            lines = text.splitlines()
            cut = len(lines) > room
            shown = "\n".join(lines[-room:]) if cut else text
            if cut:
                parts.append(Text("…", style="dim"))
            if kind == "message":
                parts.append(Markdown(shown))
            else:
                parts.append(Text("thinking: " + shown, style="dim italic"))
        parts.extend(spinners)
        return Group(*parts)

    def _start_live(self) -> None:
        if self._live is None and not self._paused and self.console.is_interactive:
            self._live = Live(
                console=self.console,
                get_renderable=self._renderable,
                refresh_per_second=12.5,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()

    def _stop_live(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.stop()

    # -- the View protocol ------------------------------------------------------------------------------
    def stream(self, kind: str, item_id: str, delta: str) -> None:
        """Add ``delta`` to the item's text in the live region."""
        with self._lock:
            entry = self._streams.get(item_id)
            if entry is None:
                entry = self._streams[item_id] = (kind, [])
            entry[1].append(delta)
        self._start_live()

    def stream_done(self, kind: str, item_id: str, text: str) -> None:
        """Print the item's whole text (the answer as Markdown) and drop it from the live region."""
        with self._lock:
            entry = self._streams.pop(item_id, None)
        text = text or ("".join(entry[1]) if entry else "")
        if not text:
            return
        if kind == "message":
            self.console.print(Markdown(text))
        else:
            self.console.print(Text("thinking: " + text, style="dim italic"))

    def busy(self, key: str, label: str) -> None:
        """A spinner with ``label`` in the live region."""
        with self._lock:
            self._spinners[key] = Spinner("dots", Text(label), style="cyan")
            self._since[key] = time.monotonic()
        self._start_live()

    def idle(self, key: str) -> None:
        """Remove the spinner ``key``."""
        with self._lock:
            self._spinners.pop(key, None)

    def block(self, block: Block) -> None:
        """Print a finished block."""
        if block.kind == "footer":
            style = "green" if block.ok else "red"
            self.console.print(Rule(Text(block.title, style=style), style=style))
            if block.detail:
                self.console.print(Text(block.detail, style="red"))
            return
        if block.kind == "prompt":
            self.console.print(Text.assemble((_PROMPT_MARK, "bold cyan"), (block.title, "bold")))
            return
        ok_mark, bad_mark, title_style = _MARKS.get(block.kind, ("•", "•", ""))
        mark_style = "green" if block.ok else "red"
        if block.kind in ("approval", "warning", "error"):
            mark_style = title_style
        line = Text.assemble((ok_mark if block.ok else bad_mark, mark_style), " ", (block.title, title_style))
        if block.detail:
            if block.kind == "approval":
                line.append(" → ", style="dim")
                line.append(block.detail, style="bold green" if block.ok else "bold red")
            else:
                line.append(f"  {block.detail}", style="dim")
        body: list[RenderableType] = []
        if block.body:
            shown = _diff_text(block.body) if block.body_kind == "diff" else Text(block.body, style="dim")
            body.append(Padding(shown, (0, 0, 0, 2)))
        self.console.print(Group(line, *body))

    def pause(self) -> None:
        """Stop the live region (its lines are cleared) until :meth:`resume`."""
        self._paused = True
        self._stop_live()

    def resume(self) -> None:
        """Bring the live region back if something is still under way."""
        self._paused = False
        with self._lock:
            active = bool(self._streams or self._spinners)
        if active:
            self._start_live()

    def close(self) -> None:
        """Stop the live region; print text that never completed."""
        self._stop_live()
        with self._lock:
            left = list(self._streams.items())
            self._streams.clear()
            self._spinners.clear()
        for item_id, (kind, chunks) in left:
            self.stream_done(kind, item_id, "".join(chunks))

"""Run named demo cases and report each as ``[PASS]``, ``[FAIL]`` or ``[SKIP]``, then a summary.

A case is a function returning a short description of what it checked. It raises :class:`Skip` when it
does not apply (with the reason), anything else when it failed. With ``strict`` the first failure stops the
run (:class:`StopRun`); the summary is printed either way and the exit status is 1 when any case failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

__all__ = ["CaseResult", "Runner", "Skip", "StopRun"]

_DETAIL_LIMIT = 160
_TAG_COLORS = {"PASS": "32", "FAIL": "1;31", "SKIP": "33", "INFO": "2"}  # SGR codes when colour is on


class Skip(Exception):
    """Raised by a case that does not apply here; the message is the reason shown after ``[SKIP]``."""


class StopRun(Exception):
    """Raised by :meth:`Runner.run` in strict mode after the first failure."""


@dataclass
class CaseResult:
    """The outcome of one case: ``status`` is ``PASS``, ``FAIL`` or ``SKIP``."""

    name: str
    status: str
    detail: str


def _one_line(text: str, limit: int = _DETAIL_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Runner:
    """Runs cases in order, printing one line per case to ``out``."""

    out: TextIO
    strict: bool = False
    before_case: Callable[[str], None] | None = None
    """Called with the case name before it runs (the fake model scripts its replies there)."""
    results: list[CaseResult] = field(default_factory=list)
    color: bool = False
    """Colour the ``[PASS]`` / ``[FAIL]`` / ``[SKIP]`` / ``[INFO]`` tags (ANSI)."""

    def _tag(self, status: str) -> str:
        if not self.color:
            return f"[{status}]"
        return f"\x1b[{_TAG_COLORS.get(status, '0')}m[{status}]\x1b[0m"

    def _record(self, name: str, status: str, detail: str) -> None:
        self.results.append(CaseResult(name, status, detail))
        self.out.write(f"{self._tag(status)} {name}: {detail}\n")
        self.out.flush()

    def run(self, name: str, case: Callable[[], str]) -> bool:
        """Run one case; True when it passed. In strict mode a failure raises :class:`StopRun`."""
        try:
            if self.before_case is not None:
                self.before_case(name)
            detail = case()
        except Skip as skip:
            self._record(name, "SKIP", _one_line(str(skip)))
            return False
        except Exception as exc:  # a demo reports every failure and goes on (unless strict)
            self.fail(name, exc)
            if self.strict:
                raise StopRun(name) from exc
            return False
        self._record(name, "PASS", _one_line(detail or "ok"))
        return True

    def fail(self, name: str, exc: BaseException) -> None:
        """Report a failure that happened outside a case (setting the demo up)."""
        message = str(exc).strip().splitlines()
        self._record(name, "FAIL", _one_line(f"{type(exc).__name__}: {message[0] if message else ''}"))

    def skip(self, name: str, reason: str) -> None:
        """Report a case that was not run."""
        self._record(name, "SKIP", _one_line(reason))

    def info(self, text: str) -> None:
        """Print an ``[INFO]`` line."""
        self.out.write(f"{self._tag('INFO')} {text}\n")
        self.out.flush()

    def count(self, status: str) -> int:
        """How many cases ended with ``status``."""
        return sum(1 for r in self.results if r.status == status)

    def summary(self, mode: str) -> int:
        """Print the summary block and return the exit status (1 when any case failed)."""
        failed = [r for r in self.results if r.status == "FAIL"]
        self.out.write("\n=== SUMMARY ===\n")
        self.out.write(
            f"mode={mode} total={len(self.results)} passed={self.count('PASS')} "
            f"failed={len(failed)} skipped={self.count('SKIP')}\n"
        )
        for result in failed:
            self.out.write(f"failed: {result.name}: {result.detail}\n")
        self.out.flush()
        return 1 if failed else 0

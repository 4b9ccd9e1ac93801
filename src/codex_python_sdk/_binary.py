"""Find the codex binary.

Order: the ``codex_command`` argument, the ``CODEX_PYTHON_SDK_CODEX`` environment variable, the binary
bundled by ``openai-codex-cli-bin`` (a dependency, so ``pip install codex-python-sdk`` is enough), and
``codex`` on PATH. An explicit choice (argument or variable) that does not work is an error, never silently
replaced by a later candidate; when nothing works, one error names all four.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

from .errors import AppServerConnectionError

__all__ = ["ENV_VAR", "ResolvedBinary", "resolve_codex_binary"]

ENV_VAR = "CODEX_PYTHON_SDK_CODEX"


@dataclass(frozen=True)
class ResolvedBinary:
    """The executable to run, where it came from, and directories to put first on the child's PATH."""

    path: str
    source: str
    path_prepend: tuple[str, ...] = field(default=())


def _usable(candidate: str) -> str | None:
    found = shutil.which(candidate)
    return found if found and os.access(found, os.X_OK) else None


def _bundled() -> tuple[ResolvedBinary | None, str]:
    try:
        import codex_cli_bin
    except ImportError:
        return None, "openai-codex-cli-bin is not installed"
    try:
        path = str(codex_cli_bin.bundled_codex_path())
    except (FileNotFoundError, OSError) as exc:
        return None, f"broken install: {exc}"
    if not os.access(path, os.X_OK):
        return None, f"{path} is not executable"
    extra = codex_cli_bin.bundled_path_dir()
    return ResolvedBinary(path, "bundled", (str(extra),) if extra else ()), path


def resolve_codex_binary(codex_command: str | None = None) -> ResolvedBinary:
    """Resolve the codex executable or raise :class:`AppServerConnectionError` explaining every step."""
    notes: list[str] = []
    if codex_command:
        found = _usable(codex_command)
        if found:
            return ResolvedBinary(found, "codex_command")
        notes.append(f"1. codex_command argument: {codex_command!r} is not an executable file")
        return _fail(notes, explicit=True)
    notes.append("1. codex_command argument: not given")

    env_value = os.environ.get(ENV_VAR)
    if env_value:
        found = _usable(env_value)
        if found:
            return ResolvedBinary(found, ENV_VAR)
        notes.append(f"2. {ENV_VAR} environment variable: {env_value!r} is not an executable file")
        return _fail(notes, explicit=True)
    notes.append(f"2. {ENV_VAR} environment variable: not set")

    bundled, why = _bundled()
    if bundled is not None:
        return bundled
    notes.append(f"3. bundled binary (openai-codex-cli-bin): {why}")

    found = _usable("codex")
    if found:
        return ResolvedBinary(found, "PATH")
    notes.append("4. `codex` on PATH: not found")
    return _fail(notes, explicit=False)


_STEPS = (
    "1. codex_command argument",
    f"2. {ENV_VAR} environment variable",
    "3. bundled binary (openai-codex-cli-bin)",
    "4. `codex` on PATH",
)


def _fail(notes: list[str], *, explicit: bool) -> ResolvedBinary:
    # Name all four steps, also those never reached because an explicit choice failed first.
    notes = notes + [f"{step}: not tried (an explicit choice above failed)" for step in _STEPS[len(notes) :]]
    lines = ["No usable codex binary. Resolution order:", *("  " + n for n in notes)]
    if not explicit:
        lines.append("Install it with `pip install openai-codex-cli-bin==0.163.0`, or pass codex_command=...")
    raise AppServerConnectionError("\n".join(lines))

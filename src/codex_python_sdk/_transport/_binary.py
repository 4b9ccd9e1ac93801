"""Find the codex binary.

Order: the ``codex_command`` argument, the ``CODEX_PYTHON_SDK_CODEX`` environment variable, the binary
bundled by ``openai-codex-cli-bin`` (a dependency, so ``pip install codex-python-sdk`` is enough), and
``codex`` on PATH. An explicit choice (argument or variable) that does not work is an error, never silently
replaced by a later candidate; when nothing works, one error names all four.
"""

from __future__ import annotations

import os

from ..errors import AppServerConnectionError

__all__ = ["ENV_VAR", "ResolvedBinary", "resolve_codex_binary"]

ENV_VAR = "CODEX_PYTHON_SDK_CODEX"


class ResolvedBinary:
    """The executable to run, where it came from, and directories to put first on the child's PATH.

    (A plain class, not a dataclass: this module runs before codex starts, where every import counts.)
    """

    __slots__ = ("path", "path_prepend", "source")

    def __init__(self, path: str, source: str, path_prepend: tuple[str, ...] = ()) -> None:
        self.path = path
        self.source = source
        self.path_prepend = path_prepend

    def __repr__(self) -> str:
        return (
            f"ResolvedBinary(path={self.path!r}, source={self.source!r}, path_prepend={self.path_prepend!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResolvedBinary):
            return NotImplemented
        return (self.path, self.source, self.path_prepend) == (other.path, other.source, other.path_prepend)

    __hash__ = None  # type: ignore[assignment]


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _usable(candidate: str) -> str | None:
    """Like ``shutil.which`` (a path is checked as is, a bare name is looked up on PATH)."""
    if os.path.dirname(candidate):
        return os.path.abspath(candidate) if _is_executable(candidate) else None
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(directory or os.curdir, candidate)
        if _is_executable(path):
            return path
    return None


def _bundled() -> tuple[ResolvedBinary | None, str]:
    # Locate the package without importing it (its module pulls in pathlib): bin/codex and codex-path/
    # sit next to its __init__.py, as its own bundled_codex_path() / bundled_path_dir() say.
    from importlib.util import find_spec

    spec = find_spec("codex_cli_bin")
    if spec is None or not spec.origin:
        return None, "openai-codex-cli-bin is not installed"
    package = os.path.dirname(spec.origin)
    path = os.path.join(package, "bin", "codex.exe" if os.name == "nt" else "codex")
    if not _is_executable(path):
        return None, f"broken install: no executable {path}"
    extra = os.path.join(package, "codex-path")
    return ResolvedBinary(path, "bundled", (extra,) if os.path.isdir(extra) else ()), path


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

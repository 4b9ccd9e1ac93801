"""``codex-python-sdk doctor`` (also ``codex-python-sdk-demo doctor``): is the setup usable?

Checks, in order: which codex binary the SDK resolves and by which step (``codex_command``,
``$CODEX_PYTHON_SDK_CODEX``, the bundled ``openai-codex-cli-bin``, ``codex`` on PATH); its ``--version``;
whether ``codex app-server`` starts and answers ``initialize``; and which account it sees. Nothing is
written and no model is called. Exit status 0 when the app-server initialized, 1 otherwise.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
from collections.abc import Sequence
from typing import TextIO

__all__ = ["main", "run_doctor"]

_STEP_NAMES = {
    "codex_command": "1. the codex_command argument",
    "CODEX_PYTHON_SDK_CODEX": "2. the CODEX_PYTHON_SDK_CODEX environment variable",
    "bundled": "3. the binary bundled with openai-codex-cli-bin",
    "PATH": "4. `codex` on PATH",
}


def _line(out: TextIO, mark: str, label: str, text: str) -> None:
    out.write(f"[{mark}] {label}: {text}\n")
    out.flush()


def run_doctor(out: TextIO, *, codex_command: str | None = None, timeout: float = 30.0) -> int:
    """Print the checks to ``out``; return 0 when the app-server initialized, else 1."""
    from .._transport._binary import resolve_codex_binary
    from .._version import __version__
    from ..errors import CodexAgenticError

    _line(out, "info", "python", f"{platform.python_version()} ({sys.executable})")
    _line(out, "info", "codex-python-sdk", __version__)
    try:
        binary = resolve_codex_binary(codex_command)
    except CodexAgenticError as exc:
        _line(out, "FAIL", "codex binary", str(exc))
        return 1
    step = _STEP_NAMES.get(binary.source, binary.source)
    _line(out, "ok", "codex binary", f"{binary.path} (found by {step})")
    try:
        done = subprocess.run([binary.path, "--version"], capture_output=True, text=True, timeout=timeout)
        text = (done.stdout or done.stderr).strip() or f"exit status {done.returncode}"
        _line(out, "ok" if done.returncode == 0 else "FAIL", "codex --version", text)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _line(out, "FAIL", "codex --version", f"{type(exc).__name__}: {exc}")

    from .._client._sync import CodexAgenticClient

    client = CodexAgenticClient(codex_command=binary.path, request_timeout_seconds=timeout)
    try:
        try:
            client.connect()
        except CodexAgenticError as exc:
            _line(out, "FAIL", "app-server", f"{type(exc).__name__}: {exc}")
            for tail in client.stderr_tail()[-10:]:
                out.write(f"    {tail}\n")
            return 1
        _line(out, "ok", "app-server", f"initialized; user agent {client.user_agent}")
        _line(out, "info", "CODEX_HOME", str(client.server_info.get("codexHome")))
        try:
            result = client.account_read(refresh_token=False)
            kind = result["account"]["type"] if result["account"] else None
            needs = result["requiresOpenaiAuth"]
            mark = "ok" if kind or not needs else "warn"  # a missing login is not a broken setup
            _line(out, mark, "account", f"{kind or 'not logged in'} (requires OpenAI auth: {needs})")
        except CodexAgenticError as exc:
            _line(out, "warn", "account", f"{type(exc).__name__}: {exc}")
    finally:
        client.close()
    return 0


def main(argv: Sequence[str] | None = None, prog: str = "codex-python-sdk doctor") -> int:
    """``doctor [--codex PATH]``; returns the exit status."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--codex", help="check this codex executable instead of the resolved one")
    args = parser.parse_args(list(argv or []))
    return run_doctor(sys.stdout, codex_command=args.codex)

"""What a user's type checker sees: a typical program type-checks with no ``Any`` reaching it, and common
mistakes (a wrong hook, ``prompt=42``) are errors in the user's program."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

TYPING = Path(__file__).resolve().parents[1] / "typing"


def _mypy(path: Path, *flags: str) -> str:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--config-file",
            "/dev/null",
            *flags,
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout + proc.stderr


def test_a_typical_program_sees_no_any() -> None:
    # --disallow-any-expr: any expression of type Any in the user's code is an error.
    out = _mypy(TYPING / "user_program.py", "--disallow-any-expr")
    assert "Success: no issues found" in out, out


def test_wrong_hooks_and_arguments_are_errors_in_the_users_program() -> None:
    path = TYPING / "user_errors.py"
    out = _mypy(path)
    expected = {i for i, line in enumerate(path.read_text().splitlines(), 1) if line.endswith("# error")}
    reported = {int(m.group(1)) for m in re.finditer(rf"{re.escape(path.name)}:(\d+): error", out)}
    assert expected and expected <= reported, out
    assert reported <= expected, out  # nothing else is flagged: the rest of the program is fine

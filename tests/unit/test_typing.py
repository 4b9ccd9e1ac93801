"""A user's program that streams turns type-checks under ``mypy --strict`` with no ``Any`` in sight.

``tests/typing/stream_typed.py`` is checked the way a user's code is: from outside the project (no
``pyproject.toml`` settings), with the SDK as an installed, typed package, and with
``--disallow-any-expr`` so that any expression of type ``Any`` in the program is an error. Each of its
``reveal_type`` lines names the type mypy must reveal.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from codex_python_sdk.events import EVENT_CLASSES

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "tests" / "typing" / "stream_typed.py"
# The union every stream yields, as mypy spells it (module paths left out).
TYPED_EVENT = " | ".join([*(cls.__name__ for cls in EVENT_CLASSES.values()), "UnknownEvent"])


def _without_modules(revealed: str) -> str:
    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", revealed)


def test_streamed_events_narrow_by_type_and_reveal_no_any(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--disallow-any-expr", "--no-error-summary",
            # A cache of its own (the options differ from the project's): warm, the check takes a second.
            "--cache-dir", str(ROOT / ".mypy_cache" / "user-program"), str(PROGRAM),
        ],
        cwd=tmp_path,  # not the project: its mypy settings are not a user's
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    notes = re.findall(r':(\d+): note: Revealed type is "(.*)"', proc.stdout)
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert proc.returncode == 0 and not errors, proc.stdout + proc.stderr
    revealed = {int(line): _without_modules(text) for line, text in notes}
    expected = {
        number: line.split("#", 1)[1].strip()
        for number, line in enumerate(PROGRAM.read_text(encoding="utf-8").splitlines(), start=1)
        if line.strip().startswith("reveal_type(")
    }
    assert len(expected) > 20 and set(revealed) == set(expected)
    for number, want in expected.items():
        assert revealed[number] == (TYPED_EVENT if want == "TypedEvent" else want), f"line {number}"
        assert "Any" not in revealed[number], f"line {number}"

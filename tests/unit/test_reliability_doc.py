"""docs/reliability.md names, for each guarantee, the test that proves it: every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `tests/x.py::test_a`, and `::test_b` after it in the same cell for another test of the same file.
_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?::(test_\w+)`")


def test_every_test_the_reliability_doc_names_exists() -> None:
    doc = (ROOT / "docs" / "reliability.md").read_text()
    named: list[tuple[str, str]] = []
    for line in doc.splitlines():
        current = None
        for path, name in _REFERENCE.findall(line):
            current = path or current
            assert current is not None, f"'::{name}' follows no file in: {line[:80]}"
            named.append((current, name))
    assert len(named) > 40
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.MULTILINE)
    ]
    assert missing == []

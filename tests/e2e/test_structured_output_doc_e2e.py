"""docs/structured-output.md: its examples run verbatim, in order and in one namespace (as a reader runs
them), against the real app-server and the fake model (``create_client`` / ``create_async_client`` give
clients wired to it), and print what the scripted answers say."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import codex_python_sdk
from codex_python_sdk.testing import FakeModel, Reply

pytestmark = pytest.mark.e2e

DOC = Path(__file__).resolve().parents[2] / "docs" / "structured-output.md"


def _script(model: FakeModel) -> None:
    review = {"verdict": "ok", "findings": [{"file": "src/app.py", "line": 3, "problem": "unused import"}]}
    model.add(
        Reply.text(json.dumps(review), deltas=3),
        Reply.text('{"version": "2.0.0", "breaking": true}'),
        Reply.text('{"title": "Alien", "year": 1979}'),
        Reply.text('{"label": "bug"}'),
        Reply.text("Alien (1979), of course."),  # not JSON: repaired ...
        Reply.text('{"title": "Alien"}'),  # ... and still wrong
        Reply.text("A readme."),
        Reply.text("Five words about the readme."),
        Reply.text("En français", deltas=3),
        Reply.text("A BOLD README."),
        Reply.text("working on it", deltas=4).hang(after=3),  # steered while it streams
        Reply.text("done, with the API unchanged"),
        Reply.text("fn main", deltas=2).hang(),  # interrupted
    )


def test_the_examples_in_structured_output_md_run_and_print_what_they_say(
    codex_fake_model: FakeModel, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(codex_python_sdk, "create_client", codex_fake_model.client)
    monkeypatch.setattr(codex_python_sdk, "create_async_client", codex_fake_model.async_client)
    _script(codex_fake_model)
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert len(blocks) == 6
    module = types.ModuleType("structured_output_md")  # a real module: dataclasses and pydantic look it up
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace: dict[str, Any] = module.__dict__
    for index, block in enumerate(blocks):
        exec(compile(block, f"docs/structured-output.md block {index}", "exec", dont_inherit=True), namespace)

    assert capsys.readouterr().out.splitlines() == [
        "ok ['src/app.py:3']",
        "2.0.0 True",
        "Alien 1979",
        "{'label': 'bug'}",
        "no valid answer: $: missing required key 'year'",
        'the model wrote: {"title": "Alien"}',
        "True",
        "En français",
        "1",
        "completed",
        "interrupted",
    ]
    requests = codex_fake_model.requests
    assert all(r.text_format is not None for r in requests[:6])  # each output_type reached the model
    assert requests[0].text_format is not None and "findings" in requests[0].text_format["schema"]["required"]
    assert all(r.text_format is None for r in requests[6:])
    assert requests[11].prompts[-2:] == ["Refactor the parser.", "Keep the public API unchanged."]

"""Every ```python block of docs/observability.md, run as written, against the FakeModel.

The blocks are read from the page itself, so an example cannot drift from what is tested. Each runs in a
fresh interpreter (one sets the process-global tracer provider, which OpenTelemetry allows only once)
where ``codex_python_sdk.create_client`` makes a client of a FakeModel scripted for that block: the code
is the page's, only the model behind it is fake. A block the table below does not know fails the test,
so a new example needs its script here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

DOC = Path(__file__).resolve().parents[2] / "docs" / "observability.md"

# The run around each block: a FakeModel, create_client() wired to it, the block's script, the block.
HARNESS = """
import codex_python_sdk
from codex_python_sdk.testing import FakeModel, Reply

model = FakeModel().start()
codex_python_sdk.create_client = model.client  # what the page calls, backed by the fake
{script}
exec(compile({code!r}, "docs/observability.md:{line}", "exec"), {{"__name__": "__main__"}})
model.assert_all_consumed()
model.stop()
print("EXAMPLE OK")
"""

# (a line that marks the block, the FakeModel's script for it, what its output must show)
EXAMPLES: list[tuple[str, str, list[str]]] = [
    (
        "trace.set_tracer_provider(provider)",
        'model.add(Reply.text("fixed"))',
        # The console exporter prints the turn's span (at exit: a batch processor).
        ['"name": "invoke_agent codex"', '"gen_ai.operation.name": "invoke_agent"'],
    ),
    ("exporter = InMemorySpanExporter()", "", []),  # the page's FakeModel, asserts of its own
    (
        "print(result.turn_usage)",
        'model.add(Reply.text("a summary").with_usage(300, 20, cached_input_tokens=100))',
        [
            "Usage(input_tokens=300, cached_input_tokens=100, cache_write_input_tokens=0, output_tokens=20,"
            " reasoning_output_tokens=0, total_tokens=320)",
            "RateLimitSnapshot({'limitId': 'codex'",  # the fake reports rate limits like the real service
        ],
    ),
    (
        "except BudgetExceededError as exc:",
        # One response of 231,412 tokens crosses the call's 200,000; the next turn on the thread runs.
        'model.add(Reply.text("halfway").with_usage(230_000, 1_412), Reply.text("the parser"))',
        [
            "max_tokens 200000 231412",
            "Usage(input_tokens=230000, cached_input_tokens=0, cache_write_input_tokens=0, "
            "output_tokens=1412,",
        ],
    ),
]


def python_blocks() -> list[tuple[int, str]]:
    """(first line number, code) of every ```python block of the page."""
    text = DOC.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start(1)) + 1, m.group(1))
        for m in re.finditer(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)
    ]


def test_every_example_of_the_page_has_a_script() -> None:
    blocks = python_blocks()
    marked = [next((mark for mark, _, _ in EXAMPLES if mark in code), None) for _, code in blocks]
    assert None not in marked, "a new example in docs/observability.md needs its entry in EXAMPLES"
    assert sorted(m for m in marked if m) == sorted(mark for mark, _, _ in EXAMPLES)


@pytest.mark.parametrize(("mark", "script", "shows"), EXAMPLES, ids=[e[0][:30] for e in EXAMPLES])
def test_example(mark: str, script: str, shows: list[str]) -> None:
    ((line, code),) = [(line, code) for line, code in python_blocks() if mark in code]
    program = HARNESS.format(script=textwrap.dedent(script), code=code, line=line)
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "EXAMPLE OK" in proc.stdout, proc.stdout[-3000:]
    for expected in shows:
        assert expected in proc.stdout, proc.stdout[-3000:]

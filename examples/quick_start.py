"""Quick start: one turn, offline.

The real `codex app-server` runs one turn against the SDK's built-in fake model (no account, no network,
no tokens). With a real account, drop the FakeModel lines and use `create_client()` instead of
`model.client()`: everything else stays the same.

    python examples/quick_start.py
"""

from codex_python_sdk.testing import FakeModel, Reply

with FakeModel() as model:
    model.add(Reply.text("READY").with_usage(1200, 5))  # what the "model" answers the first request
    with model.client() as client:  # a CodexAgenticClient, like create_client() gives
        result = client.responses_create(prompt="Reply with exactly: READY")
        print("text:  ", result.text)
        print("status:", result.status)
        print("thread:", result.thread_id)
        print("items: ", [item["type"] for item in result.items])
        if result.usage is not None:
            print("tokens:", result.usage.total.total_tokens)

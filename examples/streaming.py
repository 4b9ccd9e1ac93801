"""Streaming: the agent's text as it arrives, then every event of a turn.

python examples/streaming.py
"""

from codex_python_sdk.testing import FakeModel, Reply

with FakeModel() as model, model.client() as client:
    model.add(Reply.text("One, two, three, four, five.", deltas=5))
    for chunk in client.responses_stream_text(prompt="Count to five"):
        print(chunk, end="|", flush=True)  # five chunks
    print()

    # Every event: thread/ready first, turn/completed last. Continue the same thread.
    model.add(Reply.items(Reply.reasoning(["Think first."]), Reply.text("Done.", deltas=2)))
    thread_id = client.thread_start().thread.id
    for event in client.responses_events(prompt="And now?", thread_id=thread_id):
        if event.type == "item/agentMessage/delta":
            print("delta:", repr(event.text_delta))
        elif event.type == "item/completed":
            print("item completed:", event.payload.item["type"])
        else:
            print(event.type)

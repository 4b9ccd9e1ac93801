"""Threads and turns end to end: steer, interrupt, fork, resume, read, list, archive, revert, compact, review.

One app-server per module for most tests; resume and listing use a home of their own (a second
client on the same CODEX_HOME, or a known number of threads). What reached the model is asserted
each time: the history a forked, resumed or reverted thread sends is the proof that it worked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import ResponseEvent, SessionNotFoundError
from codex_python_sdk.testing import Cassette, FakeModel, FakeModelClient, Reply

pytestmark = pytest.mark.e2e


def wait_until(predicate: Any, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def run_turns(client: FakeModelClient, model: FakeModel, *prompts: str, thread_id: str | None = None) -> str:
    """Run one turn per prompt on one thread (answered ``re: <prompt>``); return the thread id."""
    for prompt in prompts:
        model.add(Reply.text(f"re: {prompt}"))
        result = client.responses_create(prompt=prompt, thread_id=thread_id)
        assert result.text == f"re: {prompt}"
        thread_id = result.thread_id
    assert thread_id is not None
    return thread_id


def turn_id_of(events: Iterator[ResponseEvent]) -> str:
    for event in events:
        if event.type == "turn/started" and event.turn_id:
            return event.turn_id
    raise AssertionError("no turn/started")


# ------------------------------------------------------------------------------ steer and interrupt


def test_steer_mid_stream(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    held = Reply.text("never finished", deltas=4).hang(after=3)
    shared_model.add(held, Reply.text("steered answer"))

    events = shared_client.responses_events(prompt="first")
    turn_id = turn_id_of(events)
    assert held.wait_until_hanging(20)
    thread_id = shared_model.requests[0].thread_id
    assert thread_id is not None
    assert shared_client.turn_steer(thread_id, turn_id, "STEER")["turnId"] == turn_id
    rest = list(events)

    assert rest[-1].type == "turn/completed" and rest[-1].raw["params"]["turn"]["status"] == "completed"
    completed = [
        e.item for e in rest if e.type == "item/completed" and (e.item or {}).get("type") == "agentMessage"
    ]
    assert [item["text"] for item in completed if item] == ["steered answer"]
    first, second = shared_model.requests
    assert first.prompts == ["first"]
    assert second.prompts == ["first", "STEER"]  # the steered input reached the model in the same turn
    wait_until(lambda: first.disconnected, what="codex to drop the steered-over stream")


def test_interrupt_mid_stream(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    hanging = Reply.text("partial answer", deltas=2).hang()
    shared_model.add(hanging, Reply.text("after the interrupt"))

    events = shared_client.responses_events(prompt="long task")
    turn_id = turn_id_of(events)
    deltas = []
    for event in events:
        if event.type == "item/agentMessage/delta":
            deltas.append(event.text_delta)
            break
    assert hanging.wait_until_hanging(20)
    thread_id = shared_model.requests[0].thread_id
    assert thread_id is not None
    shared_client.turn_interrupt(thread_id, turn_id)
    rest = list(events)

    assert rest[-1].type == "turn/completed" and rest[-1].raw["params"]["turn"]["status"] == "interrupted"
    assert deltas == ["partial"]
    wait_until(lambda: shared_model.requests[0].disconnected, what="codex to hang up on the model")
    after = shared_client.responses_create(prompt="next", thread_id=thread_id)
    assert after.text == "after the interrupt"
    assert shared_model.requests[1].prompts == ["long task", "next"]


# ------------------------------------------------------------------------------ fork, read, revert


def test_fork_carries_the_history(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    source = run_turns(shared_client, shared_model, "alpha", "beta")

    forked = shared_client.thread_fork(source)
    fork_id = forked["thread"]["id"]
    assert fork_id != source and forked["thread"]["forkedFromId"] == source
    run_turns(shared_client, shared_model, "gamma", thread_id=fork_id)
    run_turns(shared_client, shared_model, "delta", thread_id=source)

    fork_request, source_request = shared_model.requests[2:]
    assert fork_request.thread_id == fork_id and fork_request.prompts == ["alpha", "beta", "gamma"]
    assert source_request.thread_id == source and source_request.prompts == ["alpha", "beta", "delta"]


def test_read_returns_typed_thread_with_turns(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    thread_id = run_turns(shared_client, shared_model, "one", "two")
    shared_client.thread_name_set(thread_id, "reading test")

    thread = shared_client.thread_read(thread_id, include_turns=True)

    assert thread["id"] == thread_id and thread.id == thread_id
    assert thread["preview"] == "one"
    assert thread["name"] == "reading test"
    assert [turn["status"] for turn in thread["turns"]] == ["completed", "completed"]
    assert shared_client.thread_read(thread_id)["turns"] == []


def test_thread_rollback_reverts_the_last_turn(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    thread_id = run_turns(shared_client, shared_model, "keep me", "drop me")

    shared_client.thread_rollback(thread_id, 1)

    turns = shared_client.thread_read(thread_id, include_turns=True)["turns"]
    assert len(turns) == 1
    run_turns(shared_client, shared_model, "after revert", thread_id=thread_id)
    assert shared_model.requests[-1].prompts == ["keep me", "after revert"]
    with pytest.raises(Exception, match="cannot roll back 5"):
        shared_client.thread_rollback(thread_id, 5)


# ------------------------------------------------------------------------------ archive


def test_archive_then_unarchive_then_a_new_turn_works(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    thread_id = run_turns(shared_client, shared_model, "before archiving")

    shared_client.thread_archive(thread_id)
    archived = [t["id"] for t in shared_client.thread_list(archived=True)]
    assert thread_id in archived
    assert thread_id not in [t["id"] for t in shared_client.thread_list()]
    shared_client.thread_unarchive(thread_id)

    run_turns(shared_client, shared_model, "after unarchiving", thread_id=thread_id)
    assert shared_model.requests[-1].prompts == ["before archiving", "after unarchiving"]
    assert thread_id not in [t["id"] for t in shared_client.thread_list(archived=True)]


def test_a_turn_on_an_archived_thread_raises_session_not_found(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    thread_id = run_turns(shared_client, shared_model, "to be archived")
    shared_client.thread_archive(thread_id)

    with pytest.raises(SessionNotFoundError, match="archived"):
        shared_client.responses_create(prompt="too late", thread_id=thread_id)
    assert len(shared_model.requests) == 1  # nothing reached the model


# ------------------------------------------------------------------------------ compact and review


def test_compact(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    thread_id = run_turns(shared_client, shared_model, "a long conversation")
    shared_model.on_compaction("SUMMARY OF THE THREAD")
    done = shared_client.notifications(methods=["turn/completed"], thread_id=thread_id)

    shared_client.thread_compact_start(thread_id)
    completed = next(iter(done))

    assert completed.raw["params"]["turn"]["status"] == "completed"
    (compaction,) = shared_model.compaction_requests
    assert compaction.thread_id == thread_id
    run_turns(shared_client, shared_model, "continue", thread_id=thread_id)
    last = shared_model.turn_requests[-1]
    assert any("SUMMARY OF THE THREAD" in text for text in last.user_texts + last.messages("assistant"))


def test_review(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    thread_id = run_turns(shared_client, shared_model, "write some code")
    shared_model.add(Reply.text("Looks fine; one nit in main.py."))
    events = shared_client.notifications(methods=["item/completed", "turn/completed"], thread_id=thread_id)

    started = shared_client.review_start(thread_id, {"type": "custom", "instructions": "review the code"})
    review_turn = started["turn"]["id"]
    seen = []
    for event in events:
        seen.append(event)
        if event.type == "turn/completed" and event.turn_id == review_turn:
            break

    items = [e.item for e in seen if e.item is not None]
    exited = [item for item in items if item["type"] == "exitedReviewMode"]
    assert exited and exited[0]["review"] == "Looks fine; one nit in main.py."
    assert seen[-1].raw["params"]["turn"]["status"] == "completed"
    assert "review the code" in (shared_model.requests[-1].last_user_text or "")


# ------------------------------------------------------------------------------ resume (a second client)


@pytest.fixture
def own_home(shared_model: FakeModel) -> Iterator[Any]:
    with shared_model.home() as home:
        yield home


def test_resume_in_a_new_client_sends_only_what_was_asked(
    own_home: Any, shared_model: FakeModel, tmp_path: Path
) -> None:
    with own_home.client() as first:
        thread_id = run_turns(first, shared_model, "remember 42")

    cassette = tmp_path / "resume.jsonl"
    with own_home.client(record=cassette) as second:
        run_turns(second, shared_model, "what did I say?", thread_id=thread_id)
        shared_model.add(Reply.text("and again"))
        second.responses_create(prompt="once more", thread_id=thread_id)  # loaded now: no second resume
    with own_home.client(record=tmp_path / "resume2.jsonl") as third:
        shared_model.add(Reply.text("never asked"))
        third.responses_create(
            prompt="quietly", thread_id=thread_id, thread_params={"approvalPolicy": "never"}
        )

    (resume,) = Cassette.load(cassette).requests("thread/resume")
    assert resume.params == {"threadId": thread_id}
    (resume,) = Cassette.load(tmp_path / "resume2.jsonl").requests("thread/resume")
    assert resume.params == {"threadId": thread_id, "approvalPolicy": "never"}
    assert shared_model.requests[1].prompts == ["remember 42", "what did I say?"]
    assert shared_model.requests[-1].prompts == ["remember 42", "what did I say?", "once more", "quietly"]
    assert (
        "approval policy is currently never"
        in " ".join(shared_model.requests[-1].messages("developer")).lower()
    )


# ------------------------------------------------------------------------------ listing


def test_list_with_pagination_and_iter_threads(own_home: Any, shared_model: FakeModel) -> None:
    with own_home.client() as client:
        ids = [run_turns(client, shared_model, f"thread {n}") for n in range(3)]

        first = client.thread_list(limit=2)
        assert len(first) == 2 and first.next_cursor
        second = client.thread_list(limit=2, cursor=first.next_cursor)
        listed = [t["id"] for t in first] + [t["id"] for t in second]
        every = [t["id"] for t in client.iter_threads(page_size=2)]

    assert sorted(listed) == sorted(ids) and len(set(listed)) == 3
    assert sorted(every) == sorted(ids)
    assert listed[0] == ids[-1]  # newest first

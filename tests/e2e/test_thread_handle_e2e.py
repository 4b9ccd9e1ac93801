"""Thread handles end to end: the real app-server, the fake model. A handle runs turns on its one thread,
steers and interrupts the running turn without being told its id, forks and reverts; what reached the
model is the proof each time."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from codex_python_sdk import AgentResponse, Budget, BudgetExceededError
from codex_python_sdk.testing import FakeModel, FakeModelClient, Reply

pytestmark = pytest.mark.e2e


def test_a_handle_runs_turns_on_one_thread(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    shared_model.add(Reply.text("first answer"), Reply.text("second answer"))
    handle = shared_client.thread(sandbox="read-only", approval_policy="never")

    first = handle.run("one")
    second = handle.run("two")

    assert (first.text, second.text) == ("first answer", "second answer")
    assert handle.id == first.thread_id == second.thread_id
    one, two = shared_model.requests
    assert one.thread_id == two.thread_id == handle.id and two.prompts == ["one", "two"]
    thread = handle.read(include_turns=True)
    assert [turn.id for turn in thread.turns] == [first.turn_id, second.turn_id]


def test_steer_reaches_the_running_turn(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    held = Reply.text("never finished", deltas=4).hang(after=3)
    shared_model.add(held, Reply.text("steered answer"))
    handle = shared_client.thread()
    results: list[AgentResponse] = []
    runner = threading.Thread(target=lambda: results.append(handle.run("first")))
    runner.start()

    assert held.wait_until_hanging(20)
    steered = handle.steer("STEER")
    runner.join(30)

    (result,) = results
    assert steered["turnId"] == result.turn_id and result.text == "steered answer"
    first, second = shared_model.requests
    assert first.prompts == ["first"] and second.prompts == ["first", "STEER"]  # the same turn, steered


def test_interrupt_stops_the_running_turn_and_the_thread_goes_on(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    hanging = Reply.text("partial answer", deltas=2).hang()
    shared_model.add(hanging, Reply.text("after the interrupt"))
    handle = shared_client.thread()

    events = handle.events("long task")
    for event in events:
        if event.type == "item/agentMessage/delta":
            break
    assert hanging.wait_until_hanging(20)
    assert handle.interrupt() == {}
    rest = list(events)

    assert rest[-1].type == "turn/completed" and rest[-1].raw["params"]["turn"]["status"] == "interrupted"
    assert handle.interrupt() is None  # nothing runs any more
    assert handle.run("next").text == "after the interrupt"
    assert shared_model.requests[1].prompts == ["long task", "next"]


def test_fork_and_revert(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    for text in ("a", "b", "c", "d"):
        shared_model.add(Reply.text(f"re: {text}"))
    handle = shared_client.thread()
    handle.run("alpha")
    kept = handle.run("beta")

    fork = handle.fork()
    fork.run("gamma")
    handle.revert(kept.turn_id)
    handle.run("delta")

    assert fork.id not in (None, handle.id)
    assert shared_model.requests[2].thread_id == fork.id and shared_model.requests[2].prompts == [
        "alpha",
        "beta",
        "gamma",
    ]
    assert shared_model.requests[3].prompts == ["alpha", "delta"]  # beta was reverted


def test_the_async_handle_steers_and_interrupts(codex_fake_model: FakeModel) -> None:
    held = Reply.text("never finished", deltas=4).hang(after=3)
    codex_fake_model.add(held, Reply.text("steered"), Reply.text("stopped", deltas=2).hang())

    async def main() -> tuple[AgentResponse, AgentResponse]:
        async with codex_fake_model.async_client() as client:
            handle = client.thread()
            task = asyncio.create_task(handle.run("one"))
            await asyncio.to_thread(held.wait_until_hanging, 20)
            await handle.steer("two")
            steered = await task
            task = asyncio.create_task(handle.run("three"))
            await asyncio.to_thread(lambda: codex_fake_model.wait_for_requests(3))
            await handle.interrupt()
            return steered, await task

    steered, interrupted = asyncio.run(main())

    assert steered.text == "steered" and interrupted.status == "interrupted"
    assert codex_fake_model.requests[1].prompts == ["one", "two"]


def test_a_budget_on_a_handles_run_stops_a_runaway_turn(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    shared_model.add(Reply.text("thinking forever", deltas=2).hang(), Reply.text("back"))
    handle = shared_client.thread()

    started = time.monotonic()
    with pytest.raises(BudgetExceededError) as caught:
        handle.run("go on and on", budget=Budget(max_seconds_per_turn=1.0))

    assert caught.value.budget == "max_seconds_per_turn" and time.monotonic() - started < 5
    assert handle.run("still there?").text == "back"  # the turn was interrupted; the thread goes on

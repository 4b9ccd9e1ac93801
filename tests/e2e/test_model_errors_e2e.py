"""Model failures end to end: what each one looks like to the client, and what reached the model.

HTTP 500 / 429 / 401 / 400, ``response.failed``, a cut stream and malformed SSE, each mapped to a
``TurnFailedError`` (``TurnAuthError`` for 401) carrying Codex's ``codexErrorInfo`` and the turn's
``failed`` status; then provider retries, which hide or announce failures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from codex_python_sdk import TurnAuthError, TurnFailedError
from codex_python_sdk.testing import AsyncFakeModelClient, FakeModel, FakeModelClient, Reply

pytestmark = pytest.mark.e2e

CASES: list[tuple[str, Reply, type[TurnFailedError], Any, str]] = [
    ("http-500", Reply.server_error("boom"), TurnFailedError, "internalServerError", "high demand"),
    (
        "http-429-rate-limit",
        Reply.rate_limited(),
        TurnFailedError,
        {"responseTooManyFailedAttempts": {"httpStatusCode": 429}},
        "429 Too Many Requests",
    ),
    (
        "http-429-quota",
        Reply.rate_limited(quota=True),
        TurnFailedError,
        "usageLimitExceeded",
        "Quota exceeded",
    ),
    (
        "http-401",
        Reply.unauthorized(),
        TurnAuthError,
        {"httpConnectionFailed": {"httpStatusCode": 401}},
        "401 Unauthorized",
    ),
    ("http-400", Reply.bad_request("this request is bad"), TurnFailedError, "other", "this request is bad"),
    ("context-length", Reply.context_length_exceeded(), TurnFailedError, "other", "context_length_exceeded"),
    ("response-failed", Reply.failed("model melted"), TurnFailedError, "other", "model melted"),
    ("stream-cut", Reply.text("partial", deltas=2).cut(), TurnFailedError, "other", "response.completed"),
    ("malformed-sse", Reply.raw("data: {not json\n\n"), TurnFailedError, "other", "stream"),
]


@pytest.mark.parametrize(
    ("reply", "error_class", "info", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_model_error_fails_the_turn(
    shared_client: FakeModelClient,
    shared_model: FakeModel,
    reply: Reply,
    error_class: type[TurnFailedError],
    info: Any,
    message: str,
) -> None:
    shared_model.add(reply, Reply.text("recovered"))

    with pytest.raises(TurnFailedError) as caught:
        shared_client.responses_create(prompt="fail please")

    error = caught.value
    assert type(error) is error_class
    assert error.codex_error_info == info
    assert error.turn_error is not None and message in error.turn_error["message"]
    assert error.response.status == "failed" and error.response.error == error.turn_error
    assert error.thread_id and error.turn_id
    assert len(shared_model.requests) == 1  # retries are off: exactly one model call
    assert shared_model.requests[0].prompts == ["fail please"]
    # The thread is idle again and takes new turns.
    again = shared_client.responses_create(prompt="again", thread_id=error.thread_id)
    assert again.text == "recovered"
    assert shared_model.requests[1].prompts == ["fail please", "again"]


def test_failure_events_and_partial_output_before_the_error(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    shared_model.add(Reply.text("half an answer", deltas=2).cut())
    seen = []

    with pytest.raises(TurnFailedError) as caught:
        for event in shared_client.responses_events(prompt="stream then die"):
            seen.append(event)

    types = [event.type for event in seen]
    assert types[0] == "thread/ready" and types[-1] == "turn/completed"
    assert (
        "".join(e.text_delta or "" for e in seen if e.type == "item/agentMessage/delta") == "half an answer"
    )
    (error_event,) = [e for e in seen if e.type == "error"]
    assert error_event.phase == "error" and error_event.raw["params"]["willRetry"] is False
    assert seen[-1].raw["params"]["turn"]["status"] == "failed"
    assert caught.value.turn_id == seen[-1].turn_id


def test_failed_turn_keeps_what_streamed(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    shared_model.add(Reply.text("half an answer", deltas=2).cut())

    with pytest.raises(TurnFailedError) as caught:
        shared_client.responses_create(prompt="stream then die")

    assert caught.value.response.text == "half an answer"  # the deltas that arrived before the cut
    assert caught.value.response.status == "failed"


def test_stream_text_raises_after_streaming(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    shared_model.add(Reply.text("abc", deltas=3).then_fail("gone mid-way"))
    chunks: list[str] = []

    with pytest.raises(TurnFailedError, match="gone mid-way"):
        for chunk in shared_client.responses_stream_text(prompt="stream"):
            chunks.append(chunk)

    assert "".join(chunks) == "abc"


async def test_async_client_raises_the_same(
    codex_fake_model: FakeModel, codex_async_client: AsyncFakeModelClient
) -> None:
    codex_fake_model.add(Reply.unauthorized())

    with pytest.raises(TurnAuthError) as caught:
        await codex_async_client.responses_create(prompt="who am I")

    assert caught.value.codex_error_info == {"httpConnectionFailed": {"httpStatusCode": 401}}
    assert codex_fake_model.requests[0].prompts == ["who am I"]


# ------------------------------------------------------------------------------ retries


@pytest.fixture(scope="module")
def retrying() -> Iterator[tuple[FakeModel, FakeModelClient]]:
    with FakeModel() as model, model.client(request_max_retries=2, stream_max_retries=2) as client:
        yield model, client


def test_http_error_once_then_ok_is_retried_silently(retrying: tuple[FakeModel, FakeModelClient]) -> None:
    model, client = retrying
    model.clear()
    model.add(Reply.server_error(), Reply.text("second time lucky"))

    result = client.responses_create(prompt="flaky", include_events=True)

    assert result.text == "second time lucky"
    assert not [e for e in result.events or [] if e.type == "error"]
    first, second = model.requests
    assert first.prompts == second.prompts == ["flaky"]


def test_stream_cut_once_then_ok_is_announced(retrying: tuple[FakeModel, FakeModelClient]) -> None:
    model, client = retrying
    model.clear()
    model.add(Reply.text("lost").cut(), Reply.text("reconnected"))

    result = client.responses_create(prompt="flaky stream", include_events=True)

    assert result.status == "completed" and result.text == "reconnected"
    (error,) = [e.raw["params"] for e in result.events or [] if e.type == "error"]
    assert error["willRetry"] is True
    assert error["error"]["codexErrorInfo"] == {"responseStreamDisconnected": {"httpStatusCode": None}}
    assert "Reconnecting... 1/2" in error["error"]["message"]
    assert len(model.requests) == 2


def test_permanent_failure_with_retries_gives_up(retrying: tuple[FakeModel, FakeModelClient]) -> None:
    model, client = retrying
    model.clear()
    model.respond_with(lambda request: Reply.failed("still broken"))

    with pytest.raises(TurnFailedError, match="still broken"):
        client.responses_create(prompt="hopeless")

    assert len(model.requests) == 3  # one try and two stream retries

"""Hostile user input against the real app-server: a clear error each time, and the client goes on.

Arguments of the wrong type or shape fail with ``TypeError`` / ``ValueError`` before anything is sent;
what only the server can judge (an unknown thread, an enum value it does not know, input over its size
limit) fails with the classified server error. After every one of them a normal turn works on the same
client, and on the same thread where there was one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from codex_python_sdk import InputTooLargeError, InvalidParamsError, ThreadNotFoundError
from codex_python_sdk.testing import FakeModel, FakeModelClient, Reply

from .conftest import turn_statuses

pytestmark = pytest.mark.e2e

FIVE_MB = "x" * 5_000_000
UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def sent(client: FakeModelClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The methods the client writes to the app-server from now on."""
    client.connect()
    assert client._async._conn is not None
    transport = client._async._conn.transport
    send = transport.send
    methods: list[str] = []

    def recording_send(data: bytes) -> None:
        head = data[:200]
        start = head.find(b'"method":"')
        if start >= 0:
            methods.append(head[start + 10 : head.index(b'"', start + 10)].decode())
        send(data)

    monkeypatch.setattr(transport, "send", recording_send)
    yield methods


@pytest.fixture(scope="module")
def thread_id(module_client: FakeModelClient, module_model: FakeModel) -> str:
    """A thread every test of the module works on: after each bad call, its next turn must work."""
    module_model.add(Reply.text("first answer"))
    return module_client.responses_create(prompt="first").thread_id


def _goes_on(client: FakeModelClient, model: FakeModel, thread_id: str, statuses: list[str]) -> None:
    """The bad call left the thread's turns as they were, and a normal turn on it works."""
    assert turn_statuses(client, thread_id) == statuses
    model.add(Reply.text("still fine"))
    assert client.responses_create(prompt="normal", thread_id=thread_id).text == "still fine"


@pytest.mark.parametrize("on_thread", [False, True], ids=["new-thread", "existing-thread"])
def test_a_5_mb_prompt_is_refused_as_input_too_large_and_no_turn_starts(
    client: FakeModelClient, model: FakeModel, thread_id: str, on_thread: bool
) -> None:
    statuses = turn_statuses(client, thread_id)
    with pytest.raises(InputTooLargeError, match="maximum length of 1048576 characters") as info:
        client.responses_create(prompt=FIVE_MB, thread_id=thread_id if on_thread else None)
    assert info.value.data["max_chars"] == 1_048_576 and info.value.data["actual_chars"] == len(FIVE_MB)
    assert model.requests == []  # the model never saw it
    _goes_on(client, model, thread_id, statuses)


# Wrong types and shapes: refused by the SDK, nothing reaches the app-server.
LOCAL = [
    ("prompt-int", {"prompt": 42}, TypeError, "prompt must be text"),
    ("prompt-none", {"prompt": None}, TypeError, "prompt must be text"),
    ("prompt-empty", {"prompt": []}, ValueError, "prompt is empty"),
    ("thread-id-empty", {"prompt": "hi", "thread_id": ""}, ValueError, "thread_id is empty"),
    ("thread-id-int", {"prompt": "hi", "thread_id": 123}, TypeError, "thread_id must be a string, got int"),
    ("thread-params-str", {"prompt": "hi", "thread_params": "x"}, TypeError, "thread_params must be a dict"),
    (
        "turn-params-list",
        {"prompt": "hi", "turn_params": [1]},
        TypeError,
        "turn_params must be a dict, got list",
    ),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), [c[1:] for c in LOCAL], ids=[c[0] for c in LOCAL])
def test_arguments_of_the_wrong_type_fail_before_anything_is_sent(
    client: FakeModelClient,
    model: FakeModel,
    thread_id: str,
    sent: list[str],
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    statuses = turn_statuses(client, thread_id)
    sent.clear()
    with pytest.raises(error, match=match):
        client.responses_create(**kwargs)
    assert sent == []
    _goes_on(client, model, thread_id, statuses)


# What only the server can judge: its error, classified, names the method and the reason. Each case
# runs on a new thread and, where it can, on the existing one (the params then go with thread/resume).
_ENUMS: list[tuple[str, dict[str, Any], str]] = [
    ("sandbox", {"thread_params": {"sandbox": "banana"}}, "thread/.*unknown variant `banana`"),
    ("approval", {"turn_params": {"approvalPolicy": "x"}}, "turn/start: .*unknown variant `x`"),
    ("summary", {"turn_params": {"summary": "banana"}}, "turn/start: .*unknown variant `banana`"),
    ("model-type", {"turn_params": {"model": 5}}, "turn/start: .*invalid type: integer `5`"),
]
SERVER: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("unknown-thread", {"thread_id": UNKNOWN}, ThreadNotFoundError, "thread/resume: no rollout found"),
    ("thread-id-not-a-uuid", {"thread_id": "not-a-uuid"}, InvalidParamsError, "resume: invalid session id"),
    *[
        (f"{where}-{name}", {**kwargs, "on_thread": where == "existing"}, InvalidParamsError, match)
        for where in ("new", "existing")
        for name, kwargs, match in _ENUMS
    ],
]


@pytest.mark.parametrize(("kwargs", "error", "match"), [c[1:] for c in SERVER], ids=[c[0] for c in SERVER])
def test_what_the_server_refuses_is_a_classified_error_and_the_thread_goes_on(
    client: FakeModelClient,
    model: FakeModel,
    thread_id: str,
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    statuses = turn_statuses(client, thread_id)
    call = {"prompt": "hi", **kwargs}
    if call.pop("on_thread", False):
        call["thread_id"] = thread_id
    with pytest.raises(error, match=match):
        client.responses_create(**call)
    assert model.requests == []
    _goes_on(client, model, thread_id, statuses)

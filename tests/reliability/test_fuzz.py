"""Property-based fuzzing of the reader, the router and the event mapping (hypothesis, derandomized).

- The reader (``RpcConnection.message_received``, with the real client's callbacks behind it) is fed
  arbitrary bytes and arbitrary JSON values, interleaved with valid responses: it never raises, logs
  briefly, and every valid response still resolves its request.
- ``Router.dispatch`` on arbitrary notification-shaped dicts never raises and routes only what belongs.
- ``ResponseEvent.from_notification`` never raises and its fields have their documented types.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codex_python_sdk import AsyncCodexAgenticClient, MemoryTransport, ResponseEvent
from codex_python_sdk._client._routing import Router, route_keys
from codex_python_sdk.events import EVENT_CLASSES, UnknownEvent

# Example counts are sized so the file runs in a few seconds on a loaded 2-core machine: generating
# nested JSON, not running the code under test, is what costs.
FUZZ = settings(
    derandomize=True,  # the same examples on every run: a CI failure reproduces locally
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)

# The keys the SDK looks at (and a few it passes through), so generated params hit its code paths.
_KEY_NAMES = (
    "threadId turnId itemId id thread turn item delta processId requestId rootTurnId type text tokenUsage "
    "last total totalTokens plan status explanation diff summaryIndex threadName error message method "
    "params result emittedAtMs"
)
KEYS = st.sampled_from(_KEY_NAMES.split())
# A small alphabet keeps generation fast; it has what matters: quotes, escapes, control characters,
# non-ASCII, and a lone surrogate (sent as a \ud800 escape, which the stdlib accepts and orjson refuses).
TEXT = st.text(st.sampled_from('ab /"\\\n\x00\x7f\u00e9\u2028\ud800\U0001f600'), max_size=8)
IDS = st.sampled_from(["t", "u", "p", "x", ""])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
    | IDS
)
JSON = st.recursive(
    SCALARS,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(KEYS | TEXT, kids, max_size=4),
    max_leaves=6,
)
METHODS = (
    st.sampled_from(
        [
            "item/agentMessage/delta",
            "item/started",
            "item/completed",
            "turn/started",
            "turn/completed",
            "turn/plan/updated",
            "turn/diff/updated",
            "thread/tokenUsage/updated",
            "thread/name/updated",
            "thread/closed",
            "serverRequest/resolved",
            "command/exec/outputDelta",
            "item/reasoning/summaryPartAdded",
            "item/commandExecution/requestApproval",
            "item/tool/call",
            "error",
            "configWarning",
        ]
    )
    | TEXT
)
PARAMS = st.dictionaries(KEYS, JSON, max_size=6) | JSON
NOTIFICATIONS = st.fixed_dictionaries(
    {"method": METHODS}, optional={"params": PARAMS, "emittedAtMs": JSON, "id": JSON}
)
PENDING = range(2, 6)  # ids of the requests a reader example waits on (1 was initialize)
STRAY_IDS = JSON.filter(lambda v: not (type(v) is int and v in PENDING))
MESSAGES = (
    NOTIFICATIONS
    | st.fixed_dictionaries({"id": JSON, "method": JSON}, optional={"params": PARAMS})
    | st.fixed_dictionaries({"id": STRAY_IDS}, optional={"result": JSON, "error": JSON})
    | JSON
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _mangle(line: bytes, cut: int, junk: bytes) -> bytes:
    return line[:cut] + junk + line[cut:]


LINES = (
    MESSAGES.map(_dumps)
    | st.binary(max_size=48)
    | st.builds(_mangle, MESSAGES.map(_dumps), st.integers(0, 40), st.binary(min_size=1, max_size=4))
    | st.integers(1_000, 3_000).map(lambda n: b"[" * n)  # nesting past every parser's limit
)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _answer_initialize(transport: MemoryTransport, msg: dict[str, Any]) -> None:
    if msg.get("method") == "initialize":
        transport.feed({"id": msg["id"], "result": {"userAgent": "fuzz/0.163.0"}})


@settings(FUZZ, max_examples=80)
@given(garbage=st.lists(LINES, max_size=6), order=st.randoms(use_true_random=False))
def test_the_reader_survives_anything_and_still_resolves_every_valid_response(
    garbage: list[bytes], order: Any
) -> None:
    async def main() -> list[Any]:
        client = AsyncCodexAgenticClient(transport=MemoryTransport(_answer_initialize))
        await client.connect()
        try:
            conn = client._conn
            assert conn is not None
            futures = [conn.start_request("fuzz/wait", {}) for _ in PENDING]
            good = [_dumps({"id": rid, "result": {"n": rid}}) for rid in PENDING]
            lines = garbage + good
            order.shuffle(lines)
            for line in lines:  # one read's worth: a raise here would lose the rest
                conn.message_received(line)
            return [f.result() for f in futures]
        finally:
            await client.close()

    records = _Records()
    logger = logging.getLogger("codex_python_sdk")
    logger.addHandler(records)
    try:
        assert asyncio.run(main()) == [{"n": rid} for rid in PENDING]
    finally:
        logger.removeHandler(records)
    assert all(len(text) < 2000 for text in records.messages)


@settings(FUZZ, max_examples=80)
@given(messages=st.lists(NOTIFICATIONS, max_size=8))
def test_the_router_never_raises_and_routes_only_what_belongs(messages: list[dict[str, Any]]) -> None:
    router = Router()
    bound = router.subscribe_turn("t")
    bound.bind("u")
    early = router.subscribe_turn("t")  # bound after the fact: replays what arrived early
    process = router.subscribe_process("p")
    everything = router.add_listener(maxsize=1000)
    for msg in messages:
        router.dispatch(msg["method"], msg)
    early.bind("u")

    def keys(msg: dict[str, Any]) -> tuple[Any, Any]:
        return route_keys(msg["method"], msg.get("params"))

    def routable(msg: dict[str, Any]) -> bool:
        return all(k is None or type(k) is str for k in keys(msg))

    for sub in (bound, early):
        for msg in [sub.queue.get_nowait() for _ in range(len(sub.queue))]:
            thread_id, turn_id = keys(msg)
            assert thread_id == "t" and (turn_id is None or turn_id in sub.turn_ids)
    for msg in [process.get_nowait() for _ in range(len(process))]:
        assert msg["params"]["processId"] == "p"
    assert len(everything.queue) == sum(1 for m in messages if routable(m))


@FUZZ
@given(msg=NOTIFICATIONS | st.dictionaries(KEYS, JSON, max_size=5), thread_id=st.none() | IDS)
def test_the_event_mapping_never_raises_and_keeps_the_documented_types(
    msg: dict[str, Any], thread_id: str | None
) -> None:
    event = ResponseEvent.from_notification(msg, thread_id)
    assert type(event.type) is str
    assert event.phase in ("assistant", "planning", "tool", "system", "error", "completed")
    for name in ("text_delta", "message_text", "thread_id", "turn_id", "item_id", "thread_name", "diff"):
        value = getattr(event, name)
        assert value is None or type(value) is str, (name, value)
    assert event.request_id is None or type(event.request_id) in (int, str)
    assert event.summary_index is None or type(event.summary_index) is int
    assert event.token_usage is None or type(event.token_usage) is dict
    assert event.plan is None or type(event.plan) is list
    assert type(event.params) is dict
    assert event.item is None or type(event.item) is dict
    assert type(event.timestamp) is str
    assert event.raw is msg
    assert type(event) is EVENT_CLASSES.get(event.type, UnknownEvent)
    assert event.payload is not None  # the params model (or the raw params) never raises
    repr(event)

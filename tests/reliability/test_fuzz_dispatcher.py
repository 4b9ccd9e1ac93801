"""Property-based fuzzing of the server-request dispatcher (hypothesis, derandomized).

Whatever the server asks (any method, any params, ids of any usable type) and whatever the hook does
(answer well, answer garbage, raise anything, answer a bare decision), every request with a usable id is
answered exactly once — with a result that fits the protocol, or a JSON-RPC error for methods the client
cannot serve — and nothing raises into the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codex_python_sdk import AsyncCodexAgenticClient, MemoryTransport
from codex_python_sdk._client._server_requests import SERVER_REQUEST_SPECS
from codex_python_sdk.protocol._answers import validate_answer

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)

METHODS = st.sampled_from(
    [*SERVER_REQUEST_SPECS, "execCommandApproval", "applyPatchApproval", "attestation/generate", "no/such"]
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8))
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
PARAMS = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"threadId": st.one_of(st.text(max_size=6), JSON), "turnId": JSON, "itemId": JSON},
        optional={"command": JSON, "tool": JSON, "arguments": JSON, "questions": JSON},
    ),
)


class _Boom(BaseException):
    pass


def _hook_of(kind: int) -> Any:
    answers: list[Any] = [
        "accept",
        {"decision": "decline"},
        {"answers": {}},
        object(),
        None,
        42,
        {"decision": "yes please"},
    ]

    def hook(params: Any) -> Any:
        if kind == len(answers):
            raise _Boom("a BaseException from user code")
        if kind == len(answers) + 1:
            raise KeyboardInterrupt
        return answers[kind]

    return hook


@FUZZ
@given(
    requests=st.lists(
        st.tuples(METHODS, PARAMS, st.one_of(st.integers(0, 10_000), st.text(min_size=1, max_size=6))),
        min_size=1,
        max_size=6,
        unique_by=lambda r: r[2],
    ),
    hook_kind=st.integers(0, 8),
)
def test_every_server_request_is_answered_exactly_once(
    requests: list[tuple[str, Any, Any]], hook_kind: int
) -> None:
    sent: list[dict[str, Any]] = []

    def server(transport: MemoryTransport, msg: dict[str, Any]) -> None:
        sent.append(msg)
        if msg.get("method") == "initialize":
            transport.feed({"id": msg["id"], "result": {"userAgent": "fuzz"}})

    async def main() -> None:
        transport = MemoryTransport(server)
        hook = _hook_of(hook_kind)
        hooks = {name: hook for name in ("on_command_approval", "on_file_change_approval", "on_tool_call")}
        async with AsyncCodexAgenticClient(transport=transport, approval_timeout=2, **hooks):
            for method, params, rid in requests:
                transport.feed({"id": rid, "method": method, "params": params})
            for _ in range(400):
                answered = [m for m in sent if "method" not in m]
                if len(answered) >= len(requests):
                    break
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.02)  # a second answer would arrive now

    asyncio.run(main())
    answers = [m for m in sent if "method" not in m]
    by_id: dict[Any, list[dict[str, Any]]] = {}
    for answer in answers:
        by_id.setdefault(answer["id"], []).append(answer)
    assert sorted(map(repr, by_id)) == sorted(repr(r[2]) for r in requests)
    for method, _params, rid in requests:
        (answer,) = by_id[rid]
        if method in SERVER_REQUEST_SPECS:
            assert "result" in answer, answer
            assert validate_answer(method, answer["result"]) is None, answer
        else:
            assert "result" in answer or "error" in answer

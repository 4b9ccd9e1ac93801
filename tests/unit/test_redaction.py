"""Errors and the app-server's stderr tail never show a secret: messages, ``str``, ``repr``, tails.

A server error may echo what it was sent (an enum value, a provider's 401 body with the key in it) and
codex may print credentials on stderr; both end up in exceptions users log and print. The end-to-end
session is in tests/reliability/test_secrets_e2e.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from codex_python_sdk import AppServerConnectionError, ClientClosedError, StdioTransport
from codex_python_sdk.errors import CodexAgenticError, error_from_rpc, turn_failed_error

KEY = "sk-proj-abcdef0123456789"
TOKEN = "tok_0123456789abcdef"


def _shown(error: BaseException) -> str:
    return "\n".join([str(error), repr(error), str(getattr(error, "message", ""))])


def test_an_error_message_that_echoes_a_key_is_redacted() -> None:
    rpc = error_from_rpc(
        {"code": -32600, "message": f"Invalid request: unknown variant `{KEY}`, expected one of `never`"},
        method="turn/start",
    )
    failed = turn_failed_error(
        {"message": f"unexpected status 401 Unauthorized: Incorrect API key provided: {KEY}"},
        thread_id="t",
        turn_id="u",
    )
    plain = CodexAgenticError(f"request failed with Authorization: Bearer {TOKEN}")
    for error in (rpc, failed, plain):
        assert KEY not in _shown(error) and TOKEN not in _shown(error)
        assert "<redacted>" in str(error)
    assert "unknown variant" in str(rpc) and "401 Unauthorized" in str(failed)  # the rest stays readable


def test_the_stderr_tail_of_a_connection_error_is_redacted() -> None:
    tail = [f"sending Authorization: Bearer {TOKEN}", f"api_key={KEY}", "panicked at 'boom'"]
    error = AppServerConnectionError("app-server exited with code 3", stderr_tail=tail, returncode=3)
    closed = ClientClosedError("the client is closed", stderr_tail=error.stderr_tail)
    for shown in (_shown(error), _shown(closed), "\n".join(error.stderr_tail)):
        assert KEY not in shown and TOKEN not in shown
    assert error.stderr_tail[-1] == "panicked at 'boom'" and "panicked at 'boom'" in str(error)


def test_the_app_server_stderr_ring_and_its_debug_log_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="codex_python_sdk")
    transport = StdioTransport(["codex", "app-server"])  # never started: only its stderr handling is used
    transport._on_stderr_line(f"\x1b[31mERROR\x1b[0m provider said: Bearer {TOKEN} / {KEY}".encode())
    (line,) = transport.stderr_tail()
    assert line.startswith("ERROR provider said:") and KEY not in line and TOKEN not in line
    assert KEY not in caplog.text and TOKEN not in caplog.text


def test_the_error_of_a_dead_connection_carries_a_redacted_tail(
    server: Any, make_client: Any, run: Any
) -> None:
    server.turn_script = server.hanging_turn

    async def main() -> None:
        async with make_client() as client:
            task = asyncio.ensure_future(client.responses_create(prompt="x"))
            await asyncio.sleep(0.05)
            server.transport.die(101, [f"refused key {KEY}"])
            with pytest.raises(AppServerConnectionError) as died:
                await asyncio.wait_for(task, 2)
            with pytest.raises(ClientClosedError) as closed:
                await client.model_list()
            for error in (died.value, closed.value):
                assert KEY not in _shown(error) and error.stderr_tail == ["refused key <redacted>"]

    run(main())

"""Remote app-servers: the real ``codex app-server --listen`` over ws://, ws:// with a capability token and
a unix socket, beside stdio; wrong tokens, unreachable servers, a server killed mid-turn, reconnect()."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from codex_python_sdk import (
    AppServerConnectionError,
    AsyncCodexAgenticClient,
    ClientClosedError,
    CodexAgenticClient,
    CodexAgenticError,
    StdioTransport,
    create_async_client,
    create_client,
)
from codex_python_sdk.testing import FakeHome, FakeModel, ListeningAppServer, Reply

pytestmark = pytest.mark.e2e

TRANSPORTS = ("stdio", "ws", "ws+token", "unix")


@pytest.fixture
def home(shared_model: FakeModel) -> Iterator[FakeHome]:
    """A throwaway CODEX_HOME for the module's fake model; every app-server it served is killed after."""
    with shared_model.home() as fake_home:
        yield fake_home


def serve(home: FakeHome, transport: str) -> ListeningAppServer:
    if transport == "unix":
        return home.serve(f"unix://{home.root}/app-server.sock")
    return home.serve("ws://127.0.0.1:0", token=True if transport == "ws+token" else None)


def sync_client(home: FakeHome, transport: str, **kwargs: Any) -> CodexAgenticClient:
    if transport == "stdio":
        return home.client(**kwargs)
    server = serve(home, transport)
    return create_client(url=server.url, token=server.token, **kwargs)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_same_turn_over_every_transport(shared_model: FakeModel, home: FakeHome, transport: str) -> None:
    shared_model.add(Reply.text("0123456789" * 50, deltas=50), Reply.text("second"))
    with sync_client(home, transport) as client:
        deltas = [
            event.payload.delta
            for event in client.responses_events(prompt="stream please")
            if event.type == "item/agentMessage/delta"
        ]
        thread_id = shared_model.requests[0].thread_id
        assert thread_id is not None
        assert client.responses_create(prompt="and again", thread_id=thread_id).text == "second"
        assert client.user_agent is not None and "0.163.0" in client.user_agent
    assert len(deltas) == 50 and "".join(deltas) == "0123456789" * 50
    assert shared_model.requests[1].prompts == ["stream please", "and again"]


def test_a_capability_token_is_required_and_never_shown(
    shared_model: FakeModel, home: FakeHome, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = serve(home, "ws+token")
    token = server.token
    assert token is not None
    errors: list[str] = []
    for given, expected in ((None, "requires a token"), ("wrong-" + token, "refused the token")):
        started = time.monotonic()
        with (
            pytest.raises(AppServerConnectionError, match=expected) as info,
            create_client(url=server.url, token=given),
        ):
            pass
        assert time.monotonic() - started < 3.0
        assert "401" in str(info.value)
        errors.append(str(info.value) + repr(info.value))

    shared_model.add(Reply.text("authorized"))
    with create_client(url=server.url, token=token, request_timeout=60) as client:
        assert client.responses_create(prompt="hello").text == "authorized"
        shown = repr(client.options) + repr(client._async._transport)
    assert "<redacted>" in shown
    for text in (caplog.text, shown, *errors):
        assert token not in text
    assert "-> " in caplog.text  # DEBUG logging was really on (the messages sent)


def test_the_token_can_come_from_an_environment_variable(
    shared_model: FakeModel, home: FakeHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(home, "ws+token")
    monkeypatch.setenv("CODEX_TEST_WS_TOKEN", str(server.token))
    shared_model.add(Reply.text("from env"))
    with create_client(url=server.url, token_env="CODEX_TEST_WS_TOKEN") as client:
        assert client.responses_create(prompt="hi").text == "from env"
    monkeypatch.delenv("CODEX_TEST_WS_TOKEN")
    with (
        pytest.raises(CodexAgenticError, match=r"CODEX_TEST_WS_TOKEN.*not set"),
        create_client(url=server.url, token_env="CODEX_TEST_WS_TOKEN"),
    ):
        pass


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"ws://127.0.0.1:{closed_port()}", "connection refused"),
        ("unix:///nonexistent/codex-app-server.sock", "no app-server listening"),
    ],
)
def test_an_unreachable_server_is_a_clear_error_at_once(url: str, expected: str) -> None:
    client = create_client(url=url)  # nothing is dialled before the first call
    try:
        for _ in range(2):  # a client that never connected tries again at its next call, like stdio
            started = time.monotonic()
            with pytest.raises(AppServerConnectionError, match=expected):
                client.responses_create(prompt="hello")
            assert time.monotonic() - started < 2.0
    finally:
        client.close()


@pytest.mark.parametrize("transport", ["ws", "unix"])
def test_a_server_killed_mid_turn_fails_every_waiting_caller_at_once(
    shared_model: FakeModel, home: FakeHome, transport: str
) -> None:
    hanging = Reply.text("partial").hang(after=3)
    shared_model.add(hanging)
    server = serve(home, transport)

    async def main() -> float:
        async with create_async_client(url=server.url) as client:
            turn = asyncio.ensure_future(client.responses_create(prompt="work"))
            listener = client.notifications(["never/sent"])
            waiting = asyncio.ensure_future(listener.__anext__())
            while not hanging.wait_until_hanging(0):
                await asyncio.sleep(0.02)
            server.kill()
            killed = time.monotonic()
            for pending in (turn, waiting):
                with pytest.raises(AppServerConnectionError, match=r"ended without a close frame|was lost"):
                    await pending
            took = time.monotonic() - killed
            assert client.closed
            with pytest.raises(ClientClosedError, match="reconnect"):
                await client.model_list()
            return took

    assert asyncio.run(main()) < 1.0
    shared_model.release_all()


@pytest.mark.parametrize("transport", ["ws+token", "unix"])
def test_reconnect_after_a_restart_resumes_the_loaded_thread(
    shared_model: FakeModel, home: FakeHome, transport: str
) -> None:
    server = serve(home, transport)
    shared_model.add(Reply.text("first"), Reply.text("after the restart"))

    async def main() -> None:
        async with AsyncCodexAgenticClient(url=server.url, token=server.token) as client:
            first = await client.responses_create(prompt="remember me")
            server.restart()  # a crash and a new server on the same address and home
            with pytest.raises(AppServerConnectionError):
                await client.model_list()
            report = await client.reconnect()
            assert report.resumed == (first.thread_id,) and report.ok
            again = await client.responses_create(prompt="still there?", thread_id=first.thread_id)
            assert again.text == "after the restart"

    asyncio.run(main())
    assert shared_model.requests[-1].prompts == ["remember me", "still there?"]


def test_reconnect_respawns_a_killed_stdio_app_server_and_reports_what_failed(
    shared_model: FakeModel, home: FakeHome
) -> None:
    shared_model.add(Reply.text("one"), Reply.text("ephemeral"), Reply.text("two"))
    with home.client() as client:
        kept = client.responses_create(prompt="keep").thread_id
        gone = client.responses_create(prompt="gone", thread_params={"ephemeral": True}).thread_id
        transport = client._async._transport
        assert isinstance(transport, StdioTransport) and transport.pid is not None
        old_pid = transport.pid
        os.kill(old_pid, signal.SIGKILL)
        with pytest.raises(AppServerConnectionError, match="exited"):
            for _ in range(100):
                client.model_list()
                time.sleep(0.05)
        report = client.reconnect()
        assert report.resumed == (kept,)
        assert list(report.failed) == [gone] and not report.ok
        new = client._async._transport
        assert isinstance(new, StdioTransport) and new.pid not in (None, old_pid)
        assert client.responses_create(prompt="on", thread_id=kept).text == "two"
    client.close()
    with pytest.raises(ClientClosedError):  # close() is final: no reconnect after it
        client.reconnect()

"""url= / token= / token_env=: checked at construction, never shown, nothing spawned, websockets loaded
only by a client that dials; reconnect()'s refusals. No process, no network."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from codex_python_sdk import (
    AsyncCodexAgenticClient,
    ClientClosedError,
    ClientOptions,
    CodexAgenticError,
    create_async_client,
    create_client,
)
from codex_python_sdk._transport import WebSocketTransport

SECRET = "tok-3f9a1c77e2b54d0a"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:4500", "scheme 'http' is not supported"),
        ("unix://relative.sock", "absolute path"),
        ("unix:relative.sock", "absolute path"),
        (f"ws://user:{SECRET}@127.0.0.1:4500", "must not carry credentials"),
        ("ws://127.0.0.1:4500/#frag", "fragment"),
        ("ws://:4500", "no host"),
        ("ws://127.0.0.1:notaport", "not a valid URL"),
        ("", "non-empty"),
    ],
)
def test_a_bad_url_fails_at_construction_saying_why(url: str, expected: str) -> None:
    with pytest.raises(CodexAgenticError, match=expected) as info:
        ClientOptions(url=url)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("ws://127.0.0.1:4500", "ws://127.0.0.1:4500"),
        ("ws://localhost", "ws://localhost:80"),
        (f"wss://codex.example/app?token={SECRET}", "wss://codex.example:443/app"),
        ("ws://[::1]:4500", "ws://[::1]:4500"),
        ("unix:///run/codex/app-server.sock", "unix:///run/codex/app-server.sock"),
    ],
)
def test_errors_and_reprs_show_the_url_without_its_query(url: str, shown: str) -> None:
    options = ClientOptions(url=url, token=SECRET)
    assert options.endpoint is not None and options.endpoint.display == shown
    text = repr(options) + repr(WebSocketTransport(options.endpoint, token=options.resolve_token()))
    assert shown in text and SECRET not in text and "<redacted>" in text


@pytest.mark.parametrize(
    "stdio_only",
    [
        {"codex_command": "/usr/bin/codex"},
        {"app_server_args": ["app-server"]},
        {"env": {"A": "b"}},
        {"process_cwd": "/tmp"},
        {"enabled_features": ["x"]},
        {"disabled_features": ["x"]},
        {"enable_web_search": True},
        {"server_config_overrides": {"model": "m"}},
    ],
)
def test_options_that_shape_a_spawned_process_are_an_error_with_url(stdio_only: dict[str, Any]) -> None:
    (name,) = stdio_only
    with pytest.raises(CodexAgenticError, match=f"url= connects to a running app-server, so {name}"):
        ClientOptions(url="ws://127.0.0.1:4500", **stdio_only)


def test_token_rules() -> None:
    with pytest.raises(CodexAgenticError, match="token= and token_env= are for url="):
        ClientOptions(token=SECRET)
    with pytest.raises(CodexAgenticError, match="not both"):
        ClientOptions(url="ws://h:1", token=SECRET, token_env="T")
    with pytest.raises(CodexAgenticError, match="give url= or transport="):
        ClientOptions(url="ws://h:1", transport=WebSocketTransport("ws://h:1"))
    for bad in (f"{SECRET}\r\nX-Injected: 1", f"{SECRET} x", ""):
        with pytest.raises(CodexAgenticError, match="token must be") as info:
            ClientOptions(url="ws://h:1", token=bad)
        assert SECRET not in str(info.value)
    with pytest.raises(CodexAgenticError, match="connect_timeout must be a positive number"):
        ClientOptions(url="ws://h:1", connect_timeout=0)
    assert ClientOptions(url="ws://h:1").connect_timeout == 10.0


def test_token_env_is_read_at_each_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    options = ClientOptions(url="ws://h:1", token_env="CODEX_UNIT_TOKEN")
    monkeypatch.delenv("CODEX_UNIT_TOKEN", raising=False)
    with pytest.raises(CodexAgenticError, match=r"CODEX_UNIT_TOKEN.*not set"):
        options.resolve_token()
    monkeypatch.setenv("CODEX_UNIT_TOKEN", "first")
    first = options.resolve_token()
    monkeypatch.setenv("CODEX_UNIT_TOKEN", "rotated")
    second = options.resolve_token()
    assert first is not None and second is not None
    assert (first.reveal(), second.reveal()) == ("first", "rotated")
    assert "rotated" not in repr(second) + str(second)


def test_the_factories_spawn_nothing_for_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_spawn(*args: Any) -> Any:
        raise AssertionError("a url= client must not start a process")

    monkeypatch.setattr("codex_python_sdk._transport._spawn.popen_app_server", no_spawn)
    sync = create_client(url="ws://127.0.0.1:4500", token=SECRET)
    try:
        assert sync.options.transport is None and sync.binary_path is None
    finally:
        sync.close()
    client = create_async_client(url="unix:///tmp/x.sock")
    assert client.options.transport is None


def test_websockets_is_imported_only_by_a_client_that_dials() -> None:
    code = (
        "import sys\n"
        "from codex_python_sdk import create_client, AsyncCodexAgenticClient, WebSocketTransport\n"
        "client = create_client(url='ws://127.0.0.1:4500')\n"
        "loaded = 'websockets' in sys.modules\n"
        "client.close()\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_websockets_a_url_client_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, run: Any
) -> None:
    monkeypatch.setitem(sys.modules, "websockets", None)  # as if the [ws] extra were not installed

    async def main() -> None:
        client = AsyncCodexAgenticClient(url="ws://127.0.0.1:4500")
        with pytest.raises(CodexAgenticError, match=r"pip install 'codex-python-sdk\[ws\]'"):
            await client.connect()
        await client.close()

    run(main())


def test_reconnect_needs_a_client_that_opens_its_own_connections(
    server: Any, make_client: Any, run: Any
) -> None:
    async def main() -> None:
        client = make_client()
        await client.connect()
        with pytest.raises(CodexAgenticError, match="was given transport="):
            await client.reconnect()
        await client.close()
        with pytest.raises(ClientClosedError):
            await client.reconnect()

    run(main())


def test_an_llm_judge_of_a_url_client_connects_to_the_same_app_server() -> None:
    from codex_python_sdk._client._async import _judge_options

    options = ClientOptions(url="ws://127.0.0.1:4500", token=SECRET, connect_timeout=3)
    judge = _judge_options(options, {"client_name": "judge"})
    token = judge.resolve_token()
    assert judge.url == options.url and token is not None and token.reveal() == SECRET
    assert judge.connect_timeout == 3 and judge.client_name == "judge"

"""The test kit without the codex binary: wiring, isolation, the network trap, the MCP script, the plugin."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk.testing import FakeHome, FakeMcpServer, FakeModel, Reply, _wiring

pytest_plugins = ["pytester"]


@pytest.fixture
def model() -> Any:
    with FakeModel() as fake:
        yield fake


# ------------------------------------------------------------------------------ wiring and isolation


def test_env_drops_inherited_codex_and_openai_settings(
    model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "CODEX_HOME": "/real/codex",
        "OPENAI_API_KEY": "sk-real-key",
        "OPENAI_BASE_URL": "https://example.invalid",
        "XDG_CONFIG_HOME": "/real/config",
        "HTTPS_PROXY": "http://corp-proxy:3128",
        "KEEP_ME": "yes",
    }.items():
        monkeypatch.setenv(name, value)
    with model.home() as home:
        env = home.env({"EXTRA": "1"})

    assert env["CODEX_HOME"] == str(home.codex_home) and env["HOME"] == str(home.home)
    assert env["OPENAI_API_KEY"] == "sk-test"
    assert "OPENAI_BASE_URL" not in env and "XDG_CONFIG_HOME" not in env
    assert env["HTTPS_PROXY"] == env["https_proxy"] == model.proxy_url
    assert "127.0.0.1" in env["NO_PROXY"]
    assert (env["KEEP_ME"], env["EXTRA"]) == ("yes", "1")


def test_client_kwargs_layer_the_callers_over_the_kits(model: FakeModel) -> None:
    def hook(params: Any) -> Any:
        return {"decision": "accept"}

    with model.home() as home:
        kwargs = home.client_kwargs(
            env={"MINE": "1"},
            server_config_overrides={"model": "gpt-5.5-other", "features.x": True},
            stream_max_retries=3,
            on_command_approval=hook,
            default_thread_params={"sandbox": "read-only"},
        )

    overrides = kwargs["server_config_overrides"]
    assert overrides["model_provider"] == "mock" and overrides["model"] == "gpt-5.5-other"
    assert overrides["model_providers.mock.base_url"] == model.base_url
    assert overrides["model_providers.mock.stream_max_retries"] == 3
    assert overrides["model_providers.mock.request_max_retries"] == 0
    assert overrides["features.x"] is True
    assert kwargs["env"]["MINE"] == "1" and kwargs["env"]["CODEX_HOME"] == str(home.codex_home)
    assert kwargs["process_cwd"] == str(home.workspace)
    assert kwargs["on_command_approval"] is hook
    assert kwargs["default_thread_params"] == {"sandbox": "read-only"}


def test_a_clients_own_home_is_removed_when_it_closes(model: FakeModel) -> None:
    client = model.client()
    root = client.fake_home.root
    assert client.workspace.is_dir() and client.codex_home.is_dir() and client.model is model
    client.close()
    assert not root.exists()

    async_client = model.async_client()
    root = async_client.fake_home.root
    asyncio.run(async_client.close())
    assert not root.exists()


def test_a_shared_home_outlives_its_clients_until_its_block_ends(model: FakeModel, tmp_path: Path) -> None:
    with model.home() as home:
        first, second = home.client(), home.client()
        first.close()
        assert home.root.exists() and not second.closed
    assert second.closed and not home.root.exists()
    with pytest.raises(RuntimeError, match="closed"):
        home.client()

    with model.home(root=tmp_path / "kept") as kept:
        kept.client()
    assert (tmp_path / "kept" / "codex-home").is_dir()  # a caller's directory is never deleted


def test_the_real_codex_home_is_refused(
    model: FakeModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_wiring, "_real_codex_home", lambda: str(tmp_path / "codex-home"))
    with pytest.raises(ValueError, match=r"real ~/\.codex"):
        FakeHome(model, root=tmp_path)


# ------------------------------------------------------------------------------ the fake model


def test_outbound_connections_are_refused_and_noted(model: FakeModel) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", model.port, timeout=5)
    conn.request("CONNECT", "chatgpt.com:443")
    assert conn.getresponse().status == 403
    conn = http.client.HTTPConnection("127.0.0.1", model.port, timeout=5)
    conn.request("GET", "http://example.com/index.html")
    assert conn.getresponse().status == 403

    assert model.network_attempts == ["chatgpt.com:443", "http://example.com/index.html"]
    assert model.requests == []  # not model calls, and not "unscripted" either
    model.assert_all_consumed()
    model.clear()
    assert model.network_attempts == []


def test_the_fake_answers_kept_alive_connections_without_nagle_delay(model: FakeModel) -> None:
    # codex keeps its connection to the model open; the fake writes headers and body separately, so with
    # Nagle's algorithm on, every model round trip after the first waited ~40 ms for a delayed ACK.
    import socket

    model.add(Reply.text("one"), Reply.text("two"))
    conn = http.client.HTTPConnection("127.0.0.1", model.port, timeout=5)
    for _ in range(2):
        conn.request("POST", "/v1/responses", body=b"{}", headers={"content-type": "application/json"})
        conn.getresponse().read()
    (served,) = model._connections
    assert served.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    conn.close()


def test_tool_search_and_mcp_tool_call_replies() -> None:
    search, call = Reply.tool_search("ask name", limit=3), Reply.mcp_tool_call("fake", "ask_name", {"a": 1})
    (search_event,) = [e for e in search._event_list() if e["type"] == "response.output_item.done"]
    assert (
        search_event["item"]["type"] == "tool_search_call" and search_event["item"]["execution"] == "client"
    )
    assert search_event["item"]["arguments"] == {"query": "ask name", "limit": 3}
    (call_event,) = [e for e in call._event_list() if e["type"] == "response.output_item.done"]
    item = call_event["item"]
    assert (item["namespace"], item["name"], json.loads(item["arguments"])) == (
        "mcp__fake",
        "ask_name",
        {"a": 1},
    )
    assert call.call_id == item["call_id"]


def test_clear_releases_hanging_replies(model: FakeModel) -> None:
    held = Reply.text("x").hang(after=1)
    model.add(held)
    conn = http.client.HTTPConnection("127.0.0.1", model.port, timeout=5)
    conn.request("POST", "/v1/responses", body=b"{}")
    response = conn.getresponse()
    assert held.wait_until_hanging(5)
    model.clear()
    assert b"event: response.completed" in response.read()  # released: the stream finished normally
    assert held.gate is not None and held.gate.released


# ------------------------------------------------------------------------------ the MCP server script


def test_fake_mcp_server_script(tmp_path: Path) -> None:
    mcp = (
        FakeMcpServer("demo", log_dir=tmp_path)
        .tool("echo")
        .tool("ask", elicit="Name?", schema={"name": {"type": "string"}}, required=["name"])
    )
    overrides = mcp.config_overrides()
    command, args = overrides["mcp_servers.demo.command"], overrides["mcp_servers.demo.args"]
    proc = subprocess.Popen([command, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None

    def send(message: dict[str, Any]) -> None:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
        proc.stdin.flush()

    def receive() -> dict[str, Any]:
        assert proc.stdout is not None
        return dict(json.loads(proc.stdout.readline()))

    try:
        send({"id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18"}})
        assert receive()["result"]["protocolVersion"] == "2025-06-18"
        send({"method": "notifications/initialized"})
        send({"id": 1, "method": "tools/list"})
        assert [t["name"] for t in receive()["result"]["tools"]] == ["echo", "ask"]
        send({"id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {"x": 1}}})
        assert receive()["result"]["content"][0]["text"] == '{"x": 1}'
        send({"id": 3, "method": "tools/call", "params": {"name": "ask", "arguments": {}}})
        elicitation = receive()
        assert elicitation["method"] == "elicitation/create"
        assert elicitation["params"]["requestedSchema"]["required"] == ["name"]
        send({"id": elicitation["id"], "result": {"action": "accept", "content": {"name": "Ada"}}})
        answer = receive()
        assert answer["id"] == 3 and json.loads(answer["result"]["content"][0]["text"])["content"] == {
            "name": "Ada"
        }
    finally:
        proc.stdin.close()
        proc.wait(5)
    assert [c["tool"] for c in mcp.calls()] == ["echo", "ask"]
    assert mcp.calls()[1]["elicitation"] == {"action": "accept", "content": {"name": "Ada"}}
    mcp.cleanup()
    assert mcp.calls() == []


# ------------------------------------------------------------------------------ the pytest plugin


def test_plugin_import_is_cheap() -> None:
    code = (
        "import json, sys, codex_python_sdk.testing.pytest_plugin\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('codex_python_sdk'))))"
    )
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", code]))
    assert "codex_python_sdk.testing.pytest_plugin" in loaded
    assert (
        "codex_python_sdk._client._async" not in loaded
        and "codex_python_sdk.testing._fake_model" not in loaded
    )


def test_plugin_fixtures_markers_and_async_runner(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def codex_client_kwargs():
            return {"default_thread_params": {"sandbox": "read-only"}}
        """
    )
    pytester.makepyfile(
        textwrap.dedent(
            """
            import asyncio
            import pytest

            @pytest.mark.codex_fake_model(unscripted_status=400)
            def test_model(codex_fake_model):
                assert codex_fake_model.unscripted_status == 400 and codex_fake_model.port

            @pytest.mark.codex_client(on_command_approval=print)
            def test_client_is_lazy_and_configured(codex_client):
                assert codex_client.on_command_approval is print
                assert codex_client._async._options.default_thread_params == {"sandbox": "read-only"}
                assert codex_client._async._conn is None  # nothing started until first use

            async def test_async_client(codex_async_client):
                assert asyncio.get_running_loop() is not None
                assert codex_async_client.workspace.is_dir()

            @pytest.mark.codex_async
            async def test_marked():
                await asyncio.sleep(0)

            @pytest.mark.asyncio
            async def test_left_to_pytest_asyncio():
                pass
            """
        )
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestUnknownMarkWarning"
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 4, result.stdout.str()
    # The asyncio-marked test is not ours to run: pytest reports it unhandled (failed or skipped).
    assert outcomes.get("failed", 0) + outcomes.get("skipped", 0) == 1, result.stdout.str()


def test_plugin_is_registered_by_entry_point(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    text = result.stdout.str()
    for name in ("codex_fake_model", "codex_client", "codex_async_client", "codex_client_kwargs"):
        assert name in text
    assert os.path.basename(str(pytester.path))  # ran in the pytester directory, not the repo

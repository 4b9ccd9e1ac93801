"""A scripted stdio MCP server, so tests can make codex send ``mcpServer/elicitation/request``.

Codex starts MCP servers from its config (``mcp_servers.<name>.command`` / ``.args``). This module is
both the Python side (:class:`FakeMcpServer`: declare tools, get the config overrides, read what the
server saw) and, run as a script, the server itself (standard library only, newline-delimited
JSON-RPC on stdin/stdout). A tool declared with ``elicit=`` asks codex's user for input
(``elicitation/create``) when called and returns the answer as its result text; other tools return
their arguments as JSON.

Codex 0.163.0 defers MCP tools behind ``tool_search``: script :meth:`Reply.tool_search` first, then
:meth:`Reply.mcp_tool_call`. Under ``approvalPolicy: "on-request"`` codex first asks the client to
approve the MCP tool call itself (an elicitation whose ``_meta.codex_approval_kind`` is
``mcp_tool_call``); under ``never`` it declines the server's elicitations without asking.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping
from typing import Any

__all__ = ["FakeMcpServer"]


class FakeMcpServer:
    """Declares the tools of a fake MCP server and the codex config that starts it.

    ::

        mcp = FakeMcpServer("fake")
        mcp.tool("ask_name", elicit="What is your name?", schema={"name": {"type": "string"}})
        client = model.client(server_config_overrides=mcp.config_overrides())
        model.add(Reply.tool_search("ask name"), Reply.mcp_tool_call("fake", "ask_name"), Reply.text("ok"))

    :meth:`calls` returns what the server received (each ``tools/call`` and the elicitation answer).
    """

    def __init__(self, name: str = "fake", *, log_dir: str | os.PathLike[str] | None = None) -> None:
        """A server named ``name`` (its tools are in namespace ``mcp__<name>``); no tools yet."""
        self.name = name
        self.tools: list[dict[str, Any]] = []
        directory = log_dir if log_dir is not None else tempfile.gettempdir()
        fd, self.log_path = tempfile.mkstemp(prefix=f"fake-mcp-{name}-", suffix=".jsonl", dir=directory)
        os.close(fd)

    def tool(
        self,
        name: str,
        *,
        description: str = "",
        input_schema: Mapping[str, Any] | None = None,
        elicit: str | None = None,
        schema: Mapping[str, Any] | None = None,
        required: list[str] | None = None,
    ) -> FakeMcpServer:
        """Add a tool. With ``elicit`` (the message), a call asks codex's user for the ``schema``
        properties (a JSON-schema ``properties`` mapping) and returns the answer as JSON text."""
        spec: dict[str, Any] = {
            "name": name,
            "description": description or f"fake tool {name}",
            "inputSchema": dict(input_schema or {"type": "object", "properties": {}}),
        }
        if elicit is not None:
            requested: dict[str, Any] = {"type": "object", "properties": dict(schema or {})}
            if required:
                requested["required"] = list(required)
            spec["elicit"] = {"message": elicit, "requestedSchema": requested}
        self.tools.append(spec)
        return self

    def config_overrides(self) -> dict[str, Any]:
        """``server_config_overrides`` that make codex start this server (with ``sys.executable``)."""
        spec = json.dumps({"name": self.name, "tools": self.tools, "log": self.log_path})
        prefix = f"mcp_servers.{self.name}"
        return {f"{prefix}.command": sys.executable, f"{prefix}.args": [os.path.abspath(__file__), spec]}

    def calls(self) -> list[dict[str, Any]]:
        """What the server saw: ``{"tool", "arguments", "elicitation"}`` per call, in order."""
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def cleanup(self) -> None:
        """Delete the call log."""
        if os.path.exists(self.log_path):
            os.remove(self.log_path)


# ---------------------------------------------------------------------------------------- the server


def _serve(spec: dict[str, Any]) -> None:  # pragma: no cover - runs inside codex's child process
    tools = {tool["name"]: tool for tool in spec.get("tools", [])}
    log_path = spec.get("log")
    waiting: dict[int, tuple[Any, Any, Any]] = {}  # our request id -> (call id, tool name, arguments)
    next_id = 1_000_000

    def send(message: dict[str, Any]) -> None:
        message["jsonrpc"] = "2.0"
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def log(entry: dict[str, Any]) -> None:
        if log_path:
            with open(log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    def result(call_id: Any, text: str, *, error: bool = False) -> None:
        send({"id": call_id, "result": {"content": [{"type": "text", "text": text}], "isError": error}})

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        method = message.get("method")
        if method is None:  # the answer to one of our elicitations
            pending = waiting.pop(message.get("id"), None)
            if pending is not None:
                call_id, tool, arguments = pending
                answer = message.get("result", {"error": message.get("error")})
                log({"tool": tool, "arguments": arguments, "elicitation": answer})
                result(call_id, json.dumps(answer))
            continue
        if "id" not in message:
            continue  # notifications (initialized, cancelled) need no answer
        params = message.get("params") or {}
        if method == "initialize":
            send(
                {
                    "id": message["id"],
                    "result": {
                        "protocolVersion": params.get("protocolVersion", "2025-06-18"),
                        "capabilities": {"tools": {}},
                        "serverInfo": {"name": spec.get("name", "fake"), "version": "1.0.0"},
                    },
                }
            )
        elif method == "tools/list":
            listed = [{k: v for k, v in tool.items() if k != "elicit"} for tool in tools.values()]
            send({"id": message["id"], "result": {"tools": listed}})
        elif method == "tools/call":
            name, arguments = str(params.get("name")), params.get("arguments") or {}
            tool = tools.get(name)
            if tool is None:
                result(message["id"], f"unknown tool {name!r}", error=True)
            elif "elicit" in tool:  # ask codex's user first; answered when their reply arrives
                next_id += 1
                waiting[next_id] = (message["id"], name, arguments)
                send({"id": next_id, "method": "elicitation/create", "params": tool["elicit"]})
            else:
                log({"tool": name, "arguments": arguments, "elicitation": None})
                result(message["id"], json.dumps(arguments))
        elif method == "ping":
            send({"id": message["id"], "result": {}})
        else:
            send({"id": message["id"], "error": {"code": -32601, "message": f"method not found: {method}"}})


if __name__ == "__main__":  # pragma: no cover
    _serve(json.loads(sys.argv[1]))

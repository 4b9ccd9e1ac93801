"""What importing the clients loads: the structure behind the start-up cost (docs/performance.md).

Timings are measured by ``bench/run.py``; these tests keep the *structure* that makes them small, so that a
later change cannot silently put a heavy module back on the import path. Each check runs in a fresh
interpreter and counts only what ``import asyncio`` (which every user of the clients pays anyway) does
not already import.
"""

from __future__ import annotations

import json
import subprocess
import sys

CLIENTS = "from codex_python_sdk import CodexAgenticClient, AsyncCodexAgenticClient"

# Loaded later, when they are needed: when a client is made (the sync client's loop thread, the runners
# of sync hooks and tools, the routing of notifications, the usage ledger and token counts), at the first
# connect (the connection and orjson, the transport; then, while codex boots, the handshake, the
# server-request machinery and what the first turn needs: the turn loop, the watch of a turn, inputs,
# AgentResponse), event (the generated classes), request (hooks), or never unless used (policy, tools, the
# protocol models, rendering, the test kit, OpenTelemetry, reconnect()).
LAZY_SDK_MODULES = (
    "codex_python_sdk._callables",
    "codex_python_sdk._client._connect",
    "codex_python_sdk._client._exec",
    "codex_python_sdk._client._portal",
    "codex_python_sdk._client._launch",
    "codex_python_sdk._client._ledger",
    "codex_python_sdk._client._notifications",
    "codex_python_sdk._client._reconnect",
    "codex_python_sdk._client._routing",
    "codex_python_sdk._client._server_requests",
    "codex_python_sdk._client._toml",
    "codex_python_sdk._client._turn_loop",
    "codex_python_sdk._client._watch",
    "codex_python_sdk._redact",
    "codex_python_sdk._rpc",
    "codex_python_sdk._transport",
    "codex_python_sdk._telemetry",
    "codex_python_sdk.events",
    "codex_python_sdk.events._response",
    "codex_python_sdk.events._typed",
    "codex_python_sdk.hooks",
    "codex_python_sdk.inputs",
    "codex_python_sdk.policy",
    "codex_python_sdk.protocol",
    "codex_python_sdk.protocol._models",
    "codex_python_sdk.render",
    "codex_python_sdk.testing",
    "codex_python_sdk.tools",
)
# The ones the seed's import path had that cost most. asyncio imports inspect and typing today (3.10 to
# 3.13), which makes them free; listed so that a Python whose asyncio stops doing so shows up here.
HEAVY_STDLIB = ("dataclasses", "datetime", "inspect", "json", "platform", "queue", "shlex", "typing", "uuid")


def _new_modules(before: str, code: str) -> list[str]:
    """Modules that ``code`` imports in a fresh interpreter after ``before`` has run."""
    script = (
        f"{before}\nimport json, sys\nloaded = set(sys.modules)\n{code}\n"
        "print(json.dumps(sorted(set(sys.modules) - loaded)))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    new: list[str] = json.loads(out.stdout)
    return new


def test_importing_the_clients_loads_no_module_that_asyncio_does_not() -> None:
    new = _new_modules("import asyncio", CLIENTS)
    assert "codex_python_sdk._client._sync" in new and "codex_python_sdk._client._async" in new
    # Only the SDK's own modules: no stdlib or third-party module (orjson, json, uuid, datetime ...).
    assert [m for m in new if m.split(".")[0] not in ("codex_python_sdk", "__future__")] == []
    assert [m for m in HEAVY_STDLIB if m in new] == []


def test_importing_the_clients_leaves_what_is_needed_later_unloaded() -> None:
    new = _new_modules("import asyncio", CLIENTS)
    loaded = [m for m in LAZY_SDK_MODULES if m in new or any(n.startswith(m + ".") for n in new)]
    assert loaded == []


def test_the_lazy_modules_load_when_used() -> None:
    # What the turn loop does, without a server: a response (no usage, items or events to type) ...
    response = (
        "from codex_python_sdk._client._turn_loop import TurnAccumulator\n"
        "TurnAccumulator('t', keep_events=False).response()\n"
        "from codex_python_sdk.inputs import to_wire_input\n"
        "to_wire_input('hi')"
    )
    new = _new_modules(f"import asyncio\n{CLIENTS}", response)
    assert {"codex_python_sdk.events._response", "codex_python_sdk.inputs", "dataclasses"} <= set(new)
    later = ("codex_python_sdk.events._typed", "codex_python_sdk.protocol", "datetime")
    assert [m for m in later if m in new] == []
    # ... and an event, which brings the generated event classes.
    event = (
        "from codex_python_sdk.events._event import ResponseEvent\n"
        "ResponseEvent.from_notification({'method': 'turn/started', 'params': {}})"
    )
    assert "codex_python_sdk.events._typed" in _new_modules(f"import asyncio\n{CLIENTS}", event)


def test_making_the_clients_loads_their_loop_thread_and_runners() -> None:
    # No app-server is started: the clients connect on their first call.
    code = (
        "sync, aio = CodexAgenticClient(), AsyncCodexAgenticClient()\n"
        "assert sync._portal.alive and aio._hook_runner is not None\n"
        "sync.close()"
    )
    new = _new_modules(f"import asyncio\n{CLIENTS}", code)
    made = {
        "codex_python_sdk._callables",
        "codex_python_sdk._client._ledger",
        "codex_python_sdk._client._portal",
        "codex_python_sdk.events._usage",
    }
    assert made <= set(new)
    assert [m for m in ("codex_python_sdk._rpc", "orjson") if m in new] == []


def test_connecting_loads_what_the_first_turn_needs() -> None:
    # Imported by connect() once the transport started (codex boots meanwhile), not by the first turn.
    code = (
        "from codex_python_sdk import MemoryTransport\n"
        "def answer(transport, msg):\n"
        "    if msg.get('method') == 'initialize':\n"
        "        transport.feed({'id': msg['id'], 'result': {}})\n"
        "async def main():\n"
        "    async with AsyncCodexAgenticClient(transport=MemoryTransport(answer)):\n"
        "        pass\n"
        "asyncio.run(main())"
    )
    new = _new_modules(f"import asyncio\n{CLIENTS}", code)
    first_turn = {
        "codex_python_sdk._client._connect",
        "codex_python_sdk._client._server_requests",
        "codex_python_sdk._client._turn_loop",
        "codex_python_sdk._client._watch",
        "codex_python_sdk.events._response",
        "codex_python_sdk.inputs",
    }
    assert first_turn <= set(new)


def test_the_factories_start_codex_before_importing_asyncio() -> None:
    # What create_client() imports before it spawns the app-server (see _client/_factory.py): codex boots
    # while Python imports asyncio, orjson and the clients.
    code = (
        "import codex_python_sdk._client._create, codex_python_sdk._client._factory\n"
        "import codex_python_sdk._client._launch, codex_python_sdk._transport._spawn"
    )
    new = _new_modules("", code)
    late = ("asyncio", "orjson", "typing", "codex_python_sdk._transport._stdio")
    assert [m for m in late if m in new] == []

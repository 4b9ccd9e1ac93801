"""A scripted fake app-server that misbehaves on request: JSONL on stdin/stdout, like codex app-server.

The reliability tests start it through the public client (``codex_command=sys.executable``,
``app_server_args=[this file]``), so the real stdio transport reads what it writes. Extra arguments
(flags the client appends) are ignored.

It answers ``initialize`` like codex 0.163 and any other request with ``{}``, except these control requests:

``fake/emit`` ``{"ops": [...], "noreply": false}``
    Writes what the ops say, all in ONE write (so the client reads the lines together), flushing only at
    ``sleep``. Then, unless an op already answered or ``noreply`` is set, it answers ``{}``. Ops:

    - ``{"raw": text}``: the text's bytes (latin-1, so any byte can be sent), no newline added;
    - ``{"line": value}``: ``value`` as one JSON line by the stdlib (NaN, lone surrogates, huge ints
      survive); a top-level ``"id"`` of ``"$id"`` / ``"$id_str"`` becomes this request's id / its string;
    - ``{"big": n, "valid": bool}``: one line of ``n`` bytes: an unknown notification, or garbage;
    - ``{"reply": fields}``: the answer to this request: ``{"id": <its id>, **fields}``;
    - ``{"reply_split": fields, "at": n}``: the same, its first ``n`` bytes, a pause, then the rest;
    - ``{"sleep": seconds}``, ``{"stderr": text}``, ``{"exit": code}``.

``fake/received``
    The result is every message received from the client so far (how it answered server requests).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

INIT_RESULT = {
    "userAgent": "fake-garbage/0.163.0",
    "codexHome": "/tmp/fake-garbage",
    "platformFamily": "unix",
    "platformOs": "linux",
}


def _line(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("ascii") + b"\n"


def _write(data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(1, view) :]


def _emit(rid: Any, params: dict[str, Any]) -> None:
    out = bytearray()
    answered = bool(params.get("noreply"))
    for op in params.get("ops", []):
        if "raw" in op:
            out += op["raw"].encode("latin-1")
        elif "line" in op:
            value = op["line"]
            if isinstance(value, dict) and value.get("id") in ("$id", "$id_str"):
                value = {**value, "id": rid if value["id"] == "$id" else str(rid)}
            out += _line(value)
        elif "big" in op:
            size = int(op["big"])
            if op.get("valid"):
                head = b'{"method":"fake/unknown/big","params":{"blob":"'
                out += head + b"x" * (size - len(head) - 3) + b'"}}\n'
            else:
                out += b"{garbage " + b"g" * (size - 9) + b"\n"
        elif "reply" in op:
            out += _line({"id": rid, **op["reply"]})
            answered = True
        elif "reply_split" in op:
            reply = _line({"id": rid, **op["reply_split"]})
            at = int(op["at"])
            _write(bytes(out) + reply[:at])
            out = bytearray()
            time.sleep(0.05)
            out += reply[at:]
            answered = True
        elif "sleep" in op:
            _write(bytes(out))
            out = bytearray()
            time.sleep(float(op["sleep"]))
        elif "stderr" in op:
            sys.stderr.write(op["stderr"])
            sys.stderr.flush()
        elif "exit" in op:
            _write(bytes(out))
            os._exit(int(op["exit"]))
    if not answered:
        out += _line({"id": rid, "result": {}})
    _write(bytes(out))


def main() -> None:
    received: list[Any] = []
    for raw in sys.stdin.buffer:
        msg = json.loads(raw)
        received.append(msg)
        if not isinstance(msg, dict) or "method" not in msg or "id" not in msg:
            continue  # notifications and the client's answers to our requests
        rid, method = msg["id"], msg["method"]
        if method == "initialize":
            _write(_line({"id": rid, "result": INIT_RESULT}))
        elif method == "fake/emit":
            _emit(rid, msg.get("params") or {})
        elif method == "fake/received":
            _write(_line({"id": rid, "result": received}))
        else:
            _write(_line({"id": rid, "result": {}}))


if __name__ == "__main__":
    main()

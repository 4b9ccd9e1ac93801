"""What each rendered line says: colours, tags and the text of every event kind.

Split from :mod:`codex_python_sdk.render._exec` (which holds the renderer's state machine) so that both stay
small; nothing here keeps state.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from ..events import ResponseEvent

_RESET = "\x1b[0m"
_PALETTES = {  # role=SGR codes
    "soft": "turn=1 assistant=32 thinking=2 tool=36 ok=32 fail=31 error=31 warning=33 approval=35 summary=34 "
    "system=2",
    "vivid": "turn=1;97 assistant=1;92 thinking=2;3 tool=1;96 ok=1;92 fail=1;91 error=1;91 warning=1;93 "
    "approval=1;95 summary=1;94 system=2",
}
_ALIASES = {"on": "soft", "true": "soft", "yes": "soft", "false": "off", "none": "off", "no": "off"}
_TOOL_ITEMS = frozenset(
    {"commandExecution", "mcpToolCall", "fileChange", "webSearch", "dynamicToolCall", "collabAgentToolCall"}
    | {"imageView"}
)
_OK = frozenset({"completed", "approved", "success"})
_LEGACY_DUPLICATES = ("_delta", "item_started", "item_completed")  # codex/event/* kinds that v2 events repeat


def resolve_color_mode(color: str | bool | None, stream: Any = None) -> str:
    """The effective colour mode, ``"off"``, ``"soft"`` or ``"vivid"``, for ``color`` on ``stream``.

    See the module docstring for the rules; ``None`` means ``"auto"``.
    """
    if isinstance(color, bool):
        mode = "soft" if color else "off"
    else:
        mode = str(color or "auto").strip().lower()
        mode = _ALIASES.get(mode, mode)
    if mode in ("off", "soft", "vivid"):
        return mode
    env = os.environ
    if env.get("NO_COLOR"):
        return "off"
    force = env.get("CLICOLOR_FORCE")
    if force and force != "0":
        return "soft"
    if env.get("TERM") == "dumb":
        return "off"
    isatty = getattr(stream, "isatty", None)
    try:
        return "soft" if isatty is not None and isatty() else "off"
    except Exception:  # a closed, detached or odd stream (the seed's tests use one) is not a terminal
        return "off"


# -- text helpers (pure functions of the wire params) ------------------------------------------------------
def _short(value: Any, limit: int = 200) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _diff_counts(diff: str) -> tuple[int, int]:
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith("+"):
            if not line.startswith("+++"):
                added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def _change_kind(change: Mapping[str, Any]) -> str:
    kind = change.get("kind")
    return str((kind.get("type") if isinstance(kind, dict) else kind) or "update")


def _change_counts(change: Mapping[str, Any]) -> tuple[int, int]:
    """+/- line counts of one ``FileUpdateChange``; an added or deleted file's ``diff`` is its content."""
    diff = change.get("diff")
    if not isinstance(diff, str) or not diff:
        return 0, 0
    kind = _change_kind(change)
    if kind == "add":
        return len(diff.splitlines()), 0
    if kind == "delete":
        return 0, len(diff.splitlines())
    return _diff_counts(diff)


def _command_text(command: Any) -> str:
    return " ".join(str(p) for p in command) if isinstance(command, list) else str(command or "")


def _reason(params: Mapping[str, Any]) -> str:
    return f" (reason: {_short(params['reason'])})" if params.get("reason") else ""


def _config_warning(params: Mapping[str, Any]) -> str:
    text = _short(params.get("summary"), 500)
    if params.get("path"):
        text += f" ({params['path']})"
    return text + (f": {_short(params['details'])}" if params.get("details") else "")


def _world_writable(params: Mapping[str, Any]) -> str:
    if params.get("failedScan"):
        return "the world-writable directory scan failed"
    text = "world-writable directories: " + ", ".join(str(p) for p in (params.get("samplePaths") or [])[:5])
    return text + (f" (+{params['extraCount']} more)" if params.get("extraCount") else "")


def _review_action(action: Any) -> str:
    """What an automatic approval review is looking at, in a few words."""
    if not isinstance(action, dict):
        return ""
    kind = action.get("type")
    if kind == "command":
        return f"command: {_short(action.get('command'))}"
    if kind == "execve":
        return f"exec: {_short(_command_text(action.get('argv')) or action.get('program'))}"
    if kind == "applyPatch":
        return f"patch: {_short(', '.join(str(f) for f in action.get('files') or []))}"
    if kind == "networkAccess":
        return f"network: {action.get('target') or action.get('host')}"
    if kind == "mcpToolCall":
        return f"mcp: {action.get('server')}/{action.get('toolName')}"
    return "stdin to a running command" if kind == "writeStdin" else str(kind or "")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# -- deprecation notices -----------------------------------------------------------------------------------
# A "message" that only names the notice says nothing: the notice is then described by what it names.
_NOT_A_MESSAGE = frozenset({"", "deprecationnotice", "deprecated"})
_DEPRECATED_KEYS = ("method", "event", "name", "interface", "api", "path", "deprecated")
_REPLACEMENT_KEYS = ("replacement", "newMethod", "newEvent", "instead", "use")


def _dedup_key(text: str) -> str:
    """Letters and digits only, case-folded: both spellings of one notice get the same key."""
    return "".join(c for c in text.casefold() if c.isalnum())


def _find_text(value: Any, keys: tuple[str, ...]) -> str | None:
    """The first non-blank string under one of ``keys``, searching nested dicts and lists."""
    if isinstance(value, dict):
        for key in keys:
            found = value.get(key)
            if isinstance(found, str) and found.strip():
                return found.strip()
        nested: Any = value.values()
    elif isinstance(value, list):
        nested = value
    else:
        return None
    for item in nested:
        text = _find_text(item, keys)
        if text:
            return text
    return None


def _deprecation_text(message: Any, params: Mapping[str, Any]) -> str | None:
    """What a deprecation notice says, or None when it says nothing a user can act on (the seed's rule).

    ``message`` is the notice's own text (codex's ``summary``); when it only names the notice, the text
    is built from what the params name: ``"<method> is deprecated; use <replacement>"``.
    """
    text = _short(message)
    if _dedup_key(text) not in _NOT_A_MESSAGE:
        return text
    target = _find_text(params, _DEPRECATED_KEYS)
    if not target:
        return None
    replacement = _find_text(params, _REPLACEMENT_KEYS)
    return f"{target} is deprecated; use {replacement}" if replacement else f"{target} is deprecated"


def _review_result(params: Mapping[str, Any]) -> str:
    review = _dict(params.get("review"))
    text = str(review.get("status") or "unknown")
    if review.get("riskLevel"):
        text += f" (risk={review['riskLevel']})"
    return text + (f": {_short(review['rationale'])}" if review.get("rationale") else "")


def _file_change(params: Mapping[str, Any]) -> str:
    root = f" with write access to {params['grantRoot']}" if params.get("grantRoot") else ""
    return f"file change{root}{_reason(params)}"


def _questions(params: Mapping[str, Any]) -> str:
    texts = [_short(q.get("question")) for q in params.get("questions") or [] if isinstance(q, dict)]
    return "; ".join(texts) or "(no question)"


def _elicitation(params: Mapping[str, Any]) -> str:
    message = f": {_short(params['message'])}" if params.get("message") else ""
    return f"mcp elicitation from {params.get('serverName')}{message}"


def _hook_run(params: Mapping[str, Any]) -> str:
    run = _dict(params.get("run"))
    return f"{run.get('eventName')} {run.get('status')}"


_Format = Callable[[Mapping[str, Any]], str]
# Events shown as one line: method -> (colour role, tag, text of the params).
_ONE_LINE: dict[str, tuple[str, str, _Format]] = {
    "warning": ("warning", "[warning]", lambda p: _short(p.get("message"), 500)),
    "guardianWarning": ("warning", "[warning]", lambda p: f"auto-review: {_short(p.get('message'), 500)}"),
    "configWarning": ("warning", "[warning]", _config_warning),
    "windows/worldWritableWarning": ("warning", "[warning]", _world_writable),
    "model/rerouted": (
        "warning",
        "[model]",
        lambda p: f"rerouted {p.get('fromModel')} -> {p.get('toModel')} ({p.get('reason')})",
    ),
    "item/autoApprovalReview/started": (
        "approval",
        "[auto-review]",
        lambda p: f"reviewing {_review_action(p.get('action'))}".rstrip(),
    ),
    "item/commandExecution/terminalInteraction": ("tool", "[tool.stdin]", lambda p: _short(p.get("stdin"))),
    "item/mcpToolCall/progress": ("tool", "[tool.mcp.progress]", lambda p: _short(p.get("message"))),
}
# Server requests (they arrive in turn streams too): method -> (tag, text of the params).
_REQUESTS: dict[str, tuple[str, _Format]] = {
    "item/commandExecution/requestApproval": (
        "[approval]",
        lambda p: f"command: {_short(_command_text(p.get('command')), 500) or '(unknown)'}{_reason(p)}",
    ),
    "item/fileChange/requestApproval": ("[approval]", _file_change),
    "item/permissions/requestApproval": (
        "[approval]",
        lambda p: f"permissions: {_short(p.get('permissions'))}{_reason(p)}",
    ),
    "item/tool/requestUserInput": ("[input]", _questions),
    "mcpServer/elicitation/request": ("[approval]", _elicitation),
    "item/tool/call": ("[request]", lambda p: f"tool call: {p.get('tool')}"),
    "execCommandApproval": ("[approval]", lambda p: f"command: {_short(_command_text(p.get('command')))}"),
    "applyPatchApproval": ("[approval]", lambda p: f"file change{_reason(p)}"),
}
# item/started: item type -> (tag, label of its output, text of the item); tool types also count as tools.
_ITEM_STARTS: dict[str, tuple[str, str, _Format]] = {
    "commandExecution": ("[tool.exec]", "exec", lambda i: _short(_command_text(i.get("command")), 500)),
    "mcpToolCall": ("[tool.mcp]", "mcp:", lambda i: f"{i.get('server')}/{i.get('tool')}"),
    "fileChange": ("[tool.patch]", "patch", lambda i: "applying file changes"),
    "webSearch": ("[tool.web]", "web", lambda i: _short(i.get("query"))),
    "dynamicToolCall": (
        "[tool.call]",
        "call:",
        lambda i: f"{i['namespace']}.{i.get('tool')}" if i.get("namespace") else str(i.get("tool")),
    ),
    "collabAgentToolCall": ("[tool.agent]", "agent", lambda i: str(i.get("tool") or "")),
    "imageView": ("[tool.image]", "image", lambda i: str(i.get("path") or "")),
    "enteredReviewMode": ("[review]", "review", lambda i: "started"),
}
# Bookkeeping events shown only with show_system: method -> (tag, text of the event).
_SYSTEM: dict[str, tuple[str, Callable[[ResponseEvent], str]]] = {
    "thread/started": ("[thread]", lambda e: "started"),
    "thread/name/updated": ("[thread.name]", lambda e: str(e.thread_name or "(cleared)")),
    "thread/tokenUsage/updated": ("[usage]", lambda e: str(e.message_text or "token usage updated")),
    "thread/compacted": ("[context]", lambda e: "compacted"),
    "turn/plan/updated": ("[turn.plan]", lambda e: _short(e.message_text)),
    "serverRequest/resolved": ("[approval.resolved]", lambda e: f"request {e.request_id}"),
    "autoApprovalReview/strictReviewRequired": ("[auto-review]", lambda e: "strict review required"),
    "hook/started": ("[hook]", lambda e: _hook_run(e.params)),
    "hook/completed": ("[hook]", lambda e: _hook_run(e.params)),
}

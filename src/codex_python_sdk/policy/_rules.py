"""Rule conditions (``when`` keys) and decisions of the rule engine, compiled once when a rubric is built.

Each ``when`` key compiles to a predicate of ``(params, context)``; every key of a rule must hold (AND).
Decisions compile to a function of the params that returns the protocol answer, so nothing about a rule
is interpreted (or can fail) while a request waits.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..hooks import fail_closed_answer, tool_failure

__all__ = [
    "RUBRIC_KINDS",
    "RULE_KEYS",
    "CompiledRule",
    "compile_decision",
    "compile_when",
    "inner_command",
    "is_simple_command",
]

RUBRIC_KINDS = ("command", "file_change", "permissions", "tool_input", "mcp_elicitation", "tool_call")
"""Request kinds of a rubric (``tool_input`` is ``item/tool/requestUserInput``)."""

Predicate = Callable[[Mapping[str, Any], Any], bool]
Decision = Callable[[Mapping[str, Any]], dict[str, Any]]

_COMMON = ("thread_id_regex", "turn_id_regex")
RULE_KEYS: dict[str, tuple[str, ...]] = {
    "command": (
        "command_regex",
        "command_prefix",
        "simple_command",
        "cwd_prefix",
        "reason_regex",
        "has_proposed_execpolicy",
        *_COMMON,
    ),
    "file_change": ("paths_under", "any_path_regex", "reason_regex", "grant_root_present", *_COMMON),
    "permissions": (
        "network_requested",
        "file_system_requested",
        "write_paths_under",
        "read_paths_under",
        "cwd_prefix",
        "reason_regex",
        *_COMMON,
    ),
    "tool_input": ("question_id_regex", "question_regex", *_COMMON),
    "mcp_elicitation": ("server_regex", "message_regex", "mode", *_COMMON),
    "tool_call": ("tool_regex", "namespace_regex", *_COMMON),
}
"""The ``when`` keys each kind of rule may use."""

_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
_OPERATOR_CHARS = frozenset("();<>|&")


class RuleError(ValueError):
    """A rule that cannot be compiled (the rubric turns it into a :class:`PolicyRubricError`)."""


# -- commands ----------------------------------------------------------------------------------------
def inner_command(command: str) -> str:
    """The script inside codex's shell wrapper: ``/bin/bash -lc 'ls -la'`` -> ``ls -la``."""
    try:
        argv = shlex.split(command)
    except ValueError:
        return command
    if len(argv) == 3 and os.path.basename(argv[0]) in _SHELLS and argv[1].startswith("-") and "c" in argv[1]:
        return argv[2]
    return command


def is_simple_command(script: str) -> bool:
    """True for one plain command: no ``;``, ``&&``, ``|``, redirection, subshell, substitution, newline.

    Conservative on purpose: a quoted ``|`` inside an argument also makes a command "not simple", so an
    allow-list rule then does not match and the request falls through to the (fail-closed) default.
    """
    if "\n" in script or "`" in script or "$(" in script or "${" in script:
        return False
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return False
    return bool(tokens) and not any(tok and set(tok) <= _OPERATOR_CHARS for tok in tokens)


def _argv(script: str) -> list[str] | None:
    try:
        return shlex.split(script)
    except ValueError:
        return None


# -- values ------------------------------------------------------------------------------------------
def _strings(value: Any, key: str) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, (list, tuple)) or not values or not all(isinstance(v, str) for v in values):
        raise RuleError(f"'{key}' needs a string or a non-empty list of strings, got {value!r}")
    return list(values)


def _regex(value: Any, key: str) -> re.Pattern[str]:
    if not isinstance(value, str):
        raise RuleError(f"'{key}' needs a regular expression string, got {value!r}")
    try:
        return re.compile(value)
    except re.error as exc:
        raise RuleError(f"'{key}' is not a valid regular expression ({exc}): {value!r}") from exc


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise RuleError(f"'{key}' needs true or false, got {value!r}")
    return value


def _dirs(value: Any, key: str) -> list[str]:
    out = []
    for path in _strings(value, key):
        expanded = os.path.expanduser(path)
        if not os.path.isabs(expanded):
            raise RuleError(f"'{key}' needs absolute paths, got {path!r}")
        out.append(os.path.normpath(expanded))
    return out


def _under(path: Any, dirs: Sequence[str]) -> bool:
    """Whether ``path`` is one of ``dirs`` or inside one (path components, not string prefixes)."""
    if not isinstance(path, str) or not os.path.isabs(path):
        return False
    norm = os.path.normpath(path)
    return any(norm == d or norm.startswith(d.rstrip(os.sep) + os.sep) for d in dirs)


def _search(pattern: re.Pattern[str], value: Any) -> bool:
    return (
        pattern.search(value if isinstance(value, str) else "" if value is None else str(value)) is not None
    )


def _changed_paths(ctx: Any) -> list[str]:
    item = getattr(ctx, "item", None)
    changes = item.get("changes") if isinstance(item, Mapping) else None
    if not isinstance(changes, list):
        return []
    return [str(c["path"]) for c in changes if isinstance(c, Mapping) and isinstance(c.get("path"), str)]


def _fs_paths(params: Mapping[str, Any], access: str) -> list[str | None] | None:
    """Paths the permission request asks to read or write (None when it asks for no file access)."""
    fs = (params.get("permissions") or {}).get("fileSystem")
    if not isinstance(fs, Mapping):
        return None
    paths: list[str | None] = [p for p in fs.get(access) or () if isinstance(p, str)]
    for entry in fs.get("entries") or ():
        if isinstance(entry, Mapping) and entry.get("access") == access:
            target = entry.get("path")
            if isinstance(target, Mapping) and target.get("type") == "path":
                paths.append(target.get("path"))
            elif target is not None:
                paths.append(None)  # a glob or special path: never "under" a directory
    return paths


def _ctx_or_param(ctx: Any, attr: str, params: Mapping[str, Any], key: str) -> Any:
    value = getattr(ctx, attr, None)
    return value if value is not None else params.get(key)


# -- conditions --------------------------------------------------------------------------------------
def _condition(key: str, value: Any) -> Predicate:
    if key == "thread_id_regex":
        rx = _regex(value, key)
        return lambda p, c: _search(rx, _ctx_or_param(c, "thread_id", p, "threadId"))
    if key == "turn_id_regex":
        rx = _regex(value, key)
        return lambda p, c: _search(rx, _ctx_or_param(c, "turn_id", p, "turnId"))
    if key == "reason_regex":
        rx = _regex(value, key)
        return lambda p, c: _search(rx, p.get("reason"))
    if key == "command_regex":
        rx = _regex(value, key)
        return lambda p, c: _search(rx, inner_command(str(p.get("command") or "")))
    if key == "command_prefix":
        prefixes = [shlex.split(s) for s in _strings(value, key)]
        if not all(prefixes):
            raise RuleError(f"'{key}' has an empty prefix")

        def prefix(p: Mapping[str, Any], c: Any) -> bool:
            script = inner_command(str(p.get("command") or ""))
            argv = _argv(script) if is_simple_command(script) else None
            return argv is not None and any(argv[: len(pre)] == pre for pre in prefixes)

        return prefix
    if key == "simple_command":
        want = _bool(value, key)
        return lambda p, c: is_simple_command(inner_command(str(p.get("command") or ""))) == want
    if key == "cwd_prefix":
        dirs = _dirs(value, key)
        return lambda p, c: _under(p.get("cwd"), dirs)
    if key == "has_proposed_execpolicy":
        want = _bool(value, key)
        return lambda p, c: bool(p.get("proposedExecpolicyAmendment")) == want
    if key == "grant_root_present":
        want = _bool(value, key)
        return lambda p, c: bool(p.get("grantRoot")) == want
    if key == "paths_under":
        dirs = _dirs(value, key)
        return lambda p, c: bool(paths := _changed_paths(c)) and all(_under(x, dirs) for x in paths)
    if key == "any_path_regex":
        rx = _regex(value, key)
        return lambda p, c: any(_search(rx, x) for x in _changed_paths(c))
    if key == "network_requested":
        want = _bool(value, key)
        return lambda p, c: bool(((p.get("permissions") or {}).get("network") or {}).get("enabled")) == want
    if key == "file_system_requested":
        want = _bool(value, key)
        return lambda p, c: bool(_fs_paths(p, "write") or _fs_paths(p, "read")) == want
    if key in ("write_paths_under", "read_paths_under"):
        dirs = _dirs(value, key)
        access = "write" if key.startswith("write") else "read"
        return lambda p, c: all(_under(x, dirs) for x in _fs_paths(p, access) or ())
    if key == "question_id_regex":
        rx = _regex(value, key)
        return lambda p, c: any(_search(rx, q.get("id")) for q in _questions(p))
    if key == "question_regex":
        rx = _regex(value, key)
        return lambda p, c: any(_search(rx, q.get("question")) for q in _questions(p))
    if key == "server_regex":
        rx = _regex(value, key)
        return lambda p, c: _search(rx, p.get("serverName"))
    if key == "message_regex":
        rx = _regex(value, key)
        return lambda p, c: _search(rx, p.get("message"))
    if key == "mode":
        modes = _strings(value, key)
        return lambda p, c: p.get("mode") in modes
    if key == "tool_regex":
        rx = _regex(value, key)
        return lambda p, c: _search(rx, p.get("tool"))
    if key == "namespace_regex":
        rx = _regex(value, key)
        return lambda p, c: _search(rx, p.get("namespace"))
    raise RuleError(f"unknown condition {key!r}")  # unreachable: keys are checked first


def _questions(params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    questions = params.get("questions")
    return [q for q in questions if isinstance(q, Mapping)] if isinstance(questions, list) else []


def compile_when(kind: str, when: Any) -> tuple[Predicate, ...]:
    """The predicates of a rule's ``when`` (all must hold); RuleError for unknown keys or bad values."""
    if when is None:
        return ()
    if not isinstance(when, Mapping):
        raise RuleError(f"'when' must be a mapping of conditions, got {when!r}")
    allowed = RULE_KEYS[kind]
    for key in when:
        if key in allowed:
            continue
        if any(key in keys for keys in RULE_KEYS.values()):
            why = f"condition {key!r} does not apply to {kind} rules"
        else:
            import difflib

            close = difflib.get_close_matches(str(key), allowed, 1)
            why = f"unknown condition {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
        raise RuleError(f"{why}; {kind} rules take: {', '.join(allowed)}")
    return tuple(_condition(str(key), value) for key, value in when.items())


# -- decisions ---------------------------------------------------------------------------------------
FAIL_CLOSED: dict[str, str] = {
    "command": "decline",
    "file_change": "decline",
    "permissions": "deny",
    "tool_input": "auto_empty",
    "mcp_elicitation": "decline",
    "tool_call": "fail",
}
"""Each kind's fail-closed decision (also what ``"auto_empty"`` means for every kind)."""

DECISIONS: dict[str, tuple[str, ...]] = {
    "command": (
        "accept",
        "acceptForSession",
        "acceptWithExecpolicyAmendment",
        "decline",
        "cancel",
        "auto_empty",
    ),
    "file_change": ("accept", "acceptForSession", "decline", "cancel", "auto_empty"),
    "permissions": ("grant", "grant_for_session", "deny", "auto_empty"),
    "tool_input": ("auto_empty", "first_option"),
    "mcp_elicitation": ("accept", "decline", "cancel", "auto_empty"),
    "tool_call": ("fail", "auto_empty"),
}
"""The decision names each kind accepts (a full answer dict is accepted too)."""

_METHODS = {
    "command": "item/commandExecution/requestApproval",
    "file_change": "item/fileChange/requestApproval",
    "permissions": "item/permissions/requestApproval",
    "tool_input": "item/tool/requestUserInput",
    "mcp_elicitation": "mcpServer/elicitation/request",
    "tool_call": "item/tool/call",
}


def _granted(params: Mapping[str, Any]) -> dict[str, Any]:
    """The requested permission profile as a grant of exactly that (no more)."""
    requested = params.get("permissions") or {}
    return {k: requested[k] for k in ("fileSystem", "network") if requested.get(k) is not None}


def _first_options(params: Mapping[str, Any]) -> dict[str, Any]:
    answers = {}
    for q in _questions(params):
        options = q.get("options")
        if isinstance(options, list) and options and isinstance(options[0], Mapping):
            answers[str(q.get("id"))] = {"answers": [str(options[0].get("label"))]}
    return {"answers": answers}


def _named(kind: str, name: str, rule: str) -> Decision:
    if name == "auto_empty":
        name = FAIL_CLOSED[kind]
    if kind in ("command", "file_change"):
        if name == "acceptWithExecpolicyAmendment":

            def amend(p: Mapping[str, Any]) -> dict[str, Any]:
                proposal = p.get("proposedExecpolicyAmendment")
                if not proposal:
                    return {"decision": "accept"}
                return {
                    "decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": list(proposal)}}
                }

            return amend
        return lambda _p: {"decision": name}
    if kind == "permissions":
        if name == "deny":
            return lambda _p: fail_closed_answer("permissions")
        scope = "session" if name == "grant_for_session" else "turn"
        return lambda p: {"permissions": _granted(p), "scope": scope}
    if kind == "tool_input":
        return (
            _first_options if name == "first_option" else (lambda _p: fail_closed_answer("tool_user_input"))
        )
    if kind == "mcp_elicitation":
        return lambda _p: {"action": name}
    if rule.startswith("default"):  # nothing decided: say so, as the client does without a policy
        return lambda p: fail_closed_answer("tool_call", p)
    text = f"This tool call was declined by the client's policy ({rule})."
    return lambda _p: tool_failure(text)


def _answers_from_list(value: Mapping[str, Any]) -> dict[str, Any]:
    """The 0.1.0 judge format ``{"answers": [{"id", "answers"}]}`` as the protocol's map."""
    answers = value.get("answers")
    if not isinstance(answers, list):
        return dict(value)
    return {
        "answers": {
            str(a.get("id")): {"answers": [str(x) for x in a.get("answers") or ()]}
            for a in answers
            if isinstance(a, Mapping)
        }
    }


def compile_decision(kind: str, decision: Any, rule: str) -> Decision:
    """A rule's (or default's) decision as a function of the params; RuleError when it is not valid."""
    from ..protocol._answers import validate_answer

    if isinstance(decision, str):
        if decision not in DECISIONS[kind]:
            raise RuleError(
                f"decision {decision!r} is not valid for {kind}; use one of {', '.join(DECISIONS[kind])}"
            )
        return _named(kind, decision, rule)
    if isinstance(decision, Mapping):
        answer = _plain(decision)
        if kind == "tool_input":
            answer = _answers_from_list(answer)
        if kind == "command" and "decision" not in answer and len(answer) == 1:
            answer = {"decision": answer}  # {"acceptWithExecpolicyAmendment": {...}} alone
        problem = validate_answer(_METHODS[kind], answer)
        if problem is not None:
            raise RuleError(f"decision {decision!r} is not a valid {kind} answer: {problem}")
        return lambda _p: _plain(answer)
    raise RuleError(
        f"decision must be a name ({', '.join(DECISIONS[kind])}) or an answer dict, got {decision!r}"
    )


def _plain(value: Any) -> Any:
    """A fresh, mutable copy (rubric values are frozen; every answer gets its own dict)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class CompiledRule:
    """One rule, ready to run: its predicates and its decision."""

    kind: str
    name: str
    priority: int
    index: int
    conditions: tuple[Predicate, ...]
    decision: Decision

    def matches(self, params: Mapping[str, Any], context: Any) -> bool:
        """Whether every condition holds for this request."""
        return all(condition(params, context) for condition in self.conditions)

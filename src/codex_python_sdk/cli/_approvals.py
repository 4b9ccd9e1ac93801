"""How the command line answers the app-server's requests, and tells the live view who decided.

:class:`CliPolicy` is a policy engine: the rubric's rules first (``--allow`` prefixes, ``--read-only``, the
demo story's rules), then, for what no rule decides, the person at the terminal (``--ask``), else the
fail-closed default. Every decision is reported (request id, decision, by whom) so that the live view
shows it next to the approval.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from ..policy import RuleBasedPolicyEngine

__all__ = ["CliPolicy", "TerminalAsker", "decision_word", "run_rubric"]

Reporter = Callable[[Any, str, "str | None"], None]
"""``report(request_id, decision, by)``: see :meth:`~codex_python_sdk.render.LiveRenderer.decided`."""
Asker = Callable[[str, Any, Any], "tuple[str, str]"]
"""``ask(kind, params, context) -> (decision name, by whom)``."""

# Rubric kind -> the choices a person is offered: key, decision name, what it means.
_CHOICES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "command": (
        ("y", "accept", "yes"),
        ("a", "acceptForSession", "always, for this session"),
        ("n", "decline", "no"),
        ("c", "cancel", "no, and stop the turn"),
    ),
    "file_change": (
        ("y", "accept", "yes"),
        ("a", "acceptForSession", "always, for this session"),
        ("n", "decline", "no"),
        ("c", "cancel", "no, and stop the turn"),
    ),
    "permissions": (("y", "grant", "grant for this turn"), ("n", "deny", "deny")),
    "mcp_elicitation": (("y", "accept", "yes"), ("n", "decline", "no")),
}


def run_rubric(*, allow: list[str], read_only: bool) -> dict[str, Any]:
    """The rules of ``codex-python-sdk run``: ``--allow`` command prefixes are accepted; with
    ``--read-only`` file changes are declined and permissions denied."""
    rubric: dict[str, Any] = {
        "command_rules": [
            {"name": f"--allow {prefix}", "when": {"command_prefix": prefix}, "decision": "accept"}
            for prefix in allow
        ]
    }
    if read_only:
        # Rule names are unique across kinds: the name says which --read-only rule decided.
        rubric["file_change_rules"] = [{"name": "--read-only: no file changes", "decision": "decline"}]
        rubric["permissions_rules"] = [{"name": "--read-only: no permissions", "decision": "deny"}]
    return rubric


def decision_word(kind: str, answer: Any) -> str:
    """One word for an answer: ``accept``, ``decline``, ``grant``, ``deny``, ``answered`` ..."""
    if not isinstance(answer, Mapping):
        return str(answer)
    decision = answer.get("decision", answer.get("action"))
    if isinstance(decision, Mapping):  # {"acceptWithExecpolicyAmendment": {...}}
        return next(iter(decision), "accept")
    if decision is not None:
        return str(decision)
    if kind == "permissions":
        return "grant" if answer.get("permissions") else "deny"
    if kind == "tool_input":
        return "answered" if answer.get("answers") else "no answers"
    return "answered"


class CliPolicy:
    """A policy engine for the command line (see the module docstring); pass it as ``policy_engine=``."""

    def __init__(
        self,
        rubric: Mapping[str, Any],
        *,
        report: Reporter | None = None,
        ask: Asker | None = None,
    ) -> None:
        """Decide by ``rubric``'s rules, then ``ask`` (if given), then the fail-closed defaults; tell
        ``report`` every decision."""
        self.engine = RuleBasedPolicyEngine(rubric)
        self.report = report
        self.ask = ask
        self.decisions: list[tuple[str, str, str | None]] = []
        """(kind, decision, by) of every request decided, in order."""

    def _decide(self, kind: str, params: Any, context: Any) -> Any:
        decision = self.engine.decide(kind, params, context)
        answer = decision.result
        by: str | None = f"rule {decision.rule!r}" if decision.rule else None
        if decision.rule is None and self.ask is not None and kind in _CHOICES:
            name, by = self.ask(kind, params, context)
            answer = RuleBasedPolicyEngine({"defaults": {kind: name}}).decide(kind, params, context).result
        elif decision.rule is None:
            by = "no rule (fail-closed)"
        word = decision_word(kind, answer)
        self.decisions.append((kind, word, by))
        if self.report is not None:
            self.report(getattr(context, "request_id", None), word, by)
        return answer

    def on_command_approval(self, params: Any, context: Any = None) -> Any:
        """A command outside the sandbox."""
        return self._decide("command", params, context)

    def on_file_change_approval(self, params: Any, context: Any = None) -> Any:
        """A patch the sandbox does not allow."""
        return self._decide("file_change", params, context)

    def on_permissions_approval(self, params: Any, context: Any = None) -> Any:
        """More permissions for the turn."""
        return self._decide("permissions", params, context)

    def on_tool_request_user_input(self, params: Any, context: Any = None) -> Any:
        """Questions to the user (answered empty unless a rule says otherwise)."""
        return self._decide("tool_input", params, context)

    def on_mcp_elicitation_request(self, params: Any, context: Any = None) -> Any:
        """An MCP server asking."""
        return self._decide("mcp_elicitation", params, context)


class TerminalAsker:
    """``--ask``: asks the person at the terminal, one request at a time, holding the live view still.

    When standard input is not a terminal nobody can answer: every request is declined, and the first
    time a message on ``out`` says why (rather than waiting forever for an answer).
    """

    def __init__(self, stdin: TextIO, out: TextIO, *, hold: Callable[[], Any] | None = None) -> None:
        """Read answers from ``stdin``, write questions to ``out``; ``hold()`` is a context manager that
        keeps the live view still meanwhile (``LiveRenderer.suspended``)."""
        self.stdin = stdin
        self.out = out
        self.hold = hold
        self._warned = False

    def _interactive(self) -> bool:
        try:
            return bool(self.stdin.isatty())
        except (AttributeError, ValueError):  # closed or not a real stream
            return False

    def __call__(self, kind: str, params: Any, context: Any) -> tuple[str, str]:
        """Ask; returns (decision name, ``"you"``)."""
        choices = _CHOICES[kind]
        refuse = "deny" if kind == "permissions" else "decline"
        if not self._interactive():
            if not self._warned:
                self._warned = True
                self.out.write("--ask: standard input is not a terminal, so nobody can answer: declining.\n")
                self.out.flush()
            return refuse, "--ask (no terminal)"
        if self.hold is None:
            return self._prompt(kind, params, context, choices, refuse)
        with self.hold():
            return self._prompt(kind, params, context, choices, refuse)

    def _prompt(
        self, kind: str, params: Any, context: Any, choices: tuple[tuple[str, str, str], ...], refuse: str
    ) -> tuple[str, str]:
        self.out.write(_question(kind, params, context))
        keys = ", ".join(f"[{key}] {text}" for key, _, text in choices)
        for _ in range(3):
            self.out.write(f"  {keys}? ")
            self.out.flush()
            line = self.stdin.readline()
            if not line:  # end of input: nobody is there any more
                self.out.write("\n")
                return refuse, "you (end of input)"
            answer = line.strip().lower()[:1]
            for key, name, _ in choices:
                if answer == key:
                    return name, "you"
        return refuse, "you (no valid answer)"


def _question(kind: str, params: Any, context: Any) -> str:
    get = params.get if hasattr(params, "get") else (lambda key, default=None: default)
    reason = get("reason") or get("justification")
    if kind == "command":
        from ..policy._rules import inner_command

        text = f"\ncodex wants to run: {inner_command(str(get('command') or ''))}\n  in {get('cwd')}\n"
    elif kind == "file_change":
        item = getattr(context, "item", None) or {}
        changes = [c for c in item.get("changes") or [] if isinstance(c, Mapping)]
        text = "\ncodex wants to change: " + ", ".join(str(c.get("path")) for c in changes) + "\n"
        for change in changes:
            text += "".join(f"  {line}\n" for line in str(change.get("diff") or "").splitlines()[:40])
    elif kind == "permissions":
        wire = params.to_wire() if hasattr(params, "to_wire") else params
        text = f"\ncodex asks for permissions: {json.dumps(wire.get('permissions'), default=str)[:300]}\n"
    else:
        text = f"\n{get('serverName') or 'an MCP server'} asks: {get('message')}\n"
    return text + (f"  reason: {reason}\n" if reason else "")

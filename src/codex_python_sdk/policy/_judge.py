"""``LlmRubricPolicyEngine``: rules first, then a model judges what no rule decided.

The judge runs in its own app-server (its own client, created on first use and closed by
:meth:`LlmRubricPolicyEngine.aclose`), one ephemeral read-only thread per question, with the rubric as the
thread's instructions and a JSON output schema (turn param ``outputSchema``) that only admits the allowed
decisions. A judge that times out, fails, or answers something unusable gives the fallback decision,
never an error: the request is then answered as the rubric's default (fail-closed unless you loosened it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ._engines import (
    RUBRIC_KIND_OF,
    AuditLog,
    PolicyDecision,
    RuleBasedPolicyEngine,
    audit_log_for,
    note_rule,
)
from ._rubric import PolicyRubric, PolicyRubricError
from ._rules import DECISIONS, compile_decision

__all__ = ["LlmRubricPolicyEngine", "PolicyJudgeConfig"]

logger = logging.getLogger("codex_python_sdk")

JUDGED_DECISIONS: dict[str, tuple[str, ...]] = {
    "command": ("accept", "decline"),
    "file_change": ("accept", "decline"),
    "permissions": ("grant", "deny"),
    "mcp_elicitation": ("accept", "decline"),
}
"""What the judge may answer per kind: deliberately no session-wide grants and no ``cancel``."""

_MODES = {
    "permissive": "Allow the request unless it is clearly harmful or clearly against the rubric.",
    "balanced": "Allow what the rubric allows; decline what is risky, destructive or unclear.",
    "strict": "Decline unless the rubric clearly allows this exact request.",
}


@dataclass(frozen=True)
class PolicyJudgeConfig:
    """How the LLM judge runs (the seed 0.1.0 fields, plus the judge client's own options).

    ``client_options`` are keywords for the judge's :class:`AsyncCodexAgenticClient` (``env``,
    ``server_config_overrides``, ``process_cwd``, ``codex_command`` ...). ``fallback_*_decision`` override
    the rubric's default for when the judge gives no usable answer (None: the rubric's default).
    """

    timeout_seconds: float = 8.0
    model: str | None = None
    effort: str | None = "medium"
    summary: str | None = "none"
    include_params: bool = True
    max_params_chars: int = 8000
    enable_web_search: bool = False
    fallback_command_decision: str | None = None
    fallback_file_change_decision: str | None = None
    client_options: Mapping[str, Any] = field(default_factory=dict)
    max_concurrent: int = 4

    def __post_init__(self) -> None:
        if self.timeout_seconds <= 0:
            raise PolicyRubricError(f"timeout_seconds must be positive, got {self.timeout_seconds!r}")
        if self.max_concurrent < 1:
            raise PolicyRubricError(f"max_concurrent must be at least 1, got {self.max_concurrent!r}")
        for kind, value in (
            ("command", self.fallback_command_decision),
            ("file_change", self.fallback_file_change_decision),
        ):
            if value is not None and value not in DECISIONS[kind]:
                raise PolicyRubricError(
                    f"fallback_{kind}_decision {value!r} is not one of {', '.join(DECISIONS[kind])}"
                )
        for banned in ("policy_engine", "policy_rubric"):
            if banned in self.client_options:
                raise PolicyRubricError(
                    f"client_options must not set {banned!r} (the judge's client judges nothing)"
                )


def _output_schema(kind: str) -> dict[str, Any]:
    if kind == "tool_input":
        answer = {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "answers": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["id", "answers"],
            "additionalProperties": False,
        }
        properties: dict[str, Any] = {"answers": {"type": "array", "items": answer}}
        required = ["answers", "reason"]
    else:
        properties = {"decision": {"type": "string", "enum": list(JUDGED_DECISIONS[kind])}}
        required = ["decision", "reason"]
    properties["reason"] = {"type": "string"}
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _parse(text: str) -> Any:
    body = text.strip()
    if body.startswith("```"):  # a fenced block despite the schema
        body = body.strip("`").split("\n", 1)[-1] if "\n" in body else body.strip("`")
    return json.loads(body)


class LlmRubricPolicyEngine:
    """A policy engine that applies the rubric's rules, and asks a model to judge the rest.

    ``rubric``: a :class:`PolicyRubric` or dict (``system_rubric`` and ``mode`` instruct the judge);
    ``config``: a :class:`PolicyJudgeConfig`. Dynamic tool calls are never judged (rules / default only).
    Call :meth:`aclose` when done (a client closes it for you when it built the engine from
    ``policy_rubric=``). Use one engine per event loop.

    The seed 0.1.0's keywords work too: ``judge_config=`` (the same as ``config``) and the judge client's
    ``codex_command``, ``app_server_args``, ``env``, ``process_cwd`` and ``server_config_overrides``
    (they override the same keys of ``config.client_options``).
    """

    def __init__(
        self,
        rubric: PolicyRubric | Mapping[str, Any] | None = None,
        config: PolicyJudgeConfig | None = None,
        *,
        judge_config: PolicyJudgeConfig | None = None,
        client_factory: Callable[..., Any] | None = None,
        codex_command: str | None = None,
        app_server_args: list[str] | None = None,
        env: Mapping[str, str] | None = None,
        process_cwd: str | None = None,
        server_config_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self._factory = client_factory
        if config is not None and judge_config is not None:
            raise TypeError("give config or judge_config (its seed name), not both")
        config = config or judge_config or PolicyJudgeConfig()
        seed_options = {
            "codex_command": codex_command,
            "app_server_args": app_server_args,
            "env": env,
            "process_cwd": process_cwd,
            "server_config_overrides": server_config_overrides,
        }
        given = {k: v for k, v in seed_options.items() if v is not None}
        if given:
            config = replace(config, client_options={**config.client_options, **given})
        self.rules = RuleBasedPolicyEngine(rubric)
        self.rubric = self.rules.rubric
        self.config = config
        self.audit: AuditLog | None = audit_log_for(self.rubric)
        self.rules.audit = None  # one trail, written here (rule and judge decisions alike)
        self._client: Any = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._slots: asyncio.Semaphore | None = None
        self._closed = False

    def bind_client_factory(self, factory: Callable[..., Any]) -> None:
        """How the judge gets its own client when none was given: a client this engine is handed to
        calls this with a factory of clients like itself (same codex, same environment). The policy
        layer never imports the client."""
        if self._factory is None:
            self._factory = factory

    @property
    def judge_config(self) -> PolicyJudgeConfig:
        """The seed 0.1.0's name for :attr:`config`."""
        return self.config

    # -- the engine methods ----------------------------------------------------------------------------
    async def on_command_approval(self, params: Any, context: Any = None) -> dict[str, Any]:
        """Rules, then the judge."""
        return await self._answer("command", params, context)

    async def on_file_change_approval(self, params: Any, context: Any = None) -> dict[str, Any]:
        """Rules, then the judge (it sees the changed paths and diff when the client saw the item)."""
        return await self._answer("file_change", params, context)

    async def on_permissions_approval(self, params: Any, context: Any = None) -> dict[str, Any]:
        """Rules, then the judge (``grant`` gives exactly what was requested, for the turn)."""
        return await self._answer("permissions", params, context)

    async def on_tool_request_user_input(self, params: Any, context: Any = None) -> dict[str, Any]:
        """Rules, then the judge answers the questions."""
        return await self._answer("tool_input", params, context)

    async def on_mcp_elicitation_request(self, params: Any, context: Any = None) -> dict[str, Any]:
        """Rules, then the judge."""
        return await self._answer("mcp_elicitation", params, context)

    async def on_tool_call(self, params: Any, context: Any = None) -> dict[str, Any]:
        """Rules and default only: a judge cannot produce a tool's output."""
        return await self._answer("tool_call", params, context)

    # -- deciding --------------------------------------------------------------------------------------
    async def _answer(self, kind: str, params: Any, context: Any) -> dict[str, Any]:
        kind = RUBRIC_KIND_OF.get(kind, kind)
        started = time.perf_counter()
        decision = self.rules.decide(kind, params, context)
        extra: dict[str, Any] = {}
        if decision.rule is None and kind != "tool_call":
            decision, extra = await self._judge(kind, params, context)
        note_rule(context, decision.rule or ("llm_judge" if "judge" in extra else "default"))
        if self.audit is not None:
            extra["ms"] = round((time.perf_counter() - started) * 1000, 3)
            engine = "llm_judge" if "judge" in extra else "rules"
            self.audit.write(
                context, params, engine=engine, kind=kind, rule=decision.rule, result=decision.result, **extra
            )
        return decision.result

    def _fallback(self, kind: str, params: Any) -> dict[str, Any]:
        name = {
            "command": self.config.fallback_command_decision,
            "file_change": self.config.fallback_file_change_decision,
        }.get(kind)
        if name is not None:
            return compile_decision(kind, name, "judge fallback")(params)
        return self.rubric.default(kind)(params)

    async def _judge(self, kind: str, params: Any, context: Any) -> tuple[PolicyDecision, dict[str, Any]]:
        """(decision, audit details) from the judge; the fallback when it gives no usable answer."""
        try:
            data = await asyncio.wait_for(self._ask(kind, params, context), self.config.timeout_seconds)
            result = self._result(kind, data, params)
            return PolicyDecision(kind, None, result), {"judge": {"reason": data.get("reason")}}
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            why = (
                f"no decision within {self.config.timeout_seconds:g} s"
                if isinstance(exc, asyncio.TimeoutError)
                else f"{type(exc).__name__}: {exc}"
            )
            logger.warning("policy judge gave no usable %s decision (%s); using the fallback", kind, why)
            return PolicyDecision(kind, None, self._fallback(kind, params)), {
                "judge": {"fallback": True, "error": why}
            }

    def _result(self, kind: str, data: Any, params: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValueError(f"the judge answered {data!r}, not a JSON object")
        if kind == "tool_input":
            return compile_decision(kind, {"answers": data.get("answers") or []}, "llm judge")(params)
        decision = data.get("decision")
        if decision not in JUDGED_DECISIONS[kind]:
            raise ValueError(f"the judge's decision {decision!r} is not one of {JUDGED_DECISIONS[kind]}")
        return compile_decision(kind, decision, "llm judge")(params)

    def _instructions(self) -> str:
        return (
            "You are a policy judge. A coding agent asks for permission; decide one request at a time by "
            "the rubric below. You never run tools: read the request and answer with the JSON object the "
            "output schema describes, with a one-sentence reason.\n"
            f"Mode: {self.rubric.mode}. {_MODES.get(self.rubric.mode, '')}\n"
            f"Rubric:\n{self.rubric.system_rubric or '(none: use good judgement, decline when unsure)'}"
        )

    def _prompt(self, kind: str, params: Any, context: Any) -> str:
        request: dict[str, Any] = {"request_type": kind, "method": getattr(context, "method", None)}
        for attr in ("thread_id", "turn_id", "item_id"):
            request[attr] = getattr(context, attr, None)
        if self.config.include_params:
            request["params"] = params.to_wire() if hasattr(params, "to_wire") else params
            item = getattr(context, "item", None)
            if item is not None:
                request["item"] = item
        text = json.dumps(request, default=str, ensure_ascii=False, indent=1)
        if len(text) > self.config.max_params_chars:
            text = text[: self.config.max_params_chars] + "\n... (truncated)"
        allowed = "answers for the questions" if kind == "tool_input" else ", ".join(JUDGED_DECISIONS[kind])
        return f"Request method: {request['method']}\nAllowed decisions: {allowed}\nInput:\n{text}"

    async def _ask(self, kind: str, params: Any, context: Any) -> Any:
        client = await self._judge_client()
        assert self._slots is not None
        async with self._slots:
            thread_params: dict[str, Any] = {
                "ephemeral": True,
                "sandbox": "read-only",
                "approvalPolicy": "untrusted",
                "baseInstructions": self._instructions(),
            }
            turn_params: dict[str, Any] = {"outputSchema": _output_schema(kind)}
            for key in ("model", "effort", "summary"):
                value = getattr(self.config, key)
                if value is not None:
                    turn_params[key] = value
            response = await client.responses_create(
                prompt=self._prompt(kind, params, context),
                thread_params=thread_params,
                turn_params=turn_params,
            )
        return _parse(response.text or "")

    async def _judge_client(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._closed:
            raise RuntimeError("the policy judge is closed")
        if self._client_loop is not None and self._client_loop is not loop:
            raise RuntimeError("the policy judge is bound to another event loop; use one engine per loop")
        if self._lock is None:
            self._lock = asyncio.Lock()
            self._slots = asyncio.Semaphore(self.config.max_concurrent)
            self._client_loop = loop
        async with self._lock:
            if self._client is not None and self._client.closed:
                self._client = None  # its app-server died: start a new one
            if self._client is None:
                if self._factory is None:
                    raise RuntimeError(
                        "the policy judge has no client: give the engine to a client (policy_engine=...) "
                        "or pass client_factory=create_async_client"
                    )
                options: dict[str, Any] = {
                    "client_name": "codex-python-sdk-policy-judge",
                    "automatic_approval_review": False,
                    "enable_web_search": self.config.enable_web_search,
                    "stream_idle_timeout": None,  # the judge's own timeout applies
                    **self.config.client_options,
                }
                client = self._factory(**options)
                await client.connect()
                self._client = client
        return self._client

    def close(self, timeout: float = 10.0) -> None:
        """:meth:`aclose` from synchronous code (e.g. next to a sync client), from any thread.

        The judge's client lives on the event loop that first used the engine; when that loop runs in
        another thread (a sync client's loop), closing is scheduled there and waited for.
        """
        loop = self._client_loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and loop.is_running() and loop is not running:
            asyncio.run_coroutine_threadsafe(self.aclose(), loop).result(timeout)
        elif self._client is None or loop is None or loop.is_closed():
            self._closed = True
            self._client = None
            if self.audit is not None:
                self.audit.close()
        else:
            raise RuntimeError("LlmRubricPolicyEngine.close() inside its own event loop: await aclose()")

    async def aclose(self) -> None:
        """Stop the judge's app-server and close the audit file."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            await client.close()
        if self.audit is not None:
            self.audit.close()

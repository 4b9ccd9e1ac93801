"""Client options: every client keyword, written once.

:class:`ClientOptions` is the single definition of the keywords both clients take: the two constructors
are generated from its ``__init__`` (``scripts/generate_client.py``; a test keeps them in step), the CLI and
the test kit build a ``ClientOptions`` and hand it to ``Client.from_options``. The rules (how thread params
merge, what the command line is, when the native reviewer applies) read in one place and are unit-tested
without a process.

Timeouts are ``*_timeout`` in seconds (float; ``None``: no limit). The seed's ``*_timeout_seconds``
spellings are accepted as aliases.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from .._secret import Secret
from .._unset import UNSET, Unset
from ..errors import CodexAgenticError

TYPE_CHECKING = False  # typing is not imported at run time: this module is on the cold-start path
if TYPE_CHECKING:
    from typing import Any

    from .._transport import Transport
    from .._transport._endpoint import Endpoint
    from ..hooks import (
        CommandApprovalHook,
        FileChangeApprovalHook,
        HookError,
        McpElicitationHook,
        PermissionsApprovalHook,
        ToolCallHook,
        UserInputHook,
    )
    from ..policy import PolicyEngine, PolicyRubric
    from ..tools import Tool
    from ._toml import TomlValue
    from ._usage import Budget

__all__ = [
    "DEFAULT_APP_SERVER_ARGS",
    "DEFAULT_CLI_COMMAND",
    "DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS",
    "DEFAULT_THREAD_BASELINE",
    "HOOK_NAMES",
    "ClientOptions",
    "merge_params",
]

DEFAULT_CLI_COMMAND = "codex"
"""The seed's default command name. The SDK now resolves the binary itself (see ``_transport._binary``)."""
DEFAULT_APP_SERVER_ARGS: tuple[str, ...] = ("app-server",)
"""Arguments before the generated flags. A tuple, so it cannot be mutated for every later client."""
DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS = 60.0
DEFAULT_THREAD_BASELINE: Mapping[str, Any] = {"approvalPolicy": "on-request", "sandbox": "workspace-write"}
"""Applied when a thread is *started* (never when one is resumed): sandboxed writes, approvals on request."""

HOOK_NAMES = (
    "on_command_approval",
    "on_file_change_approval",
    "on_permissions_approval",
    "on_tool_request_user_input",
    "on_mcp_elicitation_request",
    "on_tool_call",
)
"""The client's hook attributes, one per server-request kind (swappable at run time)."""

_TIMEOUTS = ("stream_idle_timeout", "turn_timeout", "request_timeout", "approval_timeout")


def merge_params(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge dict layers left to right; a ``None`` value removes the key (the seed's rule)."""
    merged: dict[str, Any] = {}
    for layer in layers:
        if layer:
            merged.update(layer)
    return {k: v for k, v in merged.items() if v is not None}


def _features(values: Sequence[str] | None, name: str) -> list[str]:
    if isinstance(values, str):
        raise CodexAgenticError(f"{name} must be a list of feature names, not a string")
    out: list[str] = []
    for value in values or ():
        if not isinstance(value, str) or not value.strip():
            raise CodexAgenticError(f"{name}: feature names must be non-empty strings, got {value!r}")
        if value.strip() not in out:
            out.append(value.strip())
    return out


def _timeout(
    name: str, value: float | Unset | None, alias: float | Unset | None, default: float | None
) -> float | None:
    if not isinstance(alias, Unset):
        if not isinstance(value, Unset) and value != alias:
            raise CodexAgenticError(f"{name} and {name}_seconds are the same option; give one")
        value = alias
    if isinstance(value, Unset):
        return default
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
        raise CodexAgenticError(f"{name} must be a positive number of seconds or None, got {value!r}")
    return None if value is None else float(value)


def _check_token(token: object, what: str) -> None:
    # Never the value in the message: the point of this check is a malformed secret.
    if not isinstance(token, str) or not token:
        raise CodexAgenticError(f"{what} must be a non-empty string")
    if not all(" " < ch < "\x7f" for ch in token):
        raise CodexAgenticError(
            f"{what} must be printable ASCII without spaces (it goes into an HTTP header)"
        )


def _remote(
    url: str | None,
    *,
    transport: object,
    token: str | None,
    token_env: str | None,
    process_options: Mapping[str, bool],
) -> tuple[str | None, Endpoint | None]:
    """Check the options of a client that connects to a running app-server; returns (url, endpoint)."""
    if url is None:
        if token is not None or token_env is not None:
            raise CodexAgenticError("token= and token_env= are for url= (a running app-server); give url=")
        return None, None
    from .._transport._endpoint import parse_endpoint  # only when a URL is given

    endpoint = parse_endpoint(url)
    if transport is not None:
        raise CodexAgenticError("give url= or transport=, not both")
    given = [name for name, present in process_options.items() if present]
    if given:
        raise CodexAgenticError(
            f"url= connects to a running app-server, so {', '.join(given)} cannot apply (they shape an "
            "app-server this client starts): configure the server where it runs"
        )
    if token is not None and token_env is not None:
        raise CodexAgenticError("give token= or token_env=, not both")
    if token is not None:
        _check_token(token, "token")
    if token_env is not None and (not isinstance(token_env, str) or not token_env):
        raise CodexAgenticError("token_env must name an environment variable")
    return url, endpoint


class ClientOptions:
    """The keywords of :class:`AsyncCodexAgenticClient` and :class:`CodexAgenticClient`, validated.

    Process and protocol:

    - ``codex_command``: the codex executable. When omitted: ``$CODEX_PYTHON_SDK_CODEX``, then the binary
      bundled with ``openai-codex-cli-bin``, then ``codex`` on PATH.
    - ``app_server_args``: arguments before the generated flags (default ``["app-server"]``).
    - ``env`` (default: this process's environment) and ``process_cwd`` (default: the current directory)
      of the app-server process. Put secrets here, not in ``server_config_overrides``: the command line is
      visible to every user of the machine (``ps``), the environment is not. Codex reads provider keys
      and headers from the environment by name (``model_providers.<id>.env_key``, ``env_http_headers``).
    - ``enabled_features`` / ``disabled_features``: ``--enable`` / ``--disable`` flags.
    - ``enable_web_search``: live web search (``-c web_search="live"``); off by default.
    - ``server_config_overrides``: ``-c key=value`` flags, values encoded as TOML (``RawToml`` passes text).
    - ``transport``: a ready :class:`~codex_python_sdk.Transport` instead of spawning codex.
    - ``client_name`` (``clientInfo.name``), ``experimental_api`` (default True),
      ``opt_out_notification_methods``.

    A running app-server instead (see docs/scale.md, "Remote app-servers"; needs the ``[ws]`` extra):

    - ``url``: ``ws://HOST:PORT``, ``wss://HOST:PORT`` or ``unix:///abs/path.sock`` of an app-server
      started with ``codex app-server --listen ...``. Nothing is spawned; the options that shape a spawned
      process (``codex_command``, ``app_server_args``, ``env``, ``process_cwd``, ``enabled_features``,
      ``disabled_features``, ``enable_web_search``, ``server_config_overrides``) are an error with it:
      configure the server where it runs.
    - ``token`` / ``token_env``: the bearer token for a server started with ``--ws-auth`` (sent as
      ``Authorization: Bearer``), or the name of an environment variable holding it, read at each
      connect. Never shown in reprs, logs or errors.
    - ``connect_timeout`` (default 10): seconds for the TCP connection, TLS and the WebSocket upgrade.

    Threads and turns:

    - ``default_thread_params`` / ``default_turn_params``: merged under each call's params. Thread params
      (and the baseline ``approvalPolicy=on-request``, ``sandbox=workspace-write``) apply when a thread is
      *started*; resuming a thread sends only what that call asked for.
    - ``tools``: Python functions or :class:`~codex_python_sdk.Tool` objects the model can call on every
      thread this client starts.

    Deciding the server's requests (see :mod:`codex_python_sdk.hooks`):

    - ``on_command_approval``, ``on_file_change_approval``, ``on_permissions_approval``,
      ``on_tool_request_user_input``, ``on_mcp_elicitation_request``, ``on_tool_call``: hooks, sync or
      async. Without a hook or policy the answer is fail-closed (decline, empty grant, no answers, a
      failed tool call).
    - ``policy_engine`` / ``policy_rubric``: a policy consulted when no hook is set.
    - ``automatic_approval_review``: route approvals to Codex's native reviewer (``approvalsReviewer:
      "auto_review"``) when no approval hook or policy of yours would decide them.
    - ``on_hook_error``: called with a :class:`~codex_python_sdk.HookError` whenever a hook, engine or tool
      failed and the request was answered fail-closed.
    - ``hook_workers`` (default 8) / ``tool_workers`` (default 8): threads for sync hooks and policy
      engines, and for sync Python tools. Separate pools, so slow approvals never starve tool calls; a
      sync callable that never returns keeps its thread (daemon) until it does.

    Timeouts (seconds; ``None``: no limit):

    - ``request_timeout`` (default 120): every JSON-RPC request.
    - ``stream_idle_timeout`` (default 60): a turn with no event for this long is interrupted and raises
      :class:`~codex_python_sdk.StreamIdleTimeoutError`; time spent in your hooks does not count.
    - ``turn_timeout`` (default none): a whole-turn deadline; past it the turn is interrupted and
      :class:`~codex_python_sdk.TurnTimeoutError` raised with the partial response, even while events
      keep coming (codex retrying an unreachable model). Per call: ``turn_timeout=``.
    - ``approval_timeout`` (default 300): a hook or engine that has not answered by then is answered
      fail-closed for it (and recorded as a ``HookError``).

    Buffers:

    - ``max_buffered_events`` (default 100,000): events a turn stream may hold for a consumer that reads
      slower than the app-server writes. Past it the turn is interrupted and the stream raises
      :class:`~codex_python_sdk.StreamOverflowError`; nothing is ever dropped silently.

    Budgets and tracing (see docs/observability.md):

    - ``budget``: a :class:`~codex_python_sdk.Budget` (``max_turns``, ``max_tokens``,
      ``max_seconds_per_turn``) counted across this client's turns; past it a turn is interrupted and
      :class:`~codex_python_sdk.BudgetExceededError` raised. Per call: ``budget=`` on the turn methods.
    - ``tracer_provider``: the OpenTelemetry ``TracerProvider`` for the spans of turns, tool calls and
      approvals (the ``[otel]`` extra). Default: the global one, once the application has set one up.
    - ``capture_content``: record prompts, answers, commands and tool arguments/results in spans (default:
      the ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` environment variable, else off).
    """

    def __init__(
        self,
        *,
        codex_command: str | None = None,
        app_server_args: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        process_cwd: str | os.PathLike[str] | None = None,
        default_thread_params: Mapping[str, object] | None = None,
        default_turn_params: Mapping[str, object] | None = None,
        automatic_approval_review: bool | None = None,
        enabled_features: Sequence[str] | None = None,
        disabled_features: Sequence[str] | None = None,
        enable_web_search: bool = False,
        server_config_overrides: Mapping[str, TomlValue] | None = None,
        stream_idle_timeout: float | Unset | None = UNSET,
        turn_timeout: float | Unset | None = UNSET,
        request_timeout: float | Unset | None = UNSET,
        approval_timeout: float | Unset | None = UNSET,
        on_command_approval: CommandApprovalHook | None = None,
        on_file_change_approval: FileChangeApprovalHook | None = None,
        on_permissions_approval: PermissionsApprovalHook | None = None,
        on_tool_request_user_input: UserInputHook | None = None,
        on_mcp_elicitation_request: McpElicitationHook | None = None,
        on_tool_call: ToolCallHook | None = None,
        policy_engine: PolicyEngine | None = None,
        policy_rubric: PolicyRubric | Mapping[str, object] | None = None,
        on_hook_error: Callable[[HookError], object] | None = None,
        tools: Sequence[Tool | Callable[..., object]] | None = None,
        transport: Transport | None = None,
        url: str | None = None,
        token: str | None = None,
        token_env: str | None = None,
        connect_timeout: float | Unset | None = UNSET,
        client_name: str = "codex-python-sdk",
        experimental_api: bool = True,
        opt_out_notification_methods: Sequence[str] | None = None,
        hook_workers: int = 8,
        tool_workers: int = 8,
        max_buffered_events: int = 100_000,
        budget: Budget | None = None,
        tracer_provider: object | None = None,
        capture_content: bool | None = None,
        stream_idle_timeout_seconds: float | Unset | None = UNSET,
        turn_timeout_seconds: float | Unset | None = UNSET,
        request_timeout_seconds: float | Unset | None = UNSET,
        approval_timeout_seconds: float | Unset | None = UNSET,
    ) -> None:
        self.url, self.endpoint = _remote(
            url,
            transport=transport,
            token=token,
            token_env=token_env,
            process_options={
                "codex_command": codex_command is not None,
                "app_server_args": app_server_args is not None,
                "env": env is not None,
                "process_cwd": process_cwd is not None,
                "enabled_features": bool(enabled_features),
                "disabled_features": bool(disabled_features),
                "enable_web_search": bool(enable_web_search),
                "server_config_overrides": bool(server_config_overrides),
            },
        )
        self._token = Secret(token) if token is not None else None
        self.token_env = token_env
        self.connect_timeout = _timeout("connect_timeout", connect_timeout, UNSET, 10.0)
        self._prelaunched = False  # set by the factories: the transport is one they started for us
        if app_server_args is not None and (
            isinstance(app_server_args, str) or not all(isinstance(a, str) for a in app_server_args)
        ):
            raise CodexAgenticError("app_server_args must be a list of strings")
        self.codex_command = codex_command
        self.app_server_args = (
            list(app_server_args) if app_server_args is not None else list(DEFAULT_APP_SERVER_ARGS)
        )
        self.env = dict(env) if env is not None else None
        self.process_cwd = os.path.abspath(os.fspath(process_cwd)) if process_cwd is not None else os.getcwd()
        self.default_thread_params = dict(default_thread_params or {})
        self.default_turn_params = dict(default_turn_params or {})
        self.automatic_approval_review = automatic_approval_review
        self.enabled_features = _features(enabled_features, "enabled_features")
        self.disabled_features = _features(disabled_features, "disabled_features")
        both = set(self.enabled_features) & set(self.disabled_features)
        if both:
            raise CodexAgenticError(f"features both enabled and disabled: {sorted(both)}")
        if automatic_approval_review and "guardian_approval" in self.disabled_features:
            raise CodexAgenticError(
                "automatic_approval_review=True needs the 'guardian_approval' feature, which "
                "disabled_features turns off"
            )
        self.enable_web_search = bool(enable_web_search)
        self.server_config_overrides = dict(server_config_overrides or {})
        self.stream_idle_timeout = _timeout(
            "stream_idle_timeout", stream_idle_timeout, stream_idle_timeout_seconds, 60.0
        )
        self.turn_timeout = _timeout("turn_timeout", turn_timeout, turn_timeout_seconds, None)
        self.request_timeout = _timeout("request_timeout", request_timeout, request_timeout_seconds, 120.0)
        self.approval_timeout = _timeout(
            "approval_timeout", approval_timeout, approval_timeout_seconds, 300.0
        )
        self.hooks: dict[str, Callable[..., object] | None] = {
            "on_command_approval": on_command_approval,
            "on_file_change_approval": on_file_change_approval,
            "on_permissions_approval": on_permissions_approval,
            "on_tool_request_user_input": on_tool_request_user_input,
            "on_mcp_elicitation_request": on_mcp_elicitation_request,
            "on_tool_call": on_tool_call,
        }
        for name, hook in [*self.hooks.items(), ("on_hook_error", on_hook_error)]:
            if hook is not None and not callable(hook):
                raise CodexAgenticError(f"{name} must be callable, got {type(hook).__name__}")
        self.policy_engine = policy_engine
        self.policy_rubric = policy_rubric
        self.on_hook_error = on_hook_error
        if tools is not None and (isinstance(tools, (str, bytes)) or not isinstance(tools, Sequence)):
            raise CodexAgenticError("tools must be a list of functions or Tool objects")
        self.tools = list(tools or ())
        self.transport = transport
        self.client_name = client_name
        self.experimental_api = bool(experimental_api)
        self.opt_out_notification_methods = list(opt_out_notification_methods or [])
        for name, count in (
            ("hook_workers", hook_workers),
            ("tool_workers", tool_workers),
            ("max_buffered_events", max_buffered_events),
        ):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise CodexAgenticError(f"{name} must be a positive integer, got {count!r}")
        self.hook_workers = hook_workers
        self.tool_workers = tool_workers
        self.max_buffered_events = max_buffered_events
        if budget is not None:  # imported only then: this module is on the cold-start path
            from ._usage import check_budget

            budget = check_budget(budget)
        self.budget = budget
        if tracer_provider is not None and not callable(getattr(tracer_provider, "get_tracer", None)):
            raise CodexAgenticError("tracer_provider must be an OpenTelemetry TracerProvider (or None)")
        self.tracer_provider = tracer_provider
        self.capture_content = None if capture_content is None else bool(capture_content)
        # Encode now so that a value without a TOML form fails at construction, not at connect.
        try:
            self.command_line_flags()
        except (TypeError, ValueError) as exc:
            raise CodexAgenticError(f"server_config_overrides: {exc}") from exc

    def __repr__(self) -> str:
        # Never the environment or hook objects: a repr ends up in logs and bug reports.
        shown: dict[str, object] = (
            {"url": self.endpoint.display, "token": self._token, "token_env": self.token_env}
            if self.endpoint is not None
            else {"codex_command": self.codex_command, "process_cwd": self.process_cwd}
        )
        shown["transport"] = type(self.transport).__name__ if self.transport is not None else None
        return "ClientOptions(" + ", ".join(f"{k}={v!r}" for k, v in shown.items() if v is not None) + ")"

    # -- a running app-server ----------------------------------------------------------------------------
    def resolve_token(self) -> Secret | None:
        """The bearer token for ``url``: ``token``, or the ``token_env`` variable as it is now (so a
        rotated token is picked up by the next connect or ``reconnect()``)."""
        if self.token_env is None:
            return self._token
        value = os.environ.get(self.token_env, "")
        if not value:
            raise CodexAgenticError(
                f"token_env={self.token_env!r}: that environment variable is not set or empty"
            )
        _check_token(value, f"the {self.token_env} environment variable")
        return Secret(value)

    # -- command line ----------------------------------------------------------------------------------
    def command_line_flags(self) -> list[str]:
        """Flags after ``app-server``: features, web search, config overrides (TOML-encoded)."""
        flags: list[str] = []
        for feature in self.enabled_features:
            flags += ["--enable", feature]
        for feature in self.disabled_features:
            flags += ["--disable", feature]
        overrides = dict(self.server_config_overrides)
        if self.enable_web_search:
            overrides.setdefault("web_search", "live")
        from ._toml import encode_overrides  # needed at launch only: kept off the clients' import

        flags += encode_overrides(overrides)
        return flags

    def secret_overrides(self) -> list[str]:
        """Keys of ``server_config_overrides`` that look like secrets (they would show in ``ps``)."""
        from .._redact import is_secret_key, redact_text  # only when asked: not on the cold-start path

        found = []
        for key, value in self.server_config_overrides.items():
            text = str(value)
            if is_secret_key(key.rsplit(".", 1)[-1]) or redact_text(text) != text:
                found.append(key)
        return found

    def child_env(self, path_prepend: Sequence[str] = ()) -> dict[str, str]:
        """The app-server's environment: ``env`` (or ours), with the bundled helpers first on PATH."""
        env = dict(self.env) if self.env is not None else dict(os.environ)
        if path_prepend:
            env["PATH"] = os.pathsep.join([*path_prepend, env.get("PATH", "")]).rstrip(os.pathsep)
        return env

    # -- approvals reviewer ----------------------------------------------------------------------------
    def approvals_reviewer(self, *, local_decider: bool) -> str | None:
        """The ``approvalsReviewer`` to start threads with, or None to leave Codex's default (``user``).

        Precedence: your hook or policy always decides when you configured one (``local_decider``: the
        client's *current* approval hooks or policy engine), so the native reviewer is only selected when
        ``automatic_approval_review=True`` and nothing local would decide.
        """
        if not self.automatic_approval_review or local_decider:
            return None
        return "auto_review"

    # -- params ----------------------------------------------------------------------------------------
    def thread_start_params(
        self,
        params: Mapping[str, Any] | None,
        *,
        reviewer: str | None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Params for ``thread/start``: baseline, then ``default_thread_params``, then the call's."""
        base = dict(DEFAULT_THREAD_BASELINE)
        if reviewer:
            base["approvalsReviewer"] = reviewer
        return merge_params(base, extra, self.default_thread_params, params)

    def turn_params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Per-turn params: ``default_turn_params`` under the call's."""
        if params is not None and not isinstance(params, Mapping):  # dict.update's own error is cryptic
            raise TypeError(f"turn_params must be a dict, got {type(params).__name__}")
        return merge_params(self.default_turn_params, params)

"""Client options: the seed's constructor keywords, validated once, and what they turn into.

Kept apart from the client so the rules (how thread params merge, what the command line is, when the
native reviewer applies) read in one place and are unit-tested without a process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from ..errors import CodexAgenticError
from ._toml import encode_overrides

TYPE_CHECKING = False  # typing is not imported at run time: this module is on the cold-start path
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DEFAULT_APP_SERVER_ARGS",
    "DEFAULT_CLI_COMMAND",
    "DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS",
    "DEFAULT_THREAD_BASELINE",
    "ClientOptions",
    "merge_params",
]

DEFAULT_CLI_COMMAND = "codex"
"""The seed's default command name. The SDK now resolves the binary itself (see ``_binary``)."""
DEFAULT_APP_SERVER_ARGS: tuple[str, ...] = ("app-server",)
"""Arguments before the generated flags. A tuple, so it cannot be mutated for every later client."""
DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS = 60.0
DEFAULT_REQUEST_TIMEOUT_SECONDS = 120.0
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


def merge_params(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge dict layers left to right; a ``None`` value removes the key (the seed's rule)."""
    merged: dict[str, Any] = {}
    for layer in layers:
        if layer:
            merged.update(layer)
    return {k: v for k, v in merged.items() if v is not None}


def _features(values: Sequence[str] | None, name: str) -> list[str]:
    out: list[str] = []
    for value in values or ():
        if not isinstance(value, str) or not value.strip():
            raise CodexAgenticError(f"{name}: feature names must be non-empty strings, got {value!r}")
        if value.strip() not in out:
            out.append(value.strip())
    return out


_INPUTS = (
    "codex_command",
    "app_server_args",
    "env",
    "process_cwd",
    "default_thread_params",
    "default_turn_params",
    "automatic_approval_review",
    "enabled_features",
    "disabled_features",
    "enable_web_search",
    "server_config_overrides",
    "stream_idle_timeout_seconds",
    "turn_timeout_seconds",
    "request_timeout_seconds",
    "approval_timeout_seconds",
    "client_name",
    "experimental_api",
    "opt_out_notification_methods",
    *HOOK_NAMES,
)


class ClientOptions:
    """Normalized constructor options (see :class:`AsyncCodexAgenticClient` for each one's meaning).

    A plain class rather than a dataclass: it is built before codex starts, where every import counts.
    """

    codex_command: str | None
    app_server_args: list[str]
    env: dict[str, str] | None
    process_cwd: str
    default_thread_params: dict[str, Any]
    default_turn_params: dict[str, Any]
    automatic_approval_review: bool | None
    enabled_features: list[str]
    disabled_features: list[str]
    enable_web_search: bool
    server_config_overrides: dict[str, Any]
    stream_idle_timeout_seconds: float | None
    turn_timeout_seconds: float | None
    request_timeout_seconds: float | None
    approval_timeout_seconds: float | None
    client_name: str
    experimental_api: bool
    opt_out_notification_methods: list[str]
    hooks: dict[str, Callable[..., Any] | None]

    def __init__(self, **kw: Any) -> None:
        unknown = set(kw) - set(_INPUTS)
        if unknown:
            raise TypeError(f"unknown client options: {sorted(unknown)}")
        app_server_args = kw.get("app_server_args")
        env = kw.get("env")
        cwd = kw.get("process_cwd")
        self.codex_command = kw.get("codex_command")
        self.app_server_args = (
            list(app_server_args) if app_server_args is not None else list(DEFAULT_APP_SERVER_ARGS)
        )
        self.env = dict(env) if env is not None else None
        self.process_cwd = os.path.abspath(os.fspath(cwd)) if cwd is not None else os.getcwd()
        self.default_thread_params = dict(kw.get("default_thread_params") or {})
        self.default_turn_params = dict(kw.get("default_turn_params") or {})
        self.automatic_approval_review = kw.get("automatic_approval_review")
        self.enabled_features = list(kw.get("enabled_features") or [])
        self.disabled_features = list(kw.get("disabled_features") or [])
        self.enable_web_search = bool(kw.get("enable_web_search", False))
        self.server_config_overrides = dict(kw.get("server_config_overrides") or {})
        self.stream_idle_timeout_seconds = kw.get(
            "stream_idle_timeout_seconds", DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS
        )
        self.turn_timeout_seconds = kw.get("turn_timeout_seconds")
        self.request_timeout_seconds = kw.get("request_timeout_seconds", DEFAULT_REQUEST_TIMEOUT_SECONDS)
        self.approval_timeout_seconds = kw.get("approval_timeout_seconds")
        self.client_name = kw.get("client_name", "codex-python-sdk")
        self.experimental_api = kw.get("experimental_api", True)
        self.opt_out_notification_methods = list(kw.get("opt_out_notification_methods") or [])
        self.hooks = {name: kw.get(name) for name in HOOK_NAMES}

    @classmethod
    def from_kwargs(cls, kw: Mapping[str, Any]) -> ClientOptions:
        """Normalize and validate client constructor keywords (other keys, e.g. ``self``, are ignored)."""
        options = cls(**{k: v for k, v in kw.items() if k in _INPUTS})
        options.validate()
        if options.automatic_approval_review and "guardian_approval" in options.disabled_features:
            raise CodexAgenticError(
                "automatic_approval_review=True conflicts with disabled feature 'guardian_approval'"
            )
        return options

    def validate(self) -> None:
        """Check the options; raise :class:`CodexAgenticError` naming the bad one."""
        if self.app_server_args is not None and not all(isinstance(a, str) for a in self.app_server_args):
            raise CodexAgenticError("app_server_args must be a list of strings")
        self.enabled_features = _features(self.enabled_features, "enabled_features")
        self.disabled_features = _features(self.disabled_features, "disabled_features")
        both = set(self.enabled_features) & set(self.disabled_features)
        if both:
            raise CodexAgenticError(f"features both enabled and disabled: {sorted(both)}")
        for name in (
            "stream_idle_timeout_seconds",
            "turn_timeout_seconds",
            "request_timeout_seconds",
            "approval_timeout_seconds",
        ):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, float)) or value <= 0):
                raise CodexAgenticError(f"{name} must be a positive number or None, got {value!r}")
        for name, hook in self.hooks.items():
            if hook is not None and not callable(hook):
                raise CodexAgenticError(f"{name} must be callable, got {type(hook).__name__}")
        # Encode now so that a value without a TOML form fails at construction, not at connect.
        try:
            self.command_line_flags()
        except (TypeError, ValueError) as exc:
            raise CodexAgenticError(f"server_config_overrides: {exc}") from exc

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
        flags += encode_overrides(overrides)
        return flags

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
        return merge_params(self.default_turn_params, params)

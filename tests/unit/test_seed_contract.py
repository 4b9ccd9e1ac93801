"""The seed's public API (codex-python-sdk 0.2.x) keeps working: names, keywords and defaults.

An API freeze for what users of the seed wrote: every seed method exists on both clients with the seed's
parameters, every seed constructor keyword is accepted, and the seed's exported names resolve.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import codex_python_sdk as sdk

# method -> the seed's parameters, in order (keyword-only ones after "*")
SEED_METHODS: dict[str, tuple[str, ...]] = {
    "responses_events": ("*", "prompt", "thread_id", "thread_params", "turn_params"),
    "responses_stream_text": ("*", "prompt", "thread_id", "thread_params", "turn_params"),
    "responses_create": ("*", "prompt", "thread_id", "thread_params", "turn_params", "include_events"),
    "thread_start": ("*", "params"),
    "thread_read": ("thread_id", "*", "include_turns"),
    "thread_list": ("limit", "*", "sort_key"),
    "thread_archive": ("thread_id",),
    "thread_fork": ("thread_id", "*", "params"),
    "thread_name_set": ("thread_id", "name"),
    "thread_unarchive": ("thread_id",),
    "thread_compact_start": ("thread_id",),
    "thread_rollback": ("thread_id", "num_turns"),
    "thread_loaded_list": ("*", "limit", "cursor"),
    "thread_metadata_update": ("thread_id", "*", "git_info"),
    "skills_list": ("*", "cwds", "force_reload"),
    "skills_remote_list": (),
    "skills_remote_export": ("hazelnut_id",),
    "skills_remote_read": (),
    "skills_remote_write": ("hazelnut_id", "is_preload"),
    "app_list": ("*", "limit", "cursor"),
    "skills_config_write": ("path", "enabled"),
    "turn_interrupt": ("thread_id", "turn_id"),
    "turn_steer": ("thread_id", "turn_id", "prompt"),
    "review_start": ("thread_id", "target", "*", "delivery"),
    "experimental_feature_list": ("*", "limit", "cursor"),
    "model_list": ("*", "limit", "cursor"),
    "account_rate_limits_read": (),
    "account_read": ("*", "refresh_token"),
    "command_exec": tuple(
        [
            "command",
            "*",
            "cwd",
            "timeout_ms",
            "process_id",
            "env",
            "output_bytes_cap",
            "disable_output_cap",
            "disable_timeout",
            "sandbox_policy",
            "stream_stdin",
            "stream_stdout_stderr",
            "tty",
            "size",
        ]
    ),
    "command_exec_write": ("process_id", "*", "data", "close_stdin"),
    "command_exec_resize": ("process_id", "*", "rows", "cols"),
    "command_exec_terminate": ("process_id",),
    "command_exec_events": tuple(
        [
            "command",
            "*",
            "process_id",
            "cwd",
            "timeout_ms",
            "env",
            "output_bytes_cap",
            "disable_output_cap",
            "disable_timeout",
            "sandbox_policy",
            "stream_stdin",
            "tty",
            "size",
        ]
    ),
    "config_read": ("*", "cwd", "include_layers"),
    "config_value_write": ("key_path", "value", "*", "merge_strategy", "file_path", "expected_version"),
    "config_batch_write": ("edits", "*", "file_path", "expected_version"),
    "config_requirements_read": (),
    "config_mcp_server_reload": (),
    "mcp_server_status_list": ("*", "limit", "cursor"),
    "mcp_server_oauth_login": ("name", "*", "scopes", "timeout_secs"),
    "fuzzy_file_search": ("query", "*", "roots", "cancellation_token"),
}
SEED_DEFAULTS = {
    ("thread_list", "limit"): 50,
    ("thread_list", "sort_key"): "updated_at",
    ("thread_read", "include_turns"): False,
    ("responses_create", "include_events"): False,
    ("config_value_write", "merge_strategy"): "upsert",
    ("config_read", "include_layers"): False,
}
SEED_CONSTRUCTOR_KEYWORDS = [
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
    "on_command_approval",
    "on_file_change_approval",
    "on_permissions_approval",
    "on_tool_request_user_input",
    "on_mcp_elicitation_request",
    "on_tool_call",
    "policy_engine",
    "policy_rubric",
]
SEED_EXPORTS = [
    "AgentResponse",
    "ResponseEvent",
    "CommandExecEvent",
    "AsyncCodexAgenticClient",
    "CodexAgenticClient",
    "create_client",
    "create_async_client",
    "CodexAgenticError",
    "AppServerConnectionError",
    "SessionNotFoundError",
    "NotAuthenticatedError",
    "DEFAULT_CLI_COMMAND",
    "DEFAULT_APP_SERVER_ARGS",
    "PolicyEngine",
    "PolicyContext",
    "PolicyRubric",
    "DEFAULT_POLICY_RUBRIC",
    "DefaultPolicyEngine",
    "RuleBasedPolicyEngine",
    "build_policy_engine_from_rubric",
    "ExecStyleRenderer",
    "render_exec_style_events",
]


def _shape(fn: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    star = False
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        if p.kind is p.KEYWORD_ONLY and not star:
            out.append(("*", None))
            star = True
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        out.append((p.name, p.default))
    return out


@pytest.mark.parametrize("client_cls", [sdk.AsyncCodexAgenticClient, sdk.CodexAgenticClient])
@pytest.mark.parametrize("name", sorted(SEED_METHODS))
def test_seed_methods_keep_their_parameters(client_cls: type, name: str) -> None:
    shape = _shape(getattr(client_cls, name))
    names = [n for n, _ in shape]
    seed = list(SEED_METHODS[name])
    # The seed's parameters come first, in the seed's order and kind; new ones may only follow.
    assert names[: len(seed)] == seed, f"{client_cls.__name__}.{name}{tuple(names)}"
    for (method, param), default in SEED_DEFAULTS.items():
        if method == name:
            assert dict(shape)[param] == default


def test_seed_constructor_keywords_are_accepted() -> None:
    params = inspect.signature(sdk.AsyncCodexAgenticClient.__init__).parameters
    missing = [
        k
        for k in SEED_CONSTRUCTOR_KEYWORDS
        if k not in params or params[k].kind is not params[k].KEYWORD_ONLY
    ]
    assert missing == []


def test_seed_exports_resolve_and_response_fields_exist() -> None:
    for name in SEED_EXPORTS:
        assert getattr(sdk, name) is not None and name in sdk.__all__
    response = sdk.AgentResponse(text="t", thread_id="th")
    assert (response.session_id, response.request_id, response.tool_name, response.raw, response.events) == (
        "th", None, "app-server", None, None,
    )  # fmt: skip
    event = sdk.ResponseEvent("x")
    fields = (
        "type phase text_delta message_text request_id thread_id turn_id item_id summary_index thread_name"
    )
    for field in [*fields.split(), "token_usage", "plan", "diff", "raw", "timestamp"]:
        assert hasattr(event, field)
    assert list(sdk.DEFAULT_APP_SERVER_ARGS) == ["app-server"] and sdk.DEFAULT_CLI_COMMAND == "codex"

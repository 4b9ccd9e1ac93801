"""TOML encoding of config overrides, binary resolution, error classification, prompt inputs."""

from __future__ import annotations

import datetime as dt
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import (
    AppServerConnectionError,
    AuthRequiredError,
    ConfigWriteError,
    InputTooLargeError,
    InvalidParamsError,
    MethodNotFoundError,
    NotAuthenticatedError,
    RawToml,
    RpcError,
    SessionNotFoundError,
    ThreadNotFoundError,
)
from codex_python_sdk._client._options import ClientOptions
from codex_python_sdk._client._toml import encode_overrides, toml_value
from codex_python_sdk._transport._binary import ENV_VAR, resolve_codex_binary
from codex_python_sdk.errors import CodexAgenticError, error_from_rpc

# A real parser to check the encoder against (the encoder itself needs none); tomli is tomllib's origin.
if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.mark.parametrize(
    "value",
    [
        True,
        0,
        -7,
        1.5,
        "plain",
        'quo"te\\back\nline\ttab\x01ctl',
        "ünïcödé 😀 non-BMP",
        [1, "a", [True]],
        {"nested": {"deep": "x", "n": 3}, "with space": 1},
        dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.timezone.utc),
    ],
)
def test_toml_values_round_trip_through_a_real_toml_parser(value: Any) -> None:
    parsed = tomllib.loads(f"v = {toml_value(value)}")["v"]
    assert parsed == value


def test_none_leaves_the_override_out_and_is_refused_inside_arrays() -> None:
    assert encode_overrides({"a": None, "b": {"c": None, "d": 1}}) == ["-c", "b={ d = 1 }"]
    with pytest.raises(ValueError, match=r"b\[1\]"):
        encode_overrides({"b": [1, None]})
    with pytest.raises(TypeError):
        encode_overrides({"x": object()})


def test_raw_toml_passes_through_and_web_search_flag() -> None:
    options = ClientOptions(
        server_config_overrides={"tools": RawToml("{ web = true }")}, enable_web_search=True
    )
    assert options.command_line_flags() == ["-c", "tools={ web = true }", "-c", 'web_search="live"']


def test_bad_overrides_fail_at_construction_with_a_clear_error() -> None:
    from codex_python_sdk import AsyncCodexAgenticClient

    with pytest.raises(CodexAgenticError, match="server_config_overrides"):
        AsyncCodexAgenticClient(server_config_overrides={"x": object()})  # type: ignore[dict-item]


def _fake_exe(path: Path) -> str:
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_binary_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = _fake_exe(tmp_path / "mine")
    from_env = _fake_exe(tmp_path / "env-codex")
    monkeypatch.setenv(ENV_VAR, from_env)
    assert resolve_codex_binary(explicit).source == "codex_command"
    assert resolve_codex_binary(None).path == from_env
    monkeypatch.delenv(ENV_VAR)
    assert resolve_codex_binary(None).source == "bundled"


def test_explicit_binary_that_does_not_exist_is_an_error_naming_all_four(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(AppServerConnectionError) as info:
        resolve_codex_binary("/nope/codex")
    text = str(info.value)
    for step in ("codex_command", ENV_VAR, "bundled binary", "on PATH"):
        assert step in text
    monkeypatch.setenv(ENV_VAR, "/also/nope")
    with pytest.raises(AppServerConnectionError, match="/also/nope"):
        resolve_codex_binary(None)


def test_nothing_found_names_all_four(monkeypatch: pytest.MonkeyPatch) -> None:
    import codex_python_sdk._transport._binary as binary

    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(binary, "_bundled", lambda: (None, "openai-codex-cli-bin is not installed"))
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(AppServerConnectionError) as info:
        resolve_codex_binary(None)
    text = str(info.value)
    assert "1. codex_command argument: not given" in text
    assert "4. `codex` on PATH: not found" in text
    assert "not installed" in text


@pytest.mark.parametrize(
    ("error", "method", "cls"),
    [
        (
            {
                "code": -32600,
                "message": "Invalid request: unknown variant `thread/rollback`, "
                "expected one of `initialize`, `account/gatewayOAuth/read`",
            },
            "thread/rollback",
            MethodNotFoundError,
        ),
        (
            {
                "code": -32600,
                "message": "Invalid request: unknown variant `banana`, expected one of `created_at`",
            },
            "thread/list",
            InvalidParamsError,
        ),
        (
            {"code": -32600, "message": "Invalid request: missing field `threadId`"},
            "thread/read",
            InvalidParamsError,
        ),
        (
            {"code": -32600, "message": "thread not loaded: 00000000-0000-0000-0000-000000000000"},
            "thread/read",
            ThreadNotFoundError,
        ),
        ({"code": -32600, "message": "thread not found: abc"}, "turn/start", ThreadNotFoundError),
        (
            {"code": -32600, "message": "no rollout found for thread id 0000"},
            "thread/resume",
            ThreadNotFoundError,
        ),
        (
            {"code": -32600, "message": "invalid session id: invalid character: expected an optional prefix"},
            "thread/resume",
            InvalidParamsError,
        ),
        (
            {"code": -32600, "message": "invalid thread id: invalid character: expected an optional prefix"},
            "thread/read",
            InvalidParamsError,
        ),
        (
            {"code": -32600, "message": "codex account authentication required to read rate limits"},
            "account/rateLimits/read",
            AuthRequiredError,
        ),
        (
            {
                "code": -32602,
                "message": "Input exceeds",
                "data": {"input_error_code": "input_too_large", "max_chars": 1048576},
            },
            "turn/start",
            InputTooLargeError,
        ),
        (
            {
                "code": -32600,
                "message": "Configuration was modified",
                "data": {"config_write_error_code": "configVersionConflict"},
            },
            "config/value/write",
            ConfigWriteError,
        ),
        ({"code": -32600, "message": "something about oauth and login and authorization"}, "x/y", RpcError),
        ({"code": -32601, "message": "nope"}, "x/y", MethodNotFoundError),
    ],
)
def test_error_classification_uses_codes_data_and_exact_prefixes(
    error: dict[str, Any], method: str, cls: type
) -> None:
    exc = error_from_rpc(error, method=method)
    assert type(exc) is cls
    assert exc.code == error["code"] and exc.data == error.get("data") and exc.method == method
    # An unknown method is never an authentication problem (the seed's substring bug).
    if cls is MethodNotFoundError or cls is RpcError:
        assert not isinstance(exc, NotAuthenticatedError)


def test_seed_error_names_still_catch_the_new_classes() -> None:
    assert issubclass(ThreadNotFoundError, SessionNotFoundError)
    assert issubclass(AuthRequiredError, NotAuthenticatedError)
    assert issubclass(ThreadNotFoundError, RpcError)
    assert all(
        issubclass(c, CodexAgenticError) for c in (RpcError, AppServerConnectionError, SessionNotFoundError)
    )


def test_prompt_inputs(tmp_path: Path) -> None:
    from codex_python_sdk.inputs import to_wire_input

    assert to_wire_input("hi") == [{"type": "text", "text": "hi", "text_elements": []}]
    assert to_wire_input(tmp_path / "a.png") == [{"type": "localImage", "path": str(tmp_path / "a.png")}]
    rel = to_wire_input(Path("rel.png"))[0]["path"]
    assert os.path.isabs(rel)
    with pytest.raises(ValueError):
        to_wire_input([])
    with pytest.raises(TypeError):
        to_wire_input([{"no": "type"}])

"""No secret in what the SDK shows: log records (DEBUG included), reprs, error messages, stderr tails.

A session passes secrets the ways users do — ``OPENAI_API_KEY`` in ``env=``, a bearer token written with
``config_value_write``, a key in ``command_exec(env=...)`` that the command prints, an ``Authorization``
header in ``server_config_overrides`` (which also earns a warning: it is on the command line), a server
error that echoes a key — and then none of the values may appear in any log record of
``codex_python_sdk`` and its children, in ``repr()`` of the client or its options, or in ``str()`` /
``repr()`` of the errors raised. A fake app-server that writes secrets on stderr and dies covers the
stderr tail. What events and responses show is checked apart (``events.py`` is not redacted yet).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import (
    AppServerConnectionError,
    AsyncCodexAgenticClient,
    ClientClosedError,
    InvalidParamsError,
    TurnAuthError,
)
from codex_python_sdk.testing import FakeModel, Reply

from .conftest import PROMPTLY, run_async

pytestmark = pytest.mark.e2e

ENV_KEY = "sk-envkey-9f8e7d6c5b4a3f2e1d0c"
BEARER = "brr-3c2b1a0f9e8d7c6b5a4f"
EXEC_KEY = "sk-execkey-0a1b2c3d4e5f6a7b8c9d"
HEADER = "hdr-7e6d5c4b3a2f1e0d9c8b"
ECHOED = "sk-echoed-1f2e3d4c5b6a7f8e9d0c"
ENUM_ECHO = "sk-enumecho-5a4b3c2d1e0f9a8b"
STDERR_TOKEN = "ghp_stderrtoken4c3b2a1f0e9d"
STDERR_KEY = "sk-stderrkey-8b7a6f5e4d3c2b1a"
SECRETS = (ENV_KEY, BEARER, EXEC_KEY, HEADER, ECHOED, ENUM_ECHO, STDERR_TOKEN, STDERR_KEY)

FAKE_APP_SERVER = Path(__file__).with_name("fake_app_server.py")


def _leaks(texts: Iterable[str]) -> list[tuple[str, str]]:
    """Each (secret, where) for a secret found in one of ``texts``."""
    return [(secret, text[:300]) for text in texts for secret in SECRETS if secret in text]


def _shown(error: BaseException) -> list[str]:
    """Everything an error shows: ``str``, ``repr``, its message and its stderr tail."""
    shown = [str(error), repr(error), str(getattr(error, "message", ""))]
    shown += list(getattr(error, "stderr_tail", None) or [])
    return shown


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [caplog.text] + [record.getMessage() for record in caplog.records]


def _session(model: FakeModel, caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[Any], Any]:
    """Run the session that passes every kind of secret; return what it showed, its errors and events."""
    model.add(Reply.unauthorized(f"Incorrect API key provided: {ECHOED}"))
    shown: list[str] = []
    errors: list[BaseException] = []
    with model.client(
        env={"OPENAI_API_KEY": ENV_KEY},
        server_config_overrides={"model_providers.mock.http_headers": {"Authorization": f"Bearer {HEADER}"}},
    ) as client:
        client.config_value_write("model_providers.x.name", "x")  # codex refuses a provider without one
        client.config_value_write("model_providers.x.experimental_bearer_token", BEARER)
        client.config_read()  # its answer holds the token and the header: logged at DEBUG
        printed = client.command_exec(["printenv", "OPENAI_API_KEY"], env={"OPENAI_API_KEY": EXEC_KEY})
        assert printed["stdout"].strip() == EXEC_KEY  # it really went through, and came back
        with pytest.raises(TurnAuthError) as failed:
            client.responses_create(prompt="who am I", include_events=True)
        errors.append(failed.value)
        with pytest.raises(InvalidParamsError) as refused:
            client.responses_create(prompt="hi", turn_params={"approvalPolicy": ENUM_ECHO})
        errors.append(refused.value)
        shown += [repr(client), repr(client.options), repr(client._async), repr(client._async.options)]
        shown += client.stderr_tail()
    with pytest.raises(ClientClosedError) as closed:
        client.model_list()
    errors.append(closed.value)
    assert model.requests[0].headers.get("authorization") in (f"Bearer {ENV_KEY}", f"Bearer {HEADER}")
    return shown, errors, failed.value


def test_no_secret_in_logs_reprs_or_errors_of_a_session_that_passes_them_every_way(
    caplog: pytest.LogCaptureFixture, model: FakeModel
) -> None:
    caplog.set_level(logging.DEBUG, logger="codex_python_sdk")
    shown, errors, _ = _session(model, caplog)
    assert [r for r in caplog.records if r.name.startswith("codex_python_sdk") and r.levelno == logging.DEBUG]
    (warning,) = [r for r in caplog.records if "look like secrets" in r.getMessage()]
    assert warning.levelno == logging.WARNING and "model_providers.mock.http_headers" in warning.getMessage()
    texts = shown + _logged(caplog) + [text for error in errors for text in _shown(error)]
    assert _leaks(texts) == []
    assert "<redacted>" in str(errors[0])  # the echoed key was there, and was replaced


def test_no_secret_in_the_repr_of_events_and_responses(
    caplog: pytest.LogCaptureFixture, model: FakeModel
) -> None:
    _, _, failed = _session(model, caplog)
    response = failed.response
    assert response is not None and response.events
    texts = [repr(response)] + [repr(event) for event in response.events]
    assert _leaks(texts) == []


def test_no_secret_in_the_stderr_tail_of_an_app_server_that_dies(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="codex_python_sdk")
    lines = [
        f"debug: sending Authorization: Bearer {STDERR_TOKEN}\n",
        f"error: provider refused api_key={STDERR_KEY}\n",
        "panicked at 'auth failed'\n",
    ]
    ops = [*({"stderr": line} for line in lines), {"sleep": 0.2}, {"exit": 3}]

    async def main() -> list[str]:
        client = AsyncCodexAgenticClient(codex_command=sys.executable, app_server_args=[str(FAKE_APP_SERVER)])
        async with client:
            with pytest.raises(AppServerConnectionError) as died:
                await asyncio.wait_for(client.request("fake/emit", {"ops": ops, "noreply": True}), PROMPTLY)
            with pytest.raises(ClientClosedError) as closed:
                await client.model_list()
            tail = client.stderr_tail()
        assert "panicked at 'auth failed'" in died.value.stderr_tail  # the tail is kept, only redacted
        return _shown(died.value) + _shown(closed.value) + tail

    shown = run_async(main())
    assert _leaks(shown + _logged(caplog)) == []

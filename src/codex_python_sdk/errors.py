"""The error hierarchy.

The seed's four classes stay at the top (``CodexAgenticError`` and its three subclasses) so existing
``except`` clauses keep working. Everything raised by the SDK carries the structured facts the server gave:
the JSON-RPC ``code``, ``data`` and, for model/turn failures, Codex's ``codexErrorInfo``.

Classification (:func:`error_from_rpc`) looks at codes and structured ``data`` first and at exact, known
message *prefixes* second. It never matches loose substrings: the seed reported an unknown method as
``NotAuthenticatedError`` because the server's method list contains the word "oauth".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

TYPE_CHECKING = False  # typing is not imported at run time: this module is on the cold-start path
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "AppServerConnectionError",
    "AuthRequiredError",
    "BudgetExceededError",
    "ClientClosedError",
    "CodexAgenticError",
    "ConfigWriteError",
    "InputTooLargeError",
    "InternalRpcError",
    "InvalidParamsError",
    "MethodNotFoundError",
    "NotAuthenticatedError",
    "NotificationOverflowError",
    "RequestTimeoutError",
    "RpcError",
    "ServerOverloadedError",
    "SessionNotFoundError",
    "StreamIdleTimeoutError",
    "StreamOverflowError",
    "ThreadNotFoundError",
    "TurnAuthError",
    "TurnFailedError",
    "TurnInProgressError",
    "TurnStoppedError",
    "TurnTimeoutError",
    "error_from_rpc",
]


def _redacted(text: str) -> str:
    from ._redact import redact_text  # only when an error is made: not on the cold-start path

    return redact_text(text) if isinstance(text, str) else text


class CodexAgenticError(RuntimeError):
    """Base class of every error the SDK raises (the seed's name, kept).

    Attributes are ``None`` when they do not apply: ``code``/``data`` come from a JSON-RPC error reply,
    ``codex_error_info`` from a failed turn, ``method`` names the request that failed.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        data: Any = None,
        codex_error_info: Any = None,
        method: str | None = None,
    ) -> None:
        # A server error may echo what it was sent (a key, a token): errors get logged and printed.
        message = _redacted(message)
        super().__init__(message)
        self.message = message
        self.code = code
        self.data = data
        self.codex_error_info = codex_error_info
        self.method = method

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross processes (AgentPool's workers, Ray): rebuild from the attributes without calling
        # __init__, whose keyword-only arguments pickle's default (cls(*args)) would not pass.
        return (_rebuild_error, (type(self), self.args, self.__dict__))


class AppServerConnectionError(CodexAgenticError):
    """The app-server could not be started, or the connection to it is gone.

    ``stderr_tail`` holds the last lines the process wrote to stderr (at most 500) and ``returncode`` its
    exit status when known (neither for an app-server reached by ``url=``). After this error the client is
    closed until you call ``client.reconnect()`` (or create a new client); nothing reconnects silently.
    """

    def __init__(
        self,
        message: str,
        *,
        stderr_tail: Sequence[str] = (),
        returncode: int | None = None,
        method: str | None = None,
    ) -> None:
        self.stderr_tail = [_redacted(line) for line in stderr_tail]
        self.returncode = returncode
        full = message
        if self.stderr_tail:
            shown = self.stderr_tail[-20:]
            tail = "\n".join(shown)
            total = len(self.stderr_tail)
            full += f"\n--- app-server stderr (last {len(shown)} of {total} lines) ---\n{tail}"
        super().__init__(full, method=method)
        self.message = _redacted(message)


class ClientClosedError(AppServerConnectionError):
    """A call was made on a client that is closed (by ``close()`` or after the connection died)."""


class SessionNotFoundError(CodexAgenticError):
    """The thread (the seed called it a session) is unknown, not loaded, or archived."""


class NotAuthenticatedError(CodexAgenticError):
    """The server or the model provider says authentication is missing or invalid."""


class RpcError(CodexAgenticError):
    """The server answered a request with a JSON-RPC error that has no more specific class."""


class MethodNotFoundError(RpcError):
    """The server does not know the method (it may have been removed in this codex version)."""


class InvalidParamsError(RpcError):
    """The request's params were rejected (missing field, wrong type, unknown enum value, ...)."""


class InputTooLargeError(InvalidParamsError):
    """The user input exceeds the server's limit (``data.max_chars``; 1,048,576 characters in 0.163)."""


class InternalRpcError(RpcError):
    """The server failed while handling the request (JSON-RPC -32603, e.g. an I/O error)."""


class ServerOverloadedError(RpcError):
    """The server is overloaded; retry later."""


class ConfigWriteError(RpcError):
    """A config write was refused; ``data['config_write_error_code']`` says why (e.g. a version conflict)."""


class ThreadNotFoundError(SessionNotFoundError, RpcError):
    """A request named a thread the server does not have loaded (or at all)."""


class AuthRequiredError(NotAuthenticatedError, RpcError):
    """A request needs an authenticated account (e.g. ``account/rateLimits/read`` with an API key only)."""


class RequestTimeoutError(CodexAgenticError, TimeoutError):
    """No response arrived within the request timeout. The connection stays usable."""


class TurnStoppedError(CodexAgenticError):
    """Base of the errors that stop a turn from the client's side (a limit was reached).

    The turn is interrupted on the server; the client and the thread stay usable for the next turn.
    ``response`` is the :class:`~codex_python_sdk.AgentResponse` gathered until then (``status``
    ``"interrupted"``), ``thread_id`` / ``turn_id`` say which turn it was.
    """

    def __init__(
        self,
        message: str,
        *,
        thread_id: str | None = None,
        turn_id: str | None = None,
        response: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.thread_id = thread_id
        self.turn_id = turn_id
        self.response = response


class StreamIdleTimeoutError(TurnStoppedError, TimeoutError):
    """A turn stream saw no event for ``stream_idle_timeout`` seconds (time spent in hooks excluded)."""


class TurnTimeoutError(TurnStoppedError, TimeoutError):
    """A turn ran longer than its ``turn_timeout`` (e.g. codex retrying an unreachable model forever)."""


class BudgetExceededError(TurnStoppedError):
    """A turn went past a :class:`~codex_python_sdk.Budget` (the client's ``budget=`` or the call's).

    ``budget`` names the limit (``"max_turns"``, ``"max_tokens"`` or ``"max_seconds_per_turn"``),
    ``limit`` its value and ``used`` what was used against it (turns, tokens or seconds); ``usage`` is the
    turn's token usage so far (a :class:`~codex_python_sdk.Usage`; the client's total for a client budget
    that refused to start a turn). A turn past a limit is interrupted on the server and ``response`` holds
    what it produced until then; a turn refused before it started (``max_turns``, or ``max_tokens`` of a
    client already spent) sent nothing, and its ``turn_id`` is None.
    """

    def __init__(
        self,
        message: str,
        *,
        budget: str,
        limit: float,
        used: float,
        usage: Any = None,
        thread_id: str | None = None,
        turn_id: str | None = None,
        response: Any = None,
    ) -> None:
        super().__init__(message, thread_id=thread_id, turn_id=turn_id, response=response)
        self.budget = budget
        self.limit = limit
        self.used = used
        self.usage = usage


class NotificationOverflowError(CodexAgenticError):
    """A bounded notification listener filled up because its consumer fell behind."""


class StreamOverflowError(TurnStoppedError, NotificationOverflowError):
    """A turn stream's consumer fell more than ``max_buffered_events`` events behind the app-server.

    Rather than grow without bound or drop events, the turn is interrupted and the stream ends with this
    error (read faster, or raise ``max_buffered_events``).
    """


class TurnInProgressError(CodexAgenticError):
    """A turn was started on a thread that already runs one.

    The app-server would silently add the new input to the running turn; the SDK refuses instead. Add
    input to the running turn with ``turn_steer(thread_id, turn_id, prompt)``, stop it with
    ``turn_interrupt(thread_id, turn_id)``, or wait for it to end. ``thread_id`` / ``turn_id`` name the
    running turn (``turn_id`` may be None while its start is still in flight).
    """

    def __init__(self, message: str, *, thread_id: str, turn_id: str | None) -> None:
        super().__init__(message)
        self.thread_id = thread_id
        self.turn_id = turn_id


class TurnFailedError(CodexAgenticError):
    """A turn ended with status ``failed``.

    ``turn_error`` is the server's ``TurnError`` dict (``message``, ``codexErrorInfo``,
    ``additionalDetails``); ``response`` the :class:`~codex_python_sdk.AgentResponse` gathered so far.
    """

    def __init__(
        self,
        message: str,
        *,
        turn_error: Mapping[str, Any] | None = None,
        thread_id: str | None = None,
        turn_id: str | None = None,
        response: Any = None,
    ) -> None:
        info = turn_error.get("codexErrorInfo") if turn_error else None
        super().__init__(message, codex_error_info=info)
        self.turn_error = dict(turn_error) if turn_error else None
        self.thread_id = thread_id
        self.turn_id = turn_id
        self.response = response


class TurnAuthError(TurnFailedError, NotAuthenticatedError):
    """A turn failed because the model provider rejected the credentials (HTTP 401/403)."""


# Exact message prefixes the 0.163 server uses. Prefixes, not substrings: the text after them is an id.
_THREAD_NOT_FOUND_PREFIXES = (
    "thread not found:",
    "thread not loaded:",
    "no rollout found for thread id",
    "rollout not found",
)
_AUTH_REQUIRED_PREFIXES = ("codex account authentication required",)
# A thread id that is not a uuid (thread/read says "thread", thread/resume "session").
_INVALID_ID_PREFIXES = ("invalid thread id:", "invalid session id:")
_INVALID_REQUEST_PREFIX = "Invalid request: "


def _rebuild_error(cls: type[CodexAgenticError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    # cls.__new__ is RuntimeError's, which refuses the errors that are also TimeoutError (an OSError,
    # laid out differently): take the first built-in base whose __new__ accepts the class.
    error: Any = None
    for base in cls.__mro__:
        if base.__module__ == "builtins" and error is None:
            try:
                error = base.__new__(cls, *args)
            except TypeError:
                continue
    error.args = args
    error.__dict__.update(state)
    return error


def _is_archived_message(message: str) -> bool:
    # "session <id> is archived. Run `codex unarchive <id>` ..." (thread/resume on an archived thread)
    parts = message.split(" ", 2)
    return len(parts) == 3 and parts[0] == "session" and parts[2].startswith("is archived")


def error_from_rpc(error: Mapping[str, Any], *, method: str | None = None) -> CodexAgenticError:
    """Build the most specific error for a JSON-RPC ``error`` object the server sent."""
    code = error.get("code")
    message = str(error.get("message", "unknown error"))
    data = error.get("data")
    cls: type[CodexAgenticError] = RpcError
    data_map = data if isinstance(data, Mapping) else {}
    if data_map.get("input_error_code") == "input_too_large":
        cls = InputTooLargeError
    elif "config_write_error_code" in data_map:
        cls = ConfigWriteError
    elif code == -32601:
        cls = MethodNotFoundError
    elif code == -32602:
        cls = InvalidParamsError
    elif code == -32603:
        cls = InternalRpcError
    elif code == -32001:
        cls = ServerOverloadedError
    elif message.startswith(_THREAD_NOT_FOUND_PREFIXES) or _is_archived_message(message):
        cls = ThreadNotFoundError
    elif message.startswith(_AUTH_REQUIRED_PREFIXES):
        cls = AuthRequiredError
    elif message.startswith(_INVALID_ID_PREFIXES):
        cls = InvalidParamsError
    elif message.startswith(_INVALID_REQUEST_PREFIX):
        # serde's wording: "unknown variant `<method>`, expected one of ..." for the method itself.
        if method is not None and message.startswith(f"{_INVALID_REQUEST_PREFIX}unknown variant `{method}`"):
            cls = MethodNotFoundError
        else:
            cls = InvalidParamsError
    text = f"{method}: {message}" if method else message
    return cls(text, code=code if isinstance(code, int) else None, data=data, method=method)


def turn_failed_error(
    turn_error: Mapping[str, Any] | None,
    *,
    thread_id: str | None,
    turn_id: str | None,
    response: Any = None,
) -> TurnFailedError:
    """Build the error for a failed turn, choosing :class:`TurnAuthError` for provider auth failures."""
    message = str((turn_error or {}).get("message") or "turn failed")
    info = (turn_error or {}).get("codexErrorInfo")
    cls: type[TurnFailedError] = TurnFailedError
    if info == "unauthorized":
        cls = TurnAuthError
    elif isinstance(info, Mapping):
        for detail in info.values():
            if isinstance(detail, Mapping) and detail.get("httpStatusCode") in (401, 403):
                cls = TurnAuthError
    return cls(
        f"turn {turn_id} failed: {message}",
        turn_error=turn_error,
        thread_id=thread_id,
        turn_id=turn_id,
        response=response,
    )

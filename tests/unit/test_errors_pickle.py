"""Every error the SDK raises survives pickling with its attributes: AgentPool's workers and the Ray
backend send errors from other processes back to the caller."""

from __future__ import annotations

import inspect
import pickle
from typing import Any

import pytest

from codex_python_sdk import errors
from codex_python_sdk.events import Usage

ERRORS = sorted(
    (
        cls
        for cls in vars(errors).values()
        if inspect.isclass(cls) and issubclass(cls, errors.CodexAgenticError)
    ),
    key=lambda cls: cls.__name__,
)

# A value for every keyword an error's constructor takes (by name), so that each attribute is set.
VALUES: dict[str, Any] = {
    "code": -32600,
    "data": {"detail": "x"},
    "codex_error_info": "badRequest",
    "method": "turn/start",
    "thread_id": "th-1",
    "turn_id": "tu-1",
    "turn_error": {"message": "boom"},
    "response": {"text": "partial"},
    "budget": "max_tokens",
    "limit": 100,
    "used": 120,
    "usage": Usage(input_tokens=100, output_tokens=20, total_tokens=120),
    "timeout": 2.5,
    "stderr_tail": ["line"],
    "returncode": 1,
    "hook": "on_command_approval",
    "kind": "command",
    "error": "ValueError('x')",
}


def _build(cls: type[errors.CodexAgenticError]) -> errors.CodexAgenticError:
    kwargs: dict[str, Any] = {}
    args: list[Any] = []
    for parameter in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in VALUES:
            value = VALUES[parameter.name]
        elif parameter.default is not parameter.empty:
            continue
        else:
            value = "a message" if not args else "x"
        if parameter.kind == parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    return cls(*args, **kwargs)


def test_there_are_errors_to_check() -> None:
    names = {cls.__name__ for cls in ERRORS}
    assert {"TurnInProgressError", "BudgetExceededError", "TurnFailedError", "CodexAgenticError"} <= names


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_pickles_with_its_message_and_attributes(cls: type[errors.CodexAgenticError]) -> None:
    error = _build(cls)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)

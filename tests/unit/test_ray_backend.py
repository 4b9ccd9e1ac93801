"""The Ray backend without Ray: what works before Ray is involved, and what is said when it is missing."""

from __future__ import annotations

import asyncio
import pickle
import sys

import pytest

from codex_python_sdk import CodexAgenticError, TurnFailedError, TurnInProgressError
from codex_python_sdk.ray import RayAgentPool
from codex_python_sdk.ray._worker import portable_error


def test_without_ray_starting_a_ray_pool_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    pool = RayAgentPool(size=2)
    with pytest.raises(CodexAgenticError, match=r"codex-python-sdk\[ray\]"):
        asyncio.run(pool.start())


def test_bad_ray_pool_arguments_fail_at_construction() -> None:
    with pytest.raises(ValueError, match="size"):
        RayAgentPool(size=0)
    with pytest.raises(TypeError):
        RayAgentPool(size=1, no_such_option=True)
    assert RayAgentPool(size=3, max_concurrency=5).max_concurrency == 5


class _UsersError(Exception):
    """A user's exception (from a hook, say) that pickle cannot rebuild: a required keyword argument."""

    def __init__(self, message: str, *, code: int) -> None:
        super().__init__(message)
        self.code = code


def test_errors_cross_back_to_the_driver_even_when_pickle_cannot_rebuild_them() -> None:
    failed = TurnFailedError("turn t failed: boom", thread_id="th", turn_id="t")
    assert portable_error(failed) is failed  # kept as is: pickles fine
    busy = TurnInProgressError("thread th is busy", thread_id="th", turn_id="t")
    assert portable_error(busy) is busy  # the SDK's errors all pickle (tests/unit/test_errors_pickle.py)
    users = _UsersError("the user's hook broke", code=3)
    with pytest.raises(TypeError):
        pickle.loads(pickle.dumps(users))
    stand_in = portable_error(users)
    assert isinstance(stand_in, CodexAgenticError) and "_UsersError: the user's hook broke" in str(stand_in)
    assert pickle.loads(pickle.dumps(stand_in)).args == stand_in.args

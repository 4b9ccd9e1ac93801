"""Shared fixtures for end-to-end tests against the real ``codex app-server`` and the FakeModel.

The per-test fixtures come from the package's pytest plugin (``codex_fake_model``, ``codex_client``,
``codex_async_client``). Here: the raw-driver tests' ``fake_model`` name, and one fake model plus one
app-server per test module (``shared_model`` / ``shared_client``) for the suites whose tests can
share them: each test gets a cleared model and a client with no hooks, and works on its own threads.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(_BENCH) not in sys.path:  # raw_driver, used by test_fake_model.py
    sys.path.insert(0, str(_BENCH))

from codex_python_sdk._client._options import HOOK_NAMES  # noqa: E402
from codex_python_sdk.testing import FakeModel, FakeModelClient  # noqa: E402


@pytest.fixture
def fake_model(codex_fake_model: FakeModel) -> FakeModel:
    """A running FakeModel (retries 0, model ``gpt-5.5``); stopped after the test."""
    return codex_fake_model


@pytest.fixture(scope="module")
def _module_model() -> Iterator[FakeModel]:
    with FakeModel() as model:
        yield model


@pytest.fixture(scope="module")
def _module_client(_module_model: FakeModel) -> Iterator[FakeModelClient]:
    with _module_model.client() as client:
        yield client


@pytest.fixture
def shared_model(_module_model: FakeModel) -> Iterator[FakeModel]:
    """The module's FakeModel, cleared for this test; after it, every scripted reply must be used."""
    _module_model.clear()
    yield _module_model
    _module_model.clear()


@pytest.fixture
def shared_client(_module_client: FakeModelClient, shared_model: FakeModel) -> Iterator[FakeModelClient]:
    """The module's client (one app-server per module), with every hook unset before and after."""
    for name in HOOK_NAMES:
        setattr(_module_client, name, None)
    yield _module_client
    for name in HOOK_NAMES:
        setattr(_module_client, name, None)

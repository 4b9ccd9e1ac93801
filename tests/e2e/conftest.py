"""Shared fixtures for end-to-end tests against the real ``codex app-server`` and the FakeModel."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "src", _ROOT / "bench"):  # importable without an editable install
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from codex_python_sdk.testing import FakeModel  # noqa: E402


@pytest.fixture
def fake_model() -> Iterator[FakeModel]:
    """A running FakeModel (retries 0, model ``gpt-5.5``); stopped after the test."""
    with FakeModel() as model:
        yield model

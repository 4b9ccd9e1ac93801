"""pytest plugin of codex-python-sdk: run real agent turns offline in your tests, with zero tokens.

Installed with the package (entry point ``pytest11``), so the fixtures are just there::

    from codex_python_sdk.testing import Reply

    def test_agent_asks_before_writing(codex_fake_model, codex_client):
        codex_fake_model.add(Reply.shell("touch out.txt", escalated=True), Reply.text("done"))
        codex_client.on_command_approval = lambda params: {"decision": "decline"}
        assert codex_client.responses_create(prompt="go").text == "done"

Fixtures (all function-scoped):

- ``codex_fake_model``: a running :class:`~codex_python_sdk.testing.FakeModel` (model ``gpt-5.5``,
  retries off). Options: ``@pytest.mark.codex_fake_model(**FakeModel keywords)``.
- ``codex_client``: a sync client running the real ``codex app-server`` against it, in a temporary
  CODEX_HOME / HOME / workspace that is deleted afterwards. It starts on first use and is closed
  after the test.
- ``codex_async_client``: the same, async. It connects in the event loop that first uses it: write
  ``async def test_...(codex_async_client)`` and the plugin runs the test with :func:`asyncio.run`
  (no pytest-asyncio needed; tests marked ``asyncio``/``anyio``/``trio`` are left to those plugins),
  and closes the client in that same loop. From a sync test, use it as
  ``asyncio.run(main())`` with ``async with codex_async_client:`` inside ``main``.
- ``codex_client_kwargs``: keywords for both clients (``{}``); override it in a ``conftest.py`` to
  give all your tests hooks, ``default_thread_params`` etc. ``@pytest.mark.codex_client(**kwargs)``
  adds keywords for one test.

Mark any other ``async def`` test with ``@pytest.mark.codex_async`` to have it run the same way.
Importing this module costs next to nothing: the kit is imported when a fixture is first used.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._fake_model import FakeModel
    from ._wiring import AsyncFakeModelClient, FakeModelClient

__all__ = [
    "codex_async_client",
    "codex_client",
    "codex_client_kwargs",
    "codex_fake_model",
    "pytest_configure",
    "pytest_pyfunc_call",
]

# A plain node attribute rather than pytest.StashKey: this module is loaded in every pytest run of an
# environment that has the package, so it must not fail on older pytest versions.
_ASYNC_CLIENTS = "_codex_python_sdk_async_clients"
_OTHER_ASYNC_MARKERS = ("asyncio", "anyio", "trio")


def pytest_configure(config: pytest.Config) -> None:
    """Register the plugin's markers."""
    config.addinivalue_line(
        "markers", "codex_fake_model(**kwargs): FakeModel keywords for the codex_fake_model fixture"
    )
    config.addinivalue_line(
        "markers", "codex_client(**kwargs): extra keywords for the codex_client / codex_async_client clients"
    )
    config.addinivalue_line(
        "markers", "codex_async: run this async test function with asyncio.run (codex_python_sdk plugin)"
    )


@pytest.fixture
def codex_fake_model(request: pytest.FixtureRequest) -> Iterator[FakeModel]:
    """A running :class:`FakeModel` on loopback, stopped after the test."""
    from ._fake_model import FakeModel

    marker = request.node.get_closest_marker("codex_fake_model")
    options = dict(marker.kwargs) if marker is not None else {}
    with FakeModel(**options) as model:
        yield model


@pytest.fixture
def codex_client_kwargs() -> dict[str, Any]:
    """Client keywords used by ``codex_client`` and ``codex_async_client``; override to customise."""
    return {}


def _client_kwargs(request: pytest.FixtureRequest, base: dict[str, Any]) -> dict[str, Any]:
    kwargs = dict(base)
    marker = request.node.get_closest_marker("codex_client")
    if marker is not None:
        kwargs.update(marker.kwargs)
    return kwargs


@pytest.fixture
def codex_client(
    request: pytest.FixtureRequest, codex_fake_model: FakeModel, codex_client_kwargs: dict[str, Any]
) -> Iterator[FakeModelClient]:
    """A sync client of the real app-server wired to ``codex_fake_model`` (starts on first use)."""
    client = codex_fake_model.client(**_client_kwargs(request, codex_client_kwargs))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def codex_async_client(
    request: pytest.FixtureRequest, codex_fake_model: FakeModel, codex_client_kwargs: dict[str, Any]
) -> Iterator[AsyncFakeModelClient]:
    """An async client wired to ``codex_fake_model``; it connects in the loop that first uses it."""
    client = codex_fake_model.async_client(**_client_kwargs(request, codex_client_kwargs))
    clients = getattr(request.node, _ASYNC_CLIENTS, None)
    if clients is None:
        clients = []
        setattr(request.node, _ASYNC_CLIENTS, clients)
    clients.append(client)
    try:
        yield client
    finally:
        # Closed in the test's loop by pytest_pyfunc_call; if the test ran its own loop and left the
        # client open, that loop is gone: kill the process and delete the home without one.
        client.fake_home.close()


def _runs_async(item: pytest.Function) -> bool:
    if not inspect.iscoroutinefunction(item.obj):
        return False
    if any(item.get_closest_marker(name) for name in _OTHER_ASYNC_MARKERS):
        return False
    return "codex_async_client" in item.fixturenames or item.get_closest_marker("codex_async") is not None


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests that use ``codex_async_client`` (or are marked ``codex_async``)."""
    if not _runs_async(pyfuncitem):
        return None
    import asyncio

    # The same selection pytest's own caller makes: only the test function's declared arguments.
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    clients: list[AsyncFakeModelClient] = getattr(pyfuncitem, _ASYNC_CLIENTS, [])

    async def run() -> None:
        try:
            await pyfuncitem.obj(**kwargs)
        finally:
            for client in clients:  # in this loop, where the client's pipes and tasks live
                await client.close()

    asyncio.run(run())
    return True

"""Wiring: real codex clients pointed at a :class:`FakeModel`, in throwaway directories.

A :class:`FakeHome` is one temporary directory with three children::

    <root>/codex-home   CODEX_HOME: config, sessions, sqlite state (never the user's ~/.codex)
    <root>/home         HOME: whatever codex or a shell wants to read or write in "~"
    <root>/workspace    the app-server's working directory, hence every thread's default cwd

Clients made from it get an environment with inherited ``CODEX_*`` / ``OPENAI_*`` / ``XDG_*`` variables
removed, ``OPENAI_API_KEY=sk-test``, outbound HTTP(S) sent to the fake model's refusing proxy, and the
``-c`` overrides that make the fake the model provider. The home is removed when its last client closes
(for homes made implicitly by :meth:`FakeModel.client`) or when the ``with`` block of an explicit one ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._client._async import AsyncCodexAgenticClient
from .._client._sync import CodexAgenticClient
from .._transport import Transport
from ..errors import CodexAgenticError

if TYPE_CHECKING:
    from ._cassette import RecordingTransport
    from ._fake_model import FakeModel
    from ._serve import ListeningAppServer

__all__ = ["AsyncFakeModelClient", "FakeHome", "FakeModelClient", "record"]

# Inherited settings that would point codex at a real account, a real home or another config.
_STRIP_PREFIXES = ("CODEX_", "OPENAI_", "XDG_")
_STRIP_NAMES = frozenset(
    {"HOME", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy"}
    | {"all_proxy", "no_proxy", "AZURE_OPENAI_API_KEY"}
)


def _real_codex_home() -> str:
    return os.path.realpath(os.path.expanduser("~/.codex"))


class FakeHome:
    """Temporary CODEX_HOME, HOME and workspace for codex app-servers that talk to a :class:`FakeModel`.

    Make one with :meth:`FakeModel.home` when several clients must share a home (a second client
    resuming the first one's thread); otherwise :meth:`FakeModel.client` makes one per client. Used as
    a context manager, the home closes the clients it made and deletes its directory on exit.

    ``isolate_home`` (default True) sets ``HOME`` to ``<root>/home``; ``block_network`` (default True)
    routes outbound HTTP(S) to the fake's refusing proxy (see :attr:`FakeModel.network_attempts`).
    ``root`` uses an existing directory instead of a new temporary one (kept afterwards);
    ``keep=True`` keeps a temporary one too, for post-mortems.
    """

    def __init__(
        self,
        model: FakeModel,
        *,
        root: str | os.PathLike[str] | None = None,
        keep: bool = False,
        isolate_home: bool = True,
        block_network: bool = True,
    ) -> None:
        self.model = model
        self.isolate_home = isolate_home
        self.block_network = block_network
        if root is None:
            self.root = Path(tempfile.mkdtemp(prefix="codex-fake-"))
            self._remove = not keep
        else:
            self.root = Path(root).resolve()
            self.root.mkdir(parents=True, exist_ok=True)
            self._remove = False
        self.codex_home = self.root / "codex-home"
        """The ``CODEX_HOME`` of every client of this home."""
        self.home = self.root / "home"
        """The ``HOME`` of every client (when ``isolate_home``)."""
        self.workspace = self.root / "workspace"
        """The app-server's working directory: the default ``cwd`` of threads."""
        for path in (self.codex_home, self.home, self.workspace):
            path.mkdir(exist_ok=True)
        if os.path.realpath(self.codex_home) == _real_codex_home():
            raise ValueError("refusing to use the real ~/.codex as a test CODEX_HOME")
        self._lock = threading.Lock()
        self._clients: weakref.WeakSet[Any] = weakref.WeakSet()
        self._servers: list[ListeningAppServer] = []
        self._users = 0
        self._auto = False  # True: delete when the last client closes (homes made for one client)
        self._closed = False

    # ------------------------------------------------------------------ what a client gets

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The app-server's environment: ours minus inherited codex/OpenAI settings, plus the fake's."""
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(_STRIP_PREFIXES) and k not in _STRIP_NAMES
        }
        env["CODEX_HOME"] = str(self.codex_home)
        if self.isolate_home:
            env["HOME"] = str(self.home)
        elif "HOME" in os.environ:
            env["HOME"] = os.environ["HOME"]
        env.update(self.model.env())
        if self.block_network:
            env.update(self.model.proxy_env())
        env.update(extra or {})
        return env

    def client_kwargs(
        self,
        *,
        request_max_retries: int | None = None,
        stream_max_retries: int | None = None,
        **client_kwargs: Any,
    ) -> dict[str, Any]:
        """Keyword arguments for :class:`AsyncCodexAgenticClient` / :class:`CodexAgenticClient`.

        ``env`` and ``server_config_overrides`` you pass are laid over the kit's; ``process_cwd``
        defaults to :attr:`workspace`; everything else passes through. ``request_max_retries`` /
        ``stream_max_retries`` override the model's provider retries (0 unless the model says otherwise).
        """
        kwargs = dict(client_kwargs)
        kwargs["env"] = self.env(kwargs.get("env"))
        overrides: dict[str, Any] = dict(self.model.config_overrides())
        prefix = f"model_providers.{self.model.provider}"
        if request_max_retries is not None:
            overrides[f"{prefix}.request_max_retries"] = request_max_retries
        if stream_max_retries is not None:
            overrides[f"{prefix}.stream_max_retries"] = stream_max_retries
        overrides.update(kwargs.get("server_config_overrides") or {})
        kwargs["server_config_overrides"] = overrides
        kwargs.setdefault("process_cwd", str(self.workspace))
        return kwargs

    def client(
        self, *, record: str | os.PathLike[str] | None = None, **client_kwargs: Any
    ) -> FakeModelClient:
        """A sync client of this home (see :meth:`client_kwargs`); ``record`` writes a cassette."""
        client = FakeModelClient(self, **self.client_kwargs(**client_kwargs))
        if record is not None:
            _record(client, record)
        return client

    def async_client(
        self, *, record: str | os.PathLike[str] | None = None, **client_kwargs: Any
    ) -> AsyncFakeModelClient:
        """An async client of this home (connects lazily, in the loop that first uses it)."""
        client = AsyncFakeModelClient(self, **self.client_kwargs(**client_kwargs))
        if record is not None:
            _record(client, record)
        return client

    def serve(
        self, listen: str = "ws://127.0.0.1:0", *, token: str | bool | None = None
    ) -> ListeningAppServer:
        """Start ``codex app-server --listen LISTEN`` in this home (the fake model's overrides and
        environment) and return it once it accepts connections; connect with ``url=server.url``.

        ``listen``: ``ws://127.0.0.1:0`` (a free port) or ``unix:///abs/path.sock``. ``token=True`` (a
        made-up token) or a string requires that capability token (``token=server.token``). The process
        is killed when the server is closed or this home closes.
        """
        from ._serve import ListeningAppServer

        return ListeningAppServer(self, listen, token=token).start()

    # ------------------------------------------------------------------ lifetime

    def _acquire(self, client: Any) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed")
            self._users += 1
            self._clients.add(client)

    def _release(self, client: Any) -> None:
        with self._lock:
            if client not in self._clients:
                return
            self._clients.discard(client)
            self._users -= 1
            remove = self._auto and self._users == 0
        if remove:
            self.close()

    def close(self) -> None:
        """Close the sync clients still open, kill leftover async ones' processes, delete the directory."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            clients = list(self._clients)
            self._clients = weakref.WeakSet()
        for server in list(self._servers):
            server.close()
        for client in clients:
            if isinstance(client, FakeModelClient):
                client.close()
            elif isinstance(client, AsyncFakeModelClient):
                client._kill()
        if self._remove:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (the directory is gone unless kept)."""
        return self._closed

    def __enter__(self) -> FakeHome:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<FakeHome {self.root}{' closed' if self._closed else ''}>"


class _FakeHomeViews:
    """What both kit clients tell about where their app-server lives."""

    fake_home: FakeHome
    """The directories this client's app-server lives in."""

    @property
    def model(self) -> FakeModel:
        """The fake model this client talks to."""
        return self.fake_home.model

    @property
    def workspace(self) -> Path:
        """The app-server's working directory (the default thread cwd)."""
        return self.fake_home.workspace

    @property
    def codex_home(self) -> Path:
        """The app-server's ``CODEX_HOME``."""
        return self.fake_home.codex_home


class FakeModelClient(_FakeHomeViews, CodexAgenticClient):
    """A :class:`CodexAgenticClient` running the real app-server against a :class:`FakeModel`.

    Made by :meth:`FakeModel.client` / :meth:`FakeHome.client`; closing it also releases its
    :class:`FakeHome` (deleted when no client uses it any more and nobody else owns it).
    """

    def __init__(self, fake_home: FakeHome, **kwargs: Any) -> None:
        """Build the client; ``kwargs`` are final client keywords (see :meth:`FakeHome.client_kwargs`)."""
        super().__init__(**kwargs)
        object.__setattr__(self, "fake_home", fake_home)
        fake_home._acquire(self)

    def __enter__(self) -> FakeModelClient:
        super().__enter__()
        return self

    def close(self) -> None:
        """Stop the app-server; then release the :class:`FakeHome`."""
        try:
            super().close()
        finally:
            self.fake_home._release(self)


class AsyncFakeModelClient(_FakeHomeViews, AsyncCodexAgenticClient):
    """An :class:`AsyncCodexAgenticClient` running the real app-server against a :class:`FakeModel`.

    Use it as ``async with model.async_client() as client:`` inside the event loop of your test.
    """

    def __init__(self, fake_home: FakeHome, **kwargs: Any) -> None:
        """Build the client; ``kwargs`` are final client keywords (see :meth:`FakeHome.client_kwargs`)."""
        super().__init__(**kwargs)
        self.fake_home = fake_home
        fake_home._acquire(self)

    async def __aenter__(self) -> AsyncFakeModelClient:
        await super().__aenter__()
        return self

    async def close(self) -> None:
        """Stop the app-server; then release the :class:`FakeHome`."""
        try:
            await super().close()
        finally:
            self.fake_home._release(self)

    def _kill(self) -> None:
        """Last resort outside any event loop (its loop is gone): kill the app-server process."""
        conn = self._conn
        transport = getattr(conn, "transport", None)
        while transport is not None and hasattr(transport, "inner"):
            transport = transport.inner  # unwrap a RecordingTransport
        kill = getattr(transport, "kill", None)
        if callable(kill) and not self.closed:
            kill()
        self.fake_home._release(self)


def record(
    client: AsyncCodexAgenticClient | CodexAgenticClient, path: str | os.PathLike[str]
) -> RecordingTransport:
    """Record ``client``'s JSON-RPC traffic (both directions) to a JSONL cassette at ``path``.

    Call it before the client connects. Works for any client, not only the kit's; secrets are
    redacted. Returns the :class:`RecordingTransport` (its :attr:`~RecordingTransport.path`).
    """
    from ._cassette import RecordingTransport

    recorders: list[RecordingTransport] = []

    def wrap(inner: Transport) -> Transport:
        recorders.append(RecordingTransport(inner, path))
        return recorders[0]

    try:
        client.wrap_transport(wrap)
    except CodexAgenticError as exc:
        raise RuntimeError("record() must be called before the client connects") from exc
    return recorders[0]


_record = record  # the methods above take a parameter named ``record``

"""Where a running app-server listens: ``ws://``, ``wss://`` or ``unix:///abs/path.sock``, checked early.

The options check a URL when the client is built, so a typo fails at construction rather than at the
first call. Nothing heavier than ``urllib.parse`` is imported, and only when a URL is given.
"""

from __future__ import annotations

from ..errors import CodexAgenticError

__all__ = ["Endpoint", "parse_endpoint"]

_DEFAULT_PORTS = {"ws": 80, "wss": 443}


class Endpoint:
    """A parsed app-server URL.

    ``scheme`` is ``ws``, ``wss`` or ``unix``; ``host``/``port``/``resource`` (the request target, path and
    query) are those of the WebSocket URL, for ``unix`` ``host`` is ``localhost`` (the ``Host`` header the
    server expects) and ``path`` the socket's path. ``display`` is what errors and logs show: no query
    (a careless ``?token=`` must not end up in a log).
    """

    __slots__ = ("display", "host", "path", "port", "resource", "scheme")

    def __init__(self, scheme: str, host: str, port: int, resource: str, path: str, display: str) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.resource = resource
        self.path = path
        self.display = display

    @property
    def secure(self) -> bool:
        """True for ``wss://`` (TLS)."""
        return self.scheme == "wss"

    @property
    def websocket_uri(self) -> str:
        """The ``ws://`` / ``wss://`` URI of the handshake (``ws://localhost/`` over a unix socket)."""
        if self.scheme == "unix":
            return "ws://localhost/"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.resource}"

    def __repr__(self) -> str:
        return f"Endpoint({self.display!r})"


def parse_endpoint(url: str) -> Endpoint:
    """Parse and check an app-server URL; raises :class:`CodexAgenticError` saying what is wrong."""
    if not isinstance(url, str) or not url.strip():
        raise CodexAgenticError("url must be a non-empty string such as ws://127.0.0.1:4500")
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise CodexAgenticError(f"url is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme == "unix":
        if parts.netloc or not parts.path.startswith("/"):
            raise CodexAgenticError(
                "a unix socket URL needs an absolute path: unix:///absolute/path/to/app-server.sock"
            )
        return Endpoint("unix", "localhost", 0, "/", parts.path, f"unix://{parts.path}")
    if scheme not in _DEFAULT_PORTS:
        raise CodexAgenticError(
            f"url scheme {parts.scheme!r} is not supported: use ws://, wss:// or unix:///abs/path.sock "
            "(leave url unset to start an app-server over stdio)"
        )
    if parts.username is not None or parts.password is not None:
        # The server takes credentials only as a bearer token; user info would also show in errors.
        raise CodexAgenticError("url must not carry credentials (user:password@); pass token= or token_env=")
    if not parts.hostname:
        raise CodexAgenticError("url has no host: use ws://HOST:PORT")
    if parts.fragment:
        raise CodexAgenticError("url must not have a #fragment")
    host = parts.hostname
    port = port or _DEFAULT_PORTS[scheme]
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    shown_host = f"[{host}]" if ":" in host else host
    display = f"{scheme}://{shown_host}:{port}{parts.path if parts.path not in ('', '/') else ''}"
    return Endpoint(scheme, host, port, resource, "", display)

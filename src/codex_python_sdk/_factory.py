"""The seed's factories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._client import AsyncCodexAgenticClient
    from ._sync import CodexAgenticClient

__all__ = ["create_async_client", "create_client"]


def create_client(**kwargs: Any) -> CodexAgenticClient:
    """A sync :class:`CodexAgenticClient` (keywords as :class:`AsyncCodexAgenticClient`)."""
    from ._sync import CodexAgenticClient

    return CodexAgenticClient(**kwargs)


def create_async_client(**kwargs: Any) -> AsyncCodexAgenticClient:
    """An :class:`AsyncCodexAgenticClient`."""
    from ._client import AsyncCodexAgenticClient

    return AsyncCodexAgenticClient(**kwargs)

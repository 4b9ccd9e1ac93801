"""The seed's ``codex_python_sdk.factory`` module path: ``create_client`` and ``create_async_client``.

Re-exported from the client package so seed imports keep working; loaded only when imported by this path
(``from codex_python_sdk import create_client`` does not load it).
"""

from __future__ import annotations

from ._client._create import create_async_client, create_client

__all__ = ["create_async_client", "create_client"]

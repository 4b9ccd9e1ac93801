"""Layer 2: JSON-RPC over a transport — request ids, pending futures with timeouts, the reader."""

from ._connection import RpcConnection

__all__ = ["RpcConnection"]

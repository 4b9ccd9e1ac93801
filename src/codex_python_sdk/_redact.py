"""The one redactor: what logs, cassettes, error messages and reprs use to keep secrets out.

Two rules, applied together:

- by key: a value under a key that names a secret (``apiKey``, ``OPENAI_API_KEY``, ``accessToken``,
  ``authorization``, ``experimental_bearer_token``, ``client_secret``, ``password``, ``cookie`` ...) is
  replaced, unless it is a number or a flag; so is the ``value`` of a config edit whose ``keyPath``
  names a secret (``config/value/write``, ``config/batchWrite``). Counters such as ``inputTokens`` are
  numbers under keys ending in ``tokens``, not secrets: they stay.
- by value: secret-shaped substrings anywhere in a string are replaced: OpenAI keys (``sk-...``),
  ``Bearer ...`` / ``Basic ...`` credentials and JSON web tokens (``eyJ...``), and ``key=value`` /
  ``key: value`` pairs whose key names a secret (command lines, headers in error texts).

Cheap when there is nothing to find: the regular expressions only run on strings that contain one of a few
marker substrings.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["REDACTED", "excerpt", "is_secret_key", "redact", "redact_text"]

REDACTED = "<redacted>"

# Compared with the key lower-cased and without "_" and "-".
_SECRET_ENDINGS = (
    "apikey",
    "token",
    "secret",
    "password",
    "passwd",
    "authorization",
    "credential",
    "credentials",
    "cookie",
    "privatekey",
    "sessionkey",
    "accesskey",
)
_SECRET_EXACT = frozenset({"auth", "bearer", "key", "xapikey"})

_SECRET_WORD = (
    r"[A-Za-z0-9_.\-]*(?:api[_-]?key|token|secret|password|passwd|authorization|credentials?|cookie"
    r"|private[_-]?key|access[_-]?key)"
)
_PATTERNS = re.compile(
    r"\bsk-[A-Za-z0-9_\-]{8,}"  # OpenAI-style keys (sk-..., sk-proj-...)
    r"|\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/\-]{6,}=*"  # HTTP credentials
    r"|\beyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]*"  # JSON web tokens
    # key=value / key: value / "key": "value" where the key names a secret (not "...tokens": counters)
    rf"|(?P<pair>\b{_SECRET_WORD}\b[\"']?\s*[:=]\s*)(?P<quote>[\"']?)(?P<val>(?:(?:Bearer|Basic)\s+)?[^\s\"',;&}}]{{4,}})",
    re.IGNORECASE,
)
_MARKERS = ("sk-", "earer", "asic", "eyJ", "=", ":")


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a secret (``OPENAI_API_KEY``, ``accessToken``, ``Authorization``)."""
    norm = key.lower().replace("_", "").replace("-", "").replace(".", "")
    return norm in _SECRET_EXACT or norm.endswith(_SECRET_ENDINGS)


def _sub(match: re.Match[str]) -> str:
    if match.group("pair") is not None:
        return f"{match.group('pair')}{match.group('quote')}{REDACTED}"
    return REDACTED


def redact_text(text: str) -> str:
    """``text`` with secret-shaped substrings replaced by ``<redacted>``."""
    if not any(marker in text for marker in _MARKERS):
        return text
    return _PATTERNS.sub(_sub, text)


def excerpt(data: bytes, limit: int = 200) -> str:
    """The start of a wire line for a log message: at most ``limit`` characters, decoded leniently, secrets
    redacted, with the line's full length (a bad line can be 8 MB; the log gets a recognisable head)."""
    # Redact a little more than is shown, so a secret straddling the cut is still recognised.
    text = redact_text(data[: limit * 2].decode("utf-8", "replace"))[:limit]
    return f"{text!r}{'...' if len(data) > limit else ''} ({len(data)} bytes)"


def redact(value: Any) -> Any:
    """A copy of a JSON-like ``value`` with every secret replaced by ``<redacted>`` (see the module doc).

    Values that hold no secret are returned as they are (not copied).
    """
    if isinstance(value, dict):
        key_path = value.get("keyPath")
        secret_path = isinstance(key_path, str) and is_secret_key(key_path.rsplit(".", 1)[-1])
        out = {}
        for k, v in value.items():
            # Numbers and flags (``isSecret: true``, ``tokens: 10``) are never secrets themselves.
            hideable = bool(v) and not isinstance(v, (bool, int, float))
            if hideable and isinstance(k, str) and (is_secret_key(k) or (secret_path and k == "value")):
                out[k] = REDACTED
            else:
                out[k] = redact(v)
        return out
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value

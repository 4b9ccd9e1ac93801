"""The seed's constructor options as client attributes (``client.env``, ``client.enabled_features`` ...).

The seed kept every constructor keyword as a public, mutable attribute of the client. Here each one reads
and writes the client's normalized options, so a change is seen wherever the client reads that option:

- when the app-server is launched (``codex_command``, ``app_server_args``, ``env``, ``process_cwd``,
  ``enabled_features``, ``disabled_features``, ``enable_web_search``, ``server_config_overrides``): a
  change after the launch has no effect (``create_client()`` launches at once);
- at each call (``default_thread_params``, ``default_turn_params``, ``automatic_approval_review``,
  ``stream_idle_timeout_seconds``).

Values are not validated again when assigned: the constructor is where options are checked.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._options import ClientOptions

__all__ = ["SeedAttributes"]


class _Option:
    """A client attribute that is the same-named field of the client's options."""

    def __init__(self, doc: str, field: str | None = None) -> None:
        self.__doc__ = doc
        self.name = field or ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = self.name or name

    def __get__(self, obj: SeedAttributes | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(obj._client_options(), self.name)

    def __set__(self, obj: SeedAttributes, value: Any) -> None:
        setattr(obj._client_options(), self.name, value)


class SeedAttributes:
    """Mixin: the seed's option attributes, on both clients."""

    if TYPE_CHECKING:
        _options: ClientOptions

    def _client_options(self) -> ClientOptions:
        # The async client's own options; the sync facade overrides this with its async client's.
        return self._options

    codex_command = _Option("The codex executable given (None: the SDK resolves it, see the client).")
    app_server_args = _Option("Arguments before the generated flags (default ``['app-server']``).")
    process_cwd = _Option("The app-server's working directory (absolute).")
    default_thread_params = _Option(
        "Params merged under each call's when a thread is started (the baseline is applied separately)."
    )
    default_turn_params = _Option("Params merged under each call's turn params.")
    enabled_features = _Option("Feature names passed as ``--enable``.")
    disabled_features = _Option("Feature names passed as ``--disable``.")
    enable_web_search = _Option('Live web search (``-c web_search="live"``).')
    server_config_overrides = _Option("``-c key=value`` overrides (values encoded as TOML).")
    stream_idle_timeout_seconds = _Option(
        "Idle limit of a turn stream in seconds (None: no limit); the seed's name of stream_idle_timeout.",
        "stream_idle_timeout",
    )

    @property
    def env(self) -> dict[str, str]:
        """The app-server's environment; a copy of this process's when none was given (as the seed did).

        Mutating the returned dict before the launch changes what the app-server gets.
        """
        options = self._client_options()
        if options.env is None:
            options.env = dict(os.environ)
        return options.env

    @env.setter
    def env(self, value: dict[str, str] | None) -> None:
        self._client_options().env = value

    @property
    def automatic_approval_review(self) -> bool:
        """Whether approvals go to Codex's native reviewer when no hook or policy decides them."""
        return bool(self._client_options().automatic_approval_review)

    @automatic_approval_review.setter
    def automatic_approval_review(self, value: bool) -> None:
        self._client_options().automatic_approval_review = value

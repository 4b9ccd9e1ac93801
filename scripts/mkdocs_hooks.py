"""mkdocs hooks (``hooks:`` in mkdocs.yml): the docstrings' Sphinx roles, rendered as code.

The docstrings cross-reference with Sphinx roles (``:class:`~codex_python_sdk.AgentResponse```), which
mkdocstrings' Google-style parser leaves as text: ``:class:`` before the code span. This hook drops the role
and, for ``~`` targets, keeps only the last component, as Sphinx shows them.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|meth|func|attr|data|mod|exc|obj|const):<code>(~?)([\w.]+)(\(\))?</code>")


def _shown(match: re.Match[str]) -> str:
    tilde, target, call = match.groups()
    name = target.rsplit(".", 1)[-1] if tilde else target
    return f"<code>{name}{call or ''}</code>"


def on_page_content(html: str, **_: Any) -> str:
    """Rewrite ``:role:<code>target</code>`` to ``<code>target</code>`` in every page."""
    return _ROLE.sub(_shown, html)

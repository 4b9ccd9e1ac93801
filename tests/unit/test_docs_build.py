"""The documentation site builds in strict mode, its API reference covers every public name, and the
configuration page every client option.

Strict mode fails the build on a link to a missing page or anchor, on a cross-reference that does not
resolve and on a docstring griffe cannot read. The build needs the ``[docs]`` extra (CI installs it);
where it is missing the build test is skipped, the coverage test still runs.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import codex_python_sdk
import codex_python_sdk.testing

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "docs" / "api.md"


def _documented() -> set[str]:
    return set(re.findall(r"^::: ([\w.]+)$", API.read_text(encoding="utf-8"), re.M))


def test_the_api_reference_documents_every_public_name_where_it_is_defined() -> None:
    documented = _documented()
    exports: dict[str, str] = codex_python_sdk._EXPORTS
    for name, module in exports.items():
        assert f"codex_python_sdk{module}.{name}" in documented, f"docs/api.md lacks {name}"
    where: dict[str, str] = codex_python_sdk.testing._WHERE
    for name, module in where.items():
        assert f"codex_python_sdk.testing{module}.{name}" in documented, f"docs/api.md lacks testing.{name}"


def test_the_configuration_page_lists_every_client_option_in_both_languages() -> None:
    from codex_python_sdk import ClientOptions

    keywords = [
        name
        for name, parameter in inspect.signature(ClientOptions.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    assert len(keywords) > 40  # the signature was read, not an empty list
    for page in (ROOT / "docs" / "configuration.md", ROOT / "docs" / "zh" / "configuration.md"):
        text = page.read_text(encoding="utf-8")
        missing = [name for name in keywords if f"`{name}`" not in text]
        assert not missing, f"{page.relative_to(ROOT)} does not document {missing}"


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None,
    reason="the [docs] extra is not installed (pip install -e '.[docs]')",
)
def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    page = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert "responses_create" in page and "FakeModel" in page  # the docstrings made it in

"""Every code example of the documentation and every script of examples/ runs, against the fake model.

A ```` ```python ```` block of a page under ``docs/`` runs as it is written, against the built-in fake
model (``tests/e2e/test_docs_run.py``). HTML comments on the lines just before a block (blank lines
between are allowed) say how:

- ``<!-- fake-model: Reply.shell("ls", escalated=True), Reply.text("done") -->``: what the fake model
  answers the block's turns, in order (``Reply`` expressions). Without it every turn gets a text reply:
  ``X`` for a prompt "Reply with exactly: X", a fixed sentence otherwise.
- ``<!-- not-run: reason -->``: the block is not run (it needs a real account, a running server, ...).
  The reason is required; the test lists these blocks.
- ``<!-- tested-by: tests/e2e/test_x.py::test_name -->``: the block is a test (or part of one) that is
  run from that file; the docs test checks the test exists.

A page whose blocks have a runner of their own (one that checks what they print, or needs a fresh
interpreter per block) says so once, on a line of its own: ``<!-- page-tested-by:
tests/e2e/test_x.py::test_name -->``. None of its blocks is run here (so none runs twice in CI); the docs
test checks that the test exists and reads the page, and the runner checks that it knows every block.

The blocks of one page run in order in one namespace, as a reader runs them. ``docs/zh/PAGE`` must have
the same blocks, comments included, as ``docs/PAGE`` (code is identical in both languages), so running
the English page runs the Chinese page's code too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
ZH = DOCS / "zh"
EXAMPLES = ROOT / "examples"

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
_COMMENT = re.compile(r"^\s*<!--\s*([a-z-]+):\s*(.*?)\s*-->\s*$", re.DOTALL)
MARKERS = ("fake-model", "not-run", "tested-by")
PAGE_MARKER = "page-tested-by"
_PAGE_MARKER = re.compile(rf"^<!--\s*{PAGE_MARKER}:\s*(\S+?)\s*-->\s*$", re.M)


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    markers: tuple[tuple[str, str], ...]

    def marker(self, name: str) -> str | None:
        return next((value for key, value in self.markers if key == name), None)

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page`` with the marker comments just above it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, language = match.groups()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        markers: list[tuple[str, str]] = []
        j = start - 1
        while j >= 0 and (not lines[j].strip() or _COMMENT.match(lines[j])):
            comment = _COMMENT.match(lines[j])
            if comment and comment.group(1) in MARKERS:
                markers.insert(0, (comment.group(1), comment.group(2)))
            j -= 1
        found.append(Block(page, start + 1, language, "\n".join(body) + "\n", tuple(markers)))
    return found


def python_blocks(page: Path) -> list[Block]:
    return [block for block in blocks(page) if block.language in ("python", "py")]


def english_pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def chinese_pages() -> list[Path]:
    return sorted(ZH.glob("*.md"))


def page_runner(page: Path) -> str | None:
    """The test that runs the page's blocks itself (``<!-- page-tested-by: file::test -->``), if any."""
    found = _PAGE_MARKER.findall(page.read_text(encoding="utf-8"))
    assert len(found) <= 1, f"{page}: more than one {PAGE_MARKER} marker"
    return found[0] if found else None


def marker_comments(page: Path) -> list[str]:
    """Every ``<!-- name: ... -->`` comment of a page whose name looks like a marker (typo check)."""
    return re.findall(r"<!--\s*([a-z-]+):", page.read_text(encoding="utf-8"))


# --- the pages, checked without running anything ------------------------------------------------------


def test_every_english_page_has_its_chinese_page_and_the_same_code() -> None:
    english = {page.name for page in english_pages()}
    chinese = {page.name for page in chinese_pages()}
    assert english == chinese, (
        f"only English: {sorted(english - chinese)}, only Chinese: {sorted(chinese - english)}"
    )
    for name in sorted(english):
        en = [(b.language, b.code, b.markers) for b in blocks(DOCS / name) if b.language in _COMPARED]
        zh = [(b.language, b.code, b.markers) for b in blocks(ZH / name) if b.language in _COMPARED]
        assert en == zh, f"docs/{name} and docs/zh/{name} must have the same code blocks (and markers)"
        assert page_runner(DOCS / name) == page_runner(ZH / name), f"docs/zh/{name}: not the same runner"


_COMPARED = ("python", "py", "bash", "sh", "console")


def test_markers_are_spelled_right_and_say_why() -> None:
    for page in [*english_pages(), *chinese_pages()]:
        for name in marker_comments(page):
            assert name in MARKERS or name in _OTHER_COMMENTS, f"{page}: unknown marker <!-- {name}: -->"
        for block in python_blocks(page):
            reason = block.marker("not-run")
            assert reason is None or len(reason) > 10, f"{block.where}: say why it is not run"


_OTHER_COMMENTS = (PAGE_MARKER,)


def _tested_by() -> list[Block]:
    return [b for page in english_pages() for b in python_blocks(page) if b.marker("tested-by")]


def test_blocks_tested_elsewhere_name_tests_that_exist() -> None:
    for block in _tested_by():
        where = block.marker("tested-by") or ""
        path, _, name = where.partition("::")
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^(async )?def {re.escape(name)}\(", source, re.M), f"{block.where}: no {where}"


def test_pages_with_a_runner_of_their_own_name_a_test_that_exists_and_reads_the_page() -> None:
    runners = {page.name: runner for page in english_pages() if (runner := page_runner(page))}
    assert runners, "no page names its own runner: then this test and the marker can go"
    for name, where in runners.items():
        path, _, test = where.partition("::")
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^(async )?def {re.escape(test)}\(", source, re.M), f"docs/{name}: no {where}"
        assert f'"{name}"' in source, f"docs/{name}: {path} does not read the page"
        marked = [b.where for b in python_blocks(DOCS / name) if b.markers]
        assert not marked, f"block markers on a page run by {where} mean nothing: {marked}"


def test_the_blocks_that_are_not_run_are_these() -> None:
    """The list of examples CI does not run, so that growing it is a visible decision."""
    not_run = sorted(
        f"{b.page.name}:{b.marker('not-run')}"
        for page in english_pages()
        for b in python_blocks(page)
        if b.marker("not-run")
    )
    print("\n".join(not_run))
    assert len(not_run) <= _MAX_NOT_RUN, not_run


_MAX_NOT_RUN = 12


# --- running them ------------------------------------------------------------------------------------

_EXACTLY = re.compile(r"reply with exactly:\s*(\S.*)", re.IGNORECASE | re.DOTALL)
DEFAULT_ANSWER = "Done. (an answer of the fake model)"


def _default_reply(request: Any) -> Any:
    from codex_python_sdk.testing import Reply

    match = _EXACTLY.search(request.last_user_text or "")
    return Reply.text(match.group(1).strip() if match else DEFAULT_ANSWER)


@pytest.fixture(scope="module")
def docs_home() -> Iterator[tuple[Any, Any]]:
    """One fake model and one home for every page: a plain ``create_client()`` in the home's environment
    finds the fake model through ``$CODEX_HOME/config.toml`` (the kit's overrides, written down)."""
    from codex_python_sdk._client._toml import encode_overrides
    from codex_python_sdk.testing import FakeModel

    with FakeModel() as model, model.home() as home:
        flags = encode_overrides(model.config_overrides())
        (home.codex_home / "config.toml").write_text("\n".join(flags[1::2]) + "\n", encoding="utf-8")
        yield model, home


@pytest.fixture
def in_docs_home(docs_home: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    model, home = docs_home
    for name in list(os.environ):
        if name.startswith(("CODEX_", "OPENAI_", "XDG_")) and name != "CODEX_PYTHON_SDK_CODEX":
            monkeypatch.delenv(name)
    for name, value in home.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(home.workspace)
    yield model
    model.clear()


def _runnable(page: Path) -> list[Block]:
    if page_runner(page):
        return []  # its own test runs them
    return [b for b in python_blocks(page) if not b.marker("not-run") and not b.marker("tested-by")]


@pytest.mark.e2e
@pytest.mark.parametrize("page", [p for p in english_pages() if _runnable(p)], ids=lambda p: p.name)
def test_the_examples_of_the_page_run(page: Path, in_docs_home: Any) -> None:
    from codex_python_sdk.testing import Reply

    model = in_docs_home
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for block in _runnable(page):
        model.clear()
        model.respond_with(lambda request: None if model.pending else _default_reply(request))
        script = block.marker("fake-model")
        if script:
            model.add(*eval(f"({script},)", {"Reply": Reply}))
        try:
            exec(compile(block.code, block.where, "exec"), namespace)
        except BaseException as exc:
            raise AssertionError(f"{block.where} failed: {exc!r}") from exc
        assert not model.pending, f"{block.where}: the fake model's script was not used up: {model.pending}"
        assert not model.unscripted, f"{block.where}: a request found no reply"


# --- examples/ ---------------------------------------------------------------------------------------


def _scripts() -> list[Path]:
    return sorted(EXAMPLES.glob("*.py"))


def test_there_are_examples() -> None:
    assert len(_scripts()) >= 6


@pytest.mark.e2e
@pytest.mark.parametrize("script", _scripts(), ids=lambda p: p.name)
def test_the_example_script_runs(script: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "OPENAI_"))}
    if "CODEX_PYTHON_SDK_CODEX" in os.environ:
        env["CODEX_PYTHON_SDK_CODEX"] = os.environ["CODEX_PYTHON_SDK_CODEX"]
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{script.name} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{script.name} printed nothing"

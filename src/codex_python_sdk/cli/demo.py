"""``codex-python-sdk-demo``: smoke-test and showcase the SDK against codex, or fully offline.

::

    codex-python-sdk-demo                       # smoke: a thread, a reply, a stream (your codex login)
    codex-python-sdk-demo --mode demo --fake-model   # offline: the story of one agent session, then checks
    codex-python-sdk-demo --mode demo           # + events, threads, catalogue, account
    codex-python-sdk-demo --mode full           # + review, interrupt, rollback, compaction
    codex-python-sdk-demo --mode full --fake-model   # all of it offline: no account, no network
    codex-python-sdk-demo doctor                # is codex found, which one, does the app-server start?

With ``--fake-model``, the demo and full modes first tell a story: one agent session (streamed reasoning
and answer, a command approved by a rule, a file change with its diff, a Python tool call, the turn's
usage) shown with the live view, as a user of the SDK would see it; ``--no-story`` skips it.

Each case prints ``[PASS] name: ...``, ``[FAIL] name: Error: message`` or ``[SKIP] name: reason``, then
``=== SUMMARY ===``. The exit status is 1 when a case failed (``--strict`` stops at the first failure).

The demo answers the app-server's requests with explicit permissive hooks (commands and file changes are
accepted, tool questions get empty answers) so it runs unattended; the SDK's own default is fail-closed.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from ._cases import DEMO, FULL, SMOKE, DemoCases
from ._fake import FakeBackend
from ._runner import Runner, StopRun
from ._story import run_story

__all__ = ["PERMISSIVE_HOOKS", "build_parser", "main", "run_demo"]


def _accept(params: Any) -> dict[str, str]:
    return {"decision": "accept"}


def _no_answers(params: Any) -> dict[str, Any]:
    return {"answers": {}}


PERMISSIVE_HOOKS: dict[str, Any] = {
    "on_command_approval": _accept,
    "on_file_change_approval": _accept,
    "on_tool_request_user_input": _no_answers,
}
"""The demo's hooks: accept every command and file change, answer tool questions with nothing."""


def build_parser() -> argparse.ArgumentParser:
    """The demo's command line (``doctor`` is a subcommand handled before this parser)."""
    parser = argparse.ArgumentParser(
        prog="codex-python-sdk-demo",
        description="Smoke-test and showcase codex-python-sdk. `%(prog)s doctor` checks the setup.",
    )
    parser.add_argument("--mode", choices=("smoke", "demo", "full"), default="smoke", help="default: smoke")
    parser.add_argument("--model", help="model of the demo's thread")
    parser.add_argument("--strict", action="store_true", help="stop at the first failing case")
    parser.add_argument("--show-events", action="store_true", help="render the events turn like `codex exec`")
    parser.add_argument("--prompt-create", default="Reply with exactly: READY")
    parser.add_argument("--prompt-events", default="List three files in current directory.")
    parser.add_argument("--prompt-stream", default="Reply with exactly: STREAM_OK")
    parser.add_argument(
        "--fake-model",
        action="store_true",
        help="run offline against the built-in scripted fake model, in a temporary CODEX_HOME",
    )
    parser.add_argument(
        "--no-story", action="store_true", help="skip the story (demo and full modes with --fake-model)"
    )
    parser.add_argument(
        "--color",
        default="auto",
        choices=("auto", "off", "soft", "vivid"),
        help="colours of the tags and of --show-events",
    )
    return parser


@contextlib.contextmanager
def _backend(args: argparse.Namespace) -> Iterator[tuple[Any, FakeBackend | None]]:
    """The sync client (real codex, or the fake model's app-server) and the fake backend if any.

    The client connects lazily, inside the first case, so a codex that does not start is a [FAIL] line.
    """
    from .._client._sync import CodexAgenticClient

    with contextlib.ExitStack() as stack:
        fake: FakeBackend | None = None
        kwargs: dict[str, Any] = dict(PERMISSIVE_HOOKS)
        if args.fake_model:
            fake = stack.enter_context(
                FakeBackend(prompt_create=args.prompt_create, prompt_stream=args.prompt_stream)
            )
            kwargs = fake.client_kwargs(**kwargs)
        client = CodexAgenticClient(**kwargs)
        stack.callback(client.close)
        yield client, fake


def run_demo(args: argparse.Namespace, out: TextIO) -> int:
    """Run the cases ``args.mode`` selects, print the summary, return the exit status."""
    from ..render import resolve_color_mode

    # The tags take colour where the live view would (a terminal, CLICOLOR_FORCE; never with NO_COLOR).
    runner = Runner(out=out, strict=args.strict, color=resolve_color_mode(args.color, out) != "off")
    try:
        with _backend(args) as (client, fake):
            if fake is not None:
                runner.before_case = fake.script
                runner.info(f"--fake-model: scripted fake model, temporary CODEX_HOME {fake.codex_home}")
            else:
                runner.info(
                    "real codex: the demo starts its own threads and changes only those (name, fork, "
                    "archive, rollback, compaction); it never writes your config"
                )
            runner.info(
                "permissive hooks: commands and file changes are accepted, tool questions get empty answers "
                "(the SDK's default is to decline)"
            )
            if fake is not None and args.mode != "smoke" and not args.no_story:
                runner.info(
                    "the story: one agent session as a user sees it. The model is the built-in fake "
                    "(scripted); the codex app-server, its sandbox, approvals and tools are real"
                )
                out.write("\n")  # the story stands apart from the checks around it
                runner.run("story", lambda: run_story(fake, out))
            cases = DemoCases(client, args, runner, fake)
            cases.run(SMOKE)
            if args.mode == "smoke":
                runner.info("smoke mode ran the core checks only; use --mode demo or --mode full for more")
            else:
                cases.run(DEMO)
                if args.mode == "demo":
                    runner.info("skipped the review/interrupt/rollback/compaction paths; use --mode full")
                else:
                    cases.run(FULL)
            if fake is not None:
                runner.run("fake_model_script", lambda: _script_check(fake))
    except StopRun:
        runner.info("--strict: stopped at the first failure")
    except KeyboardInterrupt:
        runner.info("interrupted")
        runner.summary(args.mode)
        return 130
    except Exception as exc:  # the backend itself failed (e.g. no loopback port): still a summary
        runner.fail("setup", exc)
    return runner.summary(args.mode)


def _script_check(fake: FakeBackend) -> str:
    problems = fake.problems()
    if problems:
        raise AssertionError("; ".join(problems))
    return "every model request was scripted"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``codex-python-sdk-demo`` and ``python -m codex_python_sdk``; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["doctor"]:
        from .doctor import main as doctor_main

        return doctor_main(arguments[1:], prog="codex-python-sdk-demo doctor")
    return run_demo(build_parser().parse_args(arguments), sys.stdout)

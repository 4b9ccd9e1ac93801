"""``codex-python-sdk run "prompt"``: one turn from the shell, shown live, or as JSON lines.

::

    codex-python-sdk run "Summarise README.md"                   # the live view (plain text when piped)
    codex-python-sdk run --json "List the files" | jq .type       # JSON lines; the response last
    codex-python-sdk run --thread 01a2... "And now the tests?"    # continue a thread
    codex-python-sdk run --allow "git status" --allow ls "What changed?"
    codex-python-sdk run --ask "Clean the build directory"        # you approve each request on the terminal
    codex-python-sdk run --fake-model "hello there"               # offline: the built-in fake model

Approvals fail closed: a command outside the sandbox runs only when ``--allow PREFIX`` names it (a simple
command starting with those words) or you accept it with ``--ask``; ``--read-only`` runs the thread in a
read-only sandbox and declines every file change. The exit status is 0 only when the turn completed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from ._approvals import CliPolicy, TerminalAsker, run_rubric

__all__ = ["build_parser", "event_json", "main", "response_json", "run_turn"]


def build_parser(prog: str = "codex-python-sdk run") -> argparse.ArgumentParser:
    """The options of ``run``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run one codex turn and show it live (or as JSON lines with --json).",
        epilog="Approvals fail closed: use --allow PREFIX or --ask to let commands leave the sandbox. "
        "Exit status: 0 when the turn completed, 1 otherwise, 130 when interrupted.",
    )
    parser.add_argument("prompt", help='what to ask; "-" reads it from standard input')
    parser.add_argument("--json", action="store_true", help="print every event as one JSON object per line")
    parser.add_argument("--cwd", help="working directory of the thread (default: the current directory)")
    parser.add_argument("--model", help="model of this turn (and the thread's next turns)")
    parser.add_argument("--thread", metavar="THREAD_ID", help="continue this thread instead of starting one")
    parser.add_argument(
        "-c",
        "--config",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="a codex config override, passed to codex as its own -c (VALUE is TOML, else a string)",
    )
    parser.add_argument("--codex-home", metavar="DIR", help="CODEX_HOME of the app-server (default: codex's)")
    parser.add_argument(
        "--fake-model",
        action="store_true",
        help="offline: the built-in scripted fake model, temporary CODEX_HOME",
    )
    parser.add_argument(
        "--allow",
        metavar="COMMAND_PREFIX",
        action="append",
        default=[],
        help="accept commands that start with these words (repeatable), e.g. --allow 'git status'",
    )
    parser.add_argument(
        "--read-only", action="store_true", help="read-only sandbox; decline file changes and permissions"
    )
    parser.add_argument("--ask", action="store_true", help="ask on the terminal what no --allow rule decides")
    return parser


def _overrides(pairs: Sequence[str], parser: argparse.ArgumentParser) -> dict[str, Any]:
    from .._client._toml import RawToml

    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            parser.error(f"-c expects KEY=VALUE, got {pair!r}")
        overrides[key.strip()] = RawToml(value)  # codex parses it, as it does its own -c
    return overrides


def event_json(event: Any) -> dict[str, Any]:
    """One event as a JSON-ready dict (the same keys for every event; ``params`` as on the wire)."""
    return {
        "type": event.type,
        "phase": event.phase,
        "thread_id": event.thread_id,
        "turn_id": event.turn_id,
        "item_id": event.item_id,
        "request_id": event.request_id,
        "text_delta": event.text_delta,
        "message_text": event.message_text,
        "params": event.params,
    }


def response_json(response: Any) -> dict[str, Any]:
    """The turn's :class:`~codex_python_sdk.AgentResponse` as the last JSON line (``type: "response"``)."""
    usage = response.usage
    return {
        "type": "response",
        "thread_id": response.thread_id,
        "turn_id": response.turn_id,
        "status": response.status,
        "text": response.text,
        "usage": usage.to_wire() if usage is not None else None,
        "diff": response.diff,
        "error": response.error,
    }


def _write_json(out: TextIO, value: dict[str, Any]) -> None:
    out.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    out.flush()


@contextlib.contextmanager
def _setup(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Iterator[tuple[dict[str, Any], str]]:
    """The client's keywords for these options and the thread's working directory (with the fake model
    running and its temporary workspace as the default directory, for ``--fake-model``)."""
    kwargs: dict[str, Any] = {"server_config_overrides": _overrides(args.config, parser)}
    if args.cwd:
        kwargs["process_cwd"] = os.path.abspath(args.cwd)
    if not args.fake_model:
        if args.codex_home:
            kwargs["env"] = {**os.environ, "CODEX_HOME": os.path.abspath(args.codex_home)}
        yield kwargs, kwargs.get("process_cwd") or os.getcwd()
        return
    from ..testing import FakeModel
    from ._fake import count_words, run_replies

    with FakeModel() as model, model.home() as home:
        model.add(*run_replies(args.prompt))
        kwargs = home.client_kwargs(tools=[count_words], **kwargs)
        yield kwargs, kwargs["process_cwd"]


def run_turn(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO, parser: Any = None) -> int:
    """Run the turn ``args`` describe, writing the view (or JSON lines) to ``out``; the exit status."""
    from ..errors import CodexAgenticError

    parser = parser or build_parser()
    if args.prompt == "-":
        args.prompt = stdin.read()
        stdin = open(os.devnull)  # noqa: SIM115  # the prompt used it up: --ask cannot read answers there
    if args.fake_model and (args.codex_home or args.thread):
        parser.error("--fake-model runs in a temporary CODEX_HOME: --codex-home and --thread do not apply")
    try:
        with _setup(args, parser) as (kwargs, cwd):
            return _run(args, kwargs, cwd, out, err, stdin)
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
    except CodexAgenticError as exc:
        if args.json:
            _write_json(out, {"type": "error", "error_type": type(exc).__name__, "message": str(exc)})
        err.write(f"codex-python-sdk run: {type(exc).__name__}: {exc}\n")
        return 1


def _run(
    args: argparse.Namespace, kwargs: dict[str, Any], cwd: str, out: TextIO, err: TextIO, stdin: TextIO
) -> int:
    from .._client._sync import CodexAgenticClient
    from .._client._turn_loop import TurnAccumulator
    from ..errors import TurnFailedError
    from ..render import LiveRenderer

    renderer = None if args.json else LiveRenderer(out, cwd=cwd)
    asker = TerminalAsker(stdin, err, hold=renderer.suspended if renderer else None) if args.ask else None
    rubric = run_rubric(allow=args.allow, read_only=args.read_only)
    policy = CliPolicy(rubric, report=renderer.decided if renderer else None, ask=asker)
    # A new thread works in cwd; a continued one keeps its own unless --cwd says otherwise.
    thread_params: dict[str, Any] = {"cwd": cwd} if args.cwd or not args.thread else {}
    if args.read_only:
        thread_params["sandbox"] = "read-only"
    turn_params = {"model": args.model} if args.model else None
    acc = TurnAccumulator(args.thread or "", keep_events=False)
    with CodexAgenticClient(policy_engine=policy, **kwargs) as client:
        events = client.responses_events(
            prompt=args.prompt, thread_id=args.thread, thread_params=thread_params, turn_params=turn_params
        )
        try:
            for event in events:
                acc.add_event(event)
                if renderer is not None:
                    renderer.render(event)
                else:
                    _write_json(out, event_json(event))
        except TurnFailedError:
            pass  # the turn's own failure: the view showed it, the response below carries it
        finally:
            if renderer is not None:
                renderer.finish()
    response = acc.response()
    if args.json:
        _write_json(out, response_json(response))
    elif response.thread_id and not args.fake_model:
        err.write(f"thread {response.thread_id} (continue it with --thread {response.thread_id})\n")
    return 0 if response.status == "completed" else 1


def main(argv: Sequence[str] | None = None, prog: str = "codex-python-sdk run") -> int:
    """``run [options] PROMPT``; returns the exit status."""
    parser = build_parser(prog)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    return run_turn(args, sys.stdout, sys.stderr, sys.stdin, parser)

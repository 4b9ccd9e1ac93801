"""Benchmarks: the SDK against a raw JSON-lines driver, side by side in one run.

    python bench/run.py              # all cases, 5 rounds
    python bench/run.py --quick      # fewer rounds and deltas (a smoke run)
    python bench/run.py --cases stream,warm --repeat 9

Every case runs in fresh Python processes, alternating the raw driver (bench/raw_driver.py) and the SDK
(sync and async clients), against one scripted fake model served from this process. Medians are compared
as ratios to the driver, because the machine is shared and noisy; the targets come from the project brief.
The ``import`` case measures the start-up cost from a wheel installed in a temporary venv (bench/startup.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from cases import STREAM_PROMPT  # noqa: E402
from startup import installed_python, measure  # noqa: E402

from codex_python_sdk.testing import FakeModel, ModelRequest, Reply  # noqa: E402

IMPLS = ("raw", "sync", "async")
# (case, metric, target kind, target): "ratio" compares to the raw driver's median, "max" is absolute.
TARGETS: list[tuple[str, str, str, float]] = [
    ("import", "wall_ms", "max", 60.0),
    ("import", "clients_ms", "max", 15.0),
    ("import", "rss_mb", "max", 20.0),
    ("cold", "wall_s", "ratio", 1.15),
    ("warm", "per_turn", "ratio", 1.03),
    ("stream", "turn_wall", "ratio", 1.03),
    ("stream", "process_cpu", "ratio", 1.30),
    ("memory", "rss_mb", "max", 25.0),
]


# Measured processes run as an installed package would: from compiled bytecode. (Some environments set
# PYTHONDONTWRITEBYTECODE, which would make every run compile the SDK from source.)
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _precompile() -> None:
    for tree in (HERE.parent / "src", HERE):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True, env=CHILD_ENV)


def _run_case(case: str, impl: str, cfg: dict[str, Any]) -> dict[str, Any]:
    argv = [sys.executable, str(HERE / "cases.py"), case, impl, json.dumps(cfg)]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CHILD_ENV)
    assert proc.stdout is not None
    answered: float | None = None
    result: dict[str, Any] = {}
    for line in proc.stdout:
        if line.startswith("ANSWER") and answered is None:
            answered = time.perf_counter() - start
        elif line.startswith("{"):
            result = json.loads(line)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.wait() != 0 or not result:
        raise RuntimeError(f"{case}/{impl} failed (rc {proc.returncode}):\n{err[-3000:]}")
    if answered is not None:
        result["wall_s"] = answered
    return result


def _import_case(rounds: int, medians: dict[tuple[str, str, str], float]) -> dict[str, str]:
    """The ``import`` case (bench/startup.py); returns notes for the report (how installed, spreads)."""
    with tempfile.TemporaryDirectory(prefix="codex-bench-install-") as tmp:
        python, how = installed_python(Path(tmp), CHILD_ENV)
        samples = measure(python, rounds, CHILD_ENV)
    pairs = {
        "wall_ms": ("pass_wall_ms", "package_wall_ms"),
        "clients_ms": ("bare_wall_ms", "clients_ms"),
        "rss_mb": ("bare_rss_mb", "clients_rss_mb"),
    }
    for metric, (floor, sdk) in pairs.items():
        medians[("import", "raw", metric)] = statistics.median(samples[floor])
        medians[("import", "sdk", metric)] = statistics.median(samples[sdk])
    delta = samples["delta_wall_ms"]
    return {
        "how": f"{how}, {rounds} rounds",
        "clients_ms": f"IQR {_iqr(samples['clients_ms'])}",
        "rss_mb": f"range {min(samples['clients_rss_mb']):.2f}..{max(samples['clients_rss_mb']):.2f}",
        "delta": f"{statistics.median(delta):.1f} ms (IQR {_iqr(delta)})",
    }


def _iqr(values: list[float]) -> str:
    quartiles = statistics.quantiles(values, n=4)
    return f"{quartiles[0]:.1f}..{quartiles[2]:.1f}"


def _responder(stream_reply: Reply) -> Callable[[ModelRequest], Reply]:
    def respond(request: ModelRequest) -> Reply:
        return stream_reply if STREAM_PROMPT in request.prompts[-1:] else Reply.text("ok")

    return respond


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="rounds per case (medians are reported)")
    parser.add_argument("--cases", default="import,cold,warm,stream,memory")
    parser.add_argument("--impls", default=",".join(IMPLS))
    parser.add_argument("--deltas", type=int, default=20_000, help="deltas in the streaming turn")
    parser.add_argument("--quick", action="store_true", help="2 rounds, 2,000 deltas")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.deltas = 2, 2_000
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    medians: dict[tuple[str, str, str], float] = {}
    notes: dict[str, str] = {}
    _precompile()

    if "import" in cases:
        notes = _import_case(max(args.repeat * 4, 15), medians)
    workloads = [c for c in cases if c != "import"]
    if workloads:
        _run_workloads(workloads, impls, args, medians)
    return _report(medians, impls, args, notes)


def _run_workloads(
    cases: list[str], impls: list[str], args: argparse.Namespace, medians: dict[tuple[str, str, str], float]
) -> None:
    """The cases that talk to codex (cold, warm, stream, memory), against one fake model."""
    stream_reply = Reply.text("0123456789" * args.deltas, deltas=args.deltas)
    with FakeModel() as model, tempfile.TemporaryDirectory(prefix="codex-bench-") as tmp:
        model.respond_with(_responder(stream_reply))
        workspace = Path(tmp, "work")
        workspace.mkdir()
        home = Path(tmp, "home")
        home.mkdir()
        cfg: dict[str, Any] = {
            "home": str(home),
            "workspace": str(workspace),
            "overrides": model.config_overrides(),
        }
        _run_case("cold", "raw", cfg)  # first start creates codex's state db: keep it out of the numbers
        for case in cases:
            samples: dict[tuple[str, str], list[float]] = {}
            for round_ in range(args.repeat):
                order = impls[round_ % len(impls) :] + impls[: round_ % len(impls)]
                for impl in order:
                    result = _run_case(case, impl, cfg)
                    if case == "stream" and result["deltas"] != args.deltas:
                        raise RuntimeError(f"{impl} saw {result['deltas']} of {args.deltas} deltas")
                    for metric, value in result.items():
                        if isinstance(value, (int, float)):
                            samples.setdefault((impl, metric), []).append(float(value))
            for (impl, metric), values in samples.items():
                medians[(case, impl, metric)] = statistics.median(values)
        model.assert_all_consumed()


# The import rows: what their floor and SDK columns are, and their unit.
_IMPORT_ROWS = {
    "wall_ms": ("python -c pass -> import codex_python_sdk, whole processes", "ms"),
    "clients_ms": ("import asyncio, whole process -> the clients' import after it, in process", "ms"),
    "rss_mb": ("peak RSS after import asyncio -> after the clients' import too", "MB"),
}


def _report(
    medians: dict[tuple[str, str, str], float],
    impls: list[str],
    args: argparse.Namespace,
    notes: dict[str, str],
) -> int:
    print(
        f"\ncodex-python-sdk benchmarks (medians of {args.repeat} rounds; {args.deltas} deltas; "
        f"python {sys.version.split()[0]})\n"
    )
    if any(key[0] != "import" for key in medians):
        print(
            f"{'case':<8} {'metric':<12} {'raw':>10} "
            + " ".join(f"{i:>10} {'ratio':>7}" for i in impls if i != "raw")
            + f"  {'target':>10}  verdict"
        )
    missed = 0
    for case, metric, kind, target in TARGETS:
        if case == "import":
            continue
        raw = medians.get((case, "raw", metric))
        if raw is None:
            continue
        cells, verdicts = [], []
        for impl in impls:
            if impl == "raw":
                continue
            value = medians.get((case, impl, metric))
            if value is None:
                cells.append(f"{'-':>10} {'':>7}")
                continue
            ratio = value / raw
            ok = (ratio <= target) if kind == "ratio" else (value <= target)
            verdicts.append(ok)
            cells.append(f"{_fmt(value):>10} {ratio:>6.2f}x")
        missed += sum(not v for v in verdicts)
        label = f"<= {target:g}x" if kind == "ratio" else f"<= {target:g}"
        print(
            f"{case:<8} {metric:<12} {_fmt(raw):>10} "
            + " ".join(cells)
            + f"  {label:>10}  "
            + ("ok" if all(verdicts) else "MISSED")
        )
    missed += _report_import(medians, notes)
    print("\ninformational (medians):")
    for case, metric in (("stream", "turn_cpu"), ("warm", "per_turn")):
        found = [(impl, medians.get((case, impl, metric))) for impl in impls]
        cells = [f"{impl}={_fmt(value)}" for impl, value in found if value is not None]
        if cells:
            print(f"  {case} {metric}: " + ", ".join(cells))
    print(f"\n{'all targets met' if not missed else f'{missed} target(s) missed'}")
    return 1 if (missed and args.strict) else 0


def _report_import(medians: dict[tuple[str, str, str], float], notes: dict[str, str]) -> int:
    """The start-up rows (absolute targets); returns how many targets were missed."""
    if not notes:
        return 0
    print(f"\nstart-up: {notes['how']} (medians)")
    print(f"{'metric':<12} {'floor':>10} {'SDK':>10}  {'target':>10}  verdict")
    missed = 0
    for case, metric, _, target in TARGETS:
        if case != "import":
            continue
        floor, sdk = medians[("import", "raw", metric)], medians[("import", "sdk", metric)]
        what, unit = _IMPORT_ROWS[metric]
        ok = sdk <= target
        missed += not ok
        note = f"; {notes[metric]}" if metric in notes else ""
        digits, limit = (2 if unit == "MB" else 1), f"<= {target:g} {unit}"
        print(
            f"{metric:<12} {floor:>7.{digits}f} {unit} {sdk:>7.{digits}f} {unit}  {limit:>10}  "
            f"{'ok' if ok else 'MISSED':<7}  {what}{note}"
        )
    print(f"{'':<12} the clients' import as a difference of whole processes: {notes['delta']}")
    return missed


def _fmt(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.3f}"


if __name__ == "__main__":
    raise SystemExit(main())

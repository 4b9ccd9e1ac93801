"""Benchmarks: the SDK against a raw JSON-lines driver, side by side in one run.

    python bench/run.py              # all cases, 5 rounds
    python bench/run.py --quick      # fewer rounds and deltas (a smoke run)
    python bench/run.py --cases stream,warm --repeat 9
    python bench/run.py --peers      # also the official openai-codex SDK (pip install -e ".[bench]")
    python bench/run.py --cases pool     # AgentPool vs raw drivers, 1/2/4 app-servers (not by default)
    python bench/run.py --cases transports  # per-message cost of stdio, ws:// and a unix socket

Every case runs in fresh Python processes, alternating the raw driver (bench/raw_driver.py) and the SDK
(sync and async clients), against one scripted fake model served from this process. Medians are compared
as ratios to the driver, because the machine is shared and noisy; the targets come from the project brief.
The ``import`` case measures the start-up cost from a wheel installed in a temporary venv (bench/startup.py).
With ``--peers`` the official SDK (``openai-codex``, its sync ``Codex``) runs the same cases in the same
rounds, as one more implementation: its ratios are printed beside ours, and the targets judge only ours.
The ``transports`` case (not in the default set: it starts an app-server per run) streams the same turn
over stdio, ws:// and a unix socket and compares them to stdio.
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
from transports import IMPLS as TRANSPORT_IMPLS  # noqa: E402

from codex_python_sdk.testing import FakeModel, ModelRequest, Reply  # noqa: E402

IMPLS = ("raw", "sync", "async")
PEERS = ("openai",)  # implementations that are measured beside ours but not judged by the targets
PEER_MODULE = "openai_codex"
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


def _precompile(*extra: Path) -> None:
    for tree in (HERE.parent / "src", HERE, *extra):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True, env=CHILD_ENV)


def with_peers(impls: list[str]) -> tuple[list[str], list[Path]]:
    """``impls`` plus the peers, and the peer package's directory; unchanged (saying so) when the official
    SDK is not installed."""
    import importlib.util

    spec = importlib.util.find_spec(PEER_MODULE)
    if spec is None or not spec.origin:
        print(f"--peers: {PEER_MODULE} is not installed (pip install -e '.[bench]'); running the rest")
        return impls, []
    return impls + [peer for peer in PEERS if peer not in impls], [Path(spec.origin).parent]


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


def _import_case(rounds: int, medians: dict[tuple[str, str, str], float], peers: bool) -> dict[str, str]:
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
    if peers:  # the official SDK is installed in this environment, not in the wheel's venv
        times = _peer_import_times(rounds)
        medians[("import", "openai", "wall_ms")] = statistics.median(times["openai"])
        medians[("import", "openai-floor", "wall_ms")] = statistics.median(times["bare"])
    return {
        "how": f"{how}, {rounds} rounds",
        "clients_ms": f"IQR {_iqr(samples['clients_ms'])}",
        "rss_mb": f"range {min(samples['clients_rss_mb']):.2f}..{max(samples['clients_rss_mb']):.2f}",
        "delta": f"{statistics.median(delta):.1f} ms (IQR {_iqr(delta)})",
    }


def _peer_import_times(repeat: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"bare": [], "openai": []}
    for _ in range(repeat):
        for name, code in (("bare", "pass"), ("openai", f"import {PEER_MODULE}")):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=CHILD_ENV)
            out[name].append((time.perf_counter() - start) * 1000)
    return out


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
    parser.add_argument("--pool-turns", type=int, default=40, help="tasks per pool run (case pool)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--peers", action="store_true", help="also run the official openai-codex SDK")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.deltas = 2, 2_000
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    peer_dirs: list[Path] = []
    if args.peers:
        impls, peer_dirs = with_peers(impls)
        args.peers = bool(peer_dirs)
    medians: dict[tuple[str, str, str], float] = {}
    notes: dict[str, str] = {}
    _precompile(*peer_dirs)

    if "import" in cases:
        notes = _import_case(max(args.repeat * 4, 15), medians, args.peers)
    workloads = [c for c in cases if c != "import"]
    pool_rates = _run_workloads(workloads, impls, args, medians) if workloads else {}
    missed = _report(medians, impls, args, notes) if set(cases) - {"pool"} else 0
    if "pool" in cases:
        _report_pool(pool_rates, args)
    return missed


def _run_workloads(
    cases: list[str], impls: list[str], args: argparse.Namespace, medians: dict[tuple[str, str, str], float]
) -> dict[tuple[int, str], float]:
    """The cases that talk to codex, against one fake model; returns the pool case's rates (if run)."""
    pool_rates: dict[tuple[int, str], float] = {}
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
        if "pool" in cases:
            pool_rates = _pool_case(cfg, args)
        for case in (c for c in cases if c != "pool"):
            samples: dict[tuple[str, str], list[float]] = {}
            case_impls = list(TRANSPORT_IMPLS) if case == "transports" else impls
            for round_ in range(args.repeat):
                order = case_impls[round_ % len(case_impls) :] + case_impls[: round_ % len(case_impls)]
                for impl in order:
                    result = _run_case(case, impl, cfg)
                    if case in ("stream", "transports") and result["deltas"] != args.deltas:
                        raise RuntimeError(f"{impl} saw {result['deltas']} of {args.deltas} deltas")
                    for metric, value in result.items():
                        if isinstance(value, (int, float)):
                            samples.setdefault((impl, metric), []).append(float(value))
            for (impl, metric), values in samples.items():
                medians[(case, impl, metric)] = statistics.median(values)
        model.assert_all_consumed()
    return pool_rates


POOL_SIZES = (1, 2, 4)


def _pool_case(cfg: dict[str, Any], args: argparse.Namespace) -> dict[tuple[int, str], float]:
    """Median turns/s of AgentPool and of as many raw drivers, per size (alternating, fresh processes)."""
    rounds = min(args.repeat, 3)  # each round starts 14 app-servers: keep the case to a few minutes
    samples: dict[tuple[int, str], list[float]] = {}
    for size in POOL_SIZES:
        for round_ in range(rounds):
            for impl in ("raw", "async") if round_ % 2 == 0 else ("async", "raw"):
                result = _run_case("pool", impl, {**cfg, "servers": size, "turns": args.pool_turns})
                samples.setdefault((size, impl), []).append(result["turns_per_s"])
    return {key: statistics.median(values) for key, values in samples.items()}


def _report_pool(rates: dict[tuple[int, str], float], args: argparse.Namespace) -> None:
    print(
        f"\npool: {args.pool_turns} one-turn tasks, each on a new thread, one turn per app-server at a "
        f"time (medians of {min(args.repeat, 3)} rounds; python {sys.version.split()[0]})\n"
    )
    print(f"{'app-servers':>11} {'raw turns/s':>12} {'pool turns/s':>13} {'pool/raw':>9} {'scaling':>8}")
    base = rates.get((1, "async"))
    for size in POOL_SIZES:
        raw, pool = rates.get((size, "raw")), rates.get((size, "async"))
        if raw is None or pool is None:
            continue
        scaling = f"{pool / base:.2f}x" if base else "-"
        print(f"{size:>11} {raw:>12.1f} {pool:>13.1f} {pool / raw:>8.2f}x {scaling:>8}")
    print("(scaling: the pool's turns/s over its own with one app-server)")


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
            if impl not in PEERS:  # the targets are ours; the peer is shown for comparison
                verdicts.append((ratio <= target) if kind == "ratio" else (value <= target))
            cells.append(f"{_fmt(value):>10} {ratio:>6.2f}x")
        missed += sum(not v for v in verdicts)
        label = f"<= {target:g}x" if kind == "ratio" else f"<= {target:g}"
        print(
            f"{case:<8} {metric:<12} {_fmt(raw):>10} "
            + " ".join(cells)
            + f"  {label:>10}  "
            + ("ok" if all(verdicts) else "MISSED")
        )
    print("\ninformational (medians):")
    for case, metric in (("stream", "turn_cpu"), ("warm", "per_turn")):
        found = [(impl, medians.get((case, impl, metric))) for impl in impls]
        cells = [f"{impl}={_fmt(value)}" for impl, value in found if value is not None]
        if cells:
            print(f"  {case} {metric}: " + ", ".join(cells))
    _report_transports(medians, args.deltas)
    missed += _report_import(medians, notes)
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
    peer, peer_floor = (
        medians.get(("import", "openai", "wall_ms")),
        medians.get(("import", "openai-floor", "wall_ms")),
    )
    if peer is not None and peer_floor is not None:
        print(
            f"{'':<12} import {PEER_MODULE} (this venv, whole process): {peer:.1f} ms, "
            f"python -c pass {peer_floor:.1f} ms"
        )
    return missed


def _report_transports(medians: dict[tuple[str, str, str], float], deltas: int) -> None:
    base_wall = medians.get(("transports", "stdio", "turn_wall"))
    base_cpu = medians.get(("transports", "stdio", "turn_cpu"))
    if base_wall is None or base_cpu is None:
        return
    print(f"\ntransports: one turn of {deltas} deltas, async client (ratios to stdio)")
    print(
        f"  {'transport':<10} {'turn wall':>10} {'ratio':>7} {'client CPU':>11} {'ratio':>7} {'CPU/msg':>9}"
    )
    for impl in TRANSPORT_IMPLS:
        wall = medians.get(("transports", impl, "turn_wall"))
        cpu = medians.get(("transports", impl, "turn_cpu"))
        if wall is None or cpu is None:
            continue
        per_msg = cpu / deltas * 1e6
        print(
            f"  {impl:<10} {_fmt(wall):>10} {wall / base_wall:>6.2f}x {_fmt(cpu):>11} "
            f"{cpu / base_cpu:>6.2f}x {per_msg:>6.1f} us"
        )


def _fmt(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.3f}"


if __name__ == "__main__":
    raise SystemExit(main())

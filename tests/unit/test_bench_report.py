"""``bench/run.py --peers``: the official SDK's column beside ours, judged by no target."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
Capture = pytest.CaptureFixture[str]


@pytest.fixture
def bench_run(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_run_under_test", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MEDIANS = {
    ("import", "raw", "wall_ms"): 10.0,
    ("import", "sdk", "wall_ms"): 12.0,
    ("import", "raw", "clients_ms"): 150.0,
    ("import", "sdk", "clients_ms"): 11.0,
    ("import", "raw", "rss_mb"): 19.3,
    ("import", "sdk", "rss_mb"): 19.9,
    ("import", "openai", "wall_ms"): 500.0,
    ("import", "openai-floor", "wall_ms"): 10.0,
    ("cold", "raw", "wall_s"): 0.2,
    ("cold", "sync", "wall_s"): 0.21,
    ("cold", "async", "wall_s"): 0.22,
    ("cold", "openai", "wall_s"): 0.5,
}
# The start-up case's notes (bench/startup.py): how the wheel was installed, the spreads.
NOTES = {"how": "wheel codex_python_sdk-0.0.0-py3-none-any.whl, 1 rounds", "delta": "12.0 ms (IQR 1.0..20.0)"}


def test_the_peer_is_a_column_with_its_ratio_and_no_verdict(bench_run: Any, capsys: Capture) -> None:
    args = argparse.Namespace(repeat=1, deltas=10, strict=True)
    assert bench_run._report(MEDIANS, ["raw", "sync", "async", "openai"], args, NOTES) == 0  # 2.5x: not ours
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("case"))
    assert header.split()[:9] == [
        "case",
        "metric",
        "raw",
        "sync",
        "ratio",
        "async",
        "ratio",
        "openai",
        "ratio",
    ]
    cold = next(line for line in lines if line.startswith("cold"))
    assert cold.split()[2:13] == [
        "200.0",
        "ms",
        "210.0",
        "ms",
        "1.05x",
        "220.0",
        "ms",
        "1.10x",
        "500.0",
        "ms",
        "2.50x",
    ]
    assert cold.endswith("ok")
    # The start-up table: our import against its targets, the peer's import time beside it, unjudged.
    for metric in ("wall_ms", "clients_ms", "rss_mb"):
        assert next(line for line in lines if line.startswith(metric)).split()[8] == "ok"
    peer = next(line for line in lines if "import openai_codex" in line)
    assert "500.0 ms" in peer and "python -c pass 10.0 ms" in peer


def test_peers_not_installed_says_so_and_runs_the_rest(
    bench_run: Any, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert bench_run.with_peers(["raw", "sync"]) == (["raw", "sync"], [])
    assert (
        "openai_codex is not installed (pip install -e '.[bench]'); running the rest"
        in capsys.readouterr().out
    )

"""The start-up cost as a user pays it: the package installed from a wheel, imported from compiled bytecode.

:func:`installed_python` builds a wheel of the project, installs it into a fresh virtual environment
(``pip`` compiles the bytecode, as for any install) and returns that environment's interpreter.
:func:`measure` then runs fresh processes of it, alternating:

- ``import asyncio`` alone (the floor: every user of the clients pays it, and it already imports
  ``typing``, ``inspect``, ``re``, ``logging``, ``ssl`` ...);
- ``import asyncio`` then the two clients, the latter timed inside the process: the clients' cost above
  asyncio, without the noise of interpreter start-up; the difference of the two processes' wall times
  is kept too, as a cross-check;
- the peak resident memory of both right after their imports (``VmHWM`` on Linux, the process's own
  ``ru_maxrss``): the memory at rest;
- ``python -c pass`` and ``import codex_python_sdk`` (the lazy package alone).

When no wheel can be built (no build backend and no index to fetch one from), the source tree is copied
into the environment instead and compiled: the same files the wheel holds, loaded the same way.

Run directly, it compares trees (e.g. a worktree of main and this one) in one run, their rounds
interleaved so that they share the machine's noise: ``python bench/startup.py --rounds 30 ../main .``
(default: this tree alone). ``bench/run.py --cases import`` reports the same numbers against the targets.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = "from codex_python_sdk import CodexAgenticClient, AsyncCodexAgenticClient"
# The peak RSS, read before anything else is imported. On Linux from VmHWM: ru_maxrss would report the
# parent's peak when it is higher (a child spawned with vfork keeps its high-water mark across exec).
_PEAK = """
import sys
try:
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 2**10
except OSError:
    import resource  # in bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
print(peak, ms)
"""
SCRIPTS = {
    "bare": "ms = 0.0\nimport asyncio\n" + _PEAK,
    "clients": (
        "import asyncio, time\nstart = time.perf_counter()\n"
        f"{CLIENTS}\nms = (time.perf_counter() - start) * 1000\n" + _PEAK
    ),
    "pass": "pass",
    "package": "import codex_python_sdk",
}


def _run(argv: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} ... failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


def installed_python(tmp: Path, env: dict[str, str], root: Path = ROOT) -> tuple[str, str]:
    """A fresh venv under ``tmp`` with the project at ``root`` installed; returns (its python, how it was
    installed)."""
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env)
    python = str(venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
    probe = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(subprocess.check_output([python, "-c", probe], text=True).strip())
    wheels = tmp / "wheels"
    try:
        _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(root)], env)
        wheel = next(wheels.glob("codex_python_sdk-*.whl"))
        _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", str(wheel)], env)
        how = f"wheel {wheel.name}"
    except (RuntimeError, StopIteration):
        shutil.copytree(root / "src" / "codex_python_sdk", site / "codex_python_sdk")
        _run([python, "-m", "compileall", "-q", str(site / "codex_python_sdk")], env)
        how = "source tree copied and compiled (no wheel could be built)"
    # orjson from this environment, so that nothing fails to import (the clients load it at connect).
    dist = importlib.metadata.distribution("orjson")
    for file in dist.files or ():
        if not str(file).startswith(".."):  # scripts outside site-packages
            target = site / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(str(dist.locate_file(file))), target)
    return python, how


def measure(python: str, rounds: int, env: dict[str, str]) -> dict[str, list[float]]:
    """Samples per metric: process wall times (``*_wall_ms``), the clients' in-process import time
    (``clients_ms``), the paired wall-time difference (``delta_wall_ms``) and peak RSS (``*_rss_mb``)."""
    return measure_many([python], rounds, env)[0]


def measure_many(pythons: list[str], rounds: int, env: dict[str, str]) -> list[dict[str, list[float]]]:
    """:func:`measure` for several installs at once, their rounds interleaved (and their order alternated)
    so that they share the machine's noise."""
    outs: list[dict[str, list[float]]] = [{} for _ in pythons]
    for round_ in range(rounds + 1):  # the first round warms the file cache and is not kept
        order = list(range(len(pythons))) if round_ % 2 else list(reversed(range(len(pythons))))
        for index in order:
            _round(pythons[index], round_, env, outs[index])
    return outs


def _round(python: str, round_: int, env: dict[str, str], out: dict[str, list[float]]) -> None:
    names = list(SCRIPTS) if round_ % 2 else list(reversed(SCRIPTS))
    walls: dict[str, float] = {}
    for name in names:
        start = time.perf_counter()
        proc = subprocess.run([python, "-c", SCRIPTS[name]], capture_output=True, text=True, env=env)
        walls[name] = (time.perf_counter() - start) * 1000
        if proc.returncode != 0:
            raise RuntimeError(f"the {name!r} import failed:\n{proc.stderr[-3000:]}")
        if round_ and name in ("bare", "clients"):
            rss_mb, ms = map(float, proc.stdout.split())
            out.setdefault(f"{name}_rss_mb", []).append(rss_mb)
            if name == "clients":
                out.setdefault("clients_ms", []).append(ms)
    if round_:
        for name, wall in walls.items():
            out.setdefault(f"{name}_wall_ms", []).append(wall)
        out.setdefault("delta_wall_ms", []).append(walls["clients"] - walls["bare"])


def main() -> None:
    import argparse
    import statistics
    import tempfile

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "trees", nargs="*", type=Path, default=[ROOT], help="project trees (default: this one)"
    )
    parser.add_argument("--rounds", type=int, default=20, help="rounds per tree (medians are reported)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # bytecode, as installed
    with tempfile.TemporaryDirectory(prefix="codex-startup-") as tmp:
        pythons = []
        for index, tree in enumerate(args.trees):
            python, how = installed_python(Path(tmp, str(index)), env, tree.resolve())
            print(f"{tree}: {how}")
            pythons.append(python)
        samples = measure_many(pythons, args.rounds, env)
    print(f"medians of {args.rounds} rounds, interleaved; load average {os.getloadavg()[0]:.1f}")
    print(f"{'tree':<30} {'clients ms':>10} {'IQR':>11} {'RSS MB':>8} {'range':>13} {'asyncio MB':>10}")
    for tree, out in zip(args.trees, samples, strict=True):
        ms, rss = out["clients_ms"], out["clients_rss_mb"]
        q = statistics.quantiles(ms, n=4)
        print(
            f"{str(tree)[-30:]:<30} {statistics.median(ms):>10.1f} {f'{q[0]:.1f}-{q[2]:.1f}':>11} "
            f"{statistics.median(rss):>8.2f} {f'{min(rss):.2f}-{max(rss):.2f}':>13} "
            f"{statistics.median(out['bare_rss_mb']):>10.2f}"
        )


if __name__ == "__main__":
    main()

"""One benchmark workload in a fresh Python process: ``python bench/cases.py CASE IMPL CONFIG_JSON``.

CASE is ``cold``, ``warm``, ``stream``, ``memory`` or ``pool``; IMPL is ``raw`` (bench/raw_driver.py, the
floor), ``sync`` (``CodexAgenticClient``), ``async`` (``AsyncCodexAgenticClient``; ``AgentPool`` for
``pool``) or ``openai`` (the official ``openai-codex`` SDK's sync ``Codex``, the peer: installed with the
``[bench]`` extra). CONFIG_JSON carries the fake model's config overrides, the CODEX_HOME and the
workspace. The result is one JSON line on stdout; for ``cold`` the line ``ANSWER`` is printed the moment
the first answer arrives (the parent times it). CASE ``transports`` takes IMPL
``stdio``, ``ws`` or ``unix`` instead (bench/transports.py).


Imports are done inside the cases on purpose: the cold start measures them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

STREAM_PROMPT = "BENCH_STREAM"


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _env(cfg: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "OPENAI_"))}
    # HOME too: codex snapshots the user's login shell for every thread, and a real ~/.bashrc (pyenv init
    # here) starts background work that would pile up over hundreds of threads and skew every number.
    env.update(CODEX_HOME=cfg["home"], HOME=cfg["home"], OPENAI_API_KEY="sk-test")
    return env


def _sdk_kwargs(cfg: dict[str, Any]) -> dict[str, Any]:
    return {
        "env": _env(cfg),
        "server_config_overrides": cfg["overrides"],
        "process_cwd": cfg["workspace"],
        "stream_idle_timeout_seconds": 120,
    }


def _peer(cfg: dict[str, Any]) -> Any:
    """The official SDK's client on the same binary, home, workspace and fake model."""
    from openai_codex import Codex, CodexConfig

    def toml(value: object) -> str:  # the overrides are strings and ints
        return str(value) if isinstance(value, int) else json.dumps(str(value))

    overrides = tuple(f"{key}={toml(value)}" for key, value in cfg["overrides"].items())
    return Codex(CodexConfig(config_overrides=overrides, cwd=cfg["workspace"], env=_env(cfg)))


def _driver(cfg: dict[str, Any]) -> Any:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from raw_driver import RawDriver

    return RawDriver(codex_home=cfg["home"], config_overrides=cfg["overrides"], cwd=cfg["workspace"])


# -- cold: spawn python -> first answer ----------------------------------------------------------------
def cold(impl: str, cfg: dict[str, Any]) -> dict[str, Any]:
    if impl == "raw":
        driver = _driver(cfg)
        tid = driver.start_thread(cwd=cfg["workspace"])
        messages = driver.run_turn(tid, "hello")
        text = next(
            m["params"]["item"]["text"]
            for m in messages
            if m["method"] == "item/completed" and m["params"]["item"]["type"] == "agentMessage"
        )
        print("ANSWER", flush=True)
        driver.close()
    elif impl == "openai":
        with _peer(cfg) as codex:
            text = codex.thread_start().run("hello").final_response or ""
            print("ANSWER", flush=True)
    elif impl == "sync":
        from codex_python_sdk import create_client

        with create_client(**_sdk_kwargs(cfg)) as client:
            text = client.responses_create(prompt="hello").text
            print("ANSWER", flush=True)
    else:
        import asyncio

        from codex_python_sdk import create_async_client

        async def main() -> str:
            async with create_async_client(**_sdk_kwargs(cfg)) as client:
                answer = (await client.responses_create(prompt="hello")).text
                print("ANSWER", flush=True)
                return answer

        text = asyncio.run(main())
    return {"text": text}


# -- warm: turns on an open client ------------------------------------------------------------------------
def warm(impl: str, cfg: dict[str, Any]) -> dict[str, Any]:
    turns = int(cfg.get("turns", 20))
    if impl == "raw":
        driver = _driver(cfg)
        tid = driver.start_thread(cwd=cfg["workspace"])
        for _ in range(2):
            driver.run_turn(tid, "warm-up")
        start = time.perf_counter()
        for _ in range(turns):
            driver.run_turn(tid, "hello")
        elapsed = time.perf_counter() - start
        driver.close()
    elif impl == "openai":
        with _peer(cfg) as codex:
            thread = codex.thread_start()
            for _ in range(2):
                thread.run("warm-up")
            start = time.perf_counter()
            for _ in range(turns):
                thread.run("hello")
            elapsed = time.perf_counter() - start
    elif impl == "sync":
        from codex_python_sdk import create_client

        with create_client(**_sdk_kwargs(cfg)) as client:
            tid = client.responses_create(prompt="warm-up").thread_id
            client.responses_create(prompt="warm-up", thread_id=tid)
            start = time.perf_counter()
            for _ in range(turns):
                client.responses_create(prompt="hello", thread_id=tid)
            elapsed = time.perf_counter() - start
    else:
        import asyncio

        from codex_python_sdk import create_async_client

        async def main() -> float:
            async with create_async_client(**_sdk_kwargs(cfg)) as client:
                tid = (await client.responses_create(prompt="warm-up")).thread_id
                await client.responses_create(prompt="warm-up", thread_id=tid)
                start = time.perf_counter()
                for _ in range(turns):
                    await client.responses_create(prompt="hello", thread_id=tid)
                return time.perf_counter() - start

        elapsed = asyncio.run(main())
    return {"per_turn": elapsed / turns}


# -- stream: one turn of many deltas, every event delivered to the caller -----------------------------------
def stream(impl: str, cfg: dict[str, Any]) -> dict[str, Any]:
    deltas = 0
    if impl == "raw":
        driver = _driver(cfg)
        tid = driver.start_thread(cwd=cfg["workspace"])
        cpu0, start = time.process_time(), time.perf_counter()
        for message in driver.run_turn(tid, STREAM_PROMPT, timeout=300):
            if message["method"] == "item/agentMessage/delta":
                deltas += 1
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
        driver.close()
    elif impl == "openai":
        with _peer(cfg) as codex:
            thread = codex.thread_start()
            cpu0, start = time.process_time(), time.perf_counter()
            for notification in thread.turn(STREAM_PROMPT).stream():
                if notification.method == "item/agentMessage/delta":
                    deltas += 1
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    elif impl == "sync":
        from codex_python_sdk import create_client

        with create_client(**_sdk_kwargs(cfg)) as client:
            tid = client.thread_start()["thread"]["id"]
            cpu0, start = time.process_time(), time.perf_counter()
            for event in client.responses_events(prompt=STREAM_PROMPT, thread_id=tid):
                if event.type == "item/agentMessage/delta":
                    deltas += 1
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    else:
        import asyncio

        from codex_python_sdk import create_async_client

        async def main() -> tuple[int, float, float]:
            count = 0
            async with create_async_client(**_sdk_kwargs(cfg)) as client:
                tid = (await client.thread_start())["thread"]["id"]
                cpu0, start = time.process_time(), time.perf_counter()
                async for event in client.responses_events(prompt=STREAM_PROMPT, thread_id=tid):
                    if event.type == "item/agentMessage/delta":
                        count += 1
                return count, time.perf_counter() - start, time.process_time() - cpu0

        deltas, elapsed, cpu = asyncio.run(main())
    return {"turn_wall": elapsed, "turn_cpu": cpu, "deltas": deltas, "process_cpu": time.process_time()}


# -- memory: RSS of the Python process at rest, after one turn ---------------------------------------------
def memory(impl: str, cfg: dict[str, Any]) -> dict[str, Any]:
    if impl == "raw":
        driver = _driver(cfg)
        driver.run_turn(driver.start_thread(cwd=cfg["workspace"]), "hello")
        time.sleep(0.3)
        rss = _rss_mb()
        driver.close()
    elif impl == "openai":
        with _peer(cfg) as codex:
            codex.thread_start().run("hello")
            time.sleep(0.3)
            rss = _rss_mb()
    elif impl == "sync":
        from codex_python_sdk import create_client

        with create_client(**_sdk_kwargs(cfg)) as client:
            client.responses_create(prompt="hello")
            time.sleep(0.3)
            rss = _rss_mb()
    else:
        import asyncio

        from codex_python_sdk import create_async_client

        async def main() -> float:
            async with create_async_client(**_sdk_kwargs(cfg)) as client:
                await client.responses_create(prompt="hello")
                await asyncio.sleep(0.3)
                return _rss_mb()

        rss = asyncio.run(main())
    return {"rss_mb": rss}


# -- pool: turns per second over N app-servers, one turn per app-server at a time ---------------------------
def pool(impl: str, cfg: dict[str, Any]) -> dict[str, Any]:
    """``turns`` one-turn tasks, each on a new thread, over ``servers`` app-servers (started beforehand).

    raw: one RawDriver per app-server, each on its own Python thread, running its share of the turns one
    after the other. async: ``AgentPool(size=servers, max_concurrency=servers)``, the same schedule.
    """
    servers, turns = int(cfg["servers"]), int(cfg.get("turns", 40))
    if impl == "raw":
        import threading

        drivers = [_driver(cfg) for _ in range(servers)]
        shares = [len(range(i, turns, servers)) for i in range(servers)]

        def work(driver: Any, count: int) -> None:
            for _ in range(count):
                driver.run_turn(driver.start_thread(cwd=cfg["workspace"]), "hello")

        threads = [threading.Thread(target=work, args=pair) for pair in zip(drivers, shares, strict=True)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        for driver in drivers:
            driver.close()
    else:
        import asyncio

        from codex_python_sdk import AgentPool

        async def main() -> float:
            async with AgentPool(servers, max_concurrency=servers, progress=False, **_sdk_kwargs(cfg)) as p:
                began = time.perf_counter()
                results = await p.run(["hello"] * turns)
                took = time.perf_counter() - began
                if results.summary.succeeded != turns:
                    raise RuntimeError(f"pool: {results.summary}")
                return took

        elapsed = asyncio.run(main())
    return {"turns_per_s": turns / elapsed}


def main() -> None:
    case, impl, cfg = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    if case == "transports":  # stdio / ws / unix: bench/transports.py
        from transports import transports

        print(json.dumps(transports(impl, cfg)), flush=True)
        return
    cases = {"cold": cold, "warm": warm, "stream": stream, "memory": memory, "pool": pool}
    result = cases[case](impl, cfg)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

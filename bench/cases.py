"""One benchmark workload in a fresh Python process: ``python bench/cases.py CASE IMPL CONFIG_JSON``.

CASE is ``cold``, ``warm``, ``stream`` or ``memory``; IMPL is ``raw`` (bench/raw_driver.py, the floor),
``sync`` (``CodexAgenticClient``) or ``async`` (``AsyncCodexAgenticClient``). CASE ``transports`` takes
IMPL ``stdio``, ``ws`` or ``unix`` instead (bench/transports.py). CONFIG_JSON carries the fake
model's config overrides, the CODEX_HOME and the workspace. The result is one JSON line on stdout; for
``cold`` the line ``ANSWER`` is printed the moment the first answer arrives (the parent times it).

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
    env.update(CODEX_HOME=cfg["home"], OPENAI_API_KEY="sk-test")
    return env


def _sdk_kwargs(cfg: dict[str, Any]) -> dict[str, Any]:
    return {
        "env": _env(cfg),
        "server_config_overrides": cfg["overrides"],
        "process_cwd": cfg["workspace"],
        "stream_idle_timeout_seconds": 120,
    }


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


def main() -> None:
    case, impl, cfg = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    if case == "transports":  # stdio / ws / unix: bench/transports.py
        from transports import transports

        print(json.dumps(transports(impl, cfg)), flush=True)
        return
    result = {"cold": cold, "warm": warm, "stream": stream, "memory": memory}[case](impl, cfg)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

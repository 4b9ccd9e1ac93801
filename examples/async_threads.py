"""Async: several turns at once on one client, each on its own thread.

python examples/async_threads.py
"""

import asyncio
import time

from codex_python_sdk.testing import FakeModel, Reply

CITIES = ["Paris", "Oslo", "Lima", "Kyoto"]


async def main() -> None:
    with FakeModel() as model:
        # Answer each request from its prompt (turns run concurrently, so a queue's order is not theirs).
        model.respond_with(lambda request: Reply.text(f"{request.last_user_text}: done", deltas=3).slow(0.05))
        async with model.async_client() as client:
            started = time.monotonic()
            results = await asyncio.gather(
                *(client.responses_create(prompt=f"Plan a day in {city}") for city in CITIES)
            )
            for result in results:
                print(result.thread_id[-8:], result.text)
            threads = len({result.thread_id for result in results})
            print(f"{len(results)} turns on {threads} threads in {time.monotonic() - started:.1f} s")


asyncio.run(main())

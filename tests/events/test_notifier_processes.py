"""The Redis notifier across real processes, and across a Redis restart."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from rescope.events import RedisNotifier, create_notifier
from rescope.exceptions import CompletionFailedError
from tests.events.fakes import wait_numsub

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


async def peer(*args: str) -> asyncio.subprocess.Process:
    """Start `python -m tests.events.peer ARGS` as a separate process."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.events.peer",
        *args,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process) -> str:
    """Wait for the peer to exit successfully and return what it printed."""
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_notify_in_another_process_wakes_a_waiter_here(shared_redis) -> None:
    """A webhook handled by process B (notify) wakes the waiters of process A at once."""
    namespace = shared_redis.key("n")
    async with create_notifier(shared_redis.url, namespace=namespace) as notifier:
        assert isinstance(notifier, RedisNotifier)
        waiters = [asyncio.create_task(notifier.wait("job-7", timeout=30)) for _ in range(2)]
        await wait_numsub(shared_redis.url, {notifier.channel("job-7"): 1})
        await finish(await peer("notify", shared_redis.url, namespace, "job-7", '{"n": 7}'))
        assert await asyncio.gather(*waiters) == [{"n": 7}, {"n": 7}]


async def test_waiter_in_another_process_is_woken_from_here(shared_redis) -> None:
    """Process B waits, process A notifies an error: B raises CompletionFailedError."""
    namespace = shared_redis.key("n")
    async with create_notifier(shared_redis.url, namespace=namespace) as notifier:
        assert isinstance(notifier, RedisNotifier)
        waiting = await peer("wait", shared_redis.url, namespace, "job-8")
        await wait_numsub(shared_redis.url, {notifier.channel("job-8"): 1})
        await notifier.notify_error("job-8", "transcoder ran out of memory")
        report = json.loads(await finish(waiting))
    assert report["error"] == "CompletionFailedError"
    assert "transcoder ran out of memory" in report["detail"]


async def test_late_waiter_finds_what_another_process_notified(shared_redis) -> None:
    """A completion notified by a process that has since exited is found by a later waiter."""
    namespace = shared_redis.key("n")
    await finish(await peer("notify-error", shared_redis.url, namespace, "job-9", "boom"))
    await finish(await peer("notify", shared_redis.url, namespace, "job-10", "[1, 2]"))
    async with create_notifier(shared_redis.url, namespace=namespace) as notifier:
        assert await notifier.wait("job-10", timeout=5) == [1, 2]
        with pytest.raises(CompletionFailedError, match="boom"):
            await notifier.wait("job-9", timeout=5)


async def test_completion_published_while_disconnected_is_caught_up(private_redis) -> None:
    """A completion published while the waiter's connection was down is fetched on reconnect."""
    async with create_notifier(private_redis.url, namespace="gap") as notifier:
        assert isinstance(notifier, RedisNotifier)
        waiting = asyncio.create_task(notifier.wait("job", timeout=30))
        channel = notifier.channel("job")
        await wait_numsub(private_redis.url, {channel: 1})
        client = aioredis.Redis.from_url(private_redis.url)
        try:
            # Atomically: drop every subscriber, then store and publish (which reaches nobody).
            async with client.pipeline(transaction=True) as pipe:
                pipe.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
                pipe.set(channel, '{"ok":true,"result":"caught up"}', px=60_000)
                pipe.publish(channel, '{"ok":true,"result":"caught up"}')
                killed, _, receivers = await pipe.execute()
        finally:
            await client.aclose()
        assert (killed, receivers) == (1, 0)
        assert await waiting == "caught up"

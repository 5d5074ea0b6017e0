"""`async with managed_temp_dir()` removes large trees off the event loop, even when cancelled."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio
import pytest

from rescope.resources import managed_temp_dir
from tests.resources._work import fill_tree, max_loop_lag

FILES = 3000


async def _removal_lag(tmp_path: Path, *, offloaded: bool) -> float:
    """Fill a temp dir, then return the ticker's worst lateness while its exit removes it."""
    holder = managed_temp_dir(directory=tmp_path)
    fill_tree(await holder.__aenter__(), FILES)

    async def leave() -> None:
        if offloaded:
            await holder.__aexit__(None, None, None)
        else:
            holder.__exit__(None, None, None)

    return await max_loop_lag(leave, tick=0.005, warmup=0.02)


@pytest.mark.anyio
async def test_async_exit_removes_a_large_tree_without_stalling_the_loop(tmp_path) -> None:
    """Removing thousands of files on `async with` exit keeps a ticker far less late than inline."""
    offloaded_lag = inline_lag = 0.0
    for _ in range(3):
        offloaded_lag = await _removal_lag(tmp_path, offloaded=True)
        inline_lag = await _removal_lag(tmp_path, offloaded=False)
        if offloaded_lag < inline_lag / 2:
            break
    print(f"max ticker lag during removal: async {offloaded_lag:.4f} s, inline {inline_lag:.4f} s")
    assert offloaded_lag < inline_lag / 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.anyio
async def test_cancelled_in_the_block_leaves_nothing(tmp_path) -> None:
    """A task cancelled inside the block has its large tree removed before it unwinds."""
    filled = asyncio.Event()

    async def job() -> None:
        async with managed_temp_dir(directory=tmp_path) as root:
            fill_tree(root, FILES)
            filled.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(job())
    await filled.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(tmp_path.iterdir()) == []


@pytest.mark.anyio
async def test_cancelled_during_removal_still_leaves_nothing(tmp_path) -> None:
    """A cancellation that lands while the tree is being removed waits for the removal."""
    leaving = asyncio.Event()

    async def job() -> None:
        async with managed_temp_dir(directory=tmp_path) as root:
            fill_tree(root, FILES)
            leaving.set()
        await asyncio.sleep(60)

    task = asyncio.create_task(job())
    await leaving.wait()
    await asyncio.sleep(0)  # the task is now in its exit, waiting for the removal thread
    assert list(tmp_path.iterdir()) != []
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(tmp_path.iterdir()) == []


@pytest.mark.anyio
async def test_an_expiring_cancel_scope_still_leaves_nothing(tmp_path) -> None:
    """An anyio deadline that expires in the block or during removal leaves no tree behind."""
    for budget in (0.0, 0.01, 0.05):
        with anyio.move_on_after(budget) as scope:
            async with managed_temp_dir(directory=tmp_path) as root:
                fill_tree(root, FILES)
                await anyio.sleep(60)
        assert scope.cancelled_caught
        assert list(tmp_path.iterdir()) == []

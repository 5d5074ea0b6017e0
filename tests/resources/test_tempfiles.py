"""Temp files and directories are removed on every exit path, sync and async."""

from __future__ import annotations

import asyncio
import logging
import random
import shutil

import pytest

from rescope.exceptions import ResourceError
from rescope.resources import managed_temp_dir, managed_temp_files


def test_files_are_created_yielded_in_order_and_removed(tmp_path) -> None:
    """Each suffix gets an existing empty file, in order, and all are gone after the block."""
    with managed_temp_files(".mp3", ".wav", directory=tmp_path) as (mp3, wav):
        assert mp3.suffix == ".mp3"
        assert wav.suffix == ".wav"
        assert mp3.exists()
        assert wav.stat().st_size == 0
        wav.write_bytes(b"data")
    assert list(tmp_path.iterdir()) == []


def test_directory_is_removed_with_its_contents(tmp_path) -> None:
    """A temp dir and the tree written into it are removed when the block exits."""
    with managed_temp_dir(directory=tmp_path) as where:
        (where / "a" / "b").mkdir(parents=True)
        (where / "a" / "b" / "c.txt").write_text("x")
    assert list(tmp_path.iterdir()) == []


def test_files_the_block_removed_itself_are_fine(tmp_path) -> None:
    """A path the block already deleted does not make the exit fail."""
    with managed_temp_files(".txt", directory=tmp_path) as (path,):
        path.unlink()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error", [ValueError("boom"), KeyboardInterrupt()])
def test_removed_when_the_block_raises(tmp_path, error) -> None:
    """Exceptions, KeyboardInterrupt included, propagate unchanged after removal."""
    with pytest.raises(type(error)), managed_temp_files(".a", ".b", directory=tmp_path):
        raise error
    with pytest.raises(type(error)), managed_temp_dir(directory=tmp_path):
        raise error
    assert list(tmp_path.iterdir()) == []


def test_failed_removal_is_logged_and_does_not_mask_the_error(tmp_path, caplog) -> None:
    """When a path cannot be removed, a warning is logged and the block's own error wins."""
    sub = tmp_path / "sub"
    sub.mkdir()
    seen: list[str] = []

    def replace_parent_and_fail() -> None:
        with managed_temp_files(".x", directory=sub) as (path,):
            seen.append(str(path))
            shutil.rmtree(sub)
            sub.write_text("now a file, so the temp path's parent is not a directory")
            raise ValueError("original")

    with (
        caplog.at_level(logging.WARNING, logger="rescope.resources"),
        pytest.raises(ValueError, match="original"),
    ):
        replace_parent_and_fail()
    assert any(seen[0] in r.getMessage() for r in caplog.records)


def test_failed_creation_removes_what_was_created(tmp_path) -> None:
    """If the second file cannot be created, the first one is removed before the error."""
    with (
        pytest.raises(OSError),
        managed_temp_files(".ok", "/no/such/dir/x", directory=tmp_path),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_entering_twice_is_an_error(tmp_path) -> None:
    """One managed_temp_files() object serves one block; a second entry says so."""
    files = managed_temp_files(".x", directory=tmp_path)
    with files:
        pass
    with pytest.raises(ResourceError, match="entered twice"), files:
        pass


@pytest.mark.anyio
async def test_async_with_removes_on_cancellation(tmp_path) -> None:
    """`async with` removes the paths when the task is cancelled inside the block."""
    entered = asyncio.Event()

    async def job() -> None:
        async with (
            managed_temp_files(".in", directory=tmp_path),
            managed_temp_dir(directory=tmp_path),
        ):
            entered.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(job())
    await entered.wait()
    assert len(list(tmp_path.iterdir())) == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(tmp_path.iterdir()) == []


@pytest.mark.anyio
async def test_thousand_mixed_runs_leave_no_files(tmp_path) -> None:
    """1,000 runs mixing success, failure and cancellation, sync and async, leave 0 paths."""
    rng = random.Random(6)
    outcomes = {"ok": 0, "error": 0, "cancelled": 0}

    async def async_run(kind: str) -> None:
        factory = managed_temp_dir if rng.random() < 0.3 else managed_temp_files
        cm = (
            factory(directory=tmp_path)
            if factory is managed_temp_dir
            else factory(".a", ".b", directory=tmp_path)
        )
        async with cm:
            await asyncio.sleep(rng.random() / 1000)
            if kind == "error":
                raise ValueError(kind)
            if kind == "cancel":
                await asyncio.sleep(60)

    def sync_run(kind: str) -> None:
        with managed_temp_files(".a", directory=tmp_path), managed_temp_dir(directory=tmp_path):
            if kind == "error":
                raise ValueError(kind)
            if kind == "cancel":
                raise KeyboardInterrupt

    tasks = []
    for _ in range(500):
        kind = rng.choice(["ok", "error", "cancel"])
        tasks.append(asyncio.create_task(async_run(kind)))
    await asyncio.sleep(0.05)
    for task in tasks:
        if not task.done():
            task.cancel()
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        if result is None:
            outcomes["ok"] += 1
        elif isinstance(result, asyncio.CancelledError):
            outcomes["cancelled"] += 1
        else:
            outcomes["error"] += 1
    for _ in range(500):
        kind = rng.choice(["ok", "error", "cancel"])
        try:
            sync_run(kind)
        except (ValueError, KeyboardInterrupt):
            outcomes["cancelled" if kind == "cancel" else "error"] += 1
        else:
            outcomes["ok"] += 1
    assert sum(outcomes.values()) == 1000
    assert min(outcomes.values()) > 100
    assert list(tmp_path.iterdir()) == []

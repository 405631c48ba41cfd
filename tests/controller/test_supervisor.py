"""The supervisor behind the endpoint poller, the camera monitor and the sink dispatcher:
one task per row, restarted when the row changes, stopped when it goes, one error policy."""

from __future__ import annotations

import asyncio
import logging

import pytest

from controller.tasks import Row, Supervisor

log = logging.getLogger("test.supervisor")


class Table:
    """A table that the tests edit, and a record of what the supervisor did with it."""

    def __init__(self) -> None:
        self.rows: dict[str, Row[str]] = {}
        self.fail_read = False
        self.runs: list[tuple[str, str]] = []
        self.prepared: list[str] = []
        self.stopped: list[tuple[str, bool]] = []
        self.crash: set[str] = set()
        self.ended: set[str] = set()

    async def read(self) -> dict[str, Row[str]]:
        if self.fail_read:
            raise RuntimeError("database gone")
        return dict(self.rows)

    async def run(self, key: str, value: str) -> None:
        self.runs.append((key, value))
        if key in self.crash:
            raise ValueError("bug")
        if key in self.ended:
            return
        await asyncio.Event().wait()

    def prepare(self, key: str, value: str) -> None:
        self.prepared.append(key)

    async def on_stop(self, key: str, gone: bool) -> None:
        self.stopped.append((key, gone))


def supervisor(table: Table, **kw) -> Supervisor[str, str]:
    return Supervisor(
        "test",
        table.read,
        table.run,
        every_s=0.05,
        log=log,
        prepare=table.prepare,
        on_stop=table.on_stop,
        restart_s=0.05,
        **kw,
    )


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_task_per_row_restarted_on_change_and_stopped_when_gone():
    table = Table()
    table.rows = {"a": Row(1, "A", "a1"), "b": Row(1, "B", "b1")}
    sup = supervisor(table)
    assert await sup.reconcile() is True
    assert table.prepared == ["a", "b"]  # set up before reconcile returns
    await settle()
    assert sorted(table.runs) == [("a", "a1"), ("b", "b1")]
    assert await sup.reconcile() is False  # nothing changed: no task touched

    first_b = sup.tasks["b"]
    table.rows["b"] = Row(2, "B", "b2")
    del table.rows["a"]
    passes = sup.passes
    assert await sup.reconcile() is True
    await settle()
    assert sup.passes == passes + 1
    assert first_b.cancelled() and set(sup.tasks) == {"b"}
    assert ("b", "b2") in table.runs
    assert sorted(table.stopped) == [("a", True), ("b", False)]
    await sup.stop()
    assert sup.tasks == {} and ("b", True) in table.stopped


async def test_a_task_that_raises_is_logged_and_started_again(caplog):
    table = Table()
    table.rows = {"x": Row(1, "camera X", "v")}
    table.crash.add("x")
    sup = supervisor(table)
    with caplog.at_level(logging.ERROR, logger="test.supervisor"):
        await sup.reconcile()
        await asyncio.sleep(0.18)
    assert table.runs.count(("x", "v")) >= 3
    assert "the task of camera X failed" in caplog.text
    assert table.prepared == ["x"]  # a restart is the same row: prepared once
    await sup.stop()


async def test_a_task_that_returns_is_left_alone_until_its_row_changes():
    table = Table()
    table.rows = {"x": Row(1, "X", "v")}
    table.ended.add("x")
    sup = supervisor(table)
    await sup.reconcile()
    await asyncio.sleep(0.12)
    assert table.runs == [("x", "v")]
    table.rows["x"] = Row(2, "X", "w")
    await sup.reconcile()
    await settle()
    assert table.runs == [("x", "v"), ("x", "w")]
    await sup.stop()


async def test_a_failed_read_keeps_the_tasks_running(caplog):
    table = Table()
    table.rows = {"x": Row(1, "X", "v")}
    sup = supervisor(table)
    await sup.start(first_now=True)
    task = sup.tasks["x"]
    table.fail_read = True
    with caplog.at_level(logging.ERROR, logger="test.supervisor"):
        await asyncio.sleep(0.15)
    assert "reading the table failed: RuntimeError" in caplog.text
    assert "database gone" not in caplog.text  # the type only: messages may quote a row
    assert not task.done() and sup.tasks["x"] is task
    table.fail_read = False
    table.rows = {}
    await asyncio.sleep(0.12)
    assert sup.tasks == {} and task.cancelled()
    await sup.stop()


async def test_the_first_pass_at_start_raises_to_the_caller():
    table = Table()
    table.fail_read = True
    sup = supervisor(table)
    with pytest.raises(RuntimeError):
        await sup.start(first_now=True)


async def test_halt_lets_a_task_finish_its_pass_before_it_is_replaced():
    table = Table()
    finished: list[str] = []
    stop_now = asyncio.Event()

    async def run(key: str, value: str) -> None:
        await stop_now.wait()
        finished.append(value)  # the pass completes: it was asked to stop, not cancelled

    async def halt(key: str, task: asyncio.Task[None]) -> None:
        stop_now.set()
        await asyncio.wait_for(asyncio.shield(task), 1)

    table.rows = {"s": Row(1, "S", "v1")}
    sup = Supervisor("test", table.read, run, every_s=1, log=log, halt=halt)
    await sup.reconcile()
    await settle()
    table.rows["s"] = Row(2, "S", "v2")
    await sup.reconcile()
    assert finished == ["v1"]
    await sup.stop()
    assert finished == ["v1", "v2"]


async def test_a_task_that_loses_a_cancellation_is_cancelled_again():
    """As Python 3.11's wait_for does when its awaitable completes at the moment of the
    cancel: the task runs on. A stop must still end (this hung a controller's shutdown)."""
    import asyncio
    import time

    from controller.tasks import cancel_and_wait

    lost = []

    async def stubborn() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            lost.append(True)  # swallowed
        await asyncio.sleep(30)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    t0 = time.monotonic()
    await cancel_and_wait([task])
    assert task.cancelled() and lost == [True] and time.monotonic() - t0 < 5

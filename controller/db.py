"""Async engine and session factory for SQLite (embedded default) and PostgreSQL.

SQLite gets WAL and enforced foreign keys on every connection: without the
pragma SQLite silently ignores ON DELETE rules, and without WAL readers block
the single writer during a 250-row import.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

T = TypeVar("T")
ChangeListener = Callable[[str, frozenset[Any]], None]
_CHANGED = "diemcau.changed"  # session.info: {table: {primary key, ...}} flushed, not yet committed


def make_engine(url: str) -> AsyncEngine:
    """Create the engine; SQLite connections get the pragmas the schema relies on."""
    is_sqlite = url.startswith("sqlite")
    kwargs: dict[str, Any] = {"pool_pre_ping": not is_sqlite}
    if is_sqlite:
        kwargs["connect_args"] = {"timeout": 30}
    engine = create_async_engine(url, **kwargs)
    if is_sqlite:

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


class Database:
    """Owns the engine; hands out sessions that commit or roll back as a unit.

    It also says which rows changed once their transaction has committed (`on_change`):
    whatever the ORM flushed is known here, and a writer of Core statements says so itself
    (`changed`). Why: the live view (`controller.live`) keeps the province's picture in
    memory, and the one place every write passes is the session, not the many features that
    write.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        tracked = type("TrackedSession", (Session,), {})  # this database's sessions only
        event.listen(tracked, "after_flush", _collect)
        event.listen(tracked, "after_commit", self._committed)
        event.listen(tracked, "after_rollback", _forget)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, sync_session_class=tracked)
        self._finishing: set[asyncio.Task[Any]] = set()
        self._listeners: list[ChangeListener] = []

    def on_change(self, listener: ChangeListener) -> None:
        """``listener(table, primary keys)`` right after each commit that changed rows of
        ``table`` through the ORM, or that a Core writer reported with `changed`; it must
        only take note (no awaiting, no raising)."""
        self._listeners.append(listener)

    def changed(self, table: str, keys: Iterable[Any]) -> None:
        """Rows a Core statement changed (committed already): the ORM cannot see those."""
        frozen = frozenset(keys)
        if frozen:
            for listener in self._listeners:
                listener(table, frozen)

    def _committed(self, session: Session) -> None:
        # At once, inside the commit: a request that follows must not find a stale credential
        # or picture. Listeners only note what changed; they never await or raise.
        changed: dict[str, set[Any]] = session.info.pop(_CHANGED, {})
        for table, keys in changed.items():
            self.changed(table, keys)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            yield session

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """``work`` in a transaction of its own that runs to its end even if the caller is
        cancelled meanwhile (the caller then gets its CancelledError at once).

        For long-lived streams, which are cancelled whenever their client leaves: a query
        cancelled mid-flight makes SQLAlchemy invalidate and terminate its connection, and
        aiosqlite's close can then wait forever on a worker thread that has already stopped
        (seen as a controller, or a test, that never finishes shutting down). A read of a few
        milliseconds is cheaper to finish than to abort.
        """

        async def run() -> T:
            async with self.transaction() as session:
                return await work(session)

        task = asyncio.ensure_future(run())
        self._finishing.add(task)
        task.add_done_callback(_settled(self._finishing))
        return await asyncio.shield(task)

    async def dispose(self) -> None:
        if self._finishing:  # reads whose callers left: bounded, they are single queries
            await asyncio.wait(set(self._finishing), timeout=10)
        await self.engine.dispose()


def _collect(session: Session, _context: Any) -> None:
    changed: dict[str, set[Any]] = session.info.setdefault(_CHANGED, {})
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table is not None:
            state = inspect(obj)
            key = state.mapper.primary_key_from_instance(obj)
            changed.setdefault(table, set()).add(key[0] if len(key) == 1 else tuple(key))


def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def _settled(tasks: set[asyncio.Task[Any]]) -> Callable[[asyncio.Task[Any]], None]:
    def done(task: asyncio.Task[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a caller that left does not want it, nobody else does

    return done


def on_commit(session: AsyncSession, callback: Callable[[], object]) -> None:
    """Run `callback` on the event loop once the session's transaction has committed.

    For work that must see the committed rows (a job task reading its items),
    never before: a rolled-back transaction runs nothing.
    """
    loop = asyncio.get_running_loop()

    def _after_commit(_session: object) -> None:
        loop.call_soon(callback)

    event.listen(session.sync_session, "after_commit", _after_commit, once=True)


async def release(session: AsyncSession) -> None:
    """Commit a request's transaction now and give its connection back to the pool.

    For a route that reads what it needs and then waits a long time on something
    else (a snapshot waiting for a camera's keyframe): a pooled connection held
    through the wait would let a handful of such requests starve every other one.
    The session cannot be used afterwards (SQLAlchemy refuses it).
    """
    await session.commit()

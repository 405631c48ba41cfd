"""Health history for charts (endpoints and cameras alike): the range a query asks for,
and the raw samples of that range, thinned when there are too many.

A chart is about 2000 pixels wide, and 24 h of samples at 15 s is 5760 rows: past
``MAX_POINTS`` a range is thinned in the database to evenly spaced samples,
keeping every sample whose state differs from the one before, so a minute of
outage or black picture never falls between two kept points.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.errors import InvalidInput
from controller.models import utcnow

__all__ = ["MAX_POINTS", "history_range", "thinned"]

MAX_POINTS = 2000


def history_range(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The range of a history query, in UTC: the last 24 h unless told.

    A naive time would be read in the server's zone, which the IOC in another zone
    cannot know, so it is refused. Times at the ends of the calendar overflow on the
    way to UTC; they are the client's input too, so a 422 rather than a 500.
    """
    try:
        until = until or utcnow()
        since = since or until - timedelta(hours=24)
        if since.tzinfo is None or until.tzinfo is None:
            raise InvalidInput(
                "since and until need a time zone (e.g. 2026-11-24T08:00:00+07:00)", field="since"
            )
        since, until = since.astimezone(UTC), until.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("since and until must be between the years 1 and 9999", field="since") from None
    if since >= until:
        raise InvalidInput("since must be before until", field="since")
    return since, until


async def thinned(
    session: AsyncSession,
    columns: list[Any],
    where: tuple[Any, ...],
    at: Any,
    state: Any,
    cap: int = MAX_POINTS,
) -> list[Any]:
    """Rows of ``columns`` matching ``where``, oldest first, at most ``cap`` of them."""
    n = int(await session.scalar(select(func.count()).select_from(at.class_).where(*where)) or 0)
    if n <= cap:
        return list((await session.execute(select(*columns).where(*where).order_by(at))).all())
    step = -(-n // cap)
    ranked = (
        select(
            *columns,
            func.row_number().over(order_by=at).label("rn"),
            func.lag(state).over(order_by=at).label("prev_state"),
        )
        .where(*where)
        .subquery()
    )
    r = ranked.c
    kept = or_((r.rn - 1) % step == 0, r.rn == n, r.prev_state != r.state)
    query = select(*(r[c.key] for c in columns)).where(kept).order_by(r[at.key])
    return _evenly(list((await session.execute(query)).all()), cap)


def _evenly(rows: list[Any], cap: int) -> list[Any]:
    """At most ``cap`` rows, evenly spaced, first and last kept (a flapping device's many changes)."""
    if len(rows) <= cap:
        return rows
    return [rows[round(i * (len(rows) - 1) / (cap - 1))] for i in range(cap)]

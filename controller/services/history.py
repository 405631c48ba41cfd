"""Health history for charts: raw samples of a range, thinned when there are too many.

A chart is about 2000 pixels wide, and 24 h of samples at 15 s is 5760 rows: past
``MAX_POINTS`` a range is thinned in the database to evenly spaced samples,
keeping every sample whose state differs from the one before, so a minute of
outage or black picture never falls between two kept points.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["MAX_POINTS", "thinned"]

MAX_POINTS = 2000


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

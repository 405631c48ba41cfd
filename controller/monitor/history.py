"""The time range of a health history query (endpoints and cameras alike)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controller.errors import InvalidInput
from controller.models import utcnow

__all__ = ["history_range"]


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

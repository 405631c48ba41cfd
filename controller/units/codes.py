"""Unit codes by id, for addresses that name units by code (the MQTT topic tree).

A province's integrators subscribe by the codes they know (``diemcau/DEMO/DEMO-H01/#``), while
events carry the units' ids. Codes change rarely (an admin renames a unit), so the map is
read once and again when an unknown id appears or it is a minute old.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from controller.db import Database
from controller.models import Unit

__all__ = ["UnitCodes"]

FRESH_S = 60.0


class UnitCodes:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._codes: dict[str, str] = {}
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def chain(self, unit_path: str) -> list[str]:
        """The codes from the root down to the unit of ``unit_path`` (``/<id>/<id>/``); an id
        that no longer exists keeps its id, so nothing is lost or merged."""
        ids = [part for part in unit_path.strip("/").split("/") if part]
        if any(i not in self._codes for i in ids) or time.monotonic() - self._read_at > FRESH_S:
            await self._read()
        return [self._codes.get(i, i) for i in ids]

    async def _read(self) -> None:
        async with self._lock:
            if time.monotonic() - self._read_at < 1.0:
                return  # another caller just read it
            async with self.db.transaction() as session:
                rows = (await session.execute(select(Unit.id, Unit.code))).all()
            self._codes = {str(uid): code for uid, code in rows}
            self._read_at = time.monotonic()

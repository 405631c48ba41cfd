"""The live view answers what the tables answer, follows writes of this process at once and of
other processes by the outbox and the registry mark, and pollers get validators and gzip.

Against the simulated fleet over real SSH, on SQLite and PostgreSQL: the view's answers are
compared with `health.queries` reading the tables (the routes' database twin), after real
state changes, alarms, an acknowledgement, a deletion and a move.
"""

from __future__ import annotations

import asyncio
import gzip
import uuid

import pytest
from sqlalchemy import select, update

from controller.db import Database
from controller.events import emit
from controller.health import queries
from controller.models import Camera, Endpoint, EndpointHealth, Unit
from controller.roles import Role
from controller.scope import EVERYWHERE, UnitScope
from endpoints.sim import Fleet
from tests.controller.fleet_helpers import register_fleet
from tests.support.waiting import PATIENT_S, until

UNITS = ["DEMO-H01-X01", "DEMO-H01-X02", "DEMO-H01-X03", "DEMO-H02-X01", "DEMO-H02-X02", "DEMO-H03-X01"]


@pytest.fixture
def controller_settings() -> dict:
    return {
        "monitor_enabled": True,
        "camera_monitor_enabled": False,
        "monitor_interval_s": 0.3,
        "monitor_fail_after": 2,
        "monitor_recover_after": 2,
        "alarm_correlation_s": 0.6,
        "alarm_eval_s": 0.2,
        "ssh_connect_timeout_s": PATIENT_S,
        "ssh_command_timeout_s": PATIENT_S,
    }


async def health_states(ctl) -> dict[str, str]:
    r = await ctl.client.get("/api/v1/health/endpoints", headers=ctl.auth(Role.ioc_viewer))
    assert r.status_code == 200, r.text
    return {h["name"]: h["state"] for h in r.json()["items"]}


async def active_kinds(ctl) -> set[tuple[str, str]]:
    r = await ctl.client.get("/api/v1/alarms", headers=ctl.auth(Role.ioc_viewer))
    return {(a["entity_name"], a["kind"]) for a in r.json()["items"]}


async def reach(read, wanted, seconds: float = PATIENT_S):
    """``read()`` (awaited) again until ``wanted`` holds of it; its last value."""

    async def check():
        value = await read()
        return (value,) if wanted(value) else None

    return (await until(check, seconds=seconds))[0]


async def quiet(ctl) -> None:
    """Stop everything that writes, so the tables hold still while both sides are read."""
    await ctl.state.alarms.stop()
    await ctl.state.monitor.stop()
    await ctl.state.monitor.writer.flush()


@pytest.mark.usefixtures("backend")
async def test_the_view_answers_what_the_tables_answer(controller, tmp_path):
    ctl = controller
    async with Fleet(6, units=UNITS, latency_ms=0) as fleet:
        ids = await register_fleet(ctl, fleet, tmp_path)
        names = sorted(ids)
        for n, unit in enumerate(["DEMO-H01-X01", "DEMO-H02"]):
            r = await ctl.client.post(
                "/api/v1/cameras",
                json={"name": f"Một cửa {n}", "unit": unit, "url": f"rtsp://127.0.0.1:9/cam{n}"},
                headers=ctl.auth(Role.technician),
            )
            assert r.status_code == 201, r.text
        await ctl.state.monitor.reconcile()
        await reach(lambda: health_states(ctl), lambda s: len(s) == 6 and set(s.values()) == {"online"})

        fleet[names[0]].set_state(camera_connected=False)  # degraded, camera alarm
        await fleet[names[1]].inject("reboot", seconds=120)  # unreachable, alarm
        await ctl.state.pool.drop(ids[names[1]])
        await reach(
            lambda: active_kinds(ctl),
            lambda kinds: (
                {k for n, k in kinds if n == names[1]} & {"unreachable", "offline"}
                and any(n == names[0] for n, _ in kinds)
            ),
        )
        alarm = (await ctl.client.get("/api/v1/alarms", headers=ctl.auth(Role.ioc_viewer))).json()["items"][0]
        r = await ctl.client.post(
            f"/api/v1/alarms/{alarm['id']}/ack",
            json={"comment": "đang xử lý"},
            headers=ctl.auth(Role.technician),
        )
        assert r.status_code == 200, r.text
        # read your own write: the acknowledgement is in the very next answer
        r = await ctl.client.get(
            "/api/v1/alarms", params={"acknowledged": "true"}, headers=ctl.auth(Role.ioc_viewer)
        )
        assert [a["id"] for a in r.json()["items"]] == [alarm["id"]]
        # a deletion and a move, through the API
        assert (
            await ctl.client.delete(f"/api/v1/endpoints/{ids[names[5]]}", headers=ctl.auth(Role.technician))
        ).status_code == 204
        r = await ctl.client.patch(
            f"/api/v1/endpoints/{ids[names[4]]}",
            json={"unit": "DEMO-H03-X02"},
            headers=ctl.auth(Role.technician),
        )
        assert r.status_code == 200, r.text
        summary = (await ctl.client.get("/api/v1/health/summary", headers=ctl.auth(Role.ioc_viewer))).json()
        by_code = {u["unit"]: u for u in summary["units"]}
        assert by_code["DEMO-H03-X02"]["total"] == 1 and by_code["DEMO-H03-X01"]["total"] == 0
        assert by_code["DEMO"]["total"] == 5 and by_code["DEMO"]["cameras_total"] == 2

        await quiet(ctl)
        view = await ctl.state.live.current()
        async with ctl.state.db.transaction() as session:
            district = (await session.scalar(select(Unit).where(Unit.code == "DEMO-H01"))).path
            scopes = [EVERYWHERE, UnitScope(frozenset({district}))]
            for scope in scopes:
                for unit in (None, "DEMO-H01", "DEMO-H01-X01"):
                    assert view.summary(unit, scope) == await queries.summary(session, unit, scope)
                    for state in (None, "online", "degraded", "unreachable"):
                        for limit, offset in ((250, 0), (2, 1)):
                            rows, total = view.health_page(
                                unit=unit, state=state, limit=limit, offset=offset, scope=scope
                            )
                            db_rows, db_total = await queries.list_health(
                                session, unit=unit, state=state, limit=limit, offset=offset, scope=scope
                            )
                            assert ([e.health for e in rows], total) == (db_rows, db_total)
                    for acknowledged in (None, True, False):
                        filters = queries.AlarmFilter(unit=unit, acknowledged=acknowledged)
                        got = view.active_alarms(filters, limit=50, offset=0, scope=scope)
                        want = await queries.list_alarms(session, filters, limit=50, offset=0, scope=scope)
                        assert got == want
            one = ids[names[0]]
            assert view.endpoint(uuid.UUID(one)).health == await queries.endpoint_health(
                session, uuid.UUID(one)
            )
        # the route answers the same bytes from either source
        r = await ctl.client.get("/api/v1/health/endpoints", headers=ctl.auth(Role.ioc_viewer))
        ctl.state.status.source = "database"
        r_db = await ctl.client.get("/api/v1/health/endpoints", headers=ctl.auth(Role.ioc_viewer))
        assert r.json() == r_db.json() and "etag" in r.headers and "etag" not in r_db.headers


async def _other_process_writes(url: str, endpoint_id: uuid.UUID, unit_id: uuid.UUID) -> uuid.UUID:
    """What a CLI or a second controller commits: its own engine, so no notice reaches us."""
    other = Database(url)
    try:
        async with other.transaction() as session:
            ep = await session.get(Endpoint, endpoint_id)
            await session.execute(
                update(EndpointHealth)
                .where(EndpointHealth.endpoint_id == endpoint_id)
                .values(state="unreachable")
            )
            await session.execute(update(Endpoint).where(Endpoint.id == endpoint_id).values(
                state="unreachable", updated_at=Endpoint.updated_at
            ))  # fmt: skip
            emit(session, None, "endpoint.state", "endpoint", str(endpoint_id),
                 {"name": ep.name, "old": "online", "new": "unreachable"}, unit_path=ep.unit.path)  # fmt: skip
            cam = Camera(name="Một cửa khác", unit_id=unit_id, url="rtsp://127.0.0.1:9/x", state="unknown")
            session.add(cam)
            await session.flush()
            return cam.id
    finally:
        await other.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_what_another_process_commits_reaches_the_view(controller, tmp_path, backend):
    ctl = controller
    ctl.state.live.reconcile_s = 3600  # the outbox and the registry mark must do it, not the safety net
    async with Fleet(2, units=UNITS[:2], latency_ms=0) as fleet:
        ids = await register_fleet(ctl, fleet, tmp_path)
        await ctl.state.monitor.reconcile()
        await reach(lambda: health_states(ctl), lambda s: len(s) == 2 and set(s.values()) == {"online"})
        await quiet(ctl)  # the monitor would correct the state at its next poll
        victim = uuid.UUID(ids[sorted(ids)[0]])
        async with ctl.state.db.transaction() as session:
            unit_id = await session.scalar(select(Unit.id).where(Unit.code == "DEMO-H02"))
        camera_id = await _other_process_writes(ctl.settings.effective_database_url, victim, unit_id)

        async def seen() -> tuple[str, bool]:
            view = await ctl.state.live.current()
            ep = view.endpoints[victim]
            return (ep.health.state if ep.health else "", camera_id in view.cameras)

        await reach(seen, lambda s: s == ("unreachable", True), seconds=10)
        r = await ctl.client.get(
            "/api/v1/health/summary", params={"unit": "DEMO-H02"}, headers=ctl.auth(Role.ioc_viewer)
        )
        assert r.json()["units"][0]["cameras_total"] == 1
        assert ctl.state.live.drift == 0


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_write_no_notice_announced_is_found_by_the_reconcile_and_counted(
    controller, tmp_path, backend
):
    ctl = controller
    async with Fleet(1, units=UNITS[:1], latency_ms=0) as fleet:
        ids = await register_fleet(ctl, fleet, tmp_path)
        await ctl.state.monitor.reconcile()
        await reach(lambda: health_states(ctl), lambda s: len(s) == 1)
        await quiet(ctl)
        await ctl.state.live.current()
        ep_id = uuid.UUID(next(iter(ids.values())))
        other = Database(ctl.settings.effective_database_url)
        async with other.transaction() as session:  # no event, no registry edit: invisible
            await session.execute(
                update(EndpointHealth)
                .where(EndpointHealth.endpoint_id == ep_id)
                .values(reason="written behind our back")
            )
        await other.dispose()
        await asyncio.sleep(1.5)  # passes run; none of them is told
        view = await ctl.state.live.current()
        assert view.endpoints[ep_id].health.reason != "written behind our back"
        ctl.state.live.reconcile_s = 0.1
        await reach(
            ctl.state.live.current, lambda v: v.endpoints[ep_id].health.reason == "written behind our back"
        )
        assert ctl.state.live.drift == 1


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_pollers_get_validators_304_and_gzip(controller, tmp_path, backend):
    ctl = controller
    viewer = ctl.auth(Role.ioc_viewer)
    async with Fleet(3, units=UNITS[:3], latency_ms=0) as fleet:
        ids = await register_fleet(ctl, fleet, tmp_path)
        await ctl.state.monitor.reconcile()
        await reach(lambda: health_states(ctl), lambda s: len(s) == 3 and set(s.values()) == {"online"})
        await quiet(ctl)
        for path in ("/api/v1/health/summary", "/api/v1/health/endpoints", "/api/v1/alarms",
                     f"/api/v1/endpoints/{next(iter(ids.values()))}/health"):  # fmt: skip
            first = await ctl.client.get(path, headers=viewer | {"Accept-Encoding": "identity"})
            etag = first.headers["etag"]
            assert etag.startswith('W/"') and first.headers["cache-control"] == "private, no-cache"
            again = await ctl.client.get(path, headers=viewer | {"If-None-Match": etag})
            assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
            other = await ctl.client.get(path, headers=viewer | {"If-None-Match": 'W/"something-else"'})
            assert other.status_code == 200 and other.json() == first.json()

        big = await ctl.client.get("/api/v1/health/summary", headers=viewer | {"Accept-Encoding": "gzip"})
        assert big.headers["content-encoding"] == "gzip"
        raw = await ctl.client.get("/api/v1/health/summary", headers=viewer | {"Accept-Encoding": "identity"})
        assert "content-encoding" not in raw.headers
        assert big.json() == raw.json() and len(gzip.compress(raw.content)) < len(raw.content)

        # a district's technician asks the same URL: another scope, another validator
        summary_tag = raw.headers["etag"]
        async with ctl.state.db.transaction() as session:
            district = (await session.scalar(select(Unit).where(Unit.code == "DEMO-H01"))).path
        scoped = ctl.state.status
        view = await scoped.live.current()
        narrow = await scoped.summary(None, UnitScope(frozenset({district})))
        assert f'W/"{narrow.tag}"' != summary_tag
        assert [u["unit"] for u in view.summary(None, UnitScope(frozenset({district})))["units"]][
            0
        ] == "DEMO-H01"

        # a state change makes the held validator stale
        victim = sorted(ids)[0]
        async with ctl.state.db.transaction() as session:
            (await session.get(Endpoint, uuid.UUID(ids[victim]))).state = "offline"
        changed = await ctl.client.get(
            "/api/v1/health/summary", headers=viewer | {"If-None-Match": summary_tag}
        )
        assert changed.status_code == 200 and changed.headers["etag"] != summary_tag
        assert changed.json()["units"][0]["counts"].get("offline") == 1


def _event(i: int):
    from controller.models import OutboxEvent

    return OutboxEvent(id=i, type="endpoint.state", entity_type="endpoint", entity_id="x", payload={})


def test_recent_events_hold_a_run_without_gaps_and_say_when_they_do_not_reach_back():
    from controller.events import RecentEvents

    recent = RecentEvents(size=5)
    recent.reset(10)
    assert recent.after(10) == [] and recent.after(9) is None
    recent.extend([_event(i) for i in (11, 12, 14)], after=10)  # ids may skip: what was read is all
    assert [e.id for e in recent.after(10)] == [11, 12, 14]
    assert [e.id for e in recent.after(12)] == [14] and recent.last == 14
    recent.extend([_event(i) for i in (15, 16, 17, 18)], after=14)
    assert recent.floor == 12 and [e.id for e in recent.after(12)] == [14, 15, 16, 17, 18]
    assert recent.after(11) is None  # pushed out by the size: the stream reads the table
    recent.extend([_event(30)], after=25)  # a read that did not start where the last ended
    assert recent.floor == 25 and recent.after(18) is None and [e.id for e in recent.after(25)] == [30]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_stream_resuming_before_the_held_events_reads_them_from_the_table(controller, backend):
    """Events the memory no longer holds still reach a stream that resumes from long ago."""
    from tests.support.sse import read_events

    ctl = controller
    async with ctl.state.db.transaction() as session:
        for n in range(5):
            emit(
                session,
                ctl.state.signal,
                "session.started",
                "session",
                str(uuid.uuid4()),
                {"title": f"họp {n}"},
            )
    recent = ctl.state.live.recent
    await reach(ctl.state.live.current, lambda v: recent.last >= 5)
    first = recent.last - 4
    recent.reset(recent.last)  # as if the size had pushed them all out
    got = await read_events(
        ctl.app,
        "/api/v1/events/stream",
        headers=ctl.auth(Role.ioc_viewer) | {"Last-Event-ID": str(first - 1)},
        count=5,
    )
    assert [data["title"] for _, _, data in got] == [f"họp {n}" for n in range(5)]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_request_never_hangs_on_a_view_that_cannot_catch_up(controller, backend, monkeypatch):
    """Reads of changes failing (the database in trouble): a request waits at most ``wait_s``
    for its own write to be read in, then is answered with the picture as it stands."""
    import time

    from sqlalchemy.exc import OperationalError

    from controller.health import live_loader

    ctl = controller
    viewer = ctl.auth(Role.ioc_viewer)
    before = (await ctl.client.get("/api/v1/health/summary", headers=viewer)).json()

    async def broken(*_args, **_kw):
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(live_loader, "snapshot", broken)
    monkeypatch.setattr(live_loader, "registry_mark", broken)
    ctl.state.live.wait_s = 0.5
    async with ctl.state.db.transaction() as session:  # a change the view must read in
        new = uuid.uuid4()
        session.add(
            Unit(id=new, code="NEW-UNIT", name="Đơn vị mới", level="province", path=f"/{new}/", depth=0)
        )
    t0 = time.monotonic()
    r = await ctl.client.get("/api/v1/health/summary", headers=viewer)
    assert r.status_code == 200 and r.json() == before and time.monotonic() - t0 < 3
    monkeypatch.undo()
    after = await reach(
        lambda: ctl.client.get("/api/v1/health/summary", headers=viewer),
        lambda r: any(u["unit"] == "NEW-UNIT" for u in r.json()["units"]),
    )
    assert after.status_code == 200

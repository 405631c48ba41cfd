"""`q` on the lists is accent- and case-insensitive, on SQLite and PostgreSQL alike, and folds
as the console does: "xa 1.05" finds "Xã 1.05", "da lat" finds what is in "Đà Lạt"."""

from __future__ import annotations

import json
import subprocess
import unicodedata
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright._impl._driver import compute_driver_executable

from controller.db import Database
from controller.fleet.registry import EndpointFilter, list_endpoints
from controller.migrate import upgrade
from controller.models import Camera, Endpoint, Unit
from controller.roles import Role
from controller.search_text import fold
from tests.controller.fleet_helpers import endpoint_body

BOTH = pytest.mark.usefixtures("backend")
FORMAT_JS = Path(__file__).resolve().parents[2] / "controller" / "web" / "lib" / "format.js"

# The console's fold(), run by node: format.js imports i18n.js, which reads localStorage.
JS_FOLD = """
const stub = (name, value) => Object.defineProperty(globalThis, name, { value, configurable: true });
stub("localStorage", { getItem: () => null, setItem() {} });
stub("document", { documentElement: {} });
const { fold } = await import(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
process.stdout.write(JSON.stringify(JSON.parse(input).map(fold)));
"""

VOWELS = {"a": "aăâ", "e": "eê", "i": "i", "o": "oôơ", "u": "uư", "y": "y"}
TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # level, huyền, sắc, ngã, hỏi, nặng


def _vowels() -> list[tuple[str, str]]:
    """(written vowel, its ASCII letter): every vowel with every tone, both cases."""
    return [
        (
            unicodedata.normalize("NFC", v + tone).upper()
            if upper
            else unicodedata.normalize("NFC", v + tone),
            a,
        )
        for a, written in VOWELS.items()
        for v in written
        for tone in TONES
        for upper in (False, True)
    ]


def test_fold_is_the_consoles_fold_character_for_character():
    vowels = _vowels()
    assert len(vowels) == 12 * 6 * 2
    assert all(fold(w) == a for w, a in vowels), [(w, fold(w)) for w, a in vowels if fold(w) != a]
    mixed = [
        "Đà Lạt",
        "đường ĐIỆN BIÊN PHỦ",
        "Xã 1.05",
        "Ủy ban nhân dân tỉnh Đắk Lắk",
        "NGƯỜI ĐƯỢC ỦY QUYỀN",
        "Phường Ngọc Hà, Hà Giang",
        unicodedata.normalize("NFD", "Hội trường Quảng Ngãi"),  # typed already decomposed
        "Sân 50% _x_ a/b",
        "ﬁ Ｘ ẞ İ Ωμέγα",  # not Vietnamese: the same rule still, whatever it gives
        "",
    ]
    samples = [w for w, _ in vowels] + mixed
    node = compute_driver_executable()[0]
    done = subprocess.run(
        [node, "--input-type=module", "-e", JS_FOLD, FORMAT_JS.as_uri()],
        input=json.dumps(samples),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(done.stdout) == [fold(s) for s in samples]
    assert [fold(s) for s in mixed[:4]] == [
        "da lat",
        "duong dien bien phu",
        "xa 1.05",
        "uy ban nhan dan tinh dak lak",
    ]


async def _names(ctl, path: str, q: str, key: str = "name") -> list[str]:
    r = await ctl.client.get(path, params={"q": q, "limit": 1000}, headers=ctl.auth(Role.admin))
    assert r.status_code == 200, r.text
    assert r.json()["total"] == len(r.json()["items"])
    return sorted(i[key] for i in r.json()["items"])


async def _post(ctl, path: str, body: dict) -> dict:
    r = await ctl.client.post(path, json=body, headers=ctl.auth(Role.admin))
    assert r.status_code == 201, r.text
    return r.json()


async def _patch(ctl, path: str, body: dict) -> None:
    r = await ctl.client.patch(path, json=body, headers=ctl.auth(Role.admin))
    assert r.status_code == 200, r.text


async def _da_lat(ctl) -> None:
    await _post(ctl, "/api/v1/units", {"code": "DL", "name": "Đà Lạt", "level": "commune", "parent": "DEMO"})


async def _stored_key(ctl, model, row_id: str) -> str:
    async with ctl.state.db.transaction() as s:
        return await s.scalar(sa.select(model.search_key).where(model.id == uuid.UUID(row_id)))


@BOTH
async def test_endpoints_are_found_without_accents_or_case(controller):
    await _da_lat(controller)
    ep = await _post(controller, "/api/v1/endpoints", endpoint_body("Xã 1.05", "DL", 2401))
    await _post(controller, "/api/v1/endpoints", endpoint_body("Phòng họp 1%5", "DEMO-H01-X01", 2402))
    await _post(controller, "/api/v1/endpoints", endpoint_body("Hội trường_A", "DEMO-H01-X02", 2403))
    await _post(controller, "/api/v1/endpoints", endpoint_body("Cổng 2/3", "DEMO", 2404))
    await _post(
        controller,
        "/api/v1/endpoints",
        endpoint_body("Kho", "DEMO", 2405, host="10.9.8.7", description="Ở HỘI TRƯỜNG tầng 2"),
    )
    path = "/api/v1/endpoints"
    for q in ("xa 1.05", "XÃ 1.05", "Xa 1.05", "da lat", "ĐÀ", "DL"):
        assert await _names(controller, path, q) == ["Xã 1.05"], q
    assert await _names(controller, path, "hoi truong") == ["Hội trường_A", "Kho"]  # name, description
    assert await _names(controller, path, "PHONG HOP") == ["Phòng họp 1%5"]
    assert await _names(controller, path, "10.9.8") == ["Kho"]  # host
    assert await _names(controller, path, "%") == ["Phòng họp 1%5"]
    assert await _names(controller, path, "1%5") == ["Phòng họp 1%5"]
    assert await _names(controller, path, "_") == ["Hội trường_A"]
    assert await _names(controller, path, "/") == ["Cổng 2/3"]
    assert await _names(controller, path, "xa 1.06") == []
    assert await _stored_key(controller, Endpoint, ep["id"]) == "xa 1.05\n127.0.0.1"

    # a rename moves the key; so does renaming the unit the endpoint is found by
    await _patch(controller, f"{path}/{ep['id']}", {"name": "Phường Đông", "description": "Tầng 3"})
    assert await _names(controller, path, "xa 1.05") == []
    assert await _names(controller, path, "phuong dong") == ["Phường Đông"]
    assert await _names(controller, path, "TANG 3") == ["Phường Đông"]
    assert await _stored_key(controller, Endpoint, ep["id"]) == "phuong dong\n127.0.0.1\ntang 3"
    await _patch(controller, "/api/v1/units/DL", {"name": "Bảo Lộc"})
    assert await _names(controller, path, "da lat") == []
    assert await _names(controller, path, "bao loc") == ["Phường Đông"]


@BOTH
async def test_imported_endpoints_are_found_without_accents(controller):
    csv = "name,unit,host,port,username,password,profile\nĐiểm cầu Đồng Nai,DEMO,127.0.0.1,2501,a,pw,cisco-roomos\n"
    r = await controller.client.post(
        "/api/v1/endpoints/import",
        files={"file": ("fleet.csv", csv.encode(), "text/csv")},
        headers=controller.auth(Role.technician),
    )
    assert r.status_code == 200, r.text
    assert await _names(controller, "/api/v1/endpoints", "diem cau dong nai") == ["Điểm cầu Đồng Nai"]


@BOTH
async def test_cameras_are_found_without_accents_or_case(controller):
    await _da_lat(controller)
    path = "/api/v1/cameras"
    cam = await _post(
        controller,
        path,
        {"name": "Camera Xã 1.05", "unit": "DL", "url": "rtsp://10.7.0.1/s", "site": "Bộ phận Một Cửa"},
    )
    await _post(
        controller,
        path,
        {"name": "Cổng 1", "unit": "DEMO-H01-X01", "url": "rtsp://10.7.0.2/s", "site": "Sân 50%"},
    )
    await _post(controller, path, {"name": "Kho_2", "unit": "DEMO", "url": "rtsp://10.7.0.3/s"})
    for q in ("xa 1.05", "CAMERA XÃ", "mot cua", "da lat", "ĐÀ LẠT"):
        assert await _names(controller, path, q) == ["Camera Xã 1.05"], q
    assert await _names(controller, path, "cong") == ["Cổng 1"]
    assert await _names(controller, path, "san 50") == ["Cổng 1"]
    assert await _names(controller, path, "%") == ["Cổng 1"]
    assert await _names(controller, path, "_") == ["Kho_2"]
    assert await _stored_key(controller, Camera, cam["id"]) == "camera xa 1.05\nbo phan mot cua"

    await _patch(controller, f"{path}/{cam['id']}", {"name": "Quầy Tiếp Dân", "site": None})
    assert await _names(controller, path, "mot cua") == []
    assert await _names(controller, path, "quay tiep dan") == ["Quầy Tiếp Dân"]
    assert await _stored_key(controller, Camera, cam["id"]) == "quay tiep dan"


@BOTH
async def test_units_are_found_without_accents_or_case(controller):
    await _da_lat(controller)
    path = "/api/v1/units"
    await _post(controller, path, {"code": "KA", "name": "Khu_A", "level": "commune", "parent": "DEMO"})
    await _post(controller, path, {"code": "T100", "name": "Tổ 100%", "level": "commune", "parent": "DEMO"})
    for q in ("da lat", "ĐÀ LẠT", "Da Lat", "dl"):
        assert await _names(controller, path, q) == ["Đà Lạt"], q
    # the demo tree's communes, imported by upsert_units: "Xã 1.01" ...
    assert await _names(controller, path, "XA 1.0", "code") == [
        "DEMO-H01-X01",
        "DEMO-H01-X02",
        "DEMO-H01-X03",
    ]
    assert await _names(controller, path, "huyen so") == ["Huyện Số 1", "Huyện Số 2", "Huyện Số 3"]
    assert await _names(controller, path, "_") == ["Khu_A"]
    assert await _names(controller, path, "%") == ["Tổ 100%"]
    async with controller.state.db.transaction() as s:
        assert await s.scalar(sa.select(Unit.search_key).where(Unit.code == "DL")) == "da lat\ndl"

    await _patch(controller, f"{path}/DL", {"name": "Phường Lâm Viên"})
    assert await _names(controller, path, "da lat") == []
    assert await _names(controller, path, "lam vien") == ["Phường Lâm Viên"]


@BOTH
async def test_the_migration_fills_the_keys_of_existing_rows(database_url):
    """Revision 0023: rows written before it get their key from the same Python fold."""
    now = datetime.now(UTC)
    unit_id, ep_id, cam_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def stamps() -> tuple[sa.ColumnClause, ...]:
        return tuple(sa.column(c, sa.DateTime(timezone=True)) for c in ("created_at", "updated_at"))

    units = sa.table(
        "units",
        sa.column("id", sa.Uuid()),
        *map(sa.column, ("code", "name", "level", "path", "depth")),
        *stamps(),
    )
    endpoints = sa.table(
        "endpoints",
        sa.column("id", sa.Uuid()),
        sa.column("unit_id", sa.Uuid()),
        *map(
            sa.column, ("name", "host", "port", "username", "password_enc", "profile", "state", "description")
        ),
        *stamps(),
    )
    cameras = sa.table(
        "cameras",
        sa.column("id", sa.Uuid()),
        sa.column("unit_id", sa.Uuid()),
        sa.column("thresholds", sa.JSON()),
        *map(sa.column, ("name", "site", "url", "enabled", "state")),
        *stamps(),
    )
    db = Database(database_url)
    try:
        await upgrade(db, "0022")
        async with db.engine.begin() as conn:
            await conn.execute(
                units.insert().values(
                    id=unit_id,
                    code="DL",
                    name="Đà Lạt",
                    level="province",
                    path=f"/{unit_id}/",
                    depth=0,
                    created_at=now,
                    updated_at=now,
                )
            )
            await conn.execute(
                endpoints.insert().values(
                    id=ep_id,
                    unit_id=unit_id,
                    name="Xã 1.05",
                    host="10.0.0.5",
                    port=22,
                    username="a",
                    password_enc="x",
                    profile="cisco-roomos",
                    state="unknown",
                    description="Đặt tại Hội trường",
                    created_at=now,
                    updated_at=now,
                )
            )
            await conn.execute(
                cameras.insert().values(
                    id=cam_id,
                    unit_id=unit_id,
                    name="Camera Một Cửa",
                    site=None,
                    url="rtsp://10.0.0.6/s",
                    enabled=True,
                    state="unknown",
                    thresholds={},
                    created_at=now,
                    updated_at=now,
                )
            )
        await upgrade(db)
        async with db.engine.connect() as conn:
            keys = [
                (await conn.execute(sa.select(sa.column("search_key")).select_from(sa.table(t)))).scalar_one()
                for t in ("units", "endpoints", "cameras")
            ]
        assert keys == ["da lat\ndl", "xa 1.05\n10.0.0.5\ndat tai hoi truong", "camera mot cua"]
        async with db.transaction() as session:
            rows, total = await list_endpoints(session, EndpointFilter(q="XA 1.05"), limit=10, offset=0)
            assert ([r.id for r in rows], total) == ([ep_id], 1)
            rows, total = await list_endpoints(session, EndpointFilter(q="ĐÀ LẠT"), limit=10, offset=0)
            assert ([r.id for r in rows], total) == ([ep_id], 1)
    finally:
        await db.dispose()

"""Real provinces from the vietnam-provinces package (2025 two-level structure)."""

from __future__ import annotations

from controller.roles import Role


async def test_import_real_province_is_idempotent(controller):
    h = controller.auth(Role.admin)
    r = await controller.client.post("/api/v1/units/import", json={"province": "tuyen quang"}, headers=h)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["root"]["name"] == "Tuyên Quang" and rep["root"]["level"] == "province"
    assert rep["created"] > 100  # Tuyên Quang has well over 100 communes since 2025
    communes = await controller.client.get(
        "/api/v1/units",
        params={"root": rep["root"]["code"], "level": "commune", "limit": 5000},
        headers=h,
    )
    assert communes.json()["total"] == rep["created"] - 1
    assert all(u["depth"] == 1 for u in communes.json()["items"])
    again = (
        await controller.client.post("/api/v1/units/import", json={"province": "Tỉnh Tuyên Quang"}, headers=h)
    ).json()
    assert again["created"] == 0 and again["updated"] == 0


async def test_unknown_province_is_404_and_only_admin_imports(controller):
    r = await controller.client.post(
        "/api/v1/units/import", json={"province": "Atlantis"}, headers=controller.auth(Role.admin)
    )
    assert r.status_code == 404 and "Atlantis" in r.json()["detail"]
    r = await controller.client.post(
        "/api/v1/units/import", json={"province": "Huế"}, headers=controller.auth(Role.technician)
    )
    assert r.status_code == 403

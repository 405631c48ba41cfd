"""The simulated fleet's inventory registers as-is, and first contact pins host keys."""

from __future__ import annotations

import csv
import io

from controller.roles import Role
from endpoints.sim import Fleet

UNITS = ["DEMO-H01-X01", "DEMO-H01-X02", "DEMO-H02-X01", "DEMO"]


async def _import(ctl, text: str) -> dict:
    r = await ctl.client.post(
        "/api/v1/endpoints/import",
        files={"file": ("fleet.csv", text.encode(), "text/csv")},
        headers=ctl.auth(Role.technician),
    )
    assert r.status_code == 200, r.text
    return r.json()


async def _probe(ctl, ep_id: str) -> dict:
    r = await ctl.client.post(f"/api/v1/endpoints/{ep_id}/probe", headers=ctl.auth(Role.technician))
    assert r.status_code == 200, r.text
    return r.json()


async def test_fleet_inventory_imports_and_pinned_keys_are_checked(controller, tmp_path):
    async with Fleet(8, units=UNITS, latency_ms=0) as fleet:
        inventory = fleet.write_inventory(tmp_path / "fleet.csv").read_text(encoding="utf-8")
        assert (await _import(controller, inventory))["imported"] == 8
        listed = (
            await controller.client.get("/api/v1/endpoints", headers=controller.auth(Role.admin))
        ).json()
        by_name = {e["name"]: e for e in listed["items"]}
        rows = list(csv.DictReader(io.StringIO(inventory)))
        assert {r["name"] for r in rows} == set(by_name)

        cisco = next(r for r in rows if r["profile"] == "cisco-roomos")
        poly = next(r for r in rows if r["profile"] == "poly-group")
        for row in (cisco, poly):
            result = await _probe(controller, by_name[row["name"]]["id"])
            sim = fleet[row["name"]].state
            assert result["reachable"] and not result["host_key_learned"], result
            assert result["firmware_version"] == sim.firmware and result["model"] == sim.model

        await fleet[cisco["name"]].inject("new_host_key")
        await controller.state.pool.drop(by_name[cisco["name"]]["id"])  # the link drops; it reconnects
        result = await _probe(controller, by_name[cisco["name"]]["id"])
        assert result == {**result, "reachable": False, "error_type": "hostkey_mismatch"}
        ep = (
            await controller.client.get(
                f"/api/v1/endpoints/{by_name[cisco['name']]['id']}",
                headers=controller.auth(Role.admin),
            )
        ).json()
        assert ep["host_key"] == " ".join(cisco["host_key"].split()[:2])  # still the pinned key
        audit = (
            await controller.client.get(
                "/api/v1/audit",
                params={"action": "endpoint.hostkey_refused"},
                headers=controller.auth(Role.admin),
            )
        ).json()
        assert audit["total"] == 1 and audit["items"][0]["summary"]["name"] == cisco["name"]

        await fleet[poly["name"]].inject("wrong_password")
        await controller.state.pool.drop(by_name[poly["name"]]["id"])
        result = await _probe(controller, by_name[poly["name"]]["id"])
        assert result["error_type"] == "auth_failed" and not result["reachable"]


async def test_first_contact_learns_the_host_key(controller, tmp_path):
    async with Fleet(2, units=UNITS, latency_ms=0) as fleet:
        inventory = fleet.write_inventory(tmp_path / "fleet.csv").read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(inventory)))
        no_keys = "name,unit,host,port,username,password,profile\n" + "".join(
            f"{r['name']},{r['unit']},{r['host']},{r['port']},{r['username']},{r['password']},{r['profile']}\n"
            for r in rows
        )
        await _import(controller, no_keys)
        items = (
            await controller.client.get("/api/v1/endpoints", headers=controller.auth(Role.admin))
        ).json()["items"]
        ep = next(e for e in items if e["name"] == rows[0]["name"])
        assert ep["host_key"] is None
        first = await _probe(controller, ep["id"])
        assert first["reachable"] and first["host_key_learned"]
        ep = (
            await controller.client.get(f"/api/v1/endpoints/{ep['id']}", headers=controller.auth(Role.admin))
        ).json()
        assert ep["host_key_source"] == "tofu"
        assert ep["host_key"] == " ".join(fleet[rows[0]["name"]].public_key.split()[:2])
        assert ep["last_contact_at"] is not None and ep["firmware_version"]
        second = await _probe(controller, ep["id"])
        assert second["reachable"] and not second["host_key_learned"]

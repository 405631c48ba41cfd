"""Device passwords never appear in a response, a log line or the audit trail."""

from __future__ import annotations

import logging

from sqlalchemy import text

from controller.roles import Role

SECRETS = ["S3cret-One-9911", "S3cret-Two-4242", "S3cret-Three-777", "S3cret-Four-5151"]


async def test_passwords_do_not_leak(controller, caplog):
    caplog.set_level(logging.DEBUG)
    c, h = controller.client, controller.auth(Role.admin)
    bodies: list[str] = []

    async def call(method, url, **kw):
        r = await c.request(method, url, headers=h, **kw)
        bodies.append(r.text + str(dict(r.headers)))
        return r

    base = {
        "unit": "DEMO-H01-X01",
        "host": "127.0.0.1",
        "username": "admin",
        "profile": "cisco-roomos",
    }
    r = await call(
        "POST",
        "/api/v1/endpoints",
        json={**base, "name": "A", "port": 2001, "password": SECRETS[0]},
    )
    ep_id = r.json()["id"]
    # Invalid requests carrying a password: the error must not echo it.
    await call("POST", "/api/v1/endpoints", json={**base, "name": "B", "port": 0, "password": SECRETS[1]})
    await call(
        "POST",
        "/api/v1/endpoints",
        json={**base, "name": "A", "port": 2002, "password": SECRETS[1]},
    )
    await call(
        "POST",
        "/api/v1/endpoints",
        json={**base, "name": "C", "port": 2003, "password": SECRETS[1] + "\n"},
    )
    await call("PATCH", f"/api/v1/endpoints/{ep_id}", json={"password": SECRETS[2]})
    csv = (
        "name,unit,host,port,username,password,profile\n"
        f"D,DEMO-H01-X01,127.0.0.1,2004,admin,{SECRETS[3]},cisco-roomos\n"
        f"E,NOPE,bad host,2005,admin,{SECRETS[3]},acme\n"
        f"F,DEMO-H01-X01,127.0.0.1,2006,admin,{SECRETS[3]}\n"
    )
    await call("POST", "/api/v1/endpoints/import", files={"file": ("f.csv", csv.encode(), "text/csv")})
    await call(
        "POST",
        "/api/v1/endpoints/import",
        params={"valid_only": "true"},
        files={"file": ("f.csv", csv.encode(), "text/csv")},
    )
    for url in ("/api/v1/endpoints", f"/api/v1/endpoints/{ep_id}", "/api/v1/audit?limit=1000"):
        await call("GET", url)

    async with controller.state.db.transaction() as s:
        audit_rows = [str(r) for r in (await s.execute(text("SELECT * FROM audit_log"))).all()]
        enc = [r[0] for r in (await s.execute(text("SELECT password_enc FROM endpoints"))).all()]
    assert len(enc) == 2  # A and D
    haystacks = {
        "responses": bodies,
        "logs": [r.getMessage() for r in caplog.records] + [caplog.text],
        "audit": audit_rows,
        "ciphertexts": enc,
    }
    for where, texts in haystacks.items():
        for secret in SECRETS:
            assert not any(secret in t for t in texts), f"{secret} found in {where}"
    # The audit trail still says what happened.
    assert any("password_changed" in row for row in audit_rows)

"""CSV import: every bad row reported precisely; nothing lost, nothing half-done."""

from __future__ import annotations

import pytest

from controller.roles import Role

HEADER = "name,unit,host,port,username,password,profile\n"


def csv_rows(n: int, start_port: int = 3000) -> str:
    units = [f"DEMO-H0{d}-X0{c}" for d in range(1, 4) for c in range(1, 4)]
    return "".join(
        f"Điểm cầu {i},{units[i % len(units)]},127.0.0.1,{start_port + i},admin,pw-{i},"
        f"{'cisco-roomos' if i % 2 else 'poly-group'}\n"
        for i in range(n)
    )


async def upload(ctl, text: str | bytes, role=Role.technician, **params):
    data = text.encode() if isinstance(text, str) else text
    return await ctl.client.post(
        "/api/v1/endpoints/import",
        files={"file": ("fleet.csv", data, "text/csv")},
        params=params,
        headers=ctl.auth(role),
    )


async def count(ctl) -> int:
    r = await ctl.client.get("/api/v1/endpoints", params={"limit": 1}, headers=ctl.auth(Role.admin))
    return r.json()["total"]


@pytest.mark.usefixtures("backend")
async def test_import_250_rows(controller):
    r = await upload(controller, HEADER + csv_rows(250))
    assert r.status_code == 200, r.text
    assert r.json() == {"rows": 250, "valid": 250, "imported": 250, "errors": []}
    assert await count(controller) == 250
    r = await controller.client.get(
        "/api/v1/audit", params={"action": "endpoint.import"}, headers=controller.auth(Role.admin)
    )
    (rec,) = r.json()["items"]
    assert rec["summary"]["imported"] == 250 and rec["actor"] == "technician1"


BAD = (
    HEADER
    + "Good 1,DEMO-H01-X01,127.0.0.1,4001,admin,pw,cisco-roomos\n"  # line 2
    + "Bad port,DEMO-H01-X01,127.0.0.1,99999,admin,pw,cisco-roomos\n"  # 3
    + "Bad host,DEMO-H01-X01,exa mple,4003,admin,pw,cisco-roomos\n"  # 4
    + "No unit,NOPE,127.0.0.1,4004,admin,pw,cisco-roomos\n"  # 5
    + "No profile,DEMO-H01-X01,127.0.0.1,4005,admin,pw,acme\n"  # 6
    + "Good 1,DEMO-H01-X01,127.0.0.1,4006,admin,pw,cisco-roomos\n"  # 7 dup name of 2
    + "Dup addr,DEMO-H01-X02,127.0.0.1,4001,admin,pw,poly-group\n"  # 8 dup addr of 2
    + "Short row,DEMO-H01-X01,127.0.0.1\n"  # 9
    + "\n"  # 10 blank: ignored
    + '"Multi\nline",DEMO-H01-X01,127.0.0.1,4011,admin,pw,cisco-roomos\n'  # 11-12
    + "Empty pw,DEMO-H01-X01,127.0.0.1,4013,admin,,cisco-roomos\n"  # 13
    + "Good 2,DEMO-H02-X01,127.0.0.1,4014,admin,pw,poly-group\n"  # 14
)

EXPECTED = [
    (3, "port"),
    (4, "host"),
    (5, "unit"),
    (6, "profile"),
    (7, "name"),
    (8, "host"),
    (9, None),
    (11, "name"),
    (13, "password"),
]


async def test_bad_rows_reported_with_line_and_field_and_nothing_imported(controller):
    r = await upload(controller, BAD)
    assert r.status_code == 422
    problem = r.json()
    assert problem["type"] == "urn:diemcau:problem:import-rejected"
    assert problem["rows"] == 11
    got = [(e["line"], e["field"]) for e in problem["errors"]]
    assert got == EXPECTED, problem["errors"]
    reasons = {e["line"]: e["reason"] for e in problem["errors"]}
    assert "same name and unit as line 2" in reasons[7]
    assert "same host and port as line 2" in reasons[8]
    assert "expected 7 fields, found 3" in reasons[9]
    assert "control characters" in reasons[11]
    assert await count(controller) == 0


async def test_valid_only_imports_the_good_rows_and_lists_the_rest(controller):
    r = await upload(controller, BAD, valid_only="true")
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["imported"] == 2 and rep["rows"] == 11
    assert [(e["line"], e["field"]) for e in rep["errors"]] == EXPECTED
    assert await count(controller) == 2
    # The same file again: the good rows now clash with what is registered.
    rep2 = (await upload(controller, BAD, valid_only="true")).json()
    assert rep2["imported"] == 0
    assert {(e["line"], e["field"]) for e in rep2["errors"]} >= {
        (2, "name"),
        (2, "host"),
        (14, "name"),
    }


async def test_excel_flavours_bom_and_semicolons(controller):
    text = "\ufeff" + (HEADER + csv_rows(3)).replace(",", ";")
    r = await upload(controller, text.encode("utf-8"))
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 3


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"name,unit\nx,y\n", "header"),
        ("Tên,unit,host\n".encode("cp1258"), "not UTF-8"),
    ],
)
async def test_unusable_files_get_a_clear_422(controller, content, fragment):
    r = await upload(controller, content)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"]


async def test_header_errors_name_each_column(controller):
    r = await upload(controller, "name,unit,host,port,user,password,profile,pasword\n")
    errors = {(e["field"], e["reason"]) for e in r.json()["errors"]}
    assert ("username", "required column is missing") in errors
    assert ("user", "unknown column") in errors and ("pasword", "unknown column") in errors


async def test_oversized_file_is_413(controller):
    controller.state.settings.max_csv_bytes = 2048
    r = await upload(controller, HEADER + csv_rows(100))
    assert r.status_code == 413
    assert r.json()["type"] == "urn:diemcau:problem:payload-too-large"


async def test_host_keys_in_csv_are_pinned(controller):
    import asyncssh

    key = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    text = "name,unit,host,port,username,password,profile,host_key\n" + (
        f"K,DEMO-H01-X01,127.0.0.1,5001,admin,pw,cisco-roomos,{key}\n"
    )
    assert (await upload(controller, text)).status_code == 200
    r = await controller.client.get("/api/v1/endpoints", headers=controller.auth(Role.admin))
    (ep,) = r.json()["items"]
    assert ep["host_key"] == " ".join(key.split()[:2]) and ep["host_key_source"] == "registered"


async def test_every_row_error_carries_a_stable_code_and_its_params(controller):
    """A console words each problem in its own language from ``code`` and ``params``."""
    csv = (
        "name,unit,host,port,username,password,profile,extra\n"
        "a,DEMO-H01-X01,127.0.0.1,2001,admin,pw-123456,cisco-roomos,x\n"
    )
    r = await controller.client.post(
        "/api/v1/endpoints/import",
        files={"file": ("f.csv", csv.encode(), "text/csv")},
        headers=controller.auth(Role.admin),
    )
    assert [(e["code"], e["field"]) for e in r.json()["errors"]] == [("column.unknown", "extra")]
    csv = (
        "name,unit,host,port,username,password,profile\n"
        "a,NOPE,127.0.0.1,2001,admin,pw-123456,cisco-roomos\n"
        "b,DEMO-H01-X01,not a host,2002,admin,pw-123456,cisco-roomos\n"
        "c,DEMO-H01-X01,127.0.0.1,70000,admin,pw-123456,cisco-roomos\n"
        "d,DEMO-H01-X01,127.0.0.1,2004,admin,pw-123456,nope\n"
        "e,DEMO-H01-X01,127.0.0.1,2005,admin,pw-123456\n"
        "a,DEMO-H01-X02,127.0.0.1,2001,admin,pw-123456,cisco-roomos\n"
    )
    r = await controller.client.post(
        "/api/v1/endpoints/import",
        files={"file": ("f.csv", csv.encode(), "text/csv")},
        headers=controller.auth(Role.admin),
    )
    got = [(e["line"], e["code"], e["params"]) for e in r.json()["errors"]]
    assert got == [
        (2, "unit.unknown", {}),
        (3, "value.host_invalid", {}),
        (4, "value.less_than_equal", {"le": 65535}),
        (5, "profile.unknown", {"known": "cisco-roomos, poly-group"}),
        (6, "row.field_count", {"expected": 7, "found": 6}),
        (7, "row.repeated", {"line": 2}),
    ]

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


# One pass: a row that fails validation is still checked on the fields that did validate,
# every check runs whatever else is wrong with the row, and a line's problems come in the
# file's column order.


async def test_a_bad_port_does_not_hide_an_unknown_unit_or_profile(controller):
    text = (
        HEADER
        + "Good,DEMO-H01-X01,127.0.0.1,4101,admin,pw,cisco-roomos\n"  # 2
        + "Three,NOPE,127.0.0.1,99999,admin,pw,acme\n"  # 3
        + "Unit only,DEMO-H01-X01,127.0.0.1,abc,admin,pw,acme\n"  # 4: the unit is fine
        + "Bad unit,DEMO\u202eX,127.0.0.1,4105,admin,pw,acme\n"  # 5: unit refused, so not "unknown"
    )
    r = await upload(controller, text)
    assert r.status_code == 422, r.text
    got = [(e["line"], e["field"], e["code"], e["value"]) for e in r.json()["errors"]]
    assert got == [
        (3, "unit", "unit.unknown", "NOPE"),
        (3, "port", "value.less_than_equal", "99999"),
        (3, "profile", "profile.unknown", "acme"),
        (4, "port", "value.int_parsing", "abc"),
        (4, "profile", "profile.unknown", "acme"),
        (5, "unit", "value.text_hidden", "DEMO\u202eX"),
        (5, "profile", "profile.unknown", "acme"),
    ]
    assert await count(controller) == 0
    rep = (await upload(controller, text, valid_only="true")).json()
    assert (rep["imported"], len(rep["errors"])) == (1, 7)


async def test_a_bad_row_is_checked_against_what_is_registered(controller):
    from tests.controller.test_registry_api import create

    await create(controller, name="Taken", port=4200)
    text = HEADER + "Taken,DEMO-H01-X01,127.0.0.1,4200,admin,,cisco-roomos\n"
    r = await upload(controller, text)
    got = [(e["line"], e["field"], e["code"]) for e in r.json()["errors"]]
    assert got == [
        (2, "name", "endpoint.name_taken"),
        (2, "host", "endpoint.address_taken"),
        (2, "password", "value.string_too_short"),
    ]


async def test_a_taken_name_does_not_hide_the_standards_limit(controller):
    from tests.controller.fleet_helpers import set_standard
    from tests.controller.test_registry_api import create

    too_long = "Phòng họp trực tuyến Ủy ban nhân dân xã 1 thôn Bản Pình"  # "ĐC " + it: 58 > 50
    await create(controller, name=too_long, profile="poly-group", port=4300)  # Poly: no such limit
    await set_standard(controller, {"display_name": "ĐC {name}"})
    text = (
        HEADER
        + f"{too_long},DEMO-H01-X01,127.0.0.1,4301,admin,pw,cisco-roomos\n"  # 2: taken and too long
        + f"{too_long},DEMO-H01-X02,127.0.0.1,4302,admin,pw,cisco-roomos\n"  # 3: too long only
        + f"{too_long},DEMO-H01-X03,127.0.0.1,99999,admin,pw,cisco-roomos\n"  # 4: bad port, too long
    )
    r = await upload(controller, text)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    got = [(e["line"], e["field"], e["code"]) for e in errors]
    assert got == [
        (2, "name", "endpoint.name_taken"),
        (2, "name", "standard.limit"),
        (3, "name", "standard.limit"),
        (4, "name", "standard.limit"),
        (4, "port", "value.less_than_equal"),
    ]
    assert "at most 50" in errors[1]["reason"] and errors[1]["value"] == too_long


async def test_a_missing_field_does_not_hide_a_repeat_inside_the_file(controller):
    text = (
        HEADER
        + "No password,DEMO-H01-X01,127.0.0.1,4401,admin,,cisco-roomos\n"  # 2: host of line 3
        + "Good A,DEMO-H01-X01,127.0.0.1,4401,admin,pw,cisco-roomos\n"  # 3
        + "Good B,DEMO-H01-X01,127.0.0.1,4403,admin,pw,cisco-roomos\n"  # 4
        + "Good B,DEMO-H01-X01,127.0.0.1,4404,,pw,cisco-roomos\n"  # 5: name of 4, no user
        + "Bad port,DEMO-H01-X02,127.0.0.1,0,admin,pw,cisco-roomos\n"  # 6
        + "Bad port,DEMO-H01-X02,127.0.0.1,4407,admin,pw,No Such\n"  # 7: name of 6, both bad
        + "No user,DEMO-H01-X02,127.0.0.1,4403,,pw,cisco-roomos\n"  # 8: host of 4
    )
    r = await upload(controller, text)
    assert r.status_code == 422, r.text
    got = [(e["line"], e["field"], e["code"], e["params"]) for e in r.json()["errors"]]
    assert got == [
        (2, "host", "row.repeated", {"line": 3}),
        (2, "password", "value.string_too_short", {"min_length": 1}),
        (5, "name", "row.repeated", {"line": 4}),
        (5, "username", "value.string_too_short", {"min_length": 1}),
        (6, "port", "value.greater_than_equal", {"ge": 1}),
        (7, "name", "row.repeated", {"line": 6}),
        (7, "profile", "value.string_pattern_mismatch", {"pattern": "^[a-z0-9][a-z0-9._-]*$"}),
        (8, "host", "row.repeated", {"line": 4}),
        (8, "username", "value.string_too_short", {"min_length": 1}),
    ]
    # A repeat that involves a bad row is the bad row's: the good rows still go in.
    rep = (await upload(controller, text, valid_only="true")).json()
    assert rep["imported"] == 2 and len(rep["errors"]) == 9
    r = await controller.client.get("/api/v1/endpoints", headers=controller.auth(Role.admin))
    assert sorted(e["name"] for e in r.json()["items"]) == ["Good A", "Good B"]

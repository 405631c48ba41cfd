"""Request bodies are bounded before anything parses them, and the caller is known before
any byte of the body is read.

The bodies here are streamed by generators that count what the server pulled, so "not
read" is a count of chunks, not a guess.
"""

from __future__ import annotations

import pytest

from controller.roles import Role

MIB = 1024 * 1024
CHUNK = 64 * 1024


@pytest.fixture
def controller_settings() -> dict:
    return {"max_csv_bytes": 100_000, "max_json_bytes": 200_000}


class Body:
    """``total`` bytes in CHUNK-sized pieces; ``pulled`` counts what the server asked for."""

    def __init__(self, total: int, fill: bytes = b" ") -> None:
        self.total, self.fill, self.pulled = total, fill, 0

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        sent = 0
        while sent < self.total:
            piece = min(CHUNK, self.total - sent)
            self.pulled += piece
            sent += piece
            yield self.fill * piece


def _is_problem(r, status: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"


async def test_a_body_over_the_json_limit_is_refused_by_its_length_unread(controller):
    body = Body(30 * MIB)
    r = await controller.client.post(
        "/api/v1/endpoints",
        content=body,
        headers=controller.auth(Role.technician)
        | {"content-type": "application/json", "content-length": str(body.total)},
    )
    _is_problem(r, 413)
    assert r.json()["type"] == "urn:diemcau:problem:payload-too-large"
    assert body.pulled == 0


async def test_a_chunked_body_is_cut_off_at_the_limit(controller):
    body = Body(30 * MIB)
    r = await controller.client.post(
        "/api/v1/endpoints",
        content=body,  # no length: sent chunked
        headers=controller.auth(Role.technician) | {"content-type": "application/json"},
    )
    _is_problem(r, 413)
    assert body.pulled <= 200_000 + CHUNK


async def test_an_unauthenticated_caller_is_refused_before_its_body_is_read(controller):
    for headers in ({}, {"Authorization": "Bearer forged.jwt.value"}):
        body = Body(30 * MIB)
        r = await controller.client.post(
            "/api/v1/endpoints/import",
            content=body,
            headers=headers | {"content-type": "multipart/form-data"},
        )
        _is_problem(r, 401)
        assert body.pulled == 0


async def test_a_csv_upload_may_be_as_large_as_the_csv_limit_and_no_larger(controller):
    rows = "name,unit,host,username,password,profile\n"
    ok = rows.encode() + b"#" * (100_000 - len(rows) - 10) + b"\n"
    r = await controller.client.post(
        "/api/v1/endpoints/import",
        files={"file": ("big.csv", ok, "text/csv")},
        headers=controller.auth(Role.technician),
    )
    assert r.status_code == 422, r.text  # parsed: the rows are wrong, not the size
    assert r.json()["type"] != "urn:diemcau:problem:payload-too-large"
    r = await controller.client.post(
        "/api/v1/cameras/import",
        files={"file": ("big.csv", b"#" * 300_000, "text/csv")},
        headers=controller.auth(Role.technician),
    )
    _is_problem(r, 413)


async def test_the_token_route_takes_a_small_urlencoded_form_only(controller):
    r = await controller.client.post(
        "/api/v1/auth/token",
        data={"username": "admin1", "password": "x"},
        files={"file": ("big.bin", b"\0" * (20 * MIB), "application/octet-stream")},
    )
    assert r.status_code in (413, 415), r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = Body(20 * MIB, b"a")
    r = await controller.client.post(
        "/api/v1/auth/token", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    _is_problem(r, 413)
    assert body.pulled <= 16 * 1024 + CHUNK
    r = await controller.client.post(
        "/api/v1/auth/token",
        content=b"username=admin1&password=x",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    _is_problem(r, 415)

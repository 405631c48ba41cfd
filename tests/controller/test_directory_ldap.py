"""Sign-in with the province's directory, against a real OpenLDAP server (Debian slapd).

People sign in with their directory password; their grants come from their groups through
the province's group file at each sign-in; the local break-glass admin signs in whatever
the directory does; a directory that is down or hung is a clear 503, never a wrong password.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from controller.bench.harness import free_port
from controller.directory_settings import LdapSettings
from controller.errors import Unauthorized
from controller.models import AuditRecord, User
from controller.roles import Role
from controller.settings import Settings
from controller.users import service as users
from controller.users.directory import DirectoryUnavailable
from controller.users.group_map import GroupMap, GroupMapError
from controller.users.ldap_directory import LdapDirectory
from tests.conftest import PASSWORD as LOCAL_PASSWORD
from tests.support.ldap_server import PASSWORD, SERVICE_DN, SERVICE_PASSWORD, SUFFIX, group_dn, ldap_server

GROUPS = f"""
groups:
  - group: {group_dn("ioc-tinh")}
    grants: [{{role: ioc_viewer}}]
  - group: "CN=KyThuat-H01, OU=Groups, DC=tinh, DC=vn"   # case and spaces as AD tools write DNs
    grants: [{{role: technician, unit: DEMO-H01}}, {{role: host, unit: DEMO-H01}}]
"""


@pytest.fixture(scope="module")
def directory():
    with ldap_server() as server:
        yield server


def _ldap(url: str, **extra) -> dict:
    return {
        "url": url,
        "bind_dn": SERVICE_DN,
        "bind_password": SERVICE_PASSWORD,
        "user_base": f"ou=people,{SUFFIX}",
        "group_base": f"ou=groups,{SUFFIX}",
        "timeout_s": 1,
    } | extra


@pytest.fixture
def controller_settings(directory, tmp_path) -> dict:
    groups = tmp_path / "groups.yaml"
    groups.write_text(GROUPS, encoding="utf-8")
    return {"ldap": _ldap(directory.url), "directory_groups_file": groups}


async def _sign_in(c, username: str, password: str = PASSWORD):
    return await c.post("/api/v1/auth/token", data={"username": username, "password": password})


async def test_people_sign_in_with_the_directory_and_get_their_groups_grants(controller):
    c = controller.client
    r = await _sign_in(c, "minh")
    assert r.status_code == 200, r.text
    # a directory sign-in lasts a working day (directory_session_hours), then the directory is asked
    assert 11.9 * 3600 < r.json()["refresh_expires_in"] <= 12 * 3600
    me = (
        await c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    ).json()
    assert me["name"] == "minh"
    assert sorted((g["role"], g["unit"]) for g in me["grants"]) == [
        ("host", "DEMO-H01"),
        ("ioc_viewer", None),
        ("technician", "DEMO-H01"),
    ]
    async with controller.state.db.transaction() as session:
        user = await session.scalar(select(User).where(User.username == "minh"))
        assert (user.source, user.full_name) == ("ldap", "Trần Văn Minh")
        audit = await session.scalar(select(AuditRecord).where(AuditRecord.action == "login.directory"))
        assert audit.summary["source"] == "ldap" and "technician@DEMO-H01" in audit.summary["grants"]
    # the refresh token works as for anyone
    r = await c.post(
        "/api/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": r.json()["refresh_token"]}
    )
    assert r.status_code == 200


async def test_a_wrong_password_and_an_unknown_name_look_the_same(controller):
    c = controller.client
    wrong, unknown = await _sign_in(c, "lan", "not-it"), await _sign_in(c, "nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_someone_in_no_mapped_group_is_told_so_and_it_is_audited(controller):
    r = await _sign_in(controller.client, "hoa")
    assert r.status_code == 403
    assert r.json()["code"] == "directory.no_access"
    async with controller.state.db.transaction() as session:
        audit = await session.scalar(select(AuditRecord).where(AuditRecord.action == "login.no_access"))
        assert audit.summary["username"] == "hoa"
        assert audit.summary["groups"] == [group_dn("ketoan")]
        assert await session.scalar(select(User).where(User.username == "hoa")) is None


async def test_leaving_the_groups_ends_the_access_at_the_next_sign_in(controller, directory):
    c = controller.client
    first = (await _sign_in(c, "lan")).json()
    directory.leave_group("lan", "ioc-tinh")
    try:
        r = await _sign_in(c, "lan")
        assert r.status_code == 403 and r.json()["code"] == "directory.no_access"
        # and the sign-in made while still in the group is over: its refresh token is refused
        r = await c.post(
            "/api/v1/auth/token",
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        )
        assert r.status_code == 401
        r = await c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {first['access_token']}"})
        assert r.status_code == 401
    finally:
        directory.join_group("lan", "ioc-tinh")


async def test_a_hung_directory_is_a_clear_503_and_the_local_admin_still_signs_in(controller, directory):
    c = controller.client
    directory.pause()  # connections are accepted, nothing answers
    try:
        r = await _sign_in(c, "lan")
        assert r.status_code == 503
        assert r.json()["code"] == "directory.unavailable" and r.headers["Retry-After"] == "30"
        assert "Traceback" not in r.text and SERVICE_PASSWORD not in r.text
        r = await _sign_in(c, "admin1", LOCAL_PASSWORD)  # the break-glass account
        assert r.status_code == 200
    finally:
        directory.resume()
    assert (await _sign_in(c, "lan")).status_code == 200


async def test_a_directory_that_is_down_is_a_clear_503():
    down = LdapDirectory(LdapSettings(**_ldap(f"ldap://127.0.0.1:{free_port()}")))
    with pytest.raises(DirectoryUnavailable) as raised:
        await down.authenticate("lan", PASSWORD)
    assert raised.value.status == 503 and "Connection refused" in raised.value.why


async def test_names_cannot_widen_the_search_and_two_matches_are_no_one(directory, caplog):
    ldap = LdapDirectory(LdapSettings(**_ldap(directory.url, user_base=SUFFIX)))
    assert await ldap.authenticate("*", PASSWORD) is None  # escaped: (uid=\2a) matches nobody
    assert await ldap.authenticate("lan)(uid=*", PASSWORD) is None
    assert await ldap.authenticate("lan", "") is None  # an unauthenticated bind would succeed
    with caplog.at_level(logging.WARNING):
        assert await ldap.authenticate("twin", PASSWORD) is None  # two entries have uid=twin
    assert "matches 2 entries" in caplog.text
    person = await ldap.authenticate("lan", PASSWORD)
    assert person is not None and person.full_name == "Nguyễn Thị Lan"
    assert person.groups == (group_dn("ioc-tinh"),)


async def test_a_wrong_service_password_is_an_outage_not_a_wrong_password(directory):
    ldap = LdapDirectory(LdapSettings(**_ldap(directory.url, bind_password="wrong")))
    with pytest.raises(DirectoryUnavailable) as raised:
        await ldap.authenticate("lan", PASSWORD)
    assert "service account" in raised.value.why


async def test_a_directory_name_never_takes_over_a_local_account(controller):
    c = controller.client
    r = await c.post(
        "/api/v1/users",
        json={"username": "lan", "password": LOCAL_PASSWORD, "role": "host"},
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 201
    assert (await _sign_in(c, "lan")).status_code == 401  # the directory's password is not asked
    r = await _sign_in(c, "lan", LOCAL_PASSWORD)
    assert r.status_code == 200 and r.json()["role"] == "host"


async def test_a_directory_user_has_no_password_here(controller):
    """Signed in once through the directory, the account cannot be used with a password
    once the directory is no longer asked (its row holds no usable hash)."""
    assert (await _sign_in(controller.client, "lan")).status_code == 200
    async with controller.state.db.transaction() as session:
        with pytest.raises(Unauthorized):
            await users.verify_login(session, "lan", PASSWORD)


def test_settings_refuse_a_clear_text_directory_and_filters_without_their_placeholder():
    base = _ldap("ldap://ldap.tinh.vn")
    with pytest.raises(ValueError, match="in clear"):
        LdapSettings(**base)
    assert LdapSettings(**base | {"start_tls": True}).start_tls
    assert LdapSettings(**base | {"url": "ldaps://ldap.tinh.vn"})
    with pytest.raises(ValueError, match="username"):
        LdapSettings(**base | {"url": "ldaps://x", "user_filter": "(uid=admin)"})
    with pytest.raises(ValueError, match="file:"):
        LdapSettings(**base | {"url": "file:///etc/passwd"})
    with pytest.raises(ValueError, match="directory_groups_file"):
        Settings(ldap=base | {"url": "ldaps://x"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("groups:\n  - group: cn=a\n    grants: [{role: god}]\n", "groups.0.grants.0.role"),
        ("groups:\n  - group: cn=a\n    grants: []\n", "groups.0.grants"),
        (
            "groups: [{group: CN=A, grants: [{role: host}]}, {group: cn=a, grants: [{role: host}]}]",
            "listed twice",
        ),
        ("groups: [\n", "not YAML"),
        ("groups:\n  - group: cn=a\n    grants: [{role: host, place: H01}]\n", "place"),
    ],
)
def test_a_wrong_group_file_names_the_place(tmp_path: Path, text: str, message: str):
    path = tmp_path / "groups.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GroupMapError, match=message) as raised:
        GroupMap.load(path)
    assert str(path) in str(raised.value)


async def test_directory_passwords_reach_no_log_and_no_answer(controller, directory, caplog):
    """The service account's password and the person's are in no log line (ldap3's own
    included) and no answer, whether the sign-in works, fails or the directory hangs."""
    caplog.set_level(logging.DEBUG)
    c = controller.client
    answers = [await _sign_in(c, "lan"), await _sign_in(c, "lan", "Wrong-Pa55-xyz"), await _sign_in(c, "hoa")]
    directory.pause()
    try:
        answers.append(await _sign_in(c, "minh"))
    finally:
        directory.resume()
    assert [r.status_code for r in answers] == [200, 401, 403, 503]
    seen = caplog.text + "".join(r.text for r in answers)
    audit = await c.get("/api/v1/audit", headers=controller.auth(Role.admin))
    assert audit.status_code == 200 and "login.no_access" in audit.text
    seen += audit.text
    for secret in (SERVICE_PASSWORD, PASSWORD, "Wrong-Pa55-xyz"):
        assert secret not in seen
    assert "directory sign-in unavailable" in caplog.text  # the operator does see the outage


def test_an_administrator_checks_a_name_against_the_directory_from_the_cli(directory, tmp_path):
    """`diemcau users directory-check NAME`: what the directory and the group file make of a
    name, without its password; a mapped unit that does not exist here is pointed out."""
    groups = tmp_path / "groups.yaml"
    groups.write_text(
        GROUPS.replace(
            "unit: DEMO-H01}, {role: host", "unit: DEMO-H01}, {role: host, unit: NOPE}, {role: host"
        ),
        "utf-8",
    )
    env = dict(
        os.environ,
        DIEMCAU_DATA_DIR=str(tmp_path),
        DIEMCAU_SECRET_KEY=Fernet.generate_key().decode(),
        DIEMCAU_LDAP=json.dumps(_ldap(directory.url)),
        DIEMCAU_DIRECTORY_GROUPS_FILE=str(groups),
        COLUMNS="200",
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "controller", *args], env=env, capture_output=True, text=True, timeout=120
        )

    assert cli("db", "upgrade").returncode == 0
    assert cli("units", "demo-tree").returncode == 0
    minh = cli("users", "directory-check", "minh")
    assert minh.returncode == 0, minh.stderr
    assert "Trần Văn Minh" in minh.stdout and f"group  {group_dn('kythuat-h01')}" in minh.stdout
    assert "grant  technician@DEMO-H01" in minh.stdout and "grant  ioc_viewer@province" in minh.stdout
    assert "unit NOPE is mapped but does not exist here" in minh.stdout
    hoa = cli("users", "directory-check", "hoa")
    assert hoa.returncode == 2 and "no access" in hoa.stderr
    nobody = cli("users", "directory-check", "nobody")
    assert nobody.returncode == 1 and "not found" in nobody.stderr and "Traceback" not in nobody.stderr


async def test_an_administrator_disables_a_directory_user_here_and_it_sticks(controller):
    c = controller.client
    admin = controller.auth(Role.admin)
    assert (await _sign_in(c, "minh")).status_code == 200
    users = (await c.get("/api/v1/users", headers=admin)).json()
    minh = next(u for u in users if u["username"] == "minh")
    assert minh["source"] == "ldap" and next(u for u in users if u["username"] == "admin1")["source"] == "local"
    # the directory owns the password and the grants
    for change in ({"password": "New-Pa55-word"}, {"grants": [{"role": "admin"}]}):
        r = await c.patch(f"/api/v1/users/{minh['id']}", json=change, headers=admin)
        assert r.status_code == 409 and "signs in with the directory" in r.json()["detail"]
    assert (await c.patch(f"/api/v1/users/{minh['id']}", json={"disabled": True}, headers=admin)).status_code == 200
    for _ in range(2):  # the directory still vouches for minh; the lock here holds
        r = await _sign_in(c, "minh")
        assert r.status_code == 403 and r.json()["code"] == "directory.disabled"
    assert (await c.patch(f"/api/v1/users/{minh['id']}", json={"disabled": False}, headers=admin)).status_code == 200
    assert (await _sign_in(c, "minh")).status_code == 200

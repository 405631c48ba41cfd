"""Signing in with the province's directory, in real Chromium: the SSO portal's button and
trip (a real oidc-provider), a directory password (a real slapd), the "no access" page for
someone no group lets in, and a directory that does not answer while the local admin still
signs in."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

from controller.bench.harness import free_port
from tests.console.conftest import LAPTOP, Province, screenshot, start_demo, stop_demo
from tests.support.ldap_server import (
    PASSWORD,
    SERVICE_DN,
    SERVICE_PASSWORD,
    SUFFIX,
    LdapServer,
    group_dn,
    ldap_server,
)
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider

GROUPS = f"""
groups:
  - group: /ioc/tinh
    grants: [{{role: ioc_viewer}}]
  - group: {group_dn("ioc-tinh")}
    grants: [{{role: ioc_viewer}}]
  - group: {group_dn("kythuat-h01")}
    grants: [{{role: technician, unit: DEMO-H01}}]
"""


@dataclass
class Site:
    province: Province
    ldap: LdapServer


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    port = free_port()
    redirect = f"http://127.0.0.1:{port}/api/v1/auth/oidc/callback"
    groups = Path(tempfile.mkdtemp(prefix="diemcau-groups-")) / "groups.yaml"
    groups.write_text(GROUPS, encoding="utf-8")
    with oidc_provider(redirect) as portal, ldap_server() as ldap:
        env = {
            "DIEMCAU_OIDC": json.dumps(
                {
                    "issuer": portal.issuer,
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uri": redirect,
                    "label": "Cổng dịch vụ công của tỉnh",
                }
            ),
            "DIEMCAU_LDAP": json.dumps(
                {
                    "url": ldap.url,
                    "bind_dn": SERVICE_DN,
                    "bind_password": SERVICE_PASSWORD,
                    "user_base": f"ou=people,{SUFFIX}",
                    "group_base": f"ou=groups,{SUFFIX}",
                    "timeout_s": 1,
                }
            ),
            "DIEMCAU_DIRECTORY_GROUPS_FILE": str(groups),
        }
        proc, province = start_demo(count=2, cameras=1, port=port, env=env)
        try:
            yield Site(province, ldap)
        finally:
            stop_demo(proc)


def _page(browser, site: Site) -> Page:
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.goto(f"{site.province.url}/console/")
    return page


def _portal_sign_in(page: Page, login: str) -> None:
    """At the portal's own pages: the sign-in form, then the consent."""
    page.click("#sso-start")
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any-Pa55")
    page.click("button[type=submit]")
    page.wait_for_selector("button[type=submit]:text('Continue')")
    page.click("button[type=submit]")


def test_the_portal_button_signs_in_and_leaves_no_token_in_the_address(browser, site):
    page = _page(browser, site)
    page.wait_for_selector("#sso-start:text('Đăng nhập bằng Cổng dịch vụ công của tỉnh')")
    screenshot(page, "login-sso")
    _portal_sign_in(page, "lan")
    page.wait_for_selector("#bar:not([hidden])")
    page.wait_for_url("**/console/#/ioc")
    assert "lan" in page.inner_text("#who") and "Giám sát IOC" in page.inner_text("#who")
    assert "sso=" not in page.url and "drt_" not in page.evaluate("() => location.href")
    page.context.close()


def test_someone_no_group_lets_in_sees_the_no_access_page(browser, site):
    page = _page(browser, site)
    _portal_sign_in(page, "hoa")
    page.wait_for_selector("#no-access h1:text('Chưa được cấp quyền')")
    screenshot(page, "login-no-access")
    page.click("#no-access-back")
    page.wait_for_selector("#login")
    # the same page after a directory password
    page.fill("#username", "hoa")
    page.fill("#password", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#no-access:has-text('Tài khoản: hoa')")
    page.context.close()


def test_a_directory_password_opens_the_technician_view_of_the_district(browser, site):
    page = _page(browser, site)
    page.fill("#username", "minh")
    page.fill("#password", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_url("**/console/#/ioc")
    assert "Kỹ thuật viên DEMO-H01" in page.inner_text("#who")
    assert page.eval_on_selector_all("#nav a", "els => els.map(e => e.dataset.route)") == [
        "ioc",
        "list",
        "tech",
        "ready",
    ]
    page.context.close()


def test_a_silent_directory_is_said_in_vietnamese_and_the_local_admin_still_signs_in(browser, site):
    page = _page(browser, site)
    site.ldap.pause()
    try:
        page.fill("#username", "minh")
        page.fill("#password", PASSWORD)
        page.click("#login button[type=submit]")
        page.wait_for_selector("#login-error:has-text('Chưa kết nối được với hệ thống tài khoản của tỉnh')")
        page.fill("#username", "admin")
        page.fill("#password", site.province.logins["admin"])
        page.click("#login button[type=submit]")
        page.wait_for_selector("#bar:not([hidden])")
    finally:
        site.ldap.resume()
    page.context.close()

"""Every answer carries the security headers, the console has no inline code for the CSP to
refuse, and the API docs page loads nothing from outside the controller."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from controller.app import WEB_DIR
from controller.roles import Role


def _assert_secured(r) -> None:  # type: ignore[no-untyped-def]
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"


async def test_the_console_the_api_and_the_errors_carry_the_security_headers(controller):
    c = controller.client
    for r in (
        await c.get("/console/"),
        await c.get("/console/app.js"),
        await c.get("/console/player.html"),
        await c.get("/api/v1/auth/me", headers=controller.auth(Role.host)),
        await c.get("/api/v1/auth/me"),  # 401 from the authentication middleware
        await c.post("/api/v1/auth/token", content=b"x", headers={"content-type": "text/plain"}),  # 415
        await c.get("/healthz"),
        await c.get("/nowhere"),
    ):
        _assert_secured(r)


class _Inline(HTMLParser):
    """Collects what a `script-src 'self'; style-src 'self'` policy would refuse."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k for k, _ in attrs}
        if tag == "script":
            self._in_script = "src" not in names
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag}[{k}]" for k in names if k == "style" or k.startswith("on")]
        if tag == "a" and any((v or "").startswith("javascript:") for k, v in attrs if k == "href"):
            self.found.append("javascript: URL")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append("inline <script>")


def test_the_console_has_no_inline_script_or_style():
    for page in sorted(Path(WEB_DIR).rglob("*.html")):
        parser = _Inline()
        parser.feed(page.read_text())
        assert parser.found == [], page
    for module in sorted(Path(WEB_DIR).rglob("*.js")):
        text = module.read_text()
        # style elements and style attributes from strings are refused too (element.style is not)
        assert not re.search(r"""h\(\s*["']style["']|createElement\(\s*["']style["']""", text), module
        assert not re.search(r"""setAttribute\(\s*["']style["']|\.cssText\b""", text), module


async def test_the_docs_page_is_served_from_the_controller_without_a_cdn(controller):
    c = controller.client
    page = await c.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    _assert_secured(page)
    sources = re.findall(r"""(?:src|href)="([^"]+)\"""", page.text)
    assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    parser = _Inline()
    parser.feed(page.text)
    assert parser.found == []
    for src in sources:
        if src.startswith("data:"):
            continue
        r = await c.get(f"/{src}")
        assert r.status_code == 200, src
        assert len(r.content) > 100
    assert (await c.get("/openapi.json")).json()["info"]["title"] == "diemcau"
    assert (await c.get("/redoc")).status_code == 404  # ReDoc would need a CDN and inline styles

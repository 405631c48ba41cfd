"""A real OpenID Connect provider for the tests: panva/oidc-provider (OpenID Certified,
installed from the npm registry by `make setup` into tests/support/oidc), run by node on a
random loopback port with one client (the controller) and the province's accounts.

`sign_in_at_portal` is the person at the portal's own sign-in and consent pages: it follows
the portal's redirects and submits its forms until the portal sends the browser back to the
controller, and returns that address.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

from controller.bench.harness import free_port
from tests.support.servers import stop

HERE = Path(__file__).parent / "oidc"
CLIENT_ID = "diemcau"
CLIENT_SECRET = "portal-client-S3cret"
# login -> (name, groups); the portal accepts any password (its development sign-in pages)
ACCOUNTS = {
    "lan": ("Nguyễn Thị Lan", ["/ioc/tinh"]),
    "minh": ("Trần Văn Minh", ["/kythuat/h01"]),
    "hoa": ("Lê Thị Hoa", ["/ketoan"]),
    "bad name": ("Space In Name", ["/ioc/tinh"]),
}


@dataclass(frozen=True)
class Portal:
    issuer: str
    process: subprocess.Popen[str]


@contextmanager
def oidc_provider(redirect_uri: str) -> Iterator[Portal]:
    """A running portal whose one client is the controller at ``redirect_uri``."""
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("node or oidc-provider is not installed: run `make setup`")
    port = free_port()
    config = {
        "port": port,
        "client": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect_uri]},
        "accounts": {login: {"name": name, "groups": groups} for login, (name, groups) in ACCOUNTS.items()},
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
    proc = subprocess.Popen(
        [node, str(HERE / "provider.mjs"), f.name],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=HERE,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # node prints READY once it listens, or exits
        if not line.startswith("READY "):
            raise RuntimeError(f"oidc-provider did not start (exit {proc.poll()})")
        yield Portal(line.split()[1], proc)
    finally:
        stop(proc)
        Path(f.name).unlink(missing_ok=True)


_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_INPUT = re.compile(r'<input[^>]*name="([^"]+)"(?:[^>]*value="([^"]*)")?[^>]*>')


async def sign_in_at_portal(browser: httpx.AsyncClient, url: str, login: str, redirect_uri: str) -> str:
    """Sign in as ``login`` at the portal from its authorization ``url``; the address the
    portal sends the browser back to (``redirect_uri`` with the code and state)."""
    response = await browser.get(url)
    for _ in range(20):
        if response.is_redirect:
            target = urljoin(str(response.url), response.headers["location"])
            if target.startswith(redirect_uri):
                return target
            response = await browser.get(target)
            continue
        found = _FORM.search(response.text)
        if response.status_code != 200 or found is None:
            raise AssertionError(f"the portal answered {response.status_code}: {response.text[:300]}")
        fields = {name: html.unescape(value or "") for name, value in _INPUT.findall(found.group(2))}
        if "login" in fields:
            fields |= {"login": login, "password": "any-Pa55"}
        response = await browser.post(urljoin(str(response.url), html.unescape(found.group(1))), data=fields)
    raise AssertionError("the portal never sent the browser back")
